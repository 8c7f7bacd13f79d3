// Real Flux on the e2e's control plane, installed as `flux install` would but with the controllers as
// processes on 127.0.0.1 (no kubelet runs their images): the CRDs from the controllers' own modules,
// Flux's own RBAC (flux2's manifests/rbac), one ServiceAccount per controller whose token the
// controller runs with (so RBAC decides as in a cluster), and the lockdown flags the platform sets
// on the chart's Deployments (components/flux/manifests.ts fluxChartValues), read from the program.
import * as fs from "node:fs";
import * as path from "node:path";
import { fluxChartValues } from "../../components/flux/manifests";
import { FLUX_NAMESPACE } from "../../src/namespaces";
import { assetFiles, binary } from "../toolchain/cache";
import { ControlPlane, kubectl } from "./controlPlane";
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
function controllerKubeconfig(cp: ControlPlane, controller: FluxController): string {
    const token = kubectl(cp, ["create", "token", controller, "-n", FLUX_NAMESPACE, "--duration=48h"]).trim();
    const file = path.join(cp.runDir, "flux", `${controller}.kubeconfig`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
        file,
        [
            "apiVersion: v1",
            "kind: Config",
            `clusters:\n- name: e2e\n  cluster:\n    server: ${cp.server}\n    certificate-authority: ${path.join(cp.runDir, "pki", "ca.crt")}`,
            `users:\n- name: ${controller}\n  user:\n    token: ${token}`,
            `contexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: ${controller}`,
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

/** Starts the four controllers (after installFlux) and waits until each is healthy. */
export async function startFlux(cp: ControlPlane): Promise<FluxProcesses> {
    const [storagePort, eventsPort] = [await freePort(), await freePort()];
    const storagePath = path.join(cp.runDir, "flux", "storage");
    fs.mkdirSync(storagePath, { recursive: true });
    const storage = `127.0.0.1:${storagePort}`;
    const events = `http://127.0.0.1:${eventsPort}`;
    for (const controller of FLUX_CONTROLLERS) {
        const health = await freePort();
        const own: Record<FluxController, string[]> = {
            "source-controller": [
                `--storage-path=${storagePath}`,
                `--storage-addr=${storage}`,
                `--storage-adv-addr=${storage}`,
            ],
            "kustomize-controller": [],
            "helm-controller": [],
            "notification-controller": [
                `--events-addr=127.0.0.1:${eventsPort}`,
                `--receiverAddr=127.0.0.1:${await freePort()}`,
            ],
        };
        const p = startProcess(
            cp.runDir,
            controller,
            binary(controller),
            [
                `--metrics-addr=127.0.0.1:${await freePort()}`,
                `--health-addr=127.0.0.1:${health}`,
                "--enable-leader-election=false",
                "--watch-all-namespaces=true",
                "--log-level=info",
                ...(controller === "notification-controller" ? [] : [`--events-addr=${events}`]),
                ...own[controller],
                ...platformArgs(controller),
            ],
            // controller-runtime reads KUBECONFIG: the controller's own ServiceAccount token.
            { RUNTIME_NAMESPACE: FLUX_NAMESPACE, KUBECONFIG: controllerKubeconfig(cp, controller) },
        );
        await waitFor(
            `${controller} /readyz`,
            async () => (await fetch(`http://127.0.0.1:${health}/readyz`)).ok,
            { timeoutMs: 60_000, process: p },
        );
    }
    return { storage, events };
}
