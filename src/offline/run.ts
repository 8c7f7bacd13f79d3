import * as pulumi from "@pulumi/pulumi";
import { OfflineCloud, StackOutputs } from "./cloud";
import { ResolvedConfig, SecretValue, resolveStackConfig } from "./stackConfig";

/** The wire marker of a secret value in a registration's inputs. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

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
    /** Former identities (`aliases` option), as `type::name` (empty parts: unchanged) or a URN. */
    readonly aliases: readonly string[];
}

export interface OfflineRun {
    readonly stack: string;
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
    getDeletebeforereplace(): boolean;
    getReplaceonchangesList(): string[];
    getIgnorechangesList(): string[];
    getRetainondelete(): boolean | undefined;
    getAliasesList(): { getUrn(): string; getSpec(): { getName(): string; getType(): string } | undefined }[];
}

interface RegisterOutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, any> } | undefined;
}

type Monitor = {
    registerResource(
        req: RegisterRequest,
        cb: (err: unknown, res: { getUrn(): string } | undefined) => void,
    ): Promise<void>;
    invoke(req: unknown, cb: (err: unknown, res: unknown) => void): Promise<void>;
    registerResourceOutputs(req: RegisterOutputsRequest, cb: (err: unknown, res: unknown) => void): void;
};

/** The Pulumi organization offline runs belong to (what `pulumi.getOrganization()` answers). */
export const OFFLINE_ORGANIZATION = "organization";

/**
 * The delivery stack reads every environment's outputs: offline, those of the environments' own
 * offline runs (with the same teams), so what it plans is what the environments export.
 */
async function referencedStacks(config: ResolvedConfig): Promise<Record<string, StackOutputs>> {
    const key = (k: string) => `${config.project}:${k}`;
    if (config.values[key("stackRole")] !== "delivery") return {};
    const environments = JSON.parse(config.values[key("environments")] ?? "[]") as string[];
    const teams = config.values[key("teamsDirectory")];
    const stacks: Record<string, StackOutputs> = {};
    for (const environment of environments) {
        const run = await runProgram(
            environment,
            teams === undefined ? {} : { [key("teamsDirectory")]: teams },
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program: () => Record<string, unknown> = () => require("../../index")(),
    /** Run as `pulumi preview` does (`pulumi.runtime.isDryRun()`), instead of as `pulumi up`. */
    preview = false,
): Promise<OfflineRun> {
    const config = resolveStackConfig(stack, overrides);
    const referenced = await referencedStacks(config);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const cloud = new OfflineCloud(referenced);
    await pulumi.runtime.setMocks(cloud, config.project, stack, preview, OFFLINE_ORGANIZATION);

    const resources: RegisteredResource[] = [];
    let pending = 0;
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = async (req, cb) => {
        pending++;
        await register(req, (err, res) => {
            if (!err && res) resources.push(record(req, res.getUrn()));
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
    return { stack, config, resources, outputs, secretOutputs, componentOutputs, invokes: cloud.invoked };
}

function record(req: RegisterRequest, urn: string): RegisteredResource {
    const wireInputs = req.getObject()?.toJavaScript() ?? {};
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
        lifecycle: {
            deleteBeforeReplace: req.getDeletebeforereplace(),
            replaceOnChanges: req.getReplaceonchangesList(),
            ignoreChanges: req.getIgnorechangesList(),
            retainOnDelete: req.getRetainondelete() ?? false,
        },
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

function valueOf(v: unknown): Promise<unknown> {
    const output: pulumi.Output<unknown> = pulumi.output(
        v as pulumi.Input<unknown>,
    ) as pulumi.Output<unknown>;
    return new Promise((resolve) => output.apply((x) => resolve(x)));
}

/** Waits until no registration or invoke has been in flight for several turns of the event loop. */
async function quiescence(pending: () => number): Promise<void> {
    for (let quiet = 0; quiet < 5;) {
        await new Promise((r) => setTimeout(r, 1));
        quiet = pending() === 0 ? quiet + 1 : 0;
    }
}
