// The real `pulumi up` of a cluster stack against the e2e's control plane: the Pulumi CLI and the
// kubernetes provider built by e2e/toolchain, a file backend and passphrase secrets in the run
// folder. The Node.js language host module is not served by the Go module proxy at the CLI's commit,
// so the program runs in this process through the Automation API (an inline program: the engine calls
// back into this process's language runtime); the program is index.ts itself, unchanged.
import { ConfigMap, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { binary, toolchain } from "./toolchain/cache";
import { ControlPlane } from "./cluster/controlPlane";
import { E2eError } from "./cluster/processes";

const ROOT = path.resolve(__dirname, "..");
export const STACK = "e2e";
/** Registry the fixture's teams' images come from (nothing is pulled: kwok runs no container). */
export const REGISTRY = "127.0.0.1:5000";

function providerVersion(): string {
    const tool = toolchain.tools.find((t) => t.name === "pulumi-resource-kubernetes");
    const npm = JSON.parse(
        fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/kubernetes/package.json"), "utf8"),
    );
    if (tool?.providerVersion !== npm.version) {
        throw new E2eError(
            `@pulumi/kubernetes ${npm.version} is installed but the toolchain builds provider ${tool?.providerVersion}: pin them to one version (package.json, e2e/toolchain/versions.json)`,
        );
    }
    return npm.version;
}

/** The provider plugin built from source, installed where this run's PULUMI_HOME looks. */
function installProvider(env: NodeJS.ProcessEnv): void {
    execFileSync(
        binary("pulumi"),
        [
            "plugin",
            "install",
            "resource",
            "kubernetes",
            `v${providerVersion()}`,
            "--file",
            binary("pulumi-resource-kubernetes"),
        ],
        { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] },
    );
}

/** Where the stack's Flux reads from: the e2e's chart repository and git server (e2e/delivery.ts). */
export interface Sources {
    readonly chartRepositoryUrl: string;
    readonly fleetUrl: string;
    /** Where the program installs the flux2 chart from (fluxInstall: chart); unset: Flux is the e2e's (external). */
    readonly fluxChartRepositoryUrl?: string;
}

/** The e2e stack's config: a cluster stack on this control plane, with the fixture's teams. */
function stackConfig(cp: ControlPlane, teamsDirectory: string, sources: Sources): Record<string, unknown> {
    const key = (k: string) => `gitops-platform:${k}`;
    return {
        [key("stackRole")]: "cluster",
        [key("clusterEnvironment")]: "staging",
        [key("clusterKubeconfig")]: cp.kubeconfig,
        [key("clusterContext")]: "e2e",
        [key("clusterKubernetesVersion")]: cp.kubernetesVersion,
        [key("registryLoginServer")]: REGISTRY,
        [key("chartRepositoryUrl")]: sources.chartRepositoryUrl,
        // No chart repository Pod in this cluster: the namespace Flux's policy admits stays empty.
        [key("chartRepositoryNamespace")]: "chartmuseum",
        [key("fleetRepositoryUrl")]: sources.fleetUrl,
        ...(sources.fluxChartRepositoryUrl
            ? { [key("fluxInstall")]: "chart", [key("fluxChartRepository")]: sources.fluxChartRepositoryUrl }
            : { [key("fluxInstall")]: "external" }),
        [key("teamsDirectory")]: teamsDirectory,
        [key("environments")]: ["staging", "prod"],
    };
}

/** The platform's stack in `<runDir>/pulumi`, selected or created. */
export async function platformStack(
    cp: ControlPlane,
    teamsDirectory: string,
    sources: Sources,
): Promise<Stack> {
    const workDir = path.join(cp.runDir, "pulumi");
    const home = path.join(cp.runDir, "pulumi-home");
    fs.mkdirSync(path.join(workDir, "state"), { recursive: true });
    const env = {
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
    installProvider(env);
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    fs.writeFileSync(
        path.join(workDir, `Pulumi.${STACK}.yaml`),
        `# Written by the e2e (e2e/platform.ts).\n${JSON.stringify({ config: stackConfig(cp, teamsDirectory, sources) }, null, 2)}\n`,
    );
    const pulumiCommand = await PulumiCommand.get({
        root: path.dirname(path.dirname(binary("pulumi"))),
        skipVersionCheck: true,
    });
    // The program is the repository's own: index.ts, run as `pulumi up` would run it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = async () => require(path.join(ROOT, "index.ts"))();
    return LocalWorkspace.createOrSelectStack(
        { stackName: STACK, projectName: project.name, program },
        {
            workDir,
            pulumiHome: home,
            pulumiCommand,
            envVars: env,
            projectSettings: { ...project, backend: { url: `file://${path.join(workDir, "state")}` } },
        },
    );
}

/** The summary of an operation's changes, e.g. { create: 60 } or { same: 60 }. */
export type Changes = Record<string, number>;

export function changedOnly(changes: Changes | undefined): Changes {
    return Object.fromEntries(Object.entries(changes ?? {}).filter(([op, n]) => op !== "same" && n > 0));
}

export type { ConfigMap };
