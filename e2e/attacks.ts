// What a team tries against the real API server, as its members and as its reconciler: each attack of
// the README's "What a team can and cannot do" that a cluster can show, and what a team does every
// day. Every request is a server-side dry run: authorization and admission decide as for a real
// write, and nothing is stored.
import { assertNever } from "../src/assertNever";
import { REGISTRY } from "./platform";

/** Who asks: a person of the team's group, or the ServiceAccount Flux applies the team's objects as. */
export type Principal = { readonly kind: "member" | "reconciler"; readonly team: string };

/**
 * Who refuses: RBAC (`forbidden`), a ValidatingAdmissionPolicy by name, Pod Security, or anything
 * that refuses (where the mechanism is the product's choice to make); or `admitted`.
 */
export type Verdict =
    | { readonly by: "rbac" }
    | { readonly by: "policy"; readonly name: string }
    | { readonly by: "pod-security" }
    | { readonly by: "any" }
    | { readonly by: "admitted" };

export interface Attempt {
    readonly name: string;
    readonly as: Principal;
    /** kubectl arguments; `-f -` reads `manifest`. `--dry-run=server` is added. */
    readonly args: string[];
    readonly manifest?: object;
    readonly verdict: Verdict;
}

export const TEAM = "shop";
export const OTHER = "blog";

/** kubectl's impersonation flags for a principal. */
export function impersonation(p: Principal): string[] {
    return p.kind === "member"
        ? [`--as=alice@${p.team}`, `--as-group=gitops:team:${p.team}`]
        : [`--as=system:serviceaccount:${p.team}:flux-reconciler`];
}

const member = { kind: "member", team: TEAM } as const;
const reconciler = { kind: "reconciler", team: TEAM } as const;
const otherReconciler = { kind: "reconciler", team: OTHER } as const;

/** A pod template Pod Security `restricted` admits. */
function podSpec(image: string, extra: object = {}) {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
            {
                name: "app",
                image,
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
        ],
        ...extra,
    };
}

export function deployment(namespace: string, name: string, image: string, extra: object = {}) {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace },
        spec: {
            replicas: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: {
                metadata: { labels: { "app.kubernetes.io/name": name } },
                spec: podSpec(image, extra),
            },
        },
    };
}

/** An Ingress in the team's namespace routing `host` to its web Service. */
function ingress(name: string, host: string) {
    const backend = { service: { name: "web", port: { number: 8080 } } };
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name, namespace: TEAM },
        spec: { rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend }] } }] },
    };
}

/** The shared Gateway's place, as the cluster stack's config names it (clusterGatewayNamespace, `shared`). */
const GATEWAY = { namespace: "platform-gateway", name: "shared" };
export const OWN_HOST = "web.shop.staging.example.test";

/** An HTTPRoute of the team's on its own host and listener to its own Service, then `change`d. */
export function route(name: string, change: (spec: Record<string, any>) => void = () => {}) {
    const spec: Record<string, any> = {
        parentRefs: [{ ...GATEWAY, sectionName: OWN_HOST }],
        hostnames: [OWN_HOST],
        rules: [{ backendRefs: [{ name: "web", port: 8080 }] }],
    };
    change(spec);
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name, namespace: TEAM },
        spec,
    };
}

/** A Gateway API object of another kind in the team's namespace. */
function gatewayObject(kind: string, spec: object) {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind,
        metadata: { name: "mine", namespace: TEAM },
        spec,
    };
}

/** A Gateway of the team's own, taking every host on port 80. */
const OWN_GATEWAY = gatewayObject("Gateway", {
    gatewayClassName: "approuting-istio",
    listeners: [{ name: "http", protocol: "HTTP", port: 80 }],
});

const ownImage = `${REGISTRY}/${TEAM}/api:0.1.0`;
const create = ["create", "-f", "-", "-o", "name"];

/** Every attempt, against the chart repository at `charts` (a team's repository is <charts>/<team>). */
export function attempts(charts: string): readonly Attempt[] {
    return [
        // --- refused
        {
            name: "a member reads another team's Secrets",
            as: member,
            args: ["get", "secrets", "-n", OTHER],
            verdict: { by: "rbac" },
        },
        {
            name: "a member binds cluster-admin in its own namespace",
            as: member,
            args: create,
            manifest: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata: { name: "mine", namespace: TEAM },
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: "cluster-admin",
                },
                subjects: [{ kind: "User", name: `alice@${TEAM}` }],
            },
            verdict: { by: "rbac" },
        },
        {
            name: "a member relabels its own namespace to Pod Security privileged",
            as: member,
            args: [
                "label",
                "namespace",
                TEAM,
                "pod-security.kubernetes.io/enforce=privileged",
                "--overwrite",
            ],
            verdict: { by: "rbac" },
        },
        {
            name: "a member deletes its namespace's default-deny NetworkPolicy",
            as: member,
            args: ["delete", "networkpolicy", "default-deny", "-n", TEAM],
            verdict: { by: "policy", name: "tenant-platform-objects" },
        },
        {
            name: "a member raises its own ResourceQuota",
            as: member,
            args: [
                "patch",
                "resourcequota",
                "team-quota",
                "-n",
                TEAM,
                "--type=merge",
                "-p",
                '{"spec":{"hard":{"requests.cpu":"64"}}}',
            ],
            verdict: { by: "rbac" },
        },
        {
            name: "a member runs an image from another registry",
            as: member,
            args: create,
            manifest: deployment(TEAM, "miner", "docker.io/evil/miner:latest"),
            verdict: { by: "policy", name: "tenant-workloads" },
        },
        {
            name: "a member runs another team's image from the platform's registry",
            as: member,
            args: create,
            manifest: deployment(TEAM, "borrowed", `${REGISTRY}/${OTHER}/app:1.0.0`),
            verdict: { by: "policy", name: "tenant-workloads" },
        },
        {
            name: "a member runs a pod as the reconciler to carry its token",
            as: member,
            args: create,
            manifest: deployment(TEAM, "carrier", ownImage, { serviceAccountName: "flux-reconciler" }),
            verdict: { by: "policy", name: "tenant-workloads" },
        },
        {
            name: "a member creates an ExternalName Service",
            as: member,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "alias", namespace: TEAM },
                spec: { type: "ExternalName", externalName: "chartmuseum.chartmuseum.svc.cluster.local" },
            },
            verdict: { by: "policy", name: "tenant-services" },
        },
        {
            name: "a member creates a NodePort Service",
            as: member,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "open", namespace: TEAM },
                spec: { type: "NodePort", selector: { app: "x" }, ports: [{ port: 80 }] },
            },
            verdict: { by: "policy", name: "tenant-services" },
        },
        {
            name: "a member creates an Ingress for another team's host",
            as: member,
            args: create,
            manifest: ingress("steal", "app.blog.staging.example.test"),
            verdict: { by: "policy", name: "tenant-ingresses" },
        },
        {
            name: "the reconciler routes another team's host",
            as: reconciler,
            args: create,
            manifest: route("steal", (s) => (s.hostnames = ["app.blog.staging.example.test"])),
            verdict: { by: "policy", name: "tenant-routes" },
        },
        {
            name: "the reconciler routes to another namespace's Service",
            as: reconciler,
            args: create,
            manifest: route("cross", (s) => (s.rules[0].backendRefs[0].namespace = OTHER)),
            verdict: { by: "policy", name: "tenant-routes" },
        },
        {
            name: "the reconciler attaches a route to another team's listener",
            as: reconciler,
            args: create,
            manifest: route(
                "listener",
                (s) => (s.parentRefs[0].sectionName = "app.blog.staging.example.test"),
            ),
            verdict: { by: "policy", name: "tenant-routes" },
        },
        {
            name: "the reconciler attaches a route to the platform's listener",
            as: reconciler,
            args: create,
            manifest: route("charts", (s) => (s.parentRefs[0].sectionName = "charts.staging.example.test")),
            verdict: { by: "policy", name: "tenant-routes" },
        },
        {
            name: "the reconciler creates a ReferenceGrant",
            as: reconciler,
            args: create,
            manifest: gatewayObject("ReferenceGrant", {
                from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: OTHER }],
                to: [{ group: "", kind: "Service" }],
            }),
            verdict: { by: "rbac" },
        },
        ...(
            [
                ["the reconciler creates a Gateway", reconciler],
                ["a member creates a Gateway", member],
            ] as const
        ).map(([name, as]) => ({
            name,
            as,
            args: create,
            manifest: OWN_GATEWAY,
            verdict: { by: "rbac" } as const,
        })),
        {
            name: "a member labels an object as the platform's",
            as: member,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: {
                    name: "fake",
                    namespace: TEAM,
                    labels: { "app.kubernetes.io/managed-by": "pulumi" },
                },
                data: {},
            },
            verdict: { by: "policy", name: "tenant-platform-objects" },
        },
        {
            name: "a member creates a long-lived token Secret for the reconciler",
            as: member,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: {
                    name: "token",
                    namespace: TEAM,
                    annotations: { "kubernetes.io/service-account.name": "flux-reconciler" },
                },
                type: "kubernetes.io/service-account-token",
            },
            verdict: { by: "any" },
        },
        {
            name: "the reconciler writes a Secret into another team's namespace",
            as: reconciler,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "x", namespace: OTHER },
                stringData: { a: "b" },
            },
            verdict: { by: "rbac" },
        },
        {
            name: "the reconciler creates a RoleBinding",
            as: reconciler,
            args: create,
            manifest: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata: { name: "mine", namespace: TEAM },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
                subjects: [{ kind: "ServiceAccount", name: "flux-reconciler", namespace: TEAM }],
            },
            verdict: { by: "rbac" },
        },
        {
            name: "the reconciler runs a DaemonSet",
            as: reconciler,
            args: create,
            manifest: {
                apiVersion: "apps/v1",
                kind: "DaemonSet",
                metadata: { name: "everywhere", namespace: TEAM },
                spec: {
                    selector: { matchLabels: { a: "b" } },
                    template: { metadata: { labels: { a: "b" } }, spec: podSpec(ownImage) },
                },
            },
            verdict: { by: "rbac" },
        },
        {
            name: "the reconciler points a HelmRepository at another team's charts",
            as: reconciler,
            args: create,
            manifest: {
                apiVersion: "source.toolkit.fluxcd.io/v1",
                kind: "HelmRepository",
                metadata: { name: "borrowed", namespace: TEAM },
                spec: { interval: "10m", url: `${charts}/${OTHER}` },
            },
            verdict: { by: "policy", name: "tenant-chart-sources" },
        },
        {
            name: "the reconciler runs a privileged pod",
            as: reconciler,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "root", namespace: TEAM },
                spec: { containers: [{ name: "x", image: ownImage, securityContext: { privileged: true } }] },
            },
            verdict: { by: "pod-security" },
        },
        // --- admitted: what a team does every day
        {
            name: "the reconciler deploys the team's own image",
            as: reconciler,
            args: create,
            manifest: deployment(TEAM, "worker", ownImage),
            verdict: { by: "admitted" },
        },
        {
            name: "a member runs a Job of the team's own image",
            as: member,
            args: create,
            manifest: {
                apiVersion: "batch/v1",
                kind: "Job",
                metadata: { name: "migrate", namespace: TEAM },
                spec: { template: { spec: { ...podSpec(ownImage), restartPolicy: "Never" } } },
            },
            verdict: { by: "admitted" },
        },
        {
            name: "a member writes a ConfigMap",
            as: member,
            args: create,
            manifest: {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "settings", namespace: TEAM },
                data: { a: "b" },
            },
            verdict: { by: "admitted" },
        },
        {
            name: "a member creates an Ingress for its own host",
            as: member,
            args: create,
            manifest: ingress("web", "web.shop.staging.example.test"),
            verdict: { by: "policy", name: "tenant-ingresses" },
        },
        {
            name: "the reconciler routes the team's own host",
            as: reconciler,
            args: create,
            manifest: route("web"),
            verdict: { by: "admitted" },
        },
        {
            name: "a Kustomize team's reconciler writes its own HelmRepository",
            as: otherReconciler,
            args: create,
            manifest: {
                apiVersion: "source.toolkit.fluxcd.io/v1",
                kind: "HelmRepository",
                metadata: { name: "own", namespace: OTHER },
                spec: { interval: "10m", url: `${charts}/${OTHER}` },
            },
            verdict: { by: "admitted" },
        },
    ];
}

/** Why an outcome does not match the verdict, or undefined when it does. */
export function mismatch(verdict: Verdict, outcome: { ok: boolean; message: string }): string | undefined {
    const { ok, message } = outcome;
    switch (verdict.by) {
        case "admitted":
            return ok ? undefined : `expected it admitted; refused: ${message}`;
        case "any":
            return ok ? "expected a refusal; it was admitted" : undefined;
        case "rbac":
            if (ok) return "expected RBAC to refuse it; it was admitted";
            return /forbidden: User ".*" cannot/.test(message)
                ? undefined
                : `expected an RBAC refusal, got: ${message}`;
        case "policy":
            if (ok) return `expected ValidatingAdmissionPolicy ${verdict.name} to refuse it; it was admitted`;
            return message.includes(`ValidatingAdmissionPolicy '${verdict.name}'`)
                ? undefined
                : `expected ValidatingAdmissionPolicy '${verdict.name}' to refuse it, got: ${message}`;
        case "pod-security":
            if (ok) return "expected Pod Security to refuse it; it was admitted";
            return /violates PodSecurity/.test(message)
                ? undefined
                : `expected a Pod Security refusal, got: ${message}`;
        default:
            return assertNever(verdict, "verdict");
    }
}
