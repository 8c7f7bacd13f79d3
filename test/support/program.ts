import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../src/config/reader";
import { loadConfig } from "../../stack/config";
import {
    OFFLINE_ORGANIZATION,
    OfflineRun,
    RegisteredResource,
    RunOptions,
    runProgram,
} from "../../tools/offline/run";
import { PROJECT_DIR, resolveStackConfig, type SecretValue } from "../../tools/offline/stackConfig";
import { FIXTURE_INSTANCE } from "./instance";

export type { OfflineRun, RegisteredResource } from "../../tools/offline/run";
export { isWireSecret } from "../../tools/offline/run";

/** The environment stacks; `delivery` is the organisation's CI, which reads both. */
export const STACKS = ["staging", "prod"] as const;
export type StackName = (typeof STACKS)[number] | "delivery";

/** Recorded runs of index.ts by stack and overrides: one program run per configuration and process. */
const cache = new Map<string, Promise<OfflineRun>>();
/** The last run started: runs are serialised, because Pulumi's runtime state is global. */
let last: Promise<unknown> = Promise.resolve();

function serialised<T>(start: () => Promise<T>): Promise<T> {
    const next = last.catch(() => undefined).then(start);
    last = next;
    return next;
}

/** Mocks that are never asked anything: the config is read before any registration. */
const NO_CLOUD: pulumi.runtime.Mocks = {
    newResource: () => {
        throw new Error("no resource is registered while the config is read");
    },
    call: () => {
        throw new Error("no invoke is made while the config is read");
    },
};

/**
 * The stack config's refusal, read as index.ts reads it first (`loadConfig`), or nothing when it is
 * valid: a refused config then fails as the program would, without running it (or, for the delivery
 * stack, the environments it reads). Config errors are what most failing runs of the tests are.
 */
async function configRefusal(
    stack: string,
    overrides?: Record<string, unknown>,
): Promise<ConfigError | undefined> {
    const config = resolveStackConfig(stack, overrides ?? {}, PROJECT_DIR, FIXTURE_INSTANCE);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    await pulumi.runtime.setMocks(NO_CLOUD, config.project, stack, false, OFFLINE_ORGANIZATION);
    try {
        loadConfig(PROJECT_DIR);
        return undefined;
    } catch (e) {
        if (e instanceof ConfigError) return e;
        return undefined;
    }
}

/** The same key for the same configuration: `undefined` (a key removed) and secrets kept apart. */
function configurationKey(stack: string, overrides: Record<string, unknown> = {}): string {
    const sorted = Object.keys(overrides).sort();
    return `${stack} ${JSON.stringify(sorted.map((k) => [k, overrides[k] === undefined ? { removed: true } : overrides[k]]))}`;
}

/**
 * Runs index.ts under mocks with the fixture instance's stack config (plus overrides). Every test of the process
 * that asks for the same stack and overrides reads the same recorded run: tests only read it (never
 * change a run they get). `npm test` runs many test files per process, so a configuration runs once.
 */
export function run(
    stack: StackName,
    overrides?: Record<string, unknown | SecretValue>,
): Promise<OfflineRun> {
    const key = configurationKey(stack, overrides);
    let recorded = cache.get(key);
    if (!recorded) {
        recorded = serialised(async () => {
            const refusal = await configRefusal(stack, overrides);
            if (refusal) throw refusal;
            return runProgram(stack, overrides, undefined, { instanceDir: FIXTURE_INSTANCE });
        });
        cache.set(key, recorded);
    }
    return recorded;
}

/**
 * Runs index.ts as `pulumi preview` does (the plan's mode: computed values unknown), shared like
 * {@link run}. Only for tests about the plan; the others read the full run, where values resolve.
 */
export function previewRun(
    stack: StackName,
    overrides?: Record<string, unknown | SecretValue>,
): Promise<OfflineRun> {
    const key = `preview ${configurationKey(stack, overrides)}`;
    let recorded = cache.get(key);
    if (!recorded) {
        recorded = serialised(() =>
            runProgram(stack, overrides, undefined, { preview: true, instanceDir: FIXTURE_INSTANCE }),
        );
        cache.set(key, recorded);
    }
    return recorded;
}

/** A run with options of its own (`fast: false`...), serialised with the others and not shared. */
export function runOnce(
    stack: StackName,
    overrides: Record<string, unknown | SecretValue>,
    options: RunOptions,
): Promise<OfflineRun> {
    return serialised(() =>
        runProgram(stack, overrides, undefined, { instanceDir: FIXTURE_INSTANCE, ...options }),
    );
}

/**
 * Runs `program` instead of index.ts (a component on its own, with args the stack files cannot
 * express) under the same mocks and stack config, serialised with the other runs. Not shared: the
 * program is a closure.
 */
export function runWith(
    program: () => Record<string, unknown>,
    stack: StackName = "staging",
): Promise<OfflineRun> {
    return serialised(() => runProgram(stack, {}, program, { instanceDir: FIXTURE_INSTANCE }));
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
