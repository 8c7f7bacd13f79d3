// Real Flux on the e2e's control plane, installed as `flux install` would but with the controllers as
// processes on 127.0.0.1 (no kubelet runs their images): the CRDs from the controllers' own modules,
// Flux's own RBAC (flux2's manifests/rbac), one ServiceAccount per controller whose token the
// controller runs with (so RBAC decides as in a cluster), and the lockdown flags the platform sets
// on the chart's Deployments (components/flux/manifests.ts fluxChartValues), read from the program.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { fluxChartValues } from "../../components/flux/manifests";
import { CONFIG_KEYS } from "../../src/config/keys";
import { assertNever } from "../../src/assertNever";
import { FLUX_NAMESPACE } from "../../src/namespaces";
import { assetFiles, binary } from "../toolchain/cache";
import { ControlPlane, kubectl } from "./controlPlane";
import { ControllerDeployment, LocalCommandLine, LocalFlag, localCommandLine } from "./fluxDeployments";
import { E2eError, freePort, startProcess, waitFor } from "./processes";

export const FLUX_CONTROLLERS = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
] as const;
export type FluxController = (typeof FLUX_CONTROLLERS)[number];

/** The platform's flags for each controller, exactly as the program hands them to the chart's Deployments. */
function platformArgs(controller: FluxController): readonly string[] {
    const values = fluxChartValues() as Record<string, { container?: { additionalArgs?: string[] } }>;
    const key = controller.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    return values[key]?.container?.additionalArgs ?? [];
}

/**
 * What `flux install` applies but the controllers' Deployments: the CRDs, flux-system, one
 * ServiceAccount per controller and Flux's own RBAC. The platform's cluster stack (fluxInstall:
 * external) then applies only Flux's configuration, and leaves all this in place on destroy.
 */
export function installFlux(cp: ControlPlane): void {
    installFluxCrds(cp);
    const namespace = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: FLUX_NAMESPACE,
            labels: { "app.kubernetes.io/instance": FLUX_NAMESPACE, "app.kubernetes.io/part-of": "flux" },
        },
    };
    kubectl(cp, ["apply", "-f", "-"], JSON.stringify(namespace));
    installRbac(cp);
}

/** The Flux CRDs, from the modules of the controllers that serve them. */
function installFluxCrds(cp: ControlPlane): void {
    const crds = FLUX_CONTROLLERS.flatMap((tool) => assetFiles(tool, "crds"));
    if (crds.length === 0) throw new E2eError("the Flux CRDs are missing: run `npm run e2e:toolchain`");
    for (const file of crds) kubectl(cp, ["apply", "--server-side", "-f", file]);
    kubectl(cp, ["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
}

/** flux-system's ServiceAccounts and Flux's RBAC. */
function installRbac(cp: ControlPlane): void {
    for (const controller of FLUX_CONTROLLERS) {
        const account = {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: controller, namespace: FLUX_NAMESPACE },
        };
        kubectl(cp, ["apply", "-f", "-"], JSON.stringify(account));
    }
    for (const file of assetFiles("flux2", "rbac")) {
        if (!path.basename(file).endsWith("kustomization.yaml"))
            kubectl(cp, ["apply", "--server-side", "-f", file]);
    }
}

/** A kubeconfig holding the controller's own ServiceAccount token (48 h, longer than any run). */
function controllerKubeconfig(cp: ControlPlane, account: string): string {
    const token = kubectl(cp, ["create", "token", account, "-n", FLUX_NAMESPACE, "--duration=48h"]).trim();
    const file = path.join(cp.runDir, "flux", `${account}.kubeconfig`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
        file,
        [
            "apiVersion: v1",
            "kind: Config",
            `clusters:\n- name: e2e\n  cluster:\n    server: ${cp.server}\n    certificate-authority: ${path.join(cp.runDir, "pki", "ca.crt")}`,
            `users:\n- name: ${account}\n  user:\n    token: ${token}`,
            `contexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: ${account}`,
            "current-context: e2e",
            "",
        ].join("\n"),
    );
    return file;
}

/** Where the running controllers listen. */
export interface FluxProcesses {
    /** source-controller's artifact server, which the other controllers download from. */
    readonly storage: string;
    /** notification-controller's event receiver. */
    readonly events: string;
}

/** The flags only a process on 127.0.0.1 needs, per controller (fluxDeployments.ts LOCAL_FLAGS). */
async function localFlags(
    cp: ControlPlane,
    controller: FluxController,
    flux: FluxProcesses,
): Promise<Partial<Record<LocalFlag, string>>> {
    const ports = {
        "--metrics-addr": `127.0.0.1:${await freePort()}`,
        "--health-addr": `127.0.0.1:${await freePort()}`,
        "--enable-leader-election": "false",
    };
    switch (controller) {
        case "source-controller": {
            const storagePath = path.join(cp.runDir, "flux", "storage");
            fs.mkdirSync(storagePath, { recursive: true });
            return {
                ...ports,
                "--events-addr": flux.events,
                "--storage-path": storagePath,
                "--storage-addr": flux.storage,
                "--storage-adv-addr": flux.storage,
            };
        }
        case "kustomize-controller":
        case "helm-controller":
            return { ...ports, "--events-addr": flux.events };
        case "notification-controller":
            return {
                ...ports,
                "--events-addr": new URL(flux.events).host,
                "--receiverAddr": `127.0.0.1:${await freePort()}`,
            };
        default:
            return assertNever(controller, "Flux controller");
    }
}

async function freeAddresses(): Promise<FluxProcesses> {
    return { storage: `127.0.0.1:${await freePort()}`, events: `http://127.0.0.1:${await freePort()}` };
}

/** Starts one controller as `serviceAccount` and waits until its /readyz answers. */
async function startController(
    cp: ControlPlane,
    controller: FluxController,
    line: { readonly args: string[]; readonly env: Record<string, string>; readonly serviceAccount: string },
): Promise<void> {
    const health = line.args.find((a) => a.startsWith("--health-addr="))!.split("=")[1];
    const p = startProcess(cp.runDir, controller, binary(controller), line.args, {
        ...line.env,
        // controller-runtime reads KUBECONFIG: the controller's own ServiceAccount token.
        KUBECONFIG: controllerKubeconfig(cp, line.serviceAccount),
    });
    await waitFor(`${controller} /readyz`, async () => (await fetch(`http://${health}/readyz`)).ok, {
        timeoutMs: 60_000,
        process: p,
    });
}

/** Starts the four controllers (after installFlux) with fluxChartValues' flags, and waits until each is healthy. */
export async function startFlux(cp: ControlPlane): Promise<FluxProcesses> {
    const flux = await freeAddresses();
    for (const controller of FLUX_CONTROLLERS) {
        const local = await localFlags(cp, controller, flux);
        const args = [
            "--watch-all-namespaces=true",
            "--log-level=info",
            ...Object.entries(local).map(([flag, value]) => `${flag}=${value}`),
            ...platformArgs(controller),
        ];
        await startController(cp, controller, {
            args,
            env: { RUNTIME_NAMESPACE: FLUX_NAMESPACE },
            serviceAccount: controller,
        });
    }
    return flux;
}

/** Each controller's Deployment as the program's flux2 chart applied it, read from the API server. */
export function fluxDeployment(cp: ControlPlane, controller: FluxController): ControllerDeployment {
    return JSON.parse(kubectl(cp, ["get", "deployment", controller, "-n", FLUX_NAMESPACE, "-o", "json"]));
}

/**
 * Starts the four controllers with the args and env of the Deployments the program's chart applied
 * (fluxInstall: chart), translated for 127.0.0.1 (fluxDeployments.ts), each as its Deployment's
 * ServiceAccount; returns each controller's translation for the run's log.
 */
export async function startFluxFromDeployments(
    cp: ControlPlane,
): Promise<Record<FluxController, LocalCommandLine>> {
    const flux = await freeAddresses();
    const lines = {} as Record<FluxController, LocalCommandLine>;
    for (const controller of FLUX_CONTROLLERS) {
        lines[controller] = localCommandLine(
            fluxDeployment(cp, controller),
            await localFlags(cp, controller, flux),
        );
        await startController(cp, controller, lines[controller]);
    }
    return lines;
}

/** Folder of the chart repository stand-in serving the flux2 chart (a repository of its own). */
const FLUX_CHART_REPOSITORY = "fluxcd-community";

/**
 * The unpacked fluxcd-community flux2 chart named by GITOPS_E2E_FLUX_CHART, at exactly the version the
 * program pins; undefined without it (the e2e installs Flux itself and the stack says fluxInstall: external).
 */
export function fluxChartFolder(): string | undefined {
    const folder = process.env.GITOPS_E2E_FLUX_CHART;
    if (!folder) return undefined;
    const file = path.join(folder, "Chart.yaml");
    if (!fs.existsSync(file)) throw new E2eError(`GITOPS_E2E_FLUX_CHART: no Chart.yaml in ${folder}`);
    const chart = parse(fs.readFileSync(file, "utf8"));
    const pinned = CONFIG_KEYS.fluxChartVersion.default;
    if (chart.name !== "flux2" || chart.version !== pinned)
        throw new E2eError(
            `GITOPS_E2E_FLUX_CHART: ${file} is ${chart.name} ${chart.version}; the program pins flux2 ${pinned} (fluxChartVersion)`,
        );
    return folder;
}

/**
 * `helm package` of the flux2 chart into ChartMuseum's storage, as a repository of its own (as a
 * mirror of the community repository holds it); returns the repository's URL for fluxChartRepository.
 */
export function publishFluxChart(
    folder: string,
    servers: { chartRepositoryUrl: string; chartStorageDir: string },
): string {
    const destination = path.join(servers.chartStorageDir, FLUX_CHART_REPOSITORY);
    fs.mkdirSync(destination, { recursive: true });
    execFileSync(binary("helm"), ["package", folder, "--destination", destination], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    return `${servers.chartRepositoryUrl}/${FLUX_CHART_REPOSITORY}`;
}
