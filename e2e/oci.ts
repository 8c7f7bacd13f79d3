// The `acr-oci` chart mode on the real source- and helm-controller: distribution's `registry` on
// 127.0.0.1 (TLS) stands in for ACR, the build script pushes the kit's chart to it with `helm push`, and the app's
// OCIRepository and HelmRelease are the program's own (components/tenants/delivery/helm.ts) in a
// namespace of their own. Two things differ from a cluster: the OCIRepository has no
// `provider: azure` / serviceAccountName (workload identity needs Azure AD; the registry here takes
// anonymous pulls) and trusts the registry's self-signed certificate (`certSecretRef`). Cluster
// stacks read ChartMuseum only (index.ts), so the namespace is not a tenant's: its admission is not
// the point here, the shape helm-controller records for an OCI chart is.
import * as fs from "node:fs";
import * as path from "node:path";
import { helmRelease, ociChartUrl, ociRepository } from "../components/tenants/delivery/helm";
import type { HelmAppConfig, HelmTenant } from "../components/tenants/config";
import { teamChartRepositoryUrl } from "../src/charts";
import { RECONCILER_SERVICE_ACCOUNT } from "../components/tenants/manifests";
import { ControlPlane, kubectl } from "./cluster/controlPlane";
import { freePort, startProcess, waitFor } from "./cluster/processes";
import { listening } from "./pipelines";
import { binary } from "./toolchain/cache";

/** Starts a registry on 127.0.0.1 serving TLS with `tls`; returns its host:port. */
export async function startRegistry(
    cp: ControlPlane,
    name: string,
    tls: { cert: string; key: string },
): Promise<string> {
    const port = await freePort();
    const dir = path.join(cp.runDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(
        config,
        [
            "version: 0.1",
            "log: { level: warn }",
            `storage: { filesystem: { rootdirectory: ${path.join(dir, "data")} } }`,
            `http: { addr: "127.0.0.1:${port}", tls: { certificate: ${tls.cert}, key: ${tls.key} } }`,
            "",
        ].join("\n"),
    );
    const registry = startProcess(cp.runDir, name, binary("registry"), ["serve", config]);
    await waitFor(name, () => listening(port), { timeoutMs: 30_000, process: registry });
    return `127.0.0.1:${port}`;
}

/** The program's OCIRepository and HelmRelease of `app` of team `team`, and what they run as. */
export function ociTeamObjects(
    team: string,
    app: string,
    host: string,
    registry: string,
    caCert: string,
): object[] {
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
    const spec: Record<string, unknown> = { ...source.spec, certSecretRef: { name: "registry-ca" } };
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
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "registry-ca", namespace: team },
            stringData: { "ca.crt": fs.readFileSync(caCert, "utf8") },
        },
        { ...source, spec },
        helmRelease(t, a, { kind: "OCIRepository" }, registry),
    ];
}

/** Applies the objects (as the admin: this namespace is not a tenant's). */
export function applyOciTeam(cp: ControlPlane, objects: object[]): void {
    for (const o of objects) kubectl(cp, ["apply", "-f", "-"], JSON.stringify(o));
}
