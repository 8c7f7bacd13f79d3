// Declared egress: the IPv4 ranges outside the cluster a team's pods may open connections to. Pure
// CIDR arithmetic on 32-bit integers, so the checks against the forbidden ranges are exact.
import { isIpv4Cidr } from "../../src/config/validators";
import { FORBIDDEN_EGRESS } from "../../src/network";

/** One declared way out: TCP to `cidr` on `ports`, from the pods of `apps` (every app when empty). */
export interface EgressConfig {
    readonly cidr: string;
    readonly ports: readonly number[];
    readonly apps: readonly string[];
}

interface Range {
    readonly base: number;
    readonly prefix: number;
}

function parse(cidr: string): Range {
    const [address, prefix] = cidr.split("/");
    const base = address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    return { base, prefix: Number(prefix) };
}

const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Whether `outer` contains every address of `inner` (a range contains itself). */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parse(outer);
    const i = parse(inner);
    return o.prefix <= i.prefix && (i.base & mask(o.prefix)) >>> 0 === o.base;
}

/** The network address of a CIDR (`10.1.2.3/24` -> `10.1.2.0/24`). */
export function networkOf(cidr: string): string {
    const { base, prefix } = parse(cidr);
    const network = (base & mask(prefix)) >>> 0;
    const octets = [24, 16, 8, 0].map((shift) => (network >>> shift) & 255);
    return `${octets.join(".")}/${prefix}`;
}

/**
 * What is wrong with a declared egress CIDR, or undefined: not an IPv4 CIDR, host bits set, or inside
 * a range no team may reach (FORBIDDEN_EGRESS). A CIDR that merely contains such a range is fine:
 * `forbiddenWithin` carves them out of the rule.
 */
export function egressCidrProblem(cidr: string): string | undefined {
    if (!isIpv4Cidr(cidr)) return "an IPv4 CIDR such as 203.0.113.0/24";
    if (networkOf(cidr) !== cidr) return `the network address of the range, ${networkOf(cidr)}`;
    const forbidden = FORBIDDEN_EGRESS.find((f) => cidrContains(f.cidr, cidr));
    if (forbidden) return `a range outside ${forbidden.cidr}, ${forbidden.what}`;
    return undefined;
}

/** The forbidden ranges inside a declared CIDR: the `except` of its NetworkPolicy ipBlock. */
export function forbiddenWithin(cidr: string): string[] {
    return FORBIDDEN_EGRESS.filter((f) => cidrContains(cidr, f.cidr)).map((f) => f.cidr);
}
