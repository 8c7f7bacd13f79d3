// The cluster's address plan and the Azure addresses no team may reach, declared once: the platform
// builds the AKS network profile from it and the tenants' declared egress is checked against it.

/** Azure CNI overlay address ranges of the cluster (components/platform's network profile). */
export const CLUSTER_NETWORK = {
    /** Pod IPs (overlay): in-cluster traffic is declared as flows, never as egress CIDRs. */
    podCidr: "10.244.0.0/16",
    /** ClusterIP Services. */
    serviceCidr: "10.0.0.0/16",
    /** CoreDNS's ClusterIP, inside `serviceCidr`. */
    dnsServiceIP: "10.0.0.10",
    /** The AKS-managed virtual network the nodes sit in (AKS's default when no subnet is given). */
    nodeCidr: "10.224.0.0/12",
} as const;

/**
 * The node's own Azure endpoints, which Azure answers on every VM: a pod reaching them talks as the
 * node (its identity tokens, its provisioning data).
 */
export const NODE_AZURE_ENDPOINTS = [
    { cidr: "169.254.169.254/32", what: "the Azure Instance Metadata Service (the node's identity tokens)" },
    {
        cidr: "168.63.129.16/32",
        what: "the Azure WireServer (the node's provisioning data, TLS bootstrap tokens)",
    },
] as const;

/** Addresses a team pod must never reach, with why. */
export const FORBIDDEN_EGRESS: readonly { readonly cidr: string; readonly what: string }[] = [
    ...NODE_AZURE_ENDPOINTS,
    { cidr: CLUSTER_NETWORK.podCidr, what: "the cluster's pods (declare a flow instead)" },
    { cidr: CLUSTER_NETWORK.serviceCidr, what: "the cluster's Services (declare a flow instead)" },
    { cidr: CLUSTER_NETWORK.nodeCidr, what: "the cluster's nodes (kubelet and node ports)" },
];

export interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly {
        readonly key: string;
        readonly operator: "In";
        readonly values: readonly string[];
    }[];
}

export interface NetworkPolicyPeer {
    readonly namespaceSelector?: LabelSelector;
    readonly podSelector?: LabelSelector;
    /** Addresses outside the cluster; `except` carves out what no team may reach. */
    readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
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
