// The `acr-oci` chart mode on the real source- and helm-controller: distribution's `registry` on
// 127.0.0.1 stands in for ACR, the kit's chart is pushed to it with `helm push`, and the app's
// OCIRepository and HelmRelease are the program's own (components/tenants/delivery/helm.ts) in a
// namespace of their own. Two things differ from a cluster: the OCIRepository has no
// `provider: azure` / serviceAccountName (workload identity needs Azure AD; the registry here takes
// anonymous pulls) and is `insecure` (plain HTTP on loopback, as `helm push --plain-http`). Cluster
// stacks read ChartMuseum only (index.ts), so the namespace is not a tenant's: its admission is not
// the point here, the shape helm-controller records for an OCI chart is.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { helmRelease, ociChartUrl, ociRepository } from "../components/tenants/delivery/helm";
import type { HelmAppConfig, HelmTenant } from "../components/tenants/config";
import { teamChartRepositoryUrl } from "../components/charts/source";
import { RECONCILER_SERVICE_ACCOUNT } from "../components/tenants/manifests";
import { ControlPlane, kubectl } from "./cluster/controlPlane";
import { E2eError, freePort, startProcess, waitFor } from "./cluster/processes";
import { copyKitChart } from "./delivery";
import { binary } from "./toolchain/cache";

/** Starts the registry on 127.0.0.1; returns its host:port. */
export async function startRegistry(cp: ControlPlane): Promise<string> {
    const port = await freePort();
    const dir = path.join(cp.runDir, "registry");
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        [
            "version: 0.1",
            "log: { level: warn }",
            `storage: { filesystem: { rootdirectory: ${path.join(dir, "data")} } }`,
            `http: { addr: "127.0.0.1:${port}" }`,
            "",
        ].join("\n"),
    );
    const registry = startProcess(cp.runDir, "registry", binary("registry"), ["serve", config]);
    const host = `127.0.0.1:${port}`;
    await waitFor("OCI registry", async () => (await fetch(`http://${host}/v2/`)).ok, {
        timeoutMs: 30_000,
        process: registry,
    });
    return host;
}

/** The kit's chart as `app`, packaged at `version` and `helm push`ed to `<repository>`; its digest. */
export function pushKitChartOci(runDir: string, repository: string, app: string, version: string): string {
    const work = fs.mkdtempSync(path.join(runDir, `oci-${app}-`));
    copyKitChart(path.join(work, app), app);
    const helm = (args: string[]) => {
        const r = spawnSync(binary("helm"), args, { encoding: "utf8" });
        if (r.status !== 0) throw new E2eError(`helm ${args.join(" ")}: ${r.stderr}`);
        return r.stdout + r.stderr;
    };
    helm([
        "package",
        path.join(work, app),
        "--version",
        version,
        "--app-version",
        version,
        "--destination",
        work,
    ]);
    const pushed = helm(["push", path.join(work, `${app}-${version}.tgz`), repository, "--plain-http"]);
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    if (!digest) throw new E2eError(`helm push printed no digest: ${pushed}`);
    return digest;
}

/** The program's OCIRepository and HelmRelease of `app` of team `team`, and what they run as. */
export function ociTeamObjects(team: string, app: string, host: string, registry: string): object[] {
    const t = { name: team, interval: "1m", timeout: "5m", remediationRetries: 1 } as HelmTenant;
    const a = {
        name: app,
        chart: app,
        version: ">=0.1.0 <1.0.0",
        values: {},
        dependsOn: [],
        repository: `example/${team}`,
        pipelinePath: `${app}/ci-pipeline.yml`,
        web: false,
        port: 8080,
    } as unknown as HelmAppConfig;
    const url = ociChartUrl(teamChartRepositoryUrl("acr-oci", `oci://${host}`, team), app);
    const source = ociRepository(t, a, url) as { spec: Record<string, unknown> };
    const spec: Record<string, unknown> = { ...source.spec, insecure: true };
    delete spec.provider;
    delete spec.serviceAccountName;
    const account = RECONCILER_SERVICE_ACCOUNT;
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: team } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: account, namespace: team } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: account, namespace: team },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
            subjects: [{ kind: "ServiceAccount", name: account, namespace: team }],
        },
        { ...source, spec },
        helmRelease(t, a, { kind: "OCIRepository" }, registry),
    ];
}

/** Applies the objects (as the admin: this namespace is not a tenant's). */
export function applyOciTeam(cp: ControlPlane, objects: object[]): void {
    for (const o of objects) kubectl(cp, ["apply", "-f", "-"], JSON.stringify(o));
}
