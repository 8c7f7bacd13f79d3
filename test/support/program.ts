import { OfflineRun, RegisteredResource, runProgram } from "../../src/offline/run";
import type { SecretValue } from "../../src/offline/stackConfig";

export type { OfflineRun, RegisteredResource } from "../../src/offline/run";
export { isWireSecret } from "../../src/offline/run";

/** The environment stacks; `delivery` is the organisation's CI, which reads both. */
export const STACKS = ["staging", "prod"] as const;
export type StackName = (typeof STACKS)[number] | "delivery";

const cache = new Map<string, Promise<OfflineRun>>();

/**
 * Runs index.ts under mocks with the stack's real config (plus overrides). Runs are serialised,
 * because Pulumi's runtime state is global; runs without overrides are shared across a test file.
 */
export function run(
    stack: StackName,
    overrides?: Record<string, unknown | SecretValue>,
): Promise<OfflineRun> {
    const key = overrides ? "" : stack;
    if (key && cache.has(key)) return cache.get(key)!;
    const previous = [...cache.values()].at(-1) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => runProgram(stack, overrides));
    cache.set(key || `${stack}-${cache.size}`, next);
    return next;
}

/**
 * Runs `program` instead of index.ts (a component on its own, with args the stack files cannot
 * express) under the same mocks and stack config, serialised with the other runs.
 */
export function runWith(
    program: () => Record<string, unknown>,
    stack: StackName = "staging",
): Promise<OfflineRun> {
    const previous = [...cache.values()].at(-1) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => runProgram(stack, {}, program));
    cache.set(`${stack}-${cache.size}`, next);
    return next;
}

/** Runs index.ts as `pulumi preview` runs it (`pulumi.runtime.isDryRun()`), serialised with the other runs. */
export function runPreview(
    stack: StackName,
    overrides: Record<string, unknown | SecretValue> = {},
): Promise<OfflineRun> {
    const previous = [...cache.values()].at(-1) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => runProgram(stack, overrides, undefined, true));
    cache.set(`${stack}-${cache.size}`, next);
    return next;
}

/** A secret value, as `pulumi config set --secret` would store it. */
export function secret(value: string): SecretValue {
    return { secret: value };
}

export function ofType(r: OfflineRun, type: string): RegisteredResource[] {
    return r.resources.filter((x) => x.type === type);
}

/** The one resource of `type` whose name ends with `nameSuffix`; throws when there is not exactly one. */
export function one(r: OfflineRun, type: string, nameSuffix = ""): RegisteredResource {
    const found = ofType(r, type).filter((x) => x.name.endsWith(nameSuffix));
    if (found.length !== 1) {
        throw new Error(
            `expected one ${type} named *${nameSuffix}, found ${found.map((x) => x.name).join(", ") || "none"}`,
        );
    }
    return found[0];
}

export function byUrn(r: OfflineRun, urn: string): RegisteredResource | undefined {
    return r.resources.find((x) => x.urn === urn);
}

/** Kubernetes objects of a kind (`Namespace`, `HelmRelease`...) whatever their API group. */
export function kubernetesObjects(r: OfflineRun, kind: string): RegisteredResource[] {
    return r.resources.filter(
        (x) => x.type.startsWith("kubernetes:") && (x.type.endsWith(`:${kind}`) || x.inputs.kind === kind),
    );
}
