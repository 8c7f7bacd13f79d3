// Network isolation of a team's namespace, generated from the flows declared in config. Pure: the same
// config always gives the same policies, so the policy set is unit tested without a cluster.
import { assertNever } from "../../src/assertNever";
import { KUBE_SYSTEM_NAMESPACE } from "../../src/namespaces";
import type {
    LabelSelector,
    NetworkPolicyManifest,
    NetworkPolicyPeer,
    NetworkPolicyPort,
} from "../../src/network";
import { GATEWAY_NAME_POD_LABEL, GatewayRef } from "../../src/gateway";
import { FlowEndpoint, TenantConfig, flowEndpoint, flowKey } from "./config";
import type { EgressConfig } from "./egress";
import { forbiddenWithin } from "./egress";

/** The label every app's pods must carry; the policies select pods by it. */
export const APP_LABEL = "app.kubernetes.io/name";
/** Label Kubernetes puts on every namespace (1.21+): selects a namespace by its name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Labels of a helm app's `helm test` pod (the starter kit's `app.testLabels`): its own name, so the
 * app's Service never selects it, and the test component.
 */
export function helmTestLabels(app: string): Record<string, string> {
    return { [APP_LABEL]: `${app}-test`, "app.kubernetes.io/component": "test" };
}

/** A flow with both ends resolved to a team and an app. */
export interface ResolvedFlow {
    readonly from: FlowEndpoint;
    readonly to: FlowEndpoint;
    readonly port: number;
}

export interface NetworkPolicyInputs {
    /** The team whose namespace the policies are for. */
    readonly tenant: TenantConfig;
    /** Every team of the stack: flows other teams declare towards or from this one count too. */
    readonly tenants: readonly TenantConfig[];
    /** The platform's Gateway, whose data plane pods (only) may reach `web: true` apps. */
    readonly gateway: GatewayRef;
    /** During the move to the Gateway only: the old ingress controller's namespace, still let into web apps. */
    readonly legacyIngressNamespace?: string;
}

/**
 * Every flow of the stack that holds, with `app` resolved to `<declaring team>/app`, without
 * duplicates: a flow inside a team, or a flow across two teams that both declare it. A flow only
 * one side declares opens nothing: a team cannot open another team's namespace (nor make its pods
 * call out) on its own (config reading reports it).
 */
export function resolvedFlows(tenants: readonly TenantConfig[]): ResolvedFlow[] {
    const flows = new Map<string, { flow: ResolvedFlow; declaredBy: Set<string> }>();
    for (const t of tenants) {
        for (const f of t.flows) {
            const flow = { from: flowEndpoint(f.from, t.name), to: flowEndpoint(f.to, t.name), port: f.port };
            const entry = flows.get(flowKey(flow)) ?? { flow, declaredBy: new Set<string>() };
            entry.declaredBy.add(t.name);
            flows.set(flowKey(flow), entry);
        }
    }
    return [...flows.values()]
        .filter(({ flow, declaredBy }) => declaredBy.has(flow.from.team) && declaredBy.has(flow.to.team))
        .map(({ flow }) => flow);
}

const pods = (app: string): LabelSelector => ({ matchLabels: { [APP_LABEL]: app } });
const namespaceNamed = (name: string): LabelSelector => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: name } });
const tcp = (...ports: readonly number[]): NetworkPolicyPort[] =>
    ports.map((port) => ({ protocol: "TCP", port }));
type Spec = NetworkPolicyManifest["spec"];

/**
 * The NetworkPolicies of one team's namespace:
 * - `default-deny`: no ingress, no egress for any pod;
 * - `allow-dns`: egress to CoreDNS in kube-system on port 53 (UDP and TCP);
 * - `allow-gateway-to-<app>`: for each `web: true` app, ingress from the pods of the platform's Gateway
 *   (its namespace, its `gateway-name` label) on the app's port, and while `legacyIngressNamespace` is
 *   set, `allow-ingress-controller-to-<app>` from that namespace (the name it had before the move);
 * - for each flow that starts in this namespace, an egress rule on the caller's pods, and for each flow
 *   that ends here, an ingress rule on the callee's pods: `egress-<app>-to-<team>-<app>-<port>` and
 *   `ingress-<team>-<app>-to-<app>-<port>`. A flow across teams (declared by both teams) produces
 *   both, one in each namespace; nothing else crosses namespaces;
 * - helm teams: `helm-test-<app>` and `allow-helm-test-to-<app>`, the chart's `helm test` pod to its
 *   app on the app's port (the reconciler may not create NetworkPolicies, so the chart cannot);
 * - `egress-<i>-<cidr>`: each declared egress, TCP to the CIDR (minus the forbidden ranges inside it).
 */
export function networkPolicies({
    tenant,
    tenants,
    gateway,
    legacyIngressNamespace,
}: NetworkPolicyInputs): NetworkPolicyManifest[] {
    const policy = (name: string, spec: Spec): NetworkPolicyManifest => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: {
            name,
            namespace: tenant.name,
            labels: { "app.kubernetes.io/managed-by": "pulumi", "toolkit.fluxcd.io/tenant": tenant.name },
        },
        spec,
    });
    const specs: [string, Spec][] = [
        ["default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }],
        ["allow-dns", dnsSpec()],
        ...webSpecs(tenant, gateway, legacyIngressNamespace),
        ...flowSpecs(tenant.name, tenants),
        ...helmTestSpecs(tenant),
        ...tenant.egress.map((e, i): [string, Spec] => [
            `egress-${i}-${e.cidr.replace(/[./]/g, "-")}`,
            egressSpec(e),
        ]),
    ];
    return specs.map(([name, spec]) => policy(name, spec));
}

function dnsSpec(): Spec {
    return {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
            {
                to: [
                    {
                        namespaceSelector: namespaceNamed(KUBE_SYSTEM_NAMESPACE),
                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    },
                ],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ],
    };
}

/** Both sides of every declared flow that starts or ends in namespace `ns`. */
function flowSpecs(ns: string, tenants: readonly TenantConfig[]): [string, Spec][] {
    // Same namespace: a pod selector alone. Other namespace: namespace AND pod selector in one peer.
    const peer = (end: FlowEndpoint): NetworkPolicyPeer =>
        end.team === ns
            ? { podSelector: pods(end.app) }
            : { namespaceSelector: namespaceNamed(end.team), podSelector: pods(end.app) };
    const specs: [string, Spec][] = [];
    for (const flow of resolvedFlows(tenants)) {
        if (flow.from.team === ns) {
            specs.push([
                `egress-${flow.from.app}-to-${flow.to.team}-${flow.to.app}-${flow.port}`,
                {
                    podSelector: pods(flow.from.app),
                    policyTypes: ["Egress"],
                    egress: [{ to: [peer(flow.to)], ports: tcp(flow.port) }],
                },
            ]);
        }
        if (flow.to.team === ns) {
            specs.push([
                `ingress-${flow.from.team}-${flow.from.app}-to-${flow.to.app}-${flow.port}`,
                {
                    podSelector: pods(flow.to.app),
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [peer(flow.from)], ports: tcp(flow.port) }],
                },
            ]);
        }
    }
    return specs;
}

/** Helm teams: each chart's test pod may reach its own app, and nothing else of the namespace. */
function helmTestSpecs(t: TenantConfig): [string, Spec][] {
    switch (t.delivery) {
        case "helm":
            return t.apps.flatMap((app): [string, Spec][] => [
                [
                    `helm-test-${app.name}`,
                    {
                        podSelector: { matchLabels: helmTestLabels(app.name) },
                        policyTypes: ["Egress"],
                        egress: [{ to: [{ podSelector: pods(app.name) }], ports: tcp(app.port) }],
                    },
                ],
                [
                    `allow-helm-test-to-${app.name}`,
                    {
                        podSelector: pods(app.name),
                        policyTypes: ["Ingress"],
                        ingress: [
                            {
                                from: [{ podSelector: { matchLabels: helmTestLabels(app.name) } }],
                                ports: tcp(app.port),
                            },
                        ],
                    },
                ],
            ]);
        case "kustomize":
            return [];
        default:
            return assertNever(t, "delivery kind");
    }
}

/** One declared egress: TCP to the CIDR on its ports, from the listed apps' pods (or every pod). */
function egressSpec(e: EgressConfig): Spec {
    const except = forbiddenWithin(e.cidr);
    return {
        podSelector:
            e.apps.length === 0
                ? {}
                : { matchExpressions: [{ key: APP_LABEL, operator: "In", values: e.apps }] },
        policyTypes: ["Egress"],
        egress: [
            {
                to: [{ ipBlock: { cidr: e.cidr, ...(except.length > 0 ? { except } : {}) } }],
                ports: tcp(...e.ports),
            },
        ],
    };
}

/** Into each `web: true` app, on its port: the Gateway's pods, and during the move the old ingress namespace. */
function webSpecs(
    tenant: TenantConfig,
    gateway: GatewayRef,
    legacyIngressNamespace?: string,
): [string, Spec][] {
    return tenant.apps
        .filter((a) => a.web)
        .flatMap((app): [string, Spec][] => {
            const from = (peer: NetworkPolicyPeer): Spec => ({
                podSelector: pods(app.name),
                policyTypes: ["Ingress"],
                ingress: [{ from: [peer], ports: tcp(app.port) }],
            });
            const gatewayPods = {
                namespaceSelector: namespaceNamed(gateway.namespace),
                podSelector: { matchLabels: { [GATEWAY_NAME_POD_LABEL]: gateway.name } },
            };
            return [
                [`allow-gateway-to-${app.name}`, from(gatewayPods)],
                ...(legacyIngressNamespace
                    ? [
                          [
                              `allow-ingress-controller-to-${app.name}`,
                              from({ namespaceSelector: namespaceNamed(legacyIngressNamespace) }),
                          ] as [string, Spec],
                      ]
                    : []),
            ];
        });
}
