// The tenant admission policies, evaluated by a real CEL implementation as the API server would
// (test/support/admission.ts): the starter kits' objects are admitted, and each attack, played by the
// team's reconciler, by a team member with `edit`, or by another team, is refused.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
    TENANT_POLICIES,
    admissionPolicy,
    admissionPolicyBinding,
    isolationAnnotations,
    ISOLATION_ANNOTATION_PREFIX,
} from "../../components/tenants/admissionPolicies";
import type { HelmTenant } from "../../components/tenants/config";
import { helmRelease, helmRepository } from "../../components/tenants/delivery/helm";
import {
    TENANT_LABEL,
    limitRange,
    namespaceManifest,
    reconcilerRole,
    resourceQuota,
} from "../../components/tenants/manifests";
import { gitRepository } from "../../components/tenants/delivery/kustomize";
import { SHARED_GATEWAY } from "../../src/gateway";
import { networkPolicies } from "../../components/tenants/networkPolicies";
import { AdmissionRequest, AuthzCheck, admit } from "../support/admission";
import { allows } from "../support/rbac";
import { PLACEHOLDER_APP, PLACEHOLDER_TEAM, renderHelmKit, renderKustomizeOverlay } from "../support/kits";
import { validateObject } from "../support/schemas";
import { teamChartSourcePrefix } from "../../src/charts";
import { appConfig, helmTeamConfig } from "../support/tenants";

type Obj = Record<string, any>;

const REGISTRY = "acrgitopsstaging.azurecr.io";
const HOST = "my-app.example.com";
const CERTIFICATE = "https://kv.vault.azure.net/certificates/c";
const OTHER_CERTIFICATE = "https://kv.vault.azure.net/certificates/shop";
const team: HelmTenant = helmTeamConfig({
    name: PLACEHOLDER_TEAM,
    apps: [appConfig(PLACEHOLDER_APP)],
    hosts: [HOST],
    certificates: [CERTIFICATE],
});
const other: HelmTenant = helmTeamConfig({
    name: "other-team",
    hosts: ["shop.example.com"],
    certificates: [OTHER_CERTIFICATE],
});

const CHARTMUSEUM = "http://chartmuseum.chartmuseum.svc.cluster.local:8080";
/** A team's namespace as the platform creates it: its labels, and its settings as annotations. */
const namespaceOf = (t: HelmTenant, registry = REGISTRY, charts = CHARTMUSEUM): Obj => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
        ...namespaceManifest(t).metadata,
        annotations: isolationAnnotations(t, registry, teamChartSourcePrefix(charts, t.name), SHARED_GATEWAY),
    },
});

const policies = TENANT_POLICIES.map(admissionPolicy);
const bindings = TENANT_POLICIES.map(admissionPolicyBinding);
const namespaces = [namespaceOf(team), namespaceOf(other)];

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
const decide = (r: AdmissionRequest, withNamespaces: readonly Obj[] = namespaces) =>
    admit(policies, bindings, withNamespaces, r);
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
        route: { enabled: true, host: HOST },
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
const ingress = (host: string): Obj => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "x" },
    spec: {
        rules: [
            {
                host,
                http: {
                    paths: [
                        {
                            path: "/",
                            pathType: "Prefix",
                            backend: { service: { name: "x", port: { number: 80 } } },
                        },
                    ],
                },
            },
        ],
    },
});
/** An HTTPRoute of the team's: its host, on its listener of the shared Gateway, to a local Service. */
const route = (change: (spec: Obj) => void = () => {}): Obj => {
    const spec: Obj = {
        parentRefs: [{ ...SHARED_GATEWAY, sectionName: HOST }],
        hostnames: [HOST],
        rules: [{ backendRefs: [{ name: "x", port: 8080 }] }],
    };
    change(spec);
    return { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "x" }, spec };
};
const platformPolicies = networkPolicies({
    tenant: team,
    tenants: [team],
    gateway: SHARED_GATEWAY,
});
const defaultDeny = platformPolicies.find((p) => p.metadata.name === "default-deny")!;
const allowAll: Obj = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-all", namespace: PLACEHOLDER_TEAM },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] },
};

describe("admission: the starter kits are admitted", () => {
    test("every object of the Helm kit, with the platform's values, an HTTPRoute on a declared host", () => {
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
            const kitNamespaces = [{ ...namespaceOf(team, registry) }];
            for (const o of objects)
                assert.deepEqual(decide(request(reconciler, "CREATE", o), kitNamespaces).refusals, []);
        });
    }

    test("in a namespace the platform has not yet given its gateway setting (an up half-way), the Deployment and its pods still are; an HTTPRoute is not", () => {
        const older = namespaceOf(team);
        delete older.metadata.annotations[`${ISOLATION_ANNOTATION_PREFIX}gateway`];
        const withOlder = [older, namespaceOf(other)];
        assert.deepEqual(
            decide(request(reconciler, "CREATE", kitObject("Deployment")), withOlder).refusals,
            [],
        );
        assert.deepEqual(
            decide(request(replicaSetController, "CREATE", podOf(kitObject("Deployment"))), withOlder)
                .refusals,
            [],
        );
        assert.equal(
            decide(request(reconciler, "CREATE", kitObject("HTTPRoute")), withOlder).admitted,
            false,
        );
    });

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
        const allowed = [namespaceOf(helmTeamConfig({ ...team, loadBalancers: 1 }))];
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

describe("admission: HTTPRoutes claim only the team's hosts, listeners and Services", () => {
    test("an Ingress is refused, pointing to HTTPRoute", () => {
        for (const by of [reconciler, member])
            refused(request(by, "CREATE", ingress(HOST)), /Ingresses are refused.*HTTPRoute/);
    });

    test("attack: an HTTPRoute on another team's host is refused, naming it", () => {
        for (const by of [reconciler, member])
            refused(
                request(
                    by,
                    "CREATE",
                    route((s) => (s.hostnames = ["shop.example.com"])),
                ),
                /hostnames must be.*refused: shop\.example\.com/,
            );
    });

    test("attack: an HTTPRoute without hostnames (every host of the listener) is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                route((s) => delete s.hostnames),
            ),
            /<no hostnames/,
        );
    });

    test("attack: an HTTPRoute on another team's listener is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                route((s) => (s.parentRefs[0].sectionName = "shop.example.com")),
            ),
            /attaches only to the platform's Gateway/,
        );
    });

    test("attack: an HTTPRoute on the platform's (ChartMuseum's) listener is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                route((s) => (s.parentRefs[0].sectionName = "charts.example.com")),
            ),
            /on the team's listeners/,
        );
    });

    test("attack: an HTTPRoute on the whole Gateway (no sectionName) or on another Gateway is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                route((s) => delete s.parentRefs[0].sectionName),
            ),
            /attaches only/,
        );
        refused(
            request(
                reconciler,
                "CREATE",
                route((s) => (s.parentRefs[0].namespace = "other-team")),
            ),
            /attaches only/,
        );
        refused(
            request(
                reconciler,
                "CREATE",
                route((s) => (s.parentRefs = [])),
            ),
            /attaches only/,
        );
    });

    test("attack: a backend in another namespace (ChartMuseum's) is refused", () => {
        refused(
            request(
                reconciler,
                "CREATE",
                route(
                    (s) =>
                        (s.rules[0].backendRefs[0] = {
                            name: "chartmuseum",
                            namespace: "chartmuseum",
                            port: 8080,
                        }),
                ),
            ),
            /backends \(and mirrors\) must be Services of the team's own namespace/,
        );
    });

    test("attack: a backend of another kind, a mirror to another namespace or an ExtensionRef filter is refused", () => {
        for (const change of [
            (s: Obj) => (s.rules[0].backendRefs[0].kind = "ServiceImport"),
            (s: Obj) =>
                (s.rules[0].filters = [
                    {
                        type: "RequestMirror",
                        requestMirror: {
                            backendRef: { name: "chartmuseum", namespace: "chartmuseum", port: 8080 },
                        },
                    },
                ]),
            (s: Obj) =>
                (s.rules[0].filters = [
                    { type: "ExtensionRef", extensionRef: { group: "", kind: "x", name: "y" } },
                ]),
        ])
            refused(
                request(reconciler, "CREATE", route(change)),
                /must be Services of the team's own namespace/,
            );
    });

    test("a team's host is refused in another team's namespace (each namespace reads its own settings)", () => {
        const r = { ...request(reconciler, "CREATE", route()), namespace: "other-team" };
        refused({ ...r, namespaceLabels: { [TENANT_LABEL]: "other-team" } }, /refused: my-app\.example\.com/);
    });

    test("the team's own route (its host, its listener, its Service, a same-namespace mirror) is admitted", () => {
        admitted(request(reconciler, "CREATE", route()));
        admitted(
            request(
                reconciler,
                "CREATE",
                route(
                    (s) =>
                        (s.rules[0].filters = [
                            { type: "RequestMirror", requestMirror: { backendRef: { name: "y", port: 80 } } },
                        ]),
                ),
            ),
        );
    });

    for (const [apiVersion, kind] of [
        ["gateway.networking.k8s.io/v1", "Gateway"],
        ["gateway.networking.k8s.io/v1beta1", "ReferenceGrant"],
        ["gateway.networking.k8s.io/v1", "GRPCRoute"],
        ["gateway.networking.k8s.io/v1alpha2", "TLSRoute"],
        ["gateway.networking.x-k8s.io/v1alpha1", "XListenerSet"],
        ["gateway.networking.x-k8s.io/v1alpha1", "XBackendTrafficPolicy"],
    ]) {
        test(`attack: a ${kind} (${apiVersion}) in the team's namespace is refused, to the reconciler and to a member`, () => {
            const object = {
                apiVersion,
                kind,
                metadata: { name: "x" },
                spec: {},
            };
            for (const by of [reconciler, member])
                refused(request(by, "CREATE", object), new RegExp(`${kind} objects are the platform's`));
        });
    }
});

describe("admission: no long-lived service account tokens", () => {
    const tokenSecret: Obj = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name: "reconciler-token",
            annotations: { "kubernetes.io/service-account.name": "flux-reconciler" },
        },
        type: "kubernetes.io/service-account-token",
    };

    test("attack: a service-account-token Secret for flux-reconciler is refused, to the reconciler and to a member", () => {
        for (const by of [reconciler, member])
            refused(request(by, "CREATE", tokenSecret), /service-account-token are refused/);
    });

    test("an ordinary Secret is admitted", () => {
        admitted(
            request(member, "CREATE", {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "db" },
                type: "Opaque",
                data: {},
            }),
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

    test("widening the team's own settings (another team's host in its namespace's annotations) or dropping its tenant label is refused", () => {
        const mine = namespaceOf(team);
        const key = "isolation.tenants.gitops-platform/hosts";
        const widened = structuredClone(mine);
        widened.metadata.annotations[key] = `${HOST},shop.example.com`;
        const unlabelled = structuredClone(mine);
        delete unlabelled.metadata.labels[TENANT_LABEL];
        for (const by of [reconciler, member]) {
            for (const changed of [widened, unlabelled])
                refused(
                    request(by, "UPDATE", changed, {
                        oldObject: mine,
                        namespaceLabels: changed.metadata.labels,
                    }),
                    /a tenant namespace .* changes only through the platform config/,
                );
            refused(
                request(by, "DELETE", undefined, { oldObject: mine }),
                /changes only through the platform/,
            );
        }
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
        for (const o of [defaultDeny, resourceQuota(team), limitRange(team), namespaceOf(team)]) {
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

describe("admission: removing a team never hangs", () => {
    const deleting = (o: Obj, finalizer: string): Obj => ({
        ...o,
        metadata: { ...o.metadata, deletionTimestamp: "2026-12-07T12:00:00Z", finalizers: [finalizer] },
    });
    const finalized = (o: Obj): Obj => ({ ...o, metadata: { ...o.metadata, finalizers: [] } });
    /** The team's namespace being deleted: still there, with its settings, until it is empty. */
    const terminating = (t: HelmTenant): Obj => {
        const ns = namespaceOf(t);
        return { ...ns, metadata: { ...ns.metadata, deletionTimestamp: "2026-12-07T12:00:00Z" } };
    };
    const jobController = controller("kube-system:job-controller", "pods");
    const serviceController = controller("kube-system:service-controller", "services");

    test("no policy reads a params object, which the namespace controller may delete before what it guards (the API server looks params up before any match condition)", () => {
        for (const p of policies) assert.equal((p.spec as Obj).paramKind, undefined, p.metadata.name);
        for (const b of bindings) assert.equal((b.spec as Obj).paramRef, undefined, b.metadata.name);
    });

    test("a Job pod's finalizer removal in a namespace being deleted is admitted, with nothing else left in it", () => {
        const pod = deleting(podOf(kitObject("Deployment")), "batch.kubernetes.io/job-tracking");
        const d = decide(request(jobController, "UPDATE", finalized(pod), { oldObject: pod }), [
            terminating(team),
        ]);
        assert.deepEqual(d.refusals, []);
    });

    test("a LoadBalancer Service's finalizer removal is admitted after the team lost its load balancers", () => {
        const lb = deleting(
            service({ type: "LoadBalancer", ports: [{ port: 80 }] }),
            "service.kubernetes.io/load-balancer-cleanup",
        );
        const d = decide(request(serviceController, "UPDATE", finalized(lb), { oldObject: lb }), [
            terminating(team),
        ]);
        assert.deepEqual(d.refusals, []);
    });

    test("attack: an object kept alive by a finalizer and changed while being deleted is judged as usual", () => {
        const kept = deleting(service({ type: "ClusterIP", ports: [{ port: 80 }] }), "example.com/keep");
        const alias = {
            ...kept,
            spec: { type: "ExternalName", externalName: "chartmuseum.chartmuseum.svc.cluster.local" },
        };
        refused(request(member, "UPDATE", alias, { oldObject: kept }), /ExternalName Services are refused/);
    });
});

describe("admission: a setting the platform changed is judged on the writes that change what it judges", () => {
    // chartRepositoryUrl switched on a live stack: the same `up` moves the namespaces' `charts` prefix,
    // then updates each source; the API server sees the namespace first (its update is a dependency).
    const MOVED = "http://chartmuseum-prod.chartmuseum.svc.cluster.local:8080";
    const moved = [namespaceOf(team, REGISTRY, MOVED), namespaceOf(other, REGISTRY, MOVED)];
    const decideMoved = (r: AdmissionRequest) => decide(r, moved);
    const managedBy = (o: Obj, manager: string): Obj => ({
        ...o,
        metadata: { ...o.metadata, managedFields: [{ manager, operation: "Update" }] },
    });
    /** The platform's source of the team, at `base` (as `up` left it before the switch). */
    const platformSource = (base: string): Obj =>
        structuredClone(helmRepository(team, `${base}/${team.name}`)) as Obj;
    /** A source the team wrote itself, still at the old repository. */
    const teamSource = (): Obj => {
        const o = platformSource(CHARTMUSEUM);
        return { ...o, metadata: { name: "own", namespace: PLACEHOLDER_TEAM } };
    };
    const withFinalizer = (o: Obj): Obj => ({
        ...o,
        metadata: { ...o.metadata, finalizers: ["finalizers.fluxcd.io"] },
    });

    test("Pulumi's managed-fields rewrite of the platform's source, still at the old URL, is admitted (e2e: it was refused, naming the old URL)", () => {
        const live = managedBy(platformSource(CHARTMUSEUM), "kubectl-annotate");
        const takenOver = managedBy(live, "pulumi-kubernetes-d8bd0460");
        assert.deepEqual(
            decideMoved(request(platform, "UPDATE", takenOver, { oldObject: live })).refusals,
            [],
        );
    });

    test("the source's new URL, under the moved prefix, is admitted", () => {
        const live = platformSource(CHARTMUSEUM);
        const applied = platformSource(MOVED);
        assert.deepEqual(decideMoved(request(platform, "UPDATE", applied, { oldObject: live })).refusals, []);
    });

    test("source-controller adding its finalizer to a source the moved prefix no longer covers is admitted", () => {
        const live = teamSource();
        const d = decideMoved(request(sourceController, "UPDATE", withFinalizer(live), { oldObject: live }));
        assert.deepEqual(d.refusals, []);
    });

    test("attack: after the move, the team re-points its old source at another team's charts: refused", () => {
        const live = teamSource();
        const stolen = { ...live, spec: { ...live.spec, url: `${MOVED}/${other.name}` } };
        const d = decideMoved(request(reconciler, "UPDATE", stolen, { oldObject: live }));
        assert.equal(d.admitted, false);
        assert.ok(
            d.refusals.some((m) => /chart sources must be the team's own/.test(m)),
            d.refusals.join(),
        );
    });

    test("attack: after the move, any other change of the old source's spec is judged and refused", () => {
        const live = teamSource();
        const touched = { ...live, spec: { ...live.spec, interval: "1m" } };
        const d = decideMoved(request(reconciler, "UPDATE", touched, { oldObject: live }));
        assert.ok(
            d.refusals.some((m) => /chart sources must be the team's own/.test(m)),
            d.refusals.join(),
        );
    });

    test("attack: after the move, a change of the old source's annotations is judged and refused", () => {
        const live = teamSource();
        const annotated = { ...live, metadata: { ...live.metadata, annotations: { a: "b" } } };
        const d = decideMoved(request(reconciler, "UPDATE", annotated, { oldObject: live }));
        assert.ok(
            d.refusals.some((m) => /chart sources must be the team's own/.test(m)),
            d.refusals.join(),
        );
    });

    // The team file's hosts switched: the same `up` moves the namespace's `hosts`; the team's routes stay.
    const NEW_HOST = "www.example.com";
    const rehosted = [namespaceOf({ ...team, hosts: [NEW_HOST] }), namespaceOf(other)];
    const decideRehosted = (r: AdmissionRequest) => decide(r, rehosted);

    test("a route left on the team's old host is relabelled after its hosts moved: admitted", () => {
        const live = route();
        const relabelled = { ...live, metadata: { ...live.metadata, labels: { note: "kept" } } };
        const d = decideRehosted(request(reconciler, "UPDATE", relabelled, { oldObject: live }));
        assert.deepEqual(d.refusals, []);
    });

    test("attack: after its hosts moved, a change of the old route's spec keeping the old host is refused, naming it", () => {
        const live = route();
        const touched = route((s) => (s.rules[0].backendRefs[0].port = 8081));
        const d = decideRehosted(request(reconciler, "UPDATE", touched, { oldObject: live }));
        assert.ok(
            d.refusals.some((m) => m.includes(`(${NEW_HOST}); refused: ${HOST}`)),
            d.refusals.join(),
        );
    });

    test("a route for the team's new host is admitted after its hosts moved", () => {
        const moved = route((s) => {
            s.hostnames = [NEW_HOST];
            s.parentRefs[0].sectionName = NEW_HOST;
        });
        assert.deepEqual(decideRehosted(request(reconciler, "CREATE", moved)).refusals, []);
    });

    test("a LoadBalancer Service's finalizer added after the team lost its load balancers is admitted", () => {
        const lb = service({ type: "LoadBalancer", ports: [{ port: 80 }] });
        const finalized = {
            ...lb,
            metadata: { ...lb.metadata, finalizers: ["service.kubernetes.io/load-balancer-cleanup"] },
        };
        const serviceController = controller("kube-system:service-controller", "services");
        assert.deepEqual(
            decide(request(serviceController, "UPDATE", finalized, { oldObject: lb })).refusals,
            [],
        );
    });

    test("attack: re-annotating a LoadBalancer Service after the team lost its load balancers is refused", () => {
        const lb = service({ type: "LoadBalancer", ports: [{ port: 80 }] });
        const annotated = {
            ...lb,
            metadata: {
                ...lb.metadata,
                annotations: { "service.beta.kubernetes.io/azure-pip-name": "another-teams-ip" },
            },
        };
        refused(request(member, "UPDATE", annotated, { oldObject: lb }), /LoadBalancer Services are refused/);
    });
});

describe("admission: bindings and settings", () => {
    test("the policies apply to tenant namespaces only", () => {
        const outside = {
            ...request(reconciler, "CREATE", service({ type: "ExternalName", externalName: "x" })),
            namespace: "chartmuseum",
            namespaceLabels: {},
        };
        assert.deepEqual(decide(outside).evaluated, []);
    });

    test("a tenant namespace without the team's settings refuses what needs them (fail closed)", () => {
        const d = decide(request(reconciler, "CREATE", kitObject("Service")), []);
        assert.equal(d.admitted, false);
        assert.match(d.refusals.join(), /expression failed/);
    });

    test("every policy refuses on an expression error rather than admitting", () => {
        for (const p of policies) assert.equal(p.spec.failurePolicy, "Fail", p.metadata.name);
        for (const b of bindings) assert.deepEqual(b.spec.validationActions, ["Deny"], b.metadata.name);
    });

    test("the policies, their bindings and the namespaces validate against the Kubernetes schemas", async () => {
        for (const o of [...policies, ...bindings, ...namespaces])
            await validateObject(structuredClone(o) as never);
    });
});

describe("admission: an update that changes neither spec nor annotations is not judged again", () => {
    /** The fields of the admitted object a CEL expression reads (not oldObject's, not namespaceObject's). */
    const objectFields = (cel: string) =>
        [...cel.matchAll(/(?<![\w.])object((?:\.\w+)+)/g)].map((m) => `object${m[1]}`);
    /** Whether a read field lies where the exemption compares old and new: the spec, the annotations, the kind. */
    const compared = (field: string) =>
        /^object\.(spec|kind|metadata\.annotations)(\.|$)/.test(field) || field === "object.metadata";

    test("the field matcher flags a read outside spec, kind and annotations", () => {
        const read = objectFields(
            "has(object.metadata.labels) && object.type == 'x' && oldObject.data == {}",
        );
        assert.deepEqual(
            read.filter((f) => !compared(f)),
            ["object.metadata.labels", "object.type"],
        );
    });

    test("every policy carrying the exemption judges only fields it compares, so an exempt update cannot change what a policy judges", () => {
        const outside = TENANT_POLICIES.map(admissionPolicy)
            .filter((p) => "matchConditions" in p.spec)
            .flatMap((p) =>
                [...p.spec.variables, ...p.spec.validations]
                    .flatMap((e) => [
                        e.expression,
                        "messageExpression" in e ? String(e.messageExpression) : "",
                    ])
                    .flatMap(objectFields)
                    .filter((f) => !compared(f))
                    .map((f) => `${p.metadata.name}: ${f}`),
            );
        assert.deepEqual(outside, []);
    });
});
