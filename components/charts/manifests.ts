// Pure builders of ChartMuseum's manifests and Helm values: what components/chartMuseum.ts installs,
// testable without the Pulumi runtime.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertNever } from "../../src/assertNever";
import { GATEWAY_NAME_POD_LABEL, GatewayRef } from "../../src/gateway";
import type { ChartMuseumConfig, ChartMuseumExposureConfig } from "./config";
import { CHARTMUSEUM_BEARER_AUTH } from "./pushTokens";

/** The official chart repository of ChartMuseum. */
export const CHARTMUSEUM_CHART_REPO = "https://chartmuseum.github.io/charts";

/**
 * The two ChartMuseums on the one blob container, each a release of the official chart with only the
 * settings its job needs:
 * - `read`: what Flux's source-controller reads, in-cluster only; anonymous reads and no API at all
 *   (no upload or delete route), never given the push tokens' public key;
 * - `push`: what CI reaches from outside (the Gateway's routes or the load balancer); every request,
 *   reads included, needs a team's token (`BEARER_AUTH`, no anonymous GET).
 */
export const CHARTMUSEUM_ROLES = ["read", "push"] as const;
export type ChartMuseumRole = (typeof CHARTMUSEUM_ROLES)[number];

/**
 * Helm release name of the read instance; with `fullnameOverride` also its Service's and Deployment's
 * name, so the in-cluster URL the HelmRepositories and the tenants' `charts` settings hold.
 */
export const CHARTMUSEUM_RELEASE = "chartmuseum";

/** A role's release name (and, through `fullnameOverride`, its Service, Deployment and ServiceAccount). */
export function chartMuseumRelease(role: ChartMuseumRole): string {
    switch (role) {
        case "read":
            return CHARTMUSEUM_RELEASE;
        case "push":
            return `${CHARTMUSEUM_RELEASE}-push`;
        default:
            return assertNever(role, "ChartMuseum role");
    }
}

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

/** Labels the chart puts on a role's pods (`chartmuseum.selectorLabels`: chart name, release name). */
export function chartMuseumPodLabels(role: ChartMuseumRole): Record<string, string> {
    return {
        "app.kubernetes.io/name": "chartmuseum",
        "app.kubernetes.io/instance": chartMuseumRelease(role),
    };
}

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

/** What both roles' values are built from. */
interface CommonValuesInput {
    readonly config: ChartMuseumConfig;
    readonly containerName: pulumi.Input<string>;
    readonly credentialsSecretName: pulumi.Input<string>;
    readonly dnsLabel: string;
}

/** A role's values input: the push instance alone holds the tokens' public key. */
export type ChartMuseumValuesInput =
    | (CommonValuesInput & { readonly role: "read" })
    | (CommonValuesInput & {
          readonly role: "push";
          /** Name of the Secret holding the push tokens' public key (`CHARTMUSEUM_BEARER_AUTH.publicKeyFile`). */
          readonly publicKeySecretName: pulumi.Input<string>;
          /** sha256 of that public key: a new key rolls the pod, which reads the key at start only. */
          readonly publicKeyChecksum: pulumi.Input<string>;
      });

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
 * A role's ChartMuseum settings (the chart's `env.open`; the chart passes no value Helm calls empty,
 * so a `false` leaves ChartMuseum's own default, which is off for each flag set false here).
 * - `read` serves index and archives to anyone who reaches it (no auth configured), routes no `/api`
 *   (`DISABLE_API`), and lists the container on each index request (`ALWAYS_REGENERATE_CHART_INDEX`):
 *   otherwise it would serve the index it built first until its `CACHE_INTERVAL` (5 minutes) passed,
 *   since the pushes land through the other instance. It writes nothing: no `index-cache.yaml`
 *   (`DISABLE_STATEFILES`), which only the push instance keeps.
 * - `push` checks every request against the team's token (`BEARER_AUTH`, `AUTH_ANONYMOUS_GET` off):
 *   uploads need `push`, reads `pull`, each on the token's own repository. A published version is
 *   immutable (`ALLOW_OVERWRITE` off and `DISABLE_FORCE_OVERWRITE`: ChartMuseum otherwise overwrites
 *   on `?force`), and nobody deletes through the API (`DISABLE_DELETE`).
 */
export function chartMuseumEnv(
    role: ChartMuseumRole,
    containerName: pulumi.Input<string>,
): Record<string, pulumi.Input<unknown>> {
    const storage = {
        STORAGE: "microsoft",
        STORAGE_MICROSOFT_CONTAINER: containerName,
        DEPTH: CHARTMUSEUM_DEPTH,
        LOG_JSON: true,
    };
    switch (role) {
        case "read":
            return {
                ...storage,
                DISABLE_API: true,
                ALWAYS_REGENERATE_CHART_INDEX: true,
                DISABLE_STATEFILES: true,
            };
        case "push":
            return {
                ...storage,
                // The chart's own default is true: set false so the upload routes exist.
                DISABLE_API: false,
                BEARER_AUTH: true,
                AUTH_REALM: CHARTMUSEUM_BEARER_AUTH.realm,
                AUTH_SERVICE: CHARTMUSEUM_BEARER_AUTH.service,
                AUTH_ANONYMOUS_GET: false,
                ALLOW_OVERWRITE: false,
                DISABLE_FORCE_OVERWRITE: true,
                DISABLE_DELETE: true,
                DISABLE_STATEFILES: false,
            };
        default:
            return assertNever(role, "ChartMuseum role");
    }
}

/**
 * A role's Service: the read instance is in-cluster only (ClusterIP); the push instance is what the
 * exposure serves, behind the Gateway (ClusterIP) or as the CIDR-restricted load balancer.
 */
function chartMuseumService(role: ChartMuseumRole, exposure: ChartMuseumExposureConfig, dnsLabel: string) {
    const loadBalancer = role === "push" && exposure.kind === "loadbalancer";
    return {
        type: loadBalancer ? "LoadBalancer" : "ClusterIP",
        externalPort: CHARTMUSEUM_PORT,
        // Keeps the client IP, so the network policy's ipBlocks see the CI agent's address.
        externalTrafficPolicy: "Local",
        loadBalancerSourceRanges: loadBalancer ? [...exposure.allowedCidrs] : [],
        annotations: loadBalancer ? { "service.beta.kubernetes.io/azure-dns-label-name": dnsLabel } : {},
    };
}

/**
 * Values of the official chart for one role. No credential appears here: the pod reads the storage
 * key from the Secret through `env.existingSecret` (both roles: ChartMuseum's Azure backend has no
 * read-only key). The push instance alone mounts the tokens' public key (`bearerAuth.secret`), and its
 * pod template carries the key's checksum so a new key rolls it.
 */
export function chartMuseumValues(input: ChartMuseumValuesInput): Record<string, pulumi.Input<unknown>> {
    const common = {
        fullnameOverride: chartMuseumRelease(input.role),
        replicaCount: 1,
        env: {
            open: chartMuseumEnv(input.role, input.containerName),
            existingSecret: input.credentialsSecretName,
            existingSecretMappings: {
                AZURE_STORAGE_ACCOUNT: "AZURE_STORAGE_ACCOUNT",
                AZURE_STORAGE_ACCESS_KEY: "AZURE_STORAGE_ACCESS_KEY",
            },
        },
        service: chartMuseumService(input.role, input.config.exposure, input.dnsLabel),
        ...RESTRICTED_POD,
        persistence: { enabled: false },
        ingress: { enabled: false },
    };
    switch (input.role) {
        case "read":
            return common;
        case "push":
            return {
                ...common,
                // The chart mounts this Secret at /var/keys and points AUTH_CERT_PATH at its public-key.pem.
                bearerAuth: { secret: { enabled: true, publicKeySecret: input.publicKeySecretName } },
                podAnnotations: { "checksum/push-public-key": input.publicKeyChecksum },
            };
        default:
            return assertNever(input, "ChartMuseum role");
    }
}

/**
 * One team's route to the push instance on the platform's Gateway (`exposure: gateway`), the
 * platform's own object in ChartMuseum's namespace, on the listener for the ChartMuseum host: the
 * team's upload endpoint (`POST /api/<team>/charts`, Exact: ChartMuseum also answers GETs under
 * `/api/<team>/charts/<name>/...`, and CI only POSTs there) and reads of its own archives
 * (`GET /<team>/charts/...`: what a re-run build and promotion download, with the team's token).
 * Nothing else of ChartMuseum (the index, other teams' repositories, the rest of the API) is routed,
 * and never the read instance; who may push or read is the push instance's own check of each team's
 * token. One route per team, so adding a team changes no other team's object.
 */
export function chartMuseumTeamRoute(
    namespace: pulumi.Input<string>,
    exposure: Extract<ChartMuseumExposureConfig, { kind: "gateway" }>,
    team: string,
    gateway: GatewayRef,
) {
    const backendRefs = [{ name: chartMuseumRelease("push"), port: CHARTMUSEUM_PORT }];
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: `${chartMuseumRelease("push")}-${team}`, namespace },
        spec: {
            parentRefs: [{ ...gateway, sectionName: exposure.host }],
            hostnames: [exposure.host],
            rules: [
                {
                    matches: [{ path: { type: "Exact", value: chartMuseumPushPath(team) }, method: "POST" }],
                    backendRefs,
                },
                {
                    matches: [
                        { path: { type: "PathPrefix", value: chartMuseumArchivesPath(team) }, method: "GET" },
                    ],
                    backendRefs,
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

/** Where a role's clients come from: Flux's source-controller, and the exposure path. */
export interface ChartMuseumClients {
    /** How CI reaches the push instance: the Gateway's pods, or the load balancer's allowed CIDRs. */
    readonly exposure: ChartMuseumExposureConfig;
    /** Namespace of Flux's source-controller, the read instance's only client. */
    readonly sourceControllerNamespace: string;
    /** The platform's Gateway, whose pods (not the rest of its namespace) carry the push instance's routes. */
    readonly gateway: GatewayRef;
}

/** The peers a role admits: the read instance Flux's source-controller alone, the push instance the exposure path alone. */
function chartMuseumPeers(role: ChartMuseumRole, clients: ChartMuseumClients) {
    switch (role) {
        case "read":
            return [
                {
                    namespaceSelector: {
                        matchLabels: { "kubernetes.io/metadata.name": clients.sourceControllerNamespace },
                    },
                    podSelector: { matchLabels: { app: "source-controller" } },
                },
            ];
        case "push":
            return clients.exposure.kind === "gateway"
                ? [
                      {
                          namespaceSelector: {
                              matchLabels: { "kubernetes.io/metadata.name": clients.gateway.namespace },
                          },
                          podSelector: { matchLabels: { [GATEWAY_NAME_POD_LABEL]: clients.gateway.name } },
                      },
                  ]
                : clients.exposure.allowedCidrs.map((cidr) => ({ ipBlock: { cidr } }));
        default:
            return assertNever(role, "ChartMuseum role");
    }
}

/**
 * Who may open connections to a role's pods: Flux's source-controller to the read instance (nothing
 * else in or outside the cluster reaches it), the exposure path to the push instance (the pods of the
 * platform's Gateway, or the load balancer's allowed CIDRs).
 */
export function chartMuseumNetworkPolicy(
    role: ChartMuseumRole,
    namespace: pulumi.Input<string>,
    clients: ChartMuseumClients,
): k8s.types.input.networking.v1.NetworkPolicy {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: `${chartMuseumRelease(role)}-ingress`, namespace },
        spec: {
            podSelector: { matchLabels: chartMuseumPodLabels(role) },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: chartMuseumPeers(role, clients),
                    ports: [{ protocol: "TCP", port: CHARTMUSEUM_PORT }],
                },
            ],
        },
    };
}
