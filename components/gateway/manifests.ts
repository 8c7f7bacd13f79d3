// Pure builders of the platform's shared Gateway: what components/gateway/gateway.ts applies, testable
// without the Pulumi runtime.
import { APP_ROUTING_GATEWAY_CLASS, GATEWAY_TLS_SERVICE_ACCOUNT, GatewayRef } from "../../src/gateway";
import { PLATFORM_OWNED_LABEL } from "../../src/namespaces";

/** One host the Gateway serves, who may attach routes to it, and the certificate it terminates TLS with. */
export interface GatewayHost {
    /** DNS name; also the listener's name, which an HTTPRoute's `sectionName` names. */
    readonly host: string;
    /** The only namespace whose routes the listener admits (the team's, or ChartMuseum's). */
    readonly namespace: string;
    /** Key Vault certificate URI the add-on syncs for this listener; none: plain HTTP on port 80. */
    readonly certificate?: string;
}

/**
 * The listener TLS options of the application routing add-on's Key Vault integration: the certificate
 * to sync, and the ServiceAccount (in the Gateway's namespace, federated with an identity that reads
 * the vault) to sync it as.
 */
export const KEY_VAULT_CERTIFICATE_OPTION = "kubernetes.azure.com/tls-cert-keyvault-uri";
export const KEY_VAULT_SERVICE_ACCOUNT_OPTION = "kubernetes.azure.com/tls-cert-service-account";

/**
 * A team's hosts as listeners: each host terminated with the team's first declared certificate (one
 * certificate covering all its hosts), or plain HTTP when the team declares none.
 */
export function teamHosts(team: {
    readonly name: string;
    readonly hosts: readonly string[];
    readonly certificates: readonly string[];
}): GatewayHost[] {
    return team.hosts.map((host) => ({ host, namespace: team.name, certificate: team.certificates[0] }));
}

/**
 * The shared Gateway: one listener per host, named after it, admitting HTTPRoutes from that host's
 * namespace alone (`kubernetes.io/metadata.name` is set by the API server, so no one can label another
 * namespace into it). Teams may create no Gateway and no ReferenceGrant (`tenant-gateway-objects`).
 */
export function sharedGateway(gateway: GatewayRef, hosts: readonly GatewayHost[]) {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: {
            name: gateway.name,
            namespace: gateway.namespace,
            labels: { [PLATFORM_OWNED_LABEL.key]: PLATFORM_OWNED_LABEL.value },
        },
        spec: {
            gatewayClassName: APP_ROUTING_GATEWAY_CLASS,
            listeners: hosts.map(listener),
        },
    };
}

function listener({ host, namespace, certificate }: GatewayHost) {
    const allowedRoutes = {
        namespaces: {
            from: "Selector",
            selector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        },
        kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
    };
    if (!certificate) return { name: host, hostname: host, protocol: "HTTP", port: 80, allowedRoutes };
    return {
        name: host,
        hostname: host,
        protocol: "HTTPS",
        port: 443,
        tls: {
            mode: "Terminate",
            options: {
                [KEY_VAULT_CERTIFICATE_OPTION]: certificate,
                [KEY_VAULT_SERVICE_ACCOUNT_OPTION]: GATEWAY_TLS_SERVICE_ACCOUNT,
            },
        },
        allowedRoutes,
    };
}
