// Pure builders of ChartMuseum's manifests and Helm values: what components/chartMuseum.ts installs,
// testable without the Pulumi runtime.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertNever } from "../../src/assertNever";
import { GATEWAY_NAME_POD_LABEL, GatewayRef } from "../../src/gateway";
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
/** A team's upload endpoint (`POST /api/<team>/charts`, DEPTH 1): what the platform's HTTPRoute routes. */
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

/** The URL CI pushes to: the Gateway listener's host (https with a Key Vault certificate) or the load balancer's DNS name. */
export function pushUrl(exposure: ChartMuseumExposureConfig, dnsLabel: string, location: string): string {
    switch (exposure.kind) {
        case "gateway":
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
 * team's repository alone, whatever path (the Gateway, the load balancer, another pod) the request came
 * by. Delete is off for everyone.
 *
 * Reads (index, chart archives) are anonymous (`AUTH_ANONYMOUS_GET`: the `pull` action needs no
 * token), so Flux's HelmRepositories need no Secret in the team namespaces. Who may read is decided
 * by the network: the NetworkPolicy admits Flux's source-controller and the exposure path only, and
 * the `gateway` exposure routes each team's push endpoint and its archives alone. With `loadbalancer`
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
 * One team's route to ChartMuseum on the platform's Gateway (`exposure: gateway`), the platform's own
 * object in ChartMuseum's namespace, on the listener for the ChartMuseum host: the team's upload
 * endpoint (`POST /api/<team>/charts`, Exact: ChartMuseum also answers GETs under
 * `/api/<team>/charts/<name>/...`, and CI only POSTs there) and reads of its own archives
 * (`GET /<team>/charts/...`: what a re-run build and promotion download). Nothing else of ChartMuseum
 * (the index, other teams' repositories, the rest of the API) is routed; who may push is ChartMuseum's
 * own check of each team's token. One route per team, so adding a team changes no other team's object.
 */
export function chartMuseumTeamRoute(
    namespace: pulumi.Input<string>,
    exposure: Extract<ChartMuseumExposureConfig, { kind: "gateway" }>,
    team: string,
    gateway: GatewayRef,
) {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: `${CHARTMUSEUM_RELEASE}-push-${team}`, namespace },
        spec: {
            parentRefs: [{ ...gateway, sectionName: exposure.host }],
            hostnames: [exposure.host],
            rules: [
                {
                    matches: [{ path: { type: "Exact", value: chartMuseumPushPath(team) }, method: "POST" }],
                    backendRefs: [{ name: CHARTMUSEUM_RELEASE, port: CHARTMUSEUM_PORT }],
                },
                {
                    matches: [
                        { path: { type: "PathPrefix", value: chartMuseumArchivesPath(team) }, method: "GET" },
                    ],
                    backendRefs: [{ name: CHARTMUSEUM_RELEASE, port: CHARTMUSEUM_PORT }],
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
 * Who may open connections to ChartMuseum: Flux's source-controller (reads the index and charts) and
 * the exposure path: the pods of the platform's Gateway (not the rest of its namespace), or the load
 * balancer's allowed CIDRs.
 */
export function chartMuseumNetworkPolicy(
    namespace: pulumi.Input<string>,
    exposure: ChartMuseumExposureConfig,
    sourceControllerNamespace: string,
    gateway: GatewayRef,
): k8s.types.input.networking.v1.NetworkPolicy {
    const ports = [{ protocol: "TCP", port: CHARTMUSEUM_PORT }];
    const exposurePeers =
        exposure.kind === "gateway"
            ? [
                  {
                      namespaceSelector: {
                          matchLabels: { "kubernetes.io/metadata.name": gateway.namespace },
                      },
                      podSelector: { matchLabels: { [GATEWAY_NAME_POD_LABEL]: gateway.name } },
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
