// Who may reach Flux's controllers, replacing the flux2 chart's own policies (which admit every
// namespace on the metrics port and on every port of notification-controller). Pure builders.
import type { NetworkPolicyManifest } from "../../src/network";
import { FLUX_NAMESPACE } from "../../src/namespaces";
import { NODE_AZURE_ENDPOINTS } from "../../src/network";

/** The controllers the platform runs, by their pods' `app` label (the chart's selector). */
export const FLUX_CONTROLLERS = {
    source: "source-controller",
    kustomize: "kustomize-controller",
    helm: "helm-controller",
    notification: "notification-controller",
} as const;

/** Container ports of the controllers (upstream manifests): `http` serves artifacts and receives events. */
export const FLUX_PORTS = { http: 9090, webhookReceiver: 9292, metrics: 8080, healthz: 9440 } as const;

const CONTROLLER_LABEL = "app";

const controllers = (...names: readonly string[]) => ({
    matchExpressions: [{ key: CONTROLLER_LABEL, operator: "In" as const, values: [...names] }],
});

/**
 * The NetworkPolicies of flux-system:
 * - `deny-node-identity-egress`: no controller reaches the node's Azure endpoints (IMDS, WireServer),
 *   so an object that names a cloud provider and no identity can never be served the kubelet's
 *   identity, which reads the whole registry. No controller needs them: source-controller reads OCI
 *   charts as each team's chart reader (object-level workload identity: a service account token
 *   exchanged with Azure AD over the internet, never IMDS), and none of the others authenticates to
 *   Azure. Everything else (GitHub, the registry, Azure AD, the API server, DNS, the chat webhook)
 *   stays open;
 * - and for ingress:
 * - `default-deny-ingress`: nothing reaches any pod of flux-system...
 * - `allow-artifacts`: ...but kustomize- and helm-controller fetching artifacts from source-controller;
 * - `allow-events`: ...and source-, kustomize- and helm-controller posting events to
 *   notification-controller (a tenant posting forged events is refused).
 * Closed on purpose: the webhook receiver (no Receiver is declared: Flux polls), metrics (no
 * in-cluster Prometheus scrapes them; Container Insights reads logs and events) and every port from
 * any other namespace. The kubelet's probes come from the node, which network policies do not block.
 */
export function fluxNetworkPolicies(namespace: string = FLUX_NAMESPACE): NetworkPolicyManifest[] {
    const metadata = (name: string) => ({
        name,
        namespace,
        labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "flux" },
    });
    const tcp = (port: number) => [{ protocol: "TCP" as const, port }];
    const { source, kustomize, helm, notification } = FLUX_CONTROLLERS;
    return [
        denyNodeIdentityEgress(metadata("deny-node-identity-egress")),
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("default-deny-ingress"),
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("allow-artifacts"),
            spec: {
                podSelector: { matchLabels: { [CONTROLLER_LABEL]: source } },
                policyTypes: ["Ingress"],
                ingress: [
                    { from: [{ podSelector: controllers(kustomize, helm) }], ports: tcp(FLUX_PORTS.http) },
                ],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("allow-events"),
            spec: {
                podSelector: { matchLabels: { [CONTROLLER_LABEL]: notification } },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [{ podSelector: controllers(source, kustomize, helm) }],
                        ports: tcp(FLUX_PORTS.http),
                    },
                ],
            },
        },
    ];
}

/** Egress anywhere but the node's Azure endpoints, for every pod of flux-system. */
function denyNodeIdentityEgress(metadata: NetworkPolicyManifest["metadata"]): NetworkPolicyManifest {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata,
        spec: {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        {
                            ipBlock: {
                                cidr: "0.0.0.0/0",
                                except: NODE_AZURE_ENDPOINTS.map((e) => e.cidr),
                            },
                        },
                        // Pods by selector too: Cilium's CIDR rules never match cluster endpoints
                        // (pods, nodes). AKS's API server runs outside the cluster, so 0.0.0.0/0
                        // covers it; an in-cluster one would need Cilium's policyCIDRMatchMode: nodes.
                        { namespaceSelector: {} },
                    ],
                    ports: [], // every port
                },
            ],
        },
    };
}
