import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tenant, TenantArgs } from "../../components/tenants/tenant";
import { TENANT_POLICIES } from "../../components/tenants/admissionPolicies";
import { TenantAdmission } from "../../components/tenants/admission";
import type { HelmTenant } from "../../components/tenants/config";
import { isSemver } from "../../src/config/validators";
import { unwrap } from "../../tools/offline/run";
import {
    OfflineRun,
    RegisteredResource,
    STACKS,
    byUrn,
    isWireSecret,
    kubernetesObjects,
    ofType,
    one,
    run,
    runWith,
} from "../support/program";
import { isFluxApiVersion, validateObject } from "../support/schemas";
import { SHARED_GATEWAY } from "../../src/gateway";
import {
    TENANTS_KEY,
    USER_POOLS_KEY,
    appConfig,
    generatedTenants,
    helmTeamConfig,
    stackTenants,
    userPoolsFor,
} from "../support/tenants";

const TENANT = "gitops:tenants:Tenant";
/** A team's chart reader identity, as Identities and the platform would give it. */
const CHART_READER = {
    clientId: "00000000-0000-4000-8000-0000000000c1",
    tenantId: "00000000-0000-4000-8000-0000000000a1",
};
const TEAMS = ["dev-team1", "dev-team2"];

function inNamespace(r: OfflineRun, kind: string, namespace: string): RegisteredResource[] {
    return tenantKind(r, kind).filter((x) => x.inputs.metadata?.namespace === namespace);
}

/** Every Kubernetes object created by a Tenant, as the API server would receive it. */
function tenantObjects(r: OfflineRun): RegisteredResource[] {
    const tenants = new Set(ofType(r, TENANT).map((t) => t.urn));
    return r.resources.filter((x) => x.type.startsWith("kubernetes:") && tenants.has(x.parent));
}

/** The tenants' Kubernetes objects of one kind (other steps create Namespaces, Flux objects... of their own). */
function tenantKind(r: OfflineRun, kind: string): RegisteredResource[] {
    return tenantObjects(r).filter((x) => x.inputs.kind === kind);
}

/** Namespaces named by the namespaceSelectors of a NetworkPolicy's rules. */
function peerNamespaces(policy: RegisteredResource): string[] {
    const spec = policy.inputs.spec;
    const peers = [
        ...(spec.ingress ?? []).flatMap((r: any) => r.from),
        ...(spec.egress ?? []).flatMap((r: any) => r.to),
    ];
    return peers
        .filter((p: any) => p.namespaceSelector)
        .map((p: any) => p.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"] ?? "<any>");
}

for (const stack of STACKS) {
    describe(`tenants (${stack})`, () => {
        test("one Tenant component and one namespace per declared team", async () => {
            const r = await run(stack);
            assert.deepEqual(
                ofType(r, TENANT)
                    .map((t) => t.name)
                    .sort(),
                TEAMS,
            );
            assert.deepEqual(
                tenantKind(r, "Namespace")
                    .map((n) => n.inputs.metadata.name)
                    .sort(),
                TEAMS,
            );
        });

        test("each namespace carries the tenant label and restricted Pod Security Admission", async () => {
            const r = await run(stack);
            for (const team of TEAMS) {
                const labels = one(r, "kubernetes:core/v1:Namespace", `${team}-ns`).inputs.metadata.labels;
                assert.equal(labels["toolkit.fluxcd.io/tenant"], team);
                assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
            }
        });

        test("each namespace has the reconciler ServiceAccount bound to its own Role there (never admin), a quota, a limit range and the admission params", async () => {
            const r = await run(stack);
            for (const team of TEAMS) {
                assert.deepEqual(
                    inNamespace(r, "ServiceAccount", team).map((x) => x.inputs.metadata.name),
                    ["flux-reconciler"],
                );
                assert.deepEqual(
                    inNamespace(r, "Role", team).map((x) => x.inputs.metadata.name),
                    ["flux-reconciler"],
                );
                const binding = inNamespace(r, "RoleBinding", team).find(
                    (b) => b.inputs.metadata.name === "flux-reconciler",
                )!;
                assert.deepEqual(binding.inputs.roleRef, {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Role",
                    name: "flux-reconciler",
                });
                assert.deepEqual(binding.inputs.subjects, [
                    { kind: "ServiceAccount", name: "flux-reconciler", namespace: team },
                ]);
                assert.equal(inNamespace(r, "ResourceQuota", team).length, 1);
                assert.equal(inNamespace(r, "LimitRange", team).length, 1);
                assert.deepEqual(inNamespace(r, "ConfigMap", team), []);
            }
            assert.equal(tenantKind(r, "ClusterRoleBinding").length, 0);
            assert.equal(tenantKind(r, "ClusterRole").length, 0);
        });

        test("the quota follows the stack's config", async () => {
            const r = await run(stack);
            const hard = one(r, "kubernetes:core/v1:ResourceQuota", "dev-team1-quota").inputs.spec.hard;
            assert.equal(hard["requests.cpu"], stack === "prod" ? "8" : "4");
            assert.equal(hard.pods, stack === "prod" ? "60" : "30");
        });

        test("each namespace denies all ingress and egress by default", async () => {
            const r = await run(stack);
            for (const team of TEAMS) {
                const deny = inNamespace(r, "NetworkPolicy", team).find(
                    (p) => p.inputs.metadata.name === "default-deny",
                );
                assert.deepEqual(deny?.inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            }
        });

        test("no policy lets traffic cross between teams when no cross-team flow is declared", async () => {
            const r = await run(stack);
            const crossing = tenantKind(r, "NetworkPolicy").filter((p) =>
                peerNamespaces(p).some((n) => TEAMS.includes(n) || n === "<any>"),
            );
            assert.deepEqual(
                crossing.map((p) => p.name),
                [],
            );
        });

        test("web apps are reachable from the shared Gateway, and front may call back", async () => {
            const r = await run(stack);
            const names = (team: string) =>
                inNamespace(r, "NetworkPolicy", team).map((p) => p.inputs.metadata.name);
            assert.ok(names("dev-team1").includes("allow-gateway-to-front"));
            assert.ok(!names("dev-team1").includes("allow-gateway-to-back"));
            assert.ok(names("dev-team1").includes("egress-front-to-dev-team1-back-8080"));
            assert.ok(names("dev-team1").includes("ingress-dev-team1-front-to-back-8080"));
            assert.ok(names("dev-team2").includes("allow-gateway-to-app"));
        });

        test("during the move, legacyIngressNamespace keeps the old ingress controller's way into web apps", async () => {
            const r = await run(stack, { "gitops-platform:legacyIngressNamespace": "app-routing-system" });
            const names = inNamespace(r, "NetworkPolicy", "dev-team1").map((p) => p.inputs.metadata.name);
            assert.ok(names.includes("allow-ingress-controller-to-front"));
            assert.ok(names.includes("allow-gateway-to-front"));
        });

        test("the helm team gets one HelmRelease per app from its HelmRepository, back before front", async () => {
            const r = await run(stack);
            const repository = one(
                r,
                "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository",
                "dev-team1-helmrepository",
            );
            assert.equal(repository.inputs.metadata.namespace, "dev-team1");
            const back = one(
                r,
                "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease",
                "dev-team1-helmrelease-back",
            );
            const front = one(
                r,
                "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease",
                "dev-team1-helmrelease-front",
            );
            assert.deepEqual(front.inputs.spec.dependsOn, [{ name: "back" }]);
            assert.ok(front.dependencies.includes(back.urn), "front is created after back");
            assert.ok(back.dependencies.includes(repository.urn));
            assert.equal(front.inputs.spec.chart.spec.sourceRef.name, repository.inputs.metadata.name);
        });

        test("the helm team reads its own ChartMuseum repository anonymously: its HelmRepository names no Secret and the tenants create none", async () => {
            const r = await run(stack);
            const repository = one(
                r,
                "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository",
                "dev-team1-helmrepository",
            );
            assert.equal(repository.inputs.spec.url, `${r.outputs.chartRepositoryUrl}/dev-team1`);
            assert.equal(repository.inputs.spec.secretRef, undefined);
            assert.deepEqual(
                tenantKind(r, "Secret").map((x) => x.name),
                [],
            );
        });

        test("no Secret (nor any other object) in a team namespace carries a chart push token", async () => {
            const r = await run(stack);
            const passwords = Object.values(unwrap(r.outputs.chartPushTokens) as Record<string, string>);
            assert.equal(passwords.length, TEAMS.length);
            // What the API server would receive, secrets unwrapped: every object placed in a team namespace.
            const namespaceOf = (x: RegisteredResource) =>
                unwrap(x.wireInputs).metadata?.namespace ?? unwrap(x.wireInputs).namespace;
            const inTeams = r.resources.filter(
                (x) => x.type.startsWith("kubernetes:") && TEAMS.includes(namespaceOf(x)),
            );
            assert.ok(inTeams.length > 10, "the team namespaces hold the tenants' objects");
            for (const x of inTeams) {
                assert.ok(
                    passwords.every((password) => !JSON.stringify(unwrap(x.wireInputs)).includes(password)),
                    `${x.type} ${x.name} carries a push token`,
                );
            }
            for (const x of kubernetesObjects(r, "Secret")) {
                assert.ok(
                    !TEAMS.includes(namespaceOf(x)),
                    `Secret ${x.name} is created in team namespace ${namespaceOf(x)}`,
                );
            }
        });

        test("the kustomize team gets a GitRepository and a Kustomization in its namespace", async () => {
            const r = await run(stack);
            const repository = one(
                r,
                "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository",
                "dev-team2-gitrepository",
            );
            assert.equal(repository.inputs.spec.url, "https://github.com/one-kubernetes/dev-team2");
            const k = one(
                r,
                "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
                "dev-team2-kustomization",
            );
            assert.equal(k.inputs.spec.path, stack === "prod" ? "./deploy/prod" : "./deploy/staging");
            assert.equal(k.inputs.spec.targetNamespace, "dev-team2");
            assert.equal(k.inputs.spec.prune, true);
        });

        test("every HelmRelease and Kustomization runs as the reconciler and has remediation", async () => {
            const r = await run(stack);
            const deliveries = [...tenantKind(r, "HelmRelease"), ...tenantKind(r, "Kustomization")];
            assert.equal(deliveries.length, 3);
            for (const d of deliveries) {
                assert.equal(d.inputs.spec.serviceAccountName, "flux-reconciler", d.name);
                if (d.inputs.kind === "HelmRelease") {
                    assert.ok(d.inputs.spec.install.remediation.retries > 0, d.name);
                    assert.equal(d.inputs.spec.upgrade.remediation.strategy, "rollback", d.name);
                    assert.equal(d.inputs.spec.upgrade.remediation.remediateLastFailure, true, d.name);
                } else {
                    assert.match(d.inputs.spec.retryInterval, /^\d+[smh]$/);
                    assert.ok(d.inputs.spec.wait === true || d.inputs.spec.healthChecks?.length > 0, d.name);
                }
            }
        });

        test(
            stack === "prod"
                ? "prod pins exact chart versions and follows the Kustomize team's prod overlay on its prod branch"
                : "staging follows version ranges and the staging overlay on main",
            async () => {
                const r = await run(stack);
                const versions = tenantKind(r, "HelmRelease").map(
                    (h) => h.inputs.spec.chart.spec.version as string,
                );
                assert.equal(versions.length, 2);
                const ref = one(
                    r,
                    "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository",
                    "dev-team2-gitrepository",
                ).inputs.spec.ref;
                const path = one(
                    r,
                    "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
                    "dev-team2-kustomization",
                ).inputs.spec.path;
                assert.equal(path, `./deploy/${stack}`);
                if (stack === "prod") {
                    assert.ok(versions.every(isSemver), versions.join());
                    assert.deepEqual(ref, { branch: "prod" });
                } else {
                    assert.ok(
                        versions.every((v) => !isSemver(v)),
                        versions.join(),
                    );
                    assert.deepEqual(ref, { branch: "main" });
                }
            },
        );

        test("every tenant object uses the platform's Kubernetes provider", async () => {
            const r = await run(stack);
            const provider = ofType(r, "pulumi:providers:kubernetes").find(
                (p) => byUrn(r, p.parent)?.type === "gitops:platform:Platform",
            );
            assert.ok(provider);
            const objects = tenantObjects(r);
            assert.ok(objects.length > 20);
            for (const o of objects)
                assert.ok(o.provider.startsWith(`${provider.urn}::`), `${o.name} uses ${o.provider}`);
        });

        test("every Flux object comes after its namespace (which holds the admission settings), the reconciler's RoleBinding, the admission policies, the quota, limits and default-deny", async () => {
            const r = await run(stack);
            const flux = tenantObjects(r).filter((x) => isFluxApiVersion(x.inputs.apiVersion ?? ""));
            assert.equal(flux.length, 5);
            for (const o of flux) {
                const deps = o.dependencies
                    .map((u) => byUrn(r, u))
                    .map((d) => `${d?.inputs.kind}/${d?.inputs.metadata?.name}`);
                const namespace = o.inputs.metadata.namespace;
                for (const needed of [
                    `Namespace/${namespace}`,
                    "RoleBinding/flux-reconciler",
                    "ResourceQuota/team-quota",
                    "LimitRange/team-limits",
                    "NetworkPolicy/default-deny",
                ]) {
                    assert.ok(deps.includes(needed), `${o.name} does not wait for ${needed}`);
                }
                for (const binding of ofType(
                    r,
                    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
                ))
                    assert.ok(
                        o.dependencies.includes(binding.urn),
                        `${o.name} does not wait for ${binding.name}`,
                    );
            }
        });

        test("the cluster gets one ValidatingAdmissionPolicy and one binding per tenant rule, bound to tenant namespaces (the namespaces' own policy to every namespace)", async () => {
            const r = await run(stack);
            const policies = ofType(
                r,
                "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
            );
            const bindings = ofType(
                r,
                "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
            );
            assert.deepEqual(
                policies.map((p) => p.inputs.metadata.name).sort(),
                TENANT_POLICIES.map((p) => p.name).sort(),
            );
            for (const b of bindings) {
                assert.deepEqual(
                    b.inputs.spec.matchResources.namespaceSelector,
                    b.inputs.spec.policyName === "tenant-namespaces"
                        ? {}
                        : { matchExpressions: [{ key: "toolkit.fluxcd.io/tenant", operator: "Exists" }] },
                );
                assert.ok(
                    policies.some((p) => b.dependencies.includes(p.urn)),
                    b.name,
                );
            }
            for (const o of [...policies, ...bindings]) await validateObject(o.inputs as never);
        });

        test("each namespace's admission settings carry the environment's registry and the team's own hosts", async () => {
            const r = await run(stack);
            const domain = stack === "prod" ? "gitops.example.com" : "staging.gitops.example.com";
            for (const [team, host] of [
                ["dev-team1", `front.dev-team1.${domain}`],
                ["dev-team2", `app.dev-team2.${domain}`],
            ]) {
                const namespace = tenantKind(r, "Namespace").find((n) => n.inputs.metadata.name === team)!;
                const setting = (key: string) =>
                    namespace.inputs.metadata.annotations[`isolation.tenants.gitops-platform/${key}`];
                assert.equal(setting("registry"), r.outputs.registryLoginServer);
                assert.equal(setting("hosts"), host);
                assert.equal(setting("loadBalancers"), "0");
            }
        });

        test("every Kubernetes and Flux object of the tenants validates against its schema", async () => {
            const r = await run(stack);
            const objects = tenantObjects(r);
            assert.deepEqual([...new Set(objects.map((o) => o.inputs.kind))].sort(), [
                "GitRepository",
                "HelmRelease",
                "HelmRepository",
                "Kustomization",
                "LimitRange",
                "Namespace",
                "NetworkPolicy",
                "ResourceQuota",
                "Role",
                "RoleBinding",
                "ServiceAccount",
            ]);
            for (const o of objects) await validateObject(o.inputs as never);
        });
    });
}

describe("tenants: cross-team flows", () => {
    test("a cross-team flow both teams declare opens egress in the caller's namespace and ingress in the callee's", async () => {
        const tenants = stackTenants("staging");
        tenants[0].flows.push({ from: "front", to: "dev-team2/app" });
        tenants[1].flows = [...(tenants[1].flows ?? []), { from: "dev-team1/front", to: "app" }];
        const r = await run("staging", { [TENANTS_KEY]: tenants });
        const egress = inNamespace(r, "NetworkPolicy", "dev-team1").find(
            (p) => p.inputs.metadata.name === "egress-front-to-dev-team2-app-8080",
        );
        assert.deepEqual(egress && peerNamespaces(egress), ["dev-team2"]);
        const ingress = inNamespace(r, "NetworkPolicy", "dev-team2").find(
            (p) => p.inputs.metadata.name === "ingress-dev-team1-front-to-app-8080",
        );
        assert.deepEqual(ingress && peerNamespaces(ingress), ["dev-team1"]);
        assert.deepEqual(
            ingress?.inputs.spec.ingress[0].ports,
            [{ protocol: "TCP", port: 8080 }],
            "the port defaults to the target app's",
        );
    });
});

describe("tenants at scale", () => {
    const counts = new Map<number, { total: number; perTenant: number[] }>();
    const measure = async (n: number) => {
        if (!counts.has(n)) {
            const r = await run("staging", {
                [TENANTS_KEY]: generatedTenants(n),
                [USER_POOLS_KEY]: userPoolsFor(n),
            });
            const tenants = ofType(r, TENANT);
            assert.equal(tenants.length, n);
            counts.set(n, {
                total: r.resources.length,
                perTenant: tenants.map((t) => r.resources.filter((x) => x.parent === t.urn).length),
            });
        }
        return counts.get(n)!;
    };

    test("50 generated tenants run under mocks, each with the same objects", async () => {
        const { perTenant } = await measure(50);
        assert.equal(
            new Set(perTenant).size,
            1,
            `children per tenant: ${[...new Set(perTenant)].join(", ")}`,
        );
    });

    test("each tenant has as many objects with 10 tenants as with 50", async () => {
        const small = await measure(10);
        const large = await measure(50);
        assert.deepEqual(new Set([...small.perTenant, ...large.perTenant]).size, 1);
    });

    test("the program's resources grow linearly with the number of tenants", async () => {
        const [two, ten, fifty] = [await measure(2), await measure(10), await measure(50)];
        const perTenant = (ten.total - two.total) / 8;
        assert.ok(perTenant > ten.perTenant[0], "each tenant adds at least its component and its children");
        assert.equal(fifty.total - ten.total, 40 * perTenant);
    });
});

describe("Tenant component on its own", () => {
    const helmTeam = (): HelmTenant =>
        helmTeamConfig({
            podSecurity: "baseline",
            apps: [
                appConfig("back", {
                    repository: "o/r",
                    pipelinePath: "p",
                    chart: "back-chart",
                    version: "1.2.3",
                }),
                appConfig("front", {
                    repository: "o/r",
                    pipelinePath: "p",
                    version: "1.0.0",
                    web: true,
                    dependsOn: ["back"],
                }),
            ],
        });
    const program =
        (extra: Partial<TenantArgs> = {}) =>
        () => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "offline" });
            // Stands for the Flux installation (CRDs and controllers).
            const installation = new k8s.core.v1.Namespace(
                "flux-system",
                { metadata: { name: "flux-system" } },
                { provider },
            );
            const tenant = helmTeam();
            const t = new Tenant("dev-team1", {
                tenant,
                tenants: [tenant],
                provider,
                chartSource: { kind: "acr-oci", url: pulumi.output("oci://acrgitops.azurecr.io") },
                chartReader: CHART_READER,
                registryLoginServer: "acrgitops.azurecr.io",
                verifierObjectId: "00000000-0000-4000-8000-00000000000d",
                gateway: SHARED_GATEWAY,
                fluxInstallation: installation,
                ...extra,
            });
            return { namespace: t.namespace };
        };

    test("with ACR, each app gets an OCIRepository on the team's own path <registry>/<team>/helm/<chart> and its HelmRelease a chartRef to it", async () => {
        const r = await runWith(program());
        const oci = one(r, "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository", "ocirepository-back");
        assert.equal(oci.inputs.spec.url, "oci://acrgitops.azurecr.io/dev-team1/helm/back-chart");
        assert.deepEqual(oci.inputs.spec.ref, { semver: "1.2.3" });
        assert.equal(oci.inputs.spec.provider, "azure");
        assert.equal(oci.inputs.spec.serviceAccountName, "flux-chart-reader");
        assert.ok(oci.dependencies.includes(one(r, "kubernetes:core/v1:ServiceAccount", "chart-reader").urn));
        const release = one(r, "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease", "helmrelease-back");
        assert.deepEqual(release.inputs.spec.chartRef, { kind: "OCIRepository", name: "back" });
        assert.ok(release.dependencies.includes(oci.urn));
        assert.equal(ofType(r, "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository").length, 0);
        for (const o of kubernetesObjects(r, "OCIRepository")) await validateObject(o.inputs as never);
    });

    test("a baseline team's namespace enforces baseline", async () => {
        const r = await runWith(program());
        assert.equal(
            one(r, "kubernetes:core/v1:Namespace", "dev-team1-ns").inputs.metadata.labels[
                "pod-security.kubernetes.io/enforce"
            ],
            "baseline",
        );
    });

    test("every Flux object depends on the Flux installation", async () => {
        const r = await runWith(program());
        const flux = one(r, "kubernetes:core/v1:Namespace", "flux-system");
        const objects = r.resources.filter((x) => isFluxApiVersion(x.inputs.apiVersion ?? ""));
        assert.equal(objects.length, 4);
        for (const o of objects) assert.ok(o.dependencies.includes(flux.urn), o.name);
    });

    test("with ChartMuseum, the HelmRepository reads the team's own repository <url>/<team> with no secretRef, and no Secret is created", async () => {
        const r = await runWith(
            program({
                chartSource: {
                    kind: "chartmuseum",
                    url: pulumi.output("http://cm"),
                    pushUrl: pulumi.output("https://cm.example.com"),
                    pushTokens: pulumi.secret<Record<string, string>>({ other: "push-token" }),
                    namespace: "chartmuseum",
                },
            }),
        );
        const repository = one(r, "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository");
        assert.equal(repository.inputs.spec.url, "http://cm/dev-team1");
        assert.equal(repository.inputs.spec.secretRef, undefined);
        assert.deepEqual(ofType(r, "kubernetes:core/v1:Secret"), []);
        for (const x of r.resources)
            assert.ok(!JSON.stringify(unwrap(x.wireInputs)).includes("push-token"), x.name);
    });

    const teams = (webhookUrl: string): TenantArgs["notifications"] => ({
        channel: { provider: "msteams", webhookUrl: pulumi.secret(webhookUrl) },
        cluster: "staging",
    });
    const WEBHOOK = "https://contoso.webhook.office.com/webhookb2/ops";

    test("with a Teams channel, a Provider and an Alert in the team's namespace report its failed releases", async () => {
        const r = await runWith(program({ notifications: teams(WEBHOOK) }));
        const provider = one(r, "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider");
        const alert = one(r, "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert");
        assert.equal(provider.inputs.metadata.namespace, "dev-team1");
        assert.equal(provider.inputs.spec.type, "msteams");
        assert.equal(alert.inputs.metadata.namespace, "dev-team1");
        assert.deepEqual(alert.inputs.spec.providerRef, { name: provider.inputs.metadata.name });
        assert.equal(alert.inputs.spec.eventSeverity, "error");
        assert.ok(alert.inputs.spec.eventSources.some((s: { kind: string }) => s.kind === "HelmRelease"));
        assert.deepEqual(alert.inputs.spec.eventMetadata, { cluster: "staging", team: "dev-team1" });
        assert.ok(alert.dependencies.includes(provider.urn));
        for (const o of [provider, alert]) await validateObject(unwrap(o.wireInputs) as never);
    });

    test("the Teams webhook reaches the Provider only as a secret, and no Secret the team could read holds it", async () => {
        const r = await runWith(program({ notifications: teams(WEBHOOK) }));
        const provider = one(r, "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider");
        assert.equal(provider.inputs.spec.address, WEBHOOK);
        const spec = provider.wireInputs.spec;
        assert.ok(isWireSecret(spec) || isWireSecret(spec.address), "the address travels as a secret");
        assert.deepEqual(ofType(r, "kubernetes:core/v1:Secret"), []);
    });

    for (const channel of [
        { provider: "none" as const },
        { provider: "github" as const, token: pulumi.secret("t") },
    ]) {
        test(`with ${channel.provider} notifications, the namespace gets no Provider nor Alert`, async () => {
            const r = await runWith(program({ notifications: { channel, cluster: "staging" } }));
            assert.deepEqual(kubernetesObjects(r, "Provider"), []);
            assert.deepEqual(kubernetesObjects(r, "Alert"), []);
        });
    }

    test("every Flux object waits for the cluster's admission policies and their bindings", async () => {
        const r = await runWith(() => {
            const provider = new k8s.Provider("k8s-admission", { kubeconfig: "offline" });
            return program({ admission: new TenantAdmission("admission", { provider }) })();
        });
        const policies = r.resources.filter((x) => x.type.startsWith("kubernetes:admissionregistration"));
        assert.equal(policies.length, 2 * TENANT_POLICIES.length);
        const objects = r.resources.filter((x) => isFluxApiVersion(x.inputs.apiVersion ?? ""));
        assert.ok(objects.length > 0);
        for (const o of objects)
            for (const p of policies) assert.ok(o.dependencies.includes(p.urn), `${o.name} before ${p.name}`);
    });

    test("a tenant missing from the stack's tenants is refused (its flows could not be resolved)", () =>
        assert.rejects(runWith(program({ tenants: [] })), /`tenants` must include the tenant itself/));

    test("an acr-oci chart source without the team's chart reader identity is refused", () =>
        assert.rejects(runWith(program({ chartReader: undefined })), /needs `chartReader`/));
});

describe("tenants: each team's chart reader (acr-oci)", () => {
    const ACR_OCI = { "gitops-platform:chartRepository": "acr-oci" };

    test("each namespace has a platform-owned chart reader annotated with its own team's identity and tenant", async () => {
        const r = await run("staging", ACR_OCI);
        const clientIds = r.outputs.fluxChartReaderClientIds as Record<string, string>;
        for (const team of TEAMS) {
            const [account] = inNamespace(r, "ServiceAccount", team).filter(
                (x) => x.inputs.metadata.name === "flux-chart-reader",
            );
            assert.ok(account, team);
            assert.deepEqual(account.inputs.metadata.annotations, {
                "azure.workload.identity/client-id": clientIds[team],
                "azure.workload.identity/tenant-id": r.outputs.tenantId,
            });
            assert.equal(account.inputs.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
            assert.equal(account.inputs.automountServiceAccountToken, false);
            await validateObject(unwrap(account.wireInputs));
        }
        assert.notEqual(clientIds[TEAMS[0]], clientIds[TEAMS[1]]);
    });

    test("every OCIRepository is read with the Azure provider as its own namespace's chart reader", async () => {
        const r = await run("staging", ACR_OCI);
        const sources = tenantKind(r, "OCIRepository");
        assert.ok(sources.length > 0);
        for (const o of sources) {
            assert.equal(o.inputs.spec.provider, "azure", o.name);
            assert.equal(o.inputs.spec.serviceAccountName, "flux-chart-reader", o.name);
            await validateObject(o.inputs as never);
        }
    });

    test("with ChartMuseum no chart reader exists", async () => {
        const r = await run("staging");
        assert.deepEqual(
            tenantKind(r, "ServiceAccount").filter((x) => x.inputs.metadata.name === "flux-chart-reader"),
            [],
        );
    });
});
