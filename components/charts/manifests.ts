// Pure builders of ChartMuseum's manifests and Helm values: what components/chartMuseum.ts installs,
// testable without the Pulumi runtime.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertNever } from "../../src/assertNever";
import type { ChartMuseumConfig, ChartMuseumExposureConfig } from "./config";
import { CHARTMUSEUM_BEARER_AUTH } from "./pushTokens";

/** Namespace ChartMuseum runs in (reserved: no tenant may take it). */
/** The official chart repository of ChartMuseum. */
export const CHARTMUSEUM_CHART_REPO = "https://chartmuseum.github.io/charts";
/** Helm release name; with `fullnameOverride` it is also the Service's and Deployment's name. */
export const CHARTMUSEUM_RELEASE = "chartmuseum";
/** Port of the ChartMuseum container and its Service. */
export const CHARTMUSEUM_PORT = 8080;
/**
 * ChartMuseum's multitenancy depth: one level, a repository per team (`/<team>/index.yaml`,
 * `/<team>/charts/...`, uploads to `/api/<team>/charts`).
 */
export const CHARTMUSEUM_DEPTH = 1;
/** Blob container holding the charts and ChartMuseum's index cache. */
export const CHARTMUSEUM_CONTAINER = "charts";
/** Ingress class of the AKS application routing add-on's managed NGINX. */
export const APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com";
/** Largest chart package NGINX lets through to `/api/charts` (its default, 1m, is too small). */
export const MAX_CHART_UPLOAD = "20m";
/** A team's upload endpoint (`POST /api/<team>/charts`, DEPTH 1): routed by the team's Ingress only. */
export function chartMuseumPushPath(team: string): string {
    return `/api/${team}/charts`;
}

/** A team's chart archives (`GET /<team>/charts/<chart>-<version>.tgz`, what promotion copies). */
export function chartMuseumArchivesPath(team: string): string {
    return `/${team}/charts`;
}

/** Labels the chart puts on ChartMuseum's pods (`chartmuseum.selectorLabels`). */
export const CHARTMUSEUM_POD_LABELS = {
    "app.kubernetes.io/name": "chartmuseum",
    "app.kubernetes.io/instance": CHARTMUSEUM_RELEASE,
} as const;

/** The URL CI pushes to: the ingress host (https with a Key Vault certificate) or the load balancer's DNS name. */
export function pushUrl(exposure: ChartMuseumExposureConfig, dnsLabel: string, location: string): string {
    switch (exposure.kind) {
        case "ingress":
            return `https://${exposure.host}`;
        case "loadbalancer":
            return `http://${dnsLabel}.${location}.cloudapp.azure.com:${CHARTMUSEUM_PORT}`;
        default:
            return assertNever(exposure, "ChartMuseum exposure");
    }
}

interface ValuesInput {
    readonly config: ChartMuseumConfig;
    readonly containerName: pulumi.Input<string>;
    readonly credentialsSecretName: pulumi.Input<string>;
    /** Name of the Secret holding the push tokens' public key (`CHARTMUSEUM_BEARER_AUTH.publicKeyFile`). */
    readonly publicKeySecretName: pulumi.Input<string>;
    /** sha256 of that public key: a new key rolls the pod, which reads the key at start only. */
    readonly publicKeyChecksum: pulumi.Input<string>;
    readonly dnsLabel: string;
}

/** The pod settings Pod Security `restricted` asks for, as the ChartMuseum chart lets us set them. */
const RESTRICTED_POD = {
    serviceAccount: { create: true, automountServiceAccountToken: false },
    // What the chart lets us set of Pod Security `restricted`: pod-level non-root and fsGroup, the
    // rest (seccomp, capabilities, escalation, read-only root) on the container.
    securityContext: { enabled: true, fsGroup: 1000, runAsNonRoot: true },
    containerSecurityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    },
    resources: {
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { memory: "256Mi" },
    },
} as const;

/**
 * Values of the official chart. No credential appears here: the pod reads the storage key from the
 * Secret through `env.existingSecret`. Every push is checked by ChartMuseum itself (`BEARER_AUTH`): a
 * team's token, signed by the platform's key (components/charts/pushTokens.ts), grants `push` on the
 * team's repository alone, whatever path (Ingress, load balancer, another pod) the request came by.
 * Delete is off for everyone.
 *
 * Reads (index, chart archives) are anonymous (`AUTH_ANONYMOUS_GET`: the `pull` action needs no
 * token), so Flux's HelmRepositories need no Secret in the team namespaces. Who may read is decided
 * by the network: the NetworkPolicy admits Flux's source-controller and the exposure path only, and
 * the `ingress` exposure routes the push endpoint and the team's archives alone. With `loadbalancer`
 * the whole Service is reachable from `allowedCidrs`, so those ranges can also read the index and charts.
 */
export function chartMuseumValues(input: ValuesInput): Record<string, pulumi.Input<unknown>> {
    const { config } = input;
    const loadBalancer = config.exposure.kind === "loadbalancer";
    return {
        fullnameOverride: CHARTMUSEUM_RELEASE,
        replicaCount: 1,
        env: {
            open: {
                STORAGE: "microsoft",
                STORAGE_MICROSOFT_CONTAINER: input.containerName,
                DISABLE_API: false,
                BEARER_AUTH: true,
                AUTH_REALM: CHARTMUSEUM_BEARER_AUTH.realm,
                AUTH_SERVICE: CHARTMUSEUM_BEARER_AUTH.service,
                AUTH_ANONYMOUS_GET: true,
                // A published version is immutable: a rebuilt chart needs a new version.
                ALLOW_OVERWRITE: false,
                // Nobody deletes a published chart through the API (no team, and no in-cluster caller).
                DISABLE_DELETE: true,
                DEPTH: CHARTMUSEUM_DEPTH,
                LOG_JSON: true,
                DISABLE_STATEFILES: false,
            },
            existingSecret: input.credentialsSecretName,
            existingSecretMappings: {
                AZURE_STORAGE_ACCOUNT: "AZURE_STORAGE_ACCOUNT",
                AZURE_STORAGE_ACCESS_KEY: "AZURE_STORAGE_ACCESS_KEY",
            },
        },
        // The chart mounts this Secret at /var/keys and points AUTH_CERT_PATH at its public-key.pem.
        bearerAuth: { secret: { enabled: true, publicKeySecret: input.publicKeySecretName } },
        podAnnotations: { "checksum/push-public-key": input.publicKeyChecksum },
        service: {
            type: loadBalancer ? "LoadBalancer" : "ClusterIP",
            externalPort: CHARTMUSEUM_PORT,
            // Keeps the client IP, so the network policy's ipBlocks see the CI agent's address.
            externalTrafficPolicy: "Local",
            loadBalancerSourceRanges: loadBalancer ? [...config.exposure.allowedCidrs] : [],
            annotations: loadBalancer
                ? { "service.beta.kubernetes.io/azure-dns-label-name": input.dnsLabel }
                : {},
        },
        ...RESTRICTED_POD,
        persistence: { enabled: false },
        ingress: { enabled: false },
    };
}

/**
 * One team's Ingress on the app routing add-on's NGINX (`exposure: ingress`), routing only its
 * upload endpoint `/api/<team>/charts` (Exact: ChartMuseum also
 * answers GETs under `/api/<team>/charts/<name>/...`, and CI only POSTs there) and its own archives
 * `/<team>/charts` (what promotion downloads). Who may push is ChartMuseum's own check (each team's
 * token, `BEARER_AUTH`), not this Ingress's. Nothing else of ChartMuseum (the other teams' repositories, the rest of the API) is routed.
 */
export function chartMuseumTeamIngress(
    namespace: pulumi.Input<string>,
    exposure: Extract<ChartMuseumExposureConfig, { kind: "ingress" }>,
    team: string,
): k8s.types.input.networking.v1.Ingress {
    const host = exposure.host;
    const name = `${CHARTMUSEUM_RELEASE}-${team}`;
    const annotations: Record<string, string> = {
        "nginx.ingress.kubernetes.io/proxy-body-size": MAX_CHART_UPLOAD,
        "kubernetes.azure.com/tls-cert-keyvault-uri": exposure.tlsCertificateUri,
    };
    if (exposure.allowedCidrs.length > 0) {
        annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] = exposure.allowedCidrs.join(",");
    }
    const backend = { service: { name: CHARTMUSEUM_RELEASE, port: { number: CHARTMUSEUM_PORT } } };
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name, namespace, annotations },
        spec: {
            ingressClassName: APP_ROUTING_INGRESS_CLASS,
            // The add-on syncs the Key Vault certificate into `keyvault-<ingress name>`.
            tls: [{ hosts: [host], secretName: `keyvault-${name}` }],
            rules: [
                {
                    host,
                    http: {
                        paths: [
                            { path: chartMuseumPushPath(team), pathType: "Exact", backend },
                            { path: chartMuseumArchivesPath(team), pathType: "Prefix", backend },
                        ],
                    },
                },
            ],
        },
    };
}

/** The Secret ChartMuseum reads the push tokens' public key from (PKIX PEM; nothing secret in it). */
export function chartMuseumPublicKeySecret(
    namespace: pulumi.Input<string>,
    publicKeyPem: pulumi.Input<string>,
): k8s.types.input.core.v1.Secret {
    return {
        metadata: { name: CHARTMUSEUM_BEARER_AUTH.publicKeySecret, namespace },
        type: "Opaque",
        stringData: { [CHARTMUSEUM_BEARER_AUTH.publicKeyFile]: publicKeyPem },
    };
}

/**
 * Labels of the app routing add-on's NGINX pods (aks-app-routing-operator `pkg/manifests/nginx.go`:
 * its top-level labels and the `ingress-controller` component), the only pods of the ingress
 * namespace that proxy pushes.
 */
export const INGRESS_CONTROLLER_POD_LABELS = {
    "app.kubernetes.io/managed-by": "aks-app-routing-operator",
    "app.kubernetes.io/component": "ingress-controller",
} as const;

/**
 * Who may open connections to ChartMuseum: Flux's source-controller (reads the index and charts) and
 * the exposure path: the ingress controller's pods (not the rest of its namespace, such as the
 * add-on's Key Vault placeholders), or the load balancer's allowed CIDRs.
 */
export function chartMuseumNetworkPolicy(
    namespace: pulumi.Input<string>,
    exposure: ChartMuseumExposureConfig,
    sourceControllerNamespace: string,
    ingressNamespace: string,
): k8s.types.input.networking.v1.NetworkPolicy {
    const ports = [{ protocol: "TCP", port: CHARTMUSEUM_PORT }];
    const exposurePeers =
        exposure.kind === "ingress"
            ? [
                  {
                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ingressNamespace } },
                      podSelector: { matchLabels: { ...INGRESS_CONTROLLER_POD_LABELS } },
                  },
              ]
            : exposure.allowedCidrs.map((cidr) => ({ ipBlock: { cidr } }));
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: `${CHARTMUSEUM_RELEASE}-ingress`, namespace },
        spec: {
            podSelector: { matchLabels: { ...CHARTMUSEUM_POD_LABELS } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": sourceControllerNamespace },
                            },
                            podSelector: { matchLabels: { app: "source-controller" } },
                        },
                    ],
                    ports,
                },
                { from: exposurePeers, ports },
            ],
        },
    };
}
