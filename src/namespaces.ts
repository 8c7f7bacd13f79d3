// Every namespace the platform names, declared once. A team may take none of them.

/** Flux's controllers and the cluster's sync objects. */
export const FLUX_NAMESPACE = "flux-system";
/** The AKS application routing add-on's operator. */
export const APP_ROUTING_NAMESPACE = "app-routing-system";
/** The platform's shared Gateway and the data plane the add-on runs for it. */
export const GATEWAY_NAMESPACE = "platform-gateway";
/** ChartMuseum, in `chartRepository: chartmuseum` mode. */
export const CHARTMUSEUM_NAMESPACE = "chartmuseum";
/** The Azure Policy add-on's Gatekeeper. */
export const GATEKEEPER_NAMESPACE = "gatekeeper-system";
/** CoreDNS and the other cluster add-ons. */
export const KUBE_SYSTEM_NAMESPACE = "kube-system";
/** Namespaces every Kubernetes cluster has. */
export const KUBERNETES_NAMESPACES = [
    "default",
    KUBE_SYSTEM_NAMESPACE,
    "kube-public",
    "kube-node-lease",
] as const;

/** Namespaces a tenant may never take: Kubernetes' own and the platform's. */
export const RESERVED_NAMESPACES = [
    ...KUBERNETES_NAMESPACES,
    FLUX_NAMESPACE,
    APP_ROUTING_NAMESPACE,
    GATEWAY_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    CHARTMUSEUM_NAMESPACE,
] as const;

/** The label the platform puts on what it owns (in a tenant namespace, and its shared Gateway); admission keeps teams off it. */
export const PLATFORM_OWNED_LABEL = { key: "app.kubernetes.io/managed-by", value: "pulumi" } as const;
