// Network isolation of a team's namespace, generated from the flows declared in config. Pure: the same
// config always gives the same policies, so the policy set is unit tested without a cluster.
import { KUBE_SYSTEM_NAMESPACE } from "../../src/namespaces";
import { FlowEndpoint, TenantConfig, flowEndpoint } from "./config";

/** The label every app's pods must carry; the policies select pods by it. */
export const APP_LABEL = "app.kubernetes.io/name";
/** Label Kubernetes puts on every namespace (1.21+): selects a namespace by its name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
}

export interface NetworkPolicyPeer {
    readonly namespaceSelector?: LabelSelector;
    readonly podSelector?: LabelSelector;
}

export interface NetworkPolicyPort {
    readonly protocol: "TCP" | "UDP";
    readonly port: number;
}

/** A networking.k8s.io/v1 NetworkPolicy, ready to apply. */
export interface NetworkPolicyManifest {
    readonly apiVersion: "networking.k8s.io/v1";
    readonly kind: "NetworkPolicy";
    readonly metadata: {
        readonly name: string;
        readonly namespace: string;
        readonly labels: Readonly<Record<string, string>>;
    };
    readonly spec: {
        readonly podSelector: LabelSelector;
        readonly policyTypes: readonly ("Ingress" | "Egress")[];
        readonly ingress?: readonly {
            readonly from: readonly NetworkPolicyPeer[];
            readonly ports: readonly NetworkPolicyPort[];
        }[];
        readonly egress?: readonly {
            readonly to: readonly NetworkPolicyPeer[];
            readonly ports: readonly NetworkPolicyPort[];
        }[];
    };
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
    /** Namespace of the ingress controller allowed to reach `web: true` apps (`app-routing-system`). */
    readonly ingressNamespace: string;
}

/** Every declared flow of the stack, with `app` resolved to `<declaring team>/app`, without duplicates. */
export function resolvedFlows(tenants: readonly TenantConfig[]): ResolvedFlow[] {
    const flows = new Map<string, ResolvedFlow>();
    for (const t of tenants) {
        for (const f of t.flows) {
            const flow = { from: flowEndpoint(f.from, t.name), to: flowEndpoint(f.to, t.name), port: f.port };
            flows.set(`${flow.from.team}/${flow.from.app}>${flow.to.team}/${flow.to.app}:${flow.port}`, flow);
        }
    }
    return [...flows.values()];
}

/**
 * The NetworkPolicies of one team's namespace:
 * - `default-deny`: no ingress, no egress for any pod;
 * - `allow-dns`: egress to CoreDNS in kube-system on port 53 (UDP and TCP);
 * - `allow-ingress-controller-to-<app>`: for each `web: true` app, ingress from the ingress controller's
 *   namespace on the app's port;
 * - for each flow that starts in this namespace, an egress rule on the caller's pods, and for each flow
 *   that ends here, an ingress rule on the callee's pods: `egress-<app>-to-<team>-<app>-<port>` and
 *   `ingress-<team>-<app>-to-<app>-<port>`. A flow across teams (declared by either team) produces
 *   both, one in each namespace; nothing else crosses namespaces.
 */
export function networkPolicies({
    tenant,
    tenants,
    ingressNamespace,
}: NetworkPolicyInputs): NetworkPolicyManifest[] {
    const ns = tenant.name;
    const policy = (name: string, spec: NetworkPolicyManifest["spec"]): NetworkPolicyManifest => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: {
            name,
            namespace: ns,
            labels: { "app.kubernetes.io/managed-by": "pulumi", "toolkit.fluxcd.io/tenant": ns },
        },
        spec,
    });
    const pods = (app: string): LabelSelector => ({ matchLabels: { [APP_LABEL]: app } });
    const namespace = (name: string): LabelSelector => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: name } });
    // Same namespace: a pod selector alone. Other namespace: namespace AND pod selector in one peer.
    const peer = (end: FlowEndpoint): NetworkPolicyPeer =>
        end.team === ns
            ? { podSelector: pods(end.app) }
            : { namespaceSelector: namespace(end.team), podSelector: pods(end.app) };
    const tcp = (port: number): NetworkPolicyPort[] => [{ protocol: "TCP", port }];

    const result: NetworkPolicyManifest[] = [
        policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
        policy("allow-dns", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        {
                            namespaceSelector: namespace(KUBE_SYSTEM_NAMESPACE),
                            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                        },
                    ],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        }),
    ];
    for (const app of tenant.apps.filter((a) => a.web)) {
        result.push(
            policy(`allow-ingress-controller-to-${app.name}`, {
                podSelector: pods(app.name),
                policyTypes: ["Ingress"],
                ingress: [
                    { from: [{ namespaceSelector: namespace(ingressNamespace) }], ports: tcp(app.port) },
                ],
            }),
        );
    }
    for (const flow of resolvedFlows(tenants)) {
        if (flow.from.team === ns) {
            result.push(
                policy(`egress-${flow.from.app}-to-${flow.to.team}-${flow.to.app}-${flow.port}`, {
                    podSelector: pods(flow.from.app),
                    policyTypes: ["Egress"],
                    egress: [{ to: [peer(flow.to)], ports: tcp(flow.port) }],
                }),
            );
        }
        if (flow.to.team === ns) {
            result.push(
                policy(`ingress-${flow.from.team}-${flow.from.app}-to-${flow.to.app}-${flow.port}`, {
                    podSelector: pods(flow.to.app),
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [peer(flow.from)], ports: tcp(flow.port) }],
                }),
            );
        }
    }
    return result;
}
