// The tenant admission policies, evaluated by a real CEL implementation as the API server would
// (test/support/admission.ts): the starter kits' objects are admitted, and each attack, played by the
// team's reconciler, by a team member with `edit`, or by another team, is refused.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
    ISOLATION_PARAMS_NAME,
    TENANT_POLICIES,
    admissionPolicy,
    admissionPolicyBinding,
    isolationParams,
} from "../../components/tenants/admissionPolicies";
import type { HelmTenant } from "../../components/tenants/config";
import { helmRelease } from "../../components/tenants/delivery/helm";
import { TENANT_LABEL, limitRange, reconcilerRole, resourceQuota } from "../../components/tenants/manifests";
import { gitRepository } from "../../components/tenants/delivery/kustomize";
import { APP_ROUTING_NAMESPACE } from "../../src/namespaces";
import { networkPolicies } from "../../components/tenants/networkPolicies";
import { AdmissionRequest, AuthzCheck, admit } from "../support/admission";
import { allows } from "../support/rbac";
import { PLACEHOLDER_APP, PLACEHOLDER_TEAM, renderHelmKit, renderKustomizeOverlay } from "../support/kits";
import { validateObject } from "../support/schemas";
import { teamChartSourcePrefix } from "../../components/charts/source";
import { appConfig, helmTeamConfig } from "../support/tenants";

type Obj = Record<string, any>;

const REGISTRY = "acrgitopsstaging.azurecr.io";
const HOST = "my-app.example.com";
const team: HelmTenant = helmTeamConfig({
    name: PLACEHOLDER_TEAM,
    apps: [appConfig(PLACEHOLDER_APP)],
    hosts: [HOST],
});
const other: HelmTenant = helmTeamConfig({ name: "other-team", hosts: ["shop.example.com"] });

const CHARTMUSEUM = "http://chartmuseum.chartmuseum.svc.cluster.local:8080";
const chartPrefix = (t: HelmTenant) => teamChartSourcePrefix(CHARTMUSEUM, t.name);
const paramsOf = (t: HelmTenant, registry = REGISTRY) => isolationParams(t, registry, chartPrefix(t));

const policies = TENANT_POLICIES.map(admissionPolicy);
const bindings = TENANT_POLICIES.map(admissionPolicyBinding);
const params = [paramsOf(team), paramsOf(other)];

type Principal = Pick<AdmissionRequest, "user" | "can">;
const inTeamNamespace = (c: AuthzCheck) => c.namespace === PLACEHOLDER_TEAM;
/** Flux applying the team's repository or chart, impersonating the reconciler: its Role, in its namespace. */
const reconciler: Principal = {
    user: { username: `system:serviceaccount:${PLACEHOLDER_TEAM}:flux-reconciler` },
    can: (c) => inTeamNamespace(c) && allows(reconcilerRole(team).rules, c),
};
/** A team member with `edit` (AKS RBAC Writer on the namespace scope): NetworkPolicies and Endpoints included. */
const member: Principal = {
    user: { username: "jane@contoso.com", groups: ["team-group-object-id"] },
    can: (c) => inTeamNamespace(c) && c.resource !== "resourcequotas" && c.resource !== "limitranges",
};
/** Pulumi's deployer: a cluster admin. */
const platform: Principal = { user: { username: "deployer-object-id" }, can: () => true };
/** Kubernetes' and Flux's controllers: their rights are cluster-wide, on their own kinds. */
const controller = (username: string, can: string | ((c: AuthzCheck) => boolean)): Principal => ({
    user: { username: `system:serviceaccount:${username}` },
    can: typeof can === "function" ? can : (c) => c.resource === can,
});
const replicaSetController = controller("kube-system:replicaset-controller", "pods");
const namespaceController = controller("kube-system:namespace-controller", (c) => c.verb === "delete");
const sourceController = controller(
    "flux-system:source-controller",
    (c) => c.group === "source.toolkit.fluxcd.io",
);

const request = (
    by: Principal,
    operation: AdmissionRequest["operation"],
    object: Obj | undefined,
    extra: Partial<AdmissionRequest> = {},
): AdmissionRequest => ({
    operation,
    object,
    namespace: PLACEHOLDER_TEAM,
    namespaceLabels: { [TENANT_LABEL]: PLACEHOLDER_TEAM },
    ...by,
    ...extra,
});
const decide = (r: AdmissionRequest, withParams: readonly Obj[] = params) =>
    admit(policies, bindings, withParams, r);
const admitted = (r: AdmissionRequest) => {
    const d = decide(r);
    assert.deepEqual(d.refusals, [], `${r.operation} ${r.object?.kind ?? r.oldObject?.kind}`);
};
const refused = (r: AdmissionRequest, reason: RegExp) => {
    const d = decide(r);
    assert.equal(d.admitted, false, `${r.operation} ${(r.object ?? r.oldObject)?.kind} was admitted`);
    assert.ok(
        d.refusals.some((m) => reason.test(m)),
        `refused for another reason: ${d.refusals.join(" | ")}`,
    );
};

const helmKit = (): Obj[] =>
    renderHelmKit({
        image: { repository: `${REGISTRY}/${PLACEHOLDER_TEAM}/${PLACEHOLDER_APP}`, tag: "1.0.0" },
        ingress: {
            enabled: true,
            host: HOST,
            tlsCertificateUri: "https://kv.vault.azure.net/certificates/c",
        },
    }).map((o) => ({ ...o, metadata: { ...o.metadata, namespace: PLACEHOLDER_TEAM } }));
const kitObject = (kind: string): Obj =>
    structuredClone(helmKit().find((o) => o.kind === kind && !o.metadata.annotations?.["helm.sh/hook"])!);
const podOf = (workload: Obj): Obj => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...workload.spec.template.metadata, name: `${workload.metadata.name}-abc12` },
    spec: workload.spec.template.spec,
});
const service = (spec: Obj): Obj => ({ apiVersion: "v1", kind: "Service", metadata: { name: "x" }, spec });
const ingress = (spec: Obj, annotations?: Obj): Obj => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "x", ...(annotations ? { annotations } : {}) },
    spec,
});
const rule = (host?: string) => ({
    ...(host ? { host } : {}),
    http: {
        paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "x", port: { number: 80 } } } }],
    },
});
const platformPolicies = networkPolicies({
    tenant: team,
    tenants: [team],
    ingressNamespace: APP_ROUTING_NAMESPACE,
});
const defaultDeny = platformPolicies.find((p) => p.metadata.name === "default-deny")!;
const allowAll: Obj = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-all", namespace: PLACEHOLDER_TEAM },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] },
};

describe("admission: the starter kits are admitted", () => {
    test("every object of the Helm kit, with the platform's values, an Ingress on a declared host and TLS", () => {
        for (const o of helmKit()) admitted(request(reconciler, "CREATE", o));
    });

    test("the pods its Deployment's ReplicaSet creates, and the helm test pod on the app's own image", () => {
        admitted(request(replicaSetController, "CREATE", podOf(kitObject("Deployment"))));
        const test = helmKit().find((o) => o.kind === "Pod")!;
        assert.ok(test.spec.containers[0].image.startsWith(`${REGISTRY}/`));
    });

    for (const overlay of ["staging", "prod"]) {
        test(`every object of the Kustomize kit's ${overlay} overlay, on its registry`, () => {
            const objects = renderKustomizeOverlay(overlay);
            const registry = objects
                .find((o) => o.kind === "Deployment")!
                .spec.template.spec.containers[0].image.split("/")[0];
            const kitParams = [{ ...paramsOf(team, registry) }];
            for (const o of objects)
                assert.deepEqual(decide(request(reconciler, "CREATE", o), kitParams).refusals, []);
        });
    }

    test("an upgrade of the kit's Deployment to a new tag of the same image", () => {
        const deployment = kitObject("Deployment");
        const upgraded = structuredClone(deployment);
        upgraded.spec.template.spec.containers[0].image = `${REGISTRY}/${PLACEHOLDER_TEAM}/${PLACEHOLDER_APP}:1.1.0`;
        admitted(request(reconciler, "UPDATE", upgraded, { oldObject: deployment }));
    });
});

describe("admission: Services stay inside the cluster", () => {
    test("an ExternalName Service aliasing ChartMuseum is refused, to the reconciler and to a member", () => {
        const alias = service({
            type: "ExternalName",
            externalName: "chartmuseum.chartmuseum.svc.cluster.local",
        });
        for (const by of [reconciler, member])
            refused(request(by, "CREATE", alias), /ExternalName Services are refused/);
    });

    test("a ClusterIP Service turned into an ExternalName one is refused", () => {
        const before = kitObject("Service");
        const after = { ...before, spec: { type: "ExternalName", externalName: "example.com" } };
        refused(request(reconciler, "UPDATE", after, { oldObject: before }), /ExternalName/);
    });

    test("a LoadBalancer Service is refused when the team file allows none", () => {
        refused(
            request(reconciler, "CREATE", service({ type: "LoadBalancer", ports: [{ port: 80 }] })),
            /LoadBalancer Services are refused/,
        );
    });

    test("a LoadBalancer Service is admitted for a team that declares loadBalancers", () => {
        const allowed = [paramsOf(helmTeamConfig({ ...team, loadBalancers: 1 }))];
        const lb = service({ type: "LoadBalancer", ports: [{ port: 80 }] });
        assert.deepEqual(decide(request(reconciler, "CREATE", lb), allowed).refusals, []);
    });

    test("a NodePort Service is refused", () => {
        refused(
            request(member, "CREATE", service({ type: "NodePort", ports: [{ port: 80 }] })),
            /NodePort Services are refused/,
        );
    });

    test("a Service with externalIPs (traffic hijack, CVE-2020-8554) is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                service({ type: "ClusterIP", externalIPs: ["168.63.129.16"], ports: [{ port: 80 }] }),
            ),
            /externalIPs are refused/,
        );
    });

    test("hand-written Endpoints or an EndpointSlice pointing the ingress at a platform pod are refused", () => {
        const endpoints = {
            apiVersion: "v1",
            kind: "Endpoints",
            metadata: { name: "x" },
            subsets: [{ addresses: [{ ip: "10.244.1.23" }], ports: [{ port: 8080 }] }],
        };
        const slice = {
            apiVersion: "discovery.k8s.io/v1",
            kind: "EndpointSlice",
            metadata: { name: "x-1", labels: { "kubernetes.io/service-name": PLACEHOLDER_APP } },
            addressType: "IPv4",
            endpoints: [{ addresses: ["10.244.1.23"] }],
        };
        for (const o of [endpoints, slice])
            refused(request(member, "CREATE", o), /come from Kubernetes' controllers only/);
        admitted(request(controller("kube-system:endpoint-controller", "endpoints"), "CREATE", endpoints));
    });
});

describe("admission: images come from the environment's registry", () => {
    const withImage = (workload: Obj, image: string) => {
        const w = structuredClone(workload);
        (w.kind === "Pod" ? w.spec : w.spec.template.spec).containers[0].image = image;
        return w;
    };
    for (const image of [
        "docker.io/evil/miner:latest",
        "busybox:1.36.1",
        `${REGISTRY}.evil.example.com/${PLACEHOLDER_TEAM}/app:1`,
        `evil.example.com/${REGISTRY}/app:1`,
    ]) {
        test(`a Deployment on ${image} is refused`, () => {
            refused(
                request(reconciler, "CREATE", withImage(kitObject("Deployment"), image)),
                /images must be the team's own/,
            );
        });
    }

    test("a pod with a foreign image is refused whoever creates it, the ReplicaSet controller included", () => {
        refused(
            request(
                replicaSetController,
                "CREATE",
                podOf(withImage(kitObject("Deployment"), "ghcr.io/evil/x:1")),
            ),
            /refused: ghcr\.io\/evil\/x:1/,
        );
    });

    test("a foreign init container is refused", () => {
        const pod = podOf(kitObject("Deployment"));
        pod.spec.initContainers = [{ name: "init", image: "docker.io/evil/init:1" }];
        refused(request(member, "CREATE", pod), /refused: docker\.io\/evil\/init:1/);
    });

    test("a foreign ephemeral container (kubectl debug) is refused", () => {
        const pod = podOf(kitObject("Deployment"));
        const debugged = {
            ...pod,
            spec: { ...pod.spec, ephemeralContainers: [{ name: "debug", image: "busybox" }] },
        };
        refused(
            request(member, "UPDATE", debugged, { oldObject: pod, subResource: "ephemeralcontainers" }),
            /refused: busybox/,
        );
    });

    test("a foreign image mounted as a volume is refused", () => {
        const pod = podOf(kitObject("Deployment"));
        pod.spec.volumes = [{ name: "tools", image: { reference: "quay.io/evil/tools:1" } }];
        refused(request(member, "CREATE", pod), /refused: quay\.io\/evil\/tools:1/);
    });

    test("a CronJob with a foreign image is refused", () => {
        const spec = kitObject("Deployment").spec.template.spec;
        const cronJob = {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: "x" },
            spec: {
                schedule: "* * * * *",
                jobTemplate: {
                    spec: {
                        template: {
                            spec: {
                                ...spec,
                                containers: [{ ...spec.containers[0], image: "docker.io/x:1" }],
                            },
                        },
                    },
                },
            },
        };
        refused(request(reconciler, "CREATE", cronJob), /refused: docker\.io\/x:1/);
    });

    test("a pod running as the reconciler (to use its token) is refused", () => {
        const deployment = kitObject("Deployment");
        deployment.spec.template.spec.serviceAccountName = "flux-reconciler";
        deployment.spec.template.spec.automountServiceAccountToken = true;
        refused(request(member, "CREATE", deployment), /may not run as flux-reconciler/);
        refused(request(replicaSetController, "CREATE", podOf(deployment)), /may not run as flux-reconciler/);
    });
});

describe("admission: Ingresses claim only the team's hosts", () => {
    test("an Ingress on another team's host is refused", () => {
        refused(
            request(reconciler, "CREATE", ingress({ rules: [rule("shop.example.com")] })),
            /refused: shop\.example\.com/,
        );
    });

    test("a team's host is refused in another team's namespace (each namespace reads its own params)", () => {
        const r = {
            ...request(reconciler, "CREATE", ingress({ rules: [rule(HOST)] })),
            namespace: "other-team",
        };
        refused({ ...r, namespaceLabels: { [TENANT_LABEL]: "other-team" } }, /refused: my-app\.example\.com/);
    });

    test("an Ingress rule without a host (every host) is refused", () => {
        refused(request(reconciler, "CREATE", ingress({ rules: [rule()] })), /refused: <any host>/);
    });

    test("an Ingress default backend is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                ingress({ defaultBackend: { service: { name: "x", port: { number: 80 } } } }),
            ),
            /default backend/,
        );
    });

    test("a TLS section for another team's host is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                ingress({ rules: [rule(HOST)], tls: [{ hosts: ["shop.example.com"], secretName: "s" }] }),
            ),
            /TLS hosts must be the team's declared hosts/,
        );
    });

    test("an NGINX snippet annotation is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                ingress(
                    { rules: [rule(HOST)] },
                    { "nginx.ingress.kubernetes.io/server-snippet": "location / {}" },
                ),
            ),
            /snippet annotations are refused/,
        );
    });
});

describe("admission: what the platform owns in the namespace", () => {
    test("deleting default-deny is refused, to the reconciler and to a member", () => {
        for (const by of [reconciler, member])
            refused(request(by, "DELETE", undefined, { oldObject: defaultDeny }), /platform's/);
    });

    test("adding an allow-all NetworkPolicy is refused to a member (Azure RBAC Writer may write them)", () => {
        refused(
            request(member, "CREATE", allowAll),
            /network policies in a tenant namespace are the platform's/,
        );
    });

    test("a CiliumNetworkPolicy is refused too", () => {
        const cilium = {
            apiVersion: "cilium.io/v2",
            kind: "CiliumNetworkPolicy",
            metadata: { name: "x" },
            spec: {},
        };
        refused(request(member, "CREATE", cilium), /network policies/);
    });

    test("widening the team's own params (adding another team's host) is refused", () => {
        const mine = paramsOf(team);
        const widened = { ...mine, data: { ...mine.data, hosts: `${HOST},shop.example.com` } };
        refused(request(reconciler, "UPDATE", widened, { oldObject: mine }), /is the platform's/);
        refused(request(member, "DELETE", undefined, { oldObject: mine }), /is the platform's/);
    });

    test("rewriting the platform's HelmRelease (another chart, other values) is refused", () => {
        const release = helmRelease(team, team.apps[0], { kind: "HelmRepository" }, REGISTRY) as Obj;
        const rewritten = {
            ...release,
            spec: { ...release.spec, values: { image: { repository: "docker.io/evil" } } },
        };
        refused(
            request(member, "UPDATE", rewritten, { oldObject: release }),
            /HelmRelease is the platform's/,
        );
    });

    test("removing the platform label to take an object over is refused", () => {
        const unlabelled = { ...defaultDeny, metadata: { ...defaultDeny.metadata, labels: {} } };
        refused(request(member, "UPDATE", unlabelled, { oldObject: defaultDeny }), /platform's/);
    });

    test("creating an object with the platform's label is refused (the label keeps its meaning)", () => {
        const configMap = {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "x", labels: { "app.kubernetes.io/managed-by": "pulumi" } },
        };
        refused(request(reconciler, "CREATE", configMap), /is the platform's/);
    });

    test("the platform's deployer still creates, updates and deletes them", () => {
        for (const o of [defaultDeny, resourceQuota(team), limitRange(team), paramsOf(team)]) {
            admitted(request(platform, "CREATE", o));
            admitted(request(platform, "UPDATE", o, { oldObject: o }));
            admitted(request(platform, "DELETE", undefined, { oldObject: o }));
        }
    });

    test("a member who may write NetworkPolicies in the namespace is still refused: the platform is who may write them in every namespace", () => {
        const check = {
            group: "networking.k8s.io",
            resource: "networkpolicies",
            namespace: PLACEHOLDER_TEAM,
            verb: "delete",
        };
        assert.ok(member.can!(check));
        refused(request(member, "DELETE", undefined, { oldObject: defaultDeny }), /platform's/);
    });

    test("Flux's source-controller still adds its finalizer to the platform's GitRepository", () => {
        const git = { url: "https://github.com/o/r", branch: "main", path: "./", healthChecks: [] };
        const source = gitRepository({ ...team, delivery: "kustomize", git }) as Obj;
        const finalized = {
            ...source,
            metadata: { ...source.metadata, finalizers: ["finalizers.fluxcd.io"] },
        };
        admitted(request(sourceController, "UPDATE", finalized, { oldObject: source }));
        refused(
            request(reconciler, "UPDATE", finalized, { oldObject: source }),
            /GitRepository is the platform's/,
        );
    });

    test("the namespace controller still empties a namespace being deleted", () => {
        admitted(request(namespaceController, "DELETE", undefined, { oldObject: defaultDeny }));
    });

    test("the team's own objects stay the team's to change", () => {
        const before = kitObject("Service");
        admitted(
            request(
                member,
                "UPDATE",
                { ...before, metadata: { ...before.metadata, labels: { a: "b" } } },
                { oldObject: before },
            ),
        );
        admitted(request(reconciler, "DELETE", undefined, { oldObject: before }));
    });
});

describe("admission: bindings and params", () => {
    test("the policies apply to tenant namespaces only", () => {
        const outside = {
            ...request(reconciler, "CREATE", service({ type: "ExternalName", externalName: "x" })),
            namespace: "chartmuseum",
            namespaceLabels: {},
        };
        assert.deepEqual(decide(outside).evaluated, []);
    });

    test("a tenant namespace whose params are missing refuses what needs them (fail closed)", () => {
        const d = decide(request(reconciler, "CREATE", kitObject("Service")), []);
        assert.equal(d.admitted, false);
        assert.match(d.refusals.join(), new RegExp(`params ${ISOLATION_PARAMS_NAME} not found`));
    });

    test("every policy refuses on an expression error rather than admitting", () => {
        for (const p of policies) assert.equal(p.spec.failurePolicy, "Fail", p.metadata.name);
        for (const b of bindings) assert.deepEqual(b.spec.validationActions, ["Deny"], b.metadata.name);
    });

    test("the policies, their bindings and the params validate against the Kubernetes schemas", async () => {
        for (const o of [...policies, ...bindings, ...params])
            await validateObject(structuredClone(o) as never);
    });
});
