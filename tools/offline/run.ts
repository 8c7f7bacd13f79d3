import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { OfflineCloud, StackOutputs, UNKNOWN } from "./cloud";
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
    /** The lifecycle options a replacement or a delete obeys (always recorded by runProgram). */
    readonly lifecycle?: {
        readonly deleteBeforeReplace: boolean;
        readonly replaceOnChanges: readonly string[];
        readonly ignoreChanges: readonly string[];
        readonly retainOnDelete: boolean;
    };
    /** The resources each input comes from, by input name (recorded in preview runs only, for the plan). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** Former identities (`aliases` option), as `type::name` (empty parts: unchanged) or a URN. */
    readonly aliases: readonly string[];
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
    getObject(): WireStruct | undefined;
    getAdditionalsecretoutputsList(): string[];
    getDeletebeforereplace(): boolean;
    getReplaceonchangesList(): string[];
    getIgnorechangesList(): string[];
    getRetainondelete(): boolean | undefined;
    getPropertydependenciesMap(): {
        forEach(f: (value: { getUrnsList(): string[] }, key: string) => void): void;
    };
    getAliasesList(): { getUrn(): string; getSpec(): { getName(): string; getType(): string } | undefined }[];
}

interface RegisterOutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, any> } | undefined;
}

interface RegisterResponse {
    getUrn(): string;
    getId(): string | undefined;
    getObject(): WireStruct;
    getPropertydependenciesMap(): undefined;
    getResult(): number;
}

/** What the SDK reads of a protobuf Struct: its JavaScript value (an identity for JSON-like data). */
interface WireStruct {
    toJavaScript(): Record<string, any>;
}

type Monitor = {
    registerResource(
        req: RegisterRequest & { getImportid(): string },
        cb: (err: unknown, res: RegisterResponse | undefined) => void,
    ): Promise<void>;
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
    /** Where the stack files and the team folder are, when not in `projectDir` (the tests' fixture instance). */
    readonly instanceDir?: string;
    /**
     * Skip the SDK work no registration shows (see {@link withoutOfflineOverheads}). On by default;
     * off only to check that it changes nothing.
     */
    readonly fast?: boolean;
}

/** The program of a checkout: its index.ts, called. */
export function projectProgram(projectDir: string = PROJECT_DIR): () => Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return () => require(join(projectDir, "index"))();
}

/** The Pulumi organization offline runs belong to (what `pulumi.getOrganization()` answers). */
export const OFFLINE_ORGANIZATION = "organization";

/**
 * The delivery stack reads every environment's outputs: offline, those of the environments' own
 * offline runs (with the same teams), so what it plans is what the environments export.
 */
async function referencedStacks(
    config: ResolvedConfig,
    projectDir: string,
    instanceDir: string,
): Promise<Record<string, StackOutputs>> {
    const key = (k: string) => `${config.project}:${k}`;
    if (config.values[key("stackRole")] !== "delivery") return {};
    const environments = JSON.parse(config.values[key("environments")] ?? "[]") as string[];
    const teams = config.values[key("teamsDirectory")];
    const stacks: Record<string, StackOutputs> = {};
    for (const environment of environments) {
        const run = await runProgram(
            environment,
            teams === undefined ? {} : { [key("teamsDirectory")]: teams },
            undefined,
            { projectDir, instanceDir },
        );
        stacks[`${OFFLINE_ORGANIZATION}/${config.project}/${environment}`] = {
            outputs: run.outputs,
            secretOutputNames: run.secretOutputs,
        };
    }
    return stacks;
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
    const instanceDir = options.instanceDir ?? projectDir;
    const config = resolveStackConfig(stack, overrides, projectDir, instanceDir);
    const referenced = await referencedStacks(config, projectDir, instanceDir);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const cloud = new OfflineCloud({ preview, stacks: referenced });
    await pulumi.runtime.setMocks(cloud, config.project, stack, preview, OFFLINE_ORGANIZATION);
    const restore = options.fast === false ? () => undefined : withoutOfflineOverheads();
    try {
        return await record(stack, preview, config, cloud, program ?? projectProgram(projectDir));
    } finally {
        restore();
    }
}

/**
 * Work the SDK does for the engine that never reaches a registration we record, turned off for the
 * length of a run and restored when it ends (the `fast: false` option keeps it, and a test checks
 * both record the same graph):
 *
 * - a stack trace captured and formatted for every output (`debuggablePromise`), and the full call
 *   stack of every resource (its source position, for the engine's logs): a lower
 *   `Error.stackTraceLimit` and no call sites;
 * - the aliases provider SDKs add for their older API versions (`{ type: "azure-native:authorization/
 *   v20220401:RoleAssignment" }`, nine per role assignment, over a hundred per AKS cluster): each one
 *   is a chain of outputs resolved to a URN, and they only matter to a stack whose state holds the old
 *   type. The SDK classes merge them in with `pulumi.mergeOptions(opts, { aliases })`; aliases the
 *   program itself sets are kept.
 *
 * - the promise-leak bookkeeping of `debuggablePromise` (an id, a context, a captured stack and a set
 *   entry for every promise the runtime awaits, reported if still pending when the process exits):
 *   the same `.then().catch()` chain is kept, so everything resolves in the same order.
 *
 * `GITOPS_PLAN_STACKS=1` keeps the stack traces and the leak bookkeeping, for a program bug's full trace.
 */
function withoutOfflineOverheads(): () => void {
    const limit = Error.stackTraceLimit;
    const resource = pulumi.Resource as unknown as { callsites: () => unknown[] };
    const callsites = resource.callsites;
    // The module object itself (an `import * as` namespace may be a copy with read-only bindings).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@pulumi/pulumi") as { mergeOptions: typeof pulumi.mergeOptions };
    const mergeOptions = sdk.mergeOptions;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
        debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
    };
    const debuggablePromise = debuggable.debuggablePromise;
    if (process.env.GITOPS_PLAN_STACKS !== "1") {
        Error.stackTraceLimit = 0;
        resource.callsites = () => [];
        debuggable.debuggablePromise = (p) =>
            p
                .then((value) => value)
                .catch((err) => {
                    err.promise = p;
                    throw err;
                });
    }
    sdk.mergeOptions = (opts1, opts2) => mergeOptions(opts1, isVersionAliases(opts2) ? {} : opts2);
    return () => {
        Error.stackTraceLimit = limit;
        resource.callsites = callsites;
        sdk.mergeOptions = mergeOptions;
        debuggable.debuggablePromise = debuggablePromise;
    };
}

/** `{ aliases: [{ type }, ...] }` and nothing else: what provider SDK classes add for their API versions. */
function isVersionAliases(opts: pulumi.ResourceOptions | undefined): boolean {
    if (!opts || Object.keys(opts).length !== 1 || !Array.isArray(opts.aliases) || opts.aliases.length === 0)
        return false;
    return opts.aliases.every(
        (a) =>
            !!a &&
            typeof a === "object" &&
            Object.keys(a).join() === "type" &&
            typeof (a as { type: unknown }).type === "string",
    );
}

async function record(
    stack: string,
    preview: boolean,
    config: ResolvedConfig,
    cloud: OfflineCloud,
    program: () => Record<string, unknown>,
): Promise<OfflineRun> {
    const inFlight: InFlight = { count: 0 };
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor & MockMonitorInternals;
    const resources = recordRegistrations(monitor, cloud, preview, inFlight);
    const componentOutputs = recordComponentOutputs(monitor);
    countInvokes(monitor, inFlight);

    let exported: Record<string, unknown>;
    try {
        exported = program();
    } catch (e) {
        // Let what was registered before the throw settle, so it cannot leak into the next run.
        await quiescence(() => inFlight.count);
        throw e;
    }
    const outputs = await settle(exported);
    const secretOutputs = await secretKeys(exported);
    await quiescence(() => inFlight.count);
    return {
        stack,
        preview,
        config,
        resources,
        outputs,
        secretOutputs,
        componentOutputs,
        invokes: cloud.invoked,
    };
}

/** Registrations and invokes the mock monitor has not answered yet. */
interface InFlight {
    count: number;
}

/**
 * The mock monitor's registerResource, with each conversion done once: the request's inputs are
 * read from protobuf once (for the record and the cloud), and the state the cloud answers goes
 * back as the plain value the SDK reads, not through a protobuf Struct and out again. Returns the
 * registrations, filled in as they arrive.
 */
function recordRegistrations(
    monitor: Monitor & MockMonitorInternals,
    cloud: OfflineCloud,
    preview: boolean,
    inFlight: InFlight,
): RegisteredResource[] {
    const resources: RegisteredResource[] = [];
    monitor.registerResource = async (req, cb) => {
        inFlight.count++;
        let response: RegisterResponse;
        try {
            const wire = req.getObject()?.toJavaScript() ?? {};
            const result = await cloud.newResource({
                type: req.getType(),
                name: req.getName(),
                inputs: rpc.deserializeProperties(struct(wire)),
                provider: req.getProvider(),
                custom: req.getCustom(),
                id: req.getImportid(),
            });
            const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
            const state = plainWire(result.state) ?? (await rpc.serializeProperties("", result.state));
            monitor.resources.set(urn, { urn, id: result.id ?? null, state });
            resources.push(registration(req, urn, preview, wire));
            response = {
                getUrn: () => urn,
                getId: () => result.id || "",
                getObject: () => struct(state),
                getPropertydependenciesMap: () => undefined,
                getResult: () => 0,
            };
        } catch (err) {
            inFlight.count--;
            cb(err, undefined);
            return;
        }
        inFlight.count--;
        cb(null, response);
    };
    return resources;
}

/** What each component registers with `registerOutputs`, by URN, filled in as they arrive. */
function recordComponentOutputs(monitor: Monitor): Record<string, Record<string, any>> {
    const componentOutputs: Record<string, Record<string, any>> = {};
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        componentOutputs[req.getUrn()] = req.getOutputs()?.toJavaScript() ?? {};
        registerOutputs(req, cb);
    };
    return componentOutputs;
}

/** Counts invokes in flight, so a run ends only once they are answered. */
function countInvokes(monitor: Monitor, inFlight: InFlight): void {
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = async (req, cb) => {
        inFlight.count++;
        await invoke(req, (err, res) => {
            inFlight.count--;
            cb(err, res);
        });
    };
}

interface MockMonitorInternals {
    newUrn(parent: string, type: string, name: string): string;
    readonly resources: Map<string, { urn: string; id: string | null; state: Record<string, unknown> }>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as {
    deserializeProperties(struct: WireStruct): Record<string, any>;
    serializeProperties(label: string, props: Record<string, unknown>): Promise<Record<string, any>>;
};

function struct(value: Record<string, any>): WireStruct {
    return { toJavaScript: () => value };
}

/**
 * The wire form of a state made of plain data (what the fake cloud answers), as `serializeProperties`
 * would produce it: undefined keys dropped, undefined array items null, unknowns as the engine's
 * marker. Undefined when the state holds anything else (a resource, an output, an asset), which then
 * goes through the SDK's own serialization.
 */
function plainWire(value: Record<string, unknown>): Record<string, any> | undefined {
    let plain = true;
    const convert = (v: unknown): unknown => {
        if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
        if (pulumi.isUnknown(v)) return UNKNOWN;
        if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : convert(x)));
        if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
            const out: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v))
                if (x !== undefined && typeof x !== "function") out[k] = convert(x);
            return out;
        }
        plain = false;
        return undefined;
    };
    const result = convert(value) as Record<string, any>;
    return plain ? result : undefined;
}

function registration(
    req: RegisterRequest,
    urn: string,
    preview: boolean,
    wireInputs: Record<string, any>,
): RegisteredResource {
    const propertyDependencies: Record<string, string[]> = {};
    if (preview)
        req.getPropertydependenciesMap().forEach(
            (deps, key) => (propertyDependencies[key] = deps.getUrnsList()),
        );
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
        get inputs() {
            // Unwrapped on first read (the plan reads the wire form only), then kept.
            const inputs = unwrap(wireInputs);
            Object.defineProperty(this, "inputs", { value: inputs, enumerable: true });
            return inputs;
        },
        wireInputs,
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        lifecycle: {
            deleteBeforeReplace: req.getDeletebeforereplace(),
            replaceOnChanges: req.getReplaceonchangesList(),
            ignoreChanges: req.getIgnorechangesList(),
            retainOnDelete: req.getRetainondelete() ?? false,
        },
        propertyDependencies,
        aliases: req
            .getAliasesList()
            .map((a) => a.getUrn() || `${a.getSpec()?.getType() ?? ""}::${a.getSpec()?.getName() ?? ""}`),
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
    const secret = await Promise.all(
        entries.map(([, v]) => pulumi.isSecret(pulumi.output(v as pulumi.Input<unknown>))),
    );
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
    if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, markUnknowns(x)]));
    return value;
}

/** Waits until no registration or invoke has been in flight for several turns of the event loop. */
async function quiescence(pending: () => number): Promise<void> {
    for (let quiet = 0; quiet < 5;) {
        await new Promise((r) => setTimeout(r, 1));
        quiet = pending() === 0 ? quiet + 1 : 0;
    }
}
