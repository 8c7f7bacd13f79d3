import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { OfflineCloud, UNKNOWN } from "./cloud";
import { PROJECT_DIR, ResolvedConfig, SecretValue, resolveStackConfig } from "./stackConfig";

/** The wire marker of a secret value in a registration's inputs. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/**
 * What the engine sends for a value that only exists after creation (an id, a computed output) during
 * a preview. Settled stack outputs that are unknown carry the same marker.
 */
export { UNKNOWN };

/** True when `value` is unknown until `pulumi up` (only in preview runs). */
export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** One resource as the engine would receive it: type, name, options and inputs. */
export interface RegisteredResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly parent: string;
    readonly protect: boolean;
    readonly dependencies: readonly string[];
    readonly provider: string;
    /** The provider plugin version requested with the `version` resource option. */
    readonly version: string;
    /** Inputs with secrets unwrapped to their values. */
    readonly inputs: Record<string, any>;
    /** Inputs as sent on the wire: secrets still wrapped, so tests can tell them from plaintext. */
    readonly wireInputs: Record<string, any>;
    /** Output properties the engine must store as secrets (the `additionalSecretOutputs` option). */
    readonly additionalSecretOutputs: readonly string[];
    /** The resources each input comes from, by input name (recorded in preview runs only, for the plan). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

export interface OfflineRun {
    readonly stack: string;
    /** True when the program ran as `pulumi preview` does: computed values are unknown ({@link UNKNOWN}). */
    readonly preview: boolean;
    readonly config: ResolvedConfig;
    readonly resources: readonly RegisteredResource[];
    readonly outputs: Record<string, unknown>;
    /** Names of the stack outputs that are secrets. */
    readonly secretOutputs: readonly string[];
    /** What each component registered with `registerOutputs`, by URN, as sent on the wire (secrets wrapped). */
    readonly componentOutputs: Readonly<Record<string, Record<string, any>>>;
    readonly invokes: readonly string[];
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getProtect(): boolean;
    getDependenciesList(): string[];
    getProvider(): string;
    getVersion(): string;
    getObject(): { toJavaScript(): Record<string, any> } | undefined;
    getAdditionalsecretoutputsList(): string[];
    getPropertydependenciesMap(): { forEach(f: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

interface RegisterOutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, any> } | undefined;
}

type Monitor = {
    registerResource(req: RegisterRequest, cb: (err: unknown, res: { getUrn(): string } | undefined) => void): Promise<void>;
    invoke(req: unknown, cb: (err: unknown, res: unknown) => void): Promise<void>;
    registerResourceOutputs(req: RegisterOutputsRequest, cb: (err: unknown, res: unknown) => void): void;
};

export interface RunOptions {
    /**
     * Run as `pulumi preview` does (the plan): values that only exist after creation (ids, computed
     * outputs, what invokes return for resources not created yet) stay unknown and `apply` callbacks on
     * them do not run. Off by default (the tests): every value resolves, as after `pulumi up`.
     */
    readonly preview?: boolean;
    /** The checkout whose Pulumi.yaml, stack files and index.ts run (another ref's tree for a diff). */
    readonly projectDir?: string;
}

/** The program of a checkout: its index.ts, called. */
export function projectProgram(projectDir: string = PROJECT_DIR): () => Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return () => require(join(projectDir, "index"))();
}

/**
 * Runs the real program (index.ts) under Pulumi's mocks with a stack's config, and returns every
 * registration as the engine would have received it. Nothing leaves the machine.
 */
export async function runProgram(
    stack: string,
    overrides: Record<string, unknown | SecretValue> = {},
    program?: () => Record<string, unknown>,
    options: RunOptions = {},
): Promise<OfflineRun> {
    const preview = options.preview ?? false;
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const config = resolveStackConfig(stack, overrides, projectDir);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const cloud = new OfflineCloud({ preview });
    await pulumi.runtime.setMocks(cloud, config.project, stack, preview);
    const restore = withoutStackCapture();
    try {
        return await record(stack, preview, config, cloud, program ?? projectProgram(projectDir));
    } finally {
        restore();
    }
}

/**
 * The SDK captures and formats a stack trace for every output it creates (`debuggablePromise`) and the
 * full call stack of every resource (its source position, for the engine's logs). Neither reaches a
 * registration, and together they are about a third of an offline run, so a run turns them off and
 * restores them when it ends. `GITOPS_PLAN_STACKS=1` keeps them, for a stack trace of a program bug.
 */
function withoutStackCapture(): () => void {
    if (process.env.GITOPS_PLAN_STACKS === "1") return () => undefined;
    const limit = Error.stackTraceLimit;
    const resource = pulumi.Resource as unknown as { callsites: () => unknown[] };
    const callsites = resource.callsites;
    Error.stackTraceLimit = 0;
    resource.callsites = () => [];
    return () => {
        Error.stackTraceLimit = limit;
        resource.callsites = callsites;
    };
}

async function record(
    stack: string,
    preview: boolean,
    config: ResolvedConfig,
    cloud: OfflineCloud,
    program: () => Record<string, unknown>,
): Promise<OfflineRun> {
    const resources: RegisteredResource[] = [];
    let pending = 0;
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = async (req, cb) => {
        pending++;
        await register(req, (err, res) => {
            if (!err && res) resources.push(registration(req, res.getUrn(), preview));
            pending--;
            cb(err, res);
        });
    };
    const componentOutputs: Record<string, Record<string, any>> = {};
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        componentOutputs[req.getUrn()] = req.getOutputs()?.toJavaScript() ?? {};
        registerOutputs(req, cb);
    };
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = async (req, cb) => {
        pending++;
        await invoke(req, (err, res) => {
            pending--;
            cb(err, res);
        });
    };

    let exported: Record<string, unknown>;
    try {
        exported = program();
    } catch (e) {
        // Let what was registered before the throw settle, so it cannot leak into the next run.
        await quiescence(() => pending);
        throw e;
    }
    const outputs = await settle(exported);
    const secretOutputs = await secretKeys(exported);
    await quiescence(() => pending);
    return { stack, preview, config, resources, outputs, secretOutputs, componentOutputs, invokes: cloud.invoked };
}

function registration(req: RegisterRequest, urn: string, preview: boolean): RegisteredResource {
    const wireInputs = req.getObject()?.toJavaScript() ?? {};
    const propertyDependencies: Record<string, string[]> = {};
    if (preview) req.getPropertydependenciesMap().forEach((deps, key) => (propertyDependencies[key] = deps.getUrnsList()));
    return {
        urn,
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: req.getParent(),
        protect: req.getProtect(),
        dependencies: req.getDependenciesList(),
        provider: req.getProvider(),
        version: req.getVersion(),
        inputs: unwrap(wireInputs),
        wireInputs,
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        propertyDependencies,
    };
}

/** Replaces wire markers (secrets, resource references) by the plain values they carry. */
export function unwrap(value: any): any {
    if (Array.isArray(value)) return value.map(unwrap);
    if (value && typeof value === "object") {
        if (value[SIG_KEY] === SECRET_SIG) return unwrap(value.value);
        if (value[SIG_KEY] === RESOURCE_SIG) return value.id ?? value.urn;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** True when `value` is a secret on the wire. */
export function isWireSecret(value: any): boolean {
    return !!value && typeof value === "object" && value[SIG_KEY] === SECRET_SIG;
}

async function settle(exported: Record<string, unknown>): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
        Object.entries(exported ?? {}).map(async ([k, v]) => [k, await valueOf(v)] as const),
    );
    return Object.fromEntries(entries);
}

async function secretKeys(exported: Record<string, unknown>): Promise<string[]> {
    const entries = Object.entries(exported ?? {});
    const secret = await Promise.all(entries.map(([, v]) => pulumi.isSecret(pulumi.output(v as pulumi.Input<unknown>))));
    return entries.filter((_, i) => secret[i]).map(([k]) => k);
}

interface OutputInternals {
    readonly isKnown: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<unknown>;
}

/** An output's value; {@link UNKNOWN} where (a part of) it is unknown until `pulumi up`. */
async function valueOf(v: unknown): Promise<unknown> {
    // `apply` would never call back on an unknown value: read the output's own promises instead.
    const output = pulumi.output(v as pulumi.Input<unknown>) as unknown as OutputInternals;
    const [known, value] = await Promise.all([output.isKnown, output.promise(true)]);
    if (!known && value === undefined) return UNKNOWN;
    return known ? value : markUnknowns(value);
}

function markUnknowns(value: unknown): unknown {
    if (pulumi.isUnknown(value)) return UNKNOWN;
    if (Array.isArray(value)) return value.map(markUnknowns);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, markUnknowns(x)]));
    return value;
}

/** Waits until no registration or invoke has been in flight for several turns of the event loop. */
async function quiescence(pending: () => number): Promise<void> {
    for (let quiet = 0; quiet < 5; ) {
        await new Promise((r) => setTimeout(r, 1));
        quiet = pending() === 0 ? quiet + 1 : 0;
    }
}
