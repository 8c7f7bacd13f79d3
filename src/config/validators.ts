import { isConstraint, isExactVersion } from "../semver";
// Pure predicates shared by the config sections. Each returns true when the value is acceptable.

/**
 * An exact version such as `1.2.3` or `1.2.3-rc.1`: what the platform pins (Masterminds'
 * `StrictNewVersion`, which Flux's semver library offers; no `v`, no missing parts).
 */
export function isSemver(value: string): boolean {
    return isExactVersion(value);
}

/**
 * A version constraint exactly as Flux accepts it in `spec.chart.spec.version` (Masterminds semver's
 * `NewConstraint`: `>= 1.0.0, < 2.0.0`, `~1.2`, `^1.2.3`, `1.2.x`, `1.2.3 - 1.4.5`, `||`), or an
 * exact version.
 */
export function isSemverRange(value: string): boolean {
    return isConstraint(value);
}

/** An RFC 1123 DNS label: what Kubernetes accepts as a namespace name. */
export function isDnsLabel(value: string): boolean {
    return value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** A fully qualified DNS name: at least two labels, each an RFC 1123 label. */
export function isDnsName(value: string): boolean {
    const labels = value.split(".");
    return value.length <= 253 && labels.length >= 2 && labels.every(isDnsLabel);
}

export function isGuid(value: string): boolean {
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A user principal name, e.g. `jane@contoso.com`. */
export function isUpn(value: string): boolean {
    return /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(value);
}

/** An Azure region's programmatic name: lowercase letters and digits, e.g. `westeurope`, `eastus2`. */
export function isAzureLocation(value: string): boolean {
    return /^[a-z]+[a-z0-9]*$/.test(value);
}

/** An IPv4 CIDR such as `203.0.113.0/24`. */
export function isIpv4Cidr(value: string): boolean {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
    return !!match && match.slice(1, 5).every((o) => Number(o) <= 255) && Number(match[5]) <= 32;
}

/** A Go duration as Flux intervals take it: `30s`, `5m`, `1h30m`. */
export function isDuration(value: string): boolean {
    return /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(value);
}

/** An https URL. */
export function isHttpsUrl(value: string): boolean {
    try {
        return new URL(value).protocol === "https:";
    } catch {
        return false;
    }
}

/** An Azure Key Vault resource id. */
export function isKeyVaultId(value: string): boolean {
    return /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.KeyVault\/vaults\/[a-zA-Z0-9-]{3,24}$/.test(
        value,
    );
}

/** The vault name at the end of a Key Vault resource id. */
export function keyVaultName(id: string): string {
    return id.split("/").pop() ?? "";
}
