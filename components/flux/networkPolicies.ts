// Who may reach Flux's controllers, replacing the flux2 chart's own policies (which admit every
// namespace on the metrics port and on every port of notification-controller). Pure builders.
import type { NetworkPolicyManifest } from "../tenants/networkPolicies";
import { FLUX_NAMESPACE } from "../../src/namespaces";

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
 * The NetworkPolicies of flux-system, ingress only (the controllers' egress, to GitHub, the registry
 * and the chat webhook, stays open):
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
