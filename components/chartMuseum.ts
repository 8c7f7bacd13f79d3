import * as storage from "@pulumi/azure-native/storage";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { availabilityZones } from "../src/azureRegions";
import { ChartSource, acrOciChartSource } from "../src/chartSource";
import type { ChartMuseumConfig, ChartRepositoryConfig } from "../src/config/chartRepository";

/** Namespace ChartMuseum runs in (reserved: no tenant may take it). */
export const CHARTMUSEUM_NAMESPACE = "chartmuseum";
/** The official chart repository of ChartMuseum. */
export const CHARTMUSEUM_CHART_REPO = "https://chartmuseum.github.io/charts";
/** Helm release name; with `fullnameOverride` it is also the Service's and Deployment's name. */
export const CHARTMUSEUM_RELEASE = "chartmuseum";
/** Port of the ChartMuseum container and its Service. */
export const CHARTMUSEUM_PORT = 8080;
/** Basic-auth user CI pushes with. */
export const CHARTMUSEUM_PUSH_USER = "ci";
/** Blob container holding the charts and ChartMuseum's index cache. */
export const CHARTMUSEUM_CONTAINER = "charts";
/** Ingress class of the AKS application routing add-on's managed NGINX. */
export const APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com";
/** Largest chart package NGINX lets through to `/api/charts` (its default, 1m, is too small). */
export const MAX_CHART_UPLOAD = "20m";

/** Labels the chart puts on ChartMuseum's pods (`chartmuseum.selectorLabels`). */
export const CHARTMUSEUM_POD_LABELS = {
    "app.kubernetes.io/name": "chartmuseum",
    "app.kubernetes.io/instance": CHARTMUSEUM_RELEASE,
} as const;

export interface ChartMuseumArgs {
    /** Validated ChartMuseum settings: chart version, exposure (ingress | loadbalancer), host, CIDRs, anonymous GET. */
    readonly config: ChartMuseumConfig;
    /** Azure name of the storage account holding the charts (`names.storageAccount`); globally unique. */
    readonly storageAccountName: string;
    /** Resource group of the storage account (the platform's). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region; decides zone-redundant storage and the load balancer's DNS name. */
    readonly location: string;
    /** Protect the storage account and its container from deletion (`config.platform.protect`). */
    readonly protect: boolean;
    /** The platform's Kubernetes provider; every in-cluster object goes through it. */
    readonly provider: k8s.Provider;
    /** Namespace of the ingress controller (`app-routing-system`); the only in-cluster exposure path allowed in. */
    readonly ingressNamespace: string;
    /** Namespace of Flux's source-controller (`flux-system`), the only reader allowed in. */
    readonly sourceControllerNamespace: string;
    /** Azure DNS label of the load balancer with `exposure: loadbalancer` (`names.chartMuseumDnsLabel`). */
    readonly dnsLabel: string;
    /** Tags put on the Azure resources. */
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * ChartMuseum, the workshop's chart repository, done properly: its own namespace (Pod Security
 * `restricted`), charts in a private Azure blob container (TLS 1.2, no public access), the official
 * chart pinned, basic auth on with a generated password, credentials only through a Kubernetes
 * Secret, reachable in-cluster by Flux's source-controller and from outside only through the
 * configured exposure.
 */
export class ChartMuseum extends pulumi.ComponentResource {
    /** In-cluster URL Flux's HelmRepository reads. */
    readonly url: pulumi.Output<string>;
    /** URL CI pushes to (`<pushUrl>/api/charts`). */
    readonly pushUrl: pulumi.Output<string>;
    readonly username: pulumi.Output<string>;
    /** Basic-auth password; secret. */
    readonly password: pulumi.Output<string>;
    readonly namespace: string;
    readonly storageAccountName: pulumi.Output<string>;
    readonly containerName: pulumi.Output<string>;

    constructor(name: string, args: ChartMuseumArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:charts:ChartMuseum", name, {}, opts);
        const { config, provider } = args;
        if (config.exposure === "ingress" && !config.host) {
            throw new pulumi.ResourceError("ChartMuseum exposed through the ingress needs a host name (config.host)", this);
        }
        if (config.exposure === "loadbalancer" && config.allowedCidrs.length === 0) {
            throw new pulumi.ResourceError("ChartMuseum on a public load balancer needs allowedCidrs: it is never open to all", this);
        }
        if (config.exposure === "loadbalancer" && config.tlsCertificateUri) {
            throw new pulumi.ResourceError("tlsCertificateUri applies to the ingress exposure only", this);
        }
        const parent = { parent: this };
        const stateful = { parent: this, protect: args.protect };
        const k8sOpts = { parent: this, provider };

        // --- Storage: a private blob container, reachable over TLS 1.2+ only.
        const account = new storage.StorageAccount(
            `${name}-storage`,
            {
                accountName: args.storageAccountName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: "StorageV2",
                sku: { name: availabilityZones(args.location) ? "Standard_ZRS" : "Standard_LRS" },
                accessTier: "Hot",
                minimumTlsVersion: "TLS1_2",
                enableHttpsTrafficOnly: true,
                allowBlobPublicAccess: false,
                allowCrossTenantReplication: false,
                // ChartMuseum's `microsoft` backend signs requests with the account key.
                allowSharedKeyAccess: true,
                tags: { ...args.tags },
            },
            stateful,
        );
        new storage.BlobServiceProperties(
            `${name}-blob-service`,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                blobServicesName: "default",
                deleteRetentionPolicy: { enabled: true, days: 14 },
                containerDeleteRetentionPolicy: { enabled: true, days: 14 },
            },
            parent,
        );
        const container = new storage.BlobContainer(
            `${name}-container`,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                containerName: CHARTMUSEUM_CONTAINER,
                publicAccess: "None",
            },
            stateful,
        );
        const keys = storage.listStorageAccountKeysOutput(
            { resourceGroupName: args.resourceGroupName, accountName: account.name },
            parent,
        );
        const accountKey = pulumi.secret(keys.keys.apply((k) => k[0].value));

        // --- Credentials: generated, kept secret, handed to the pod through a Secret only.
        const password = new random.RandomPassword(`${name}-push-password`, { length: 32, special: false }, parent);
        const namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: CHARTMUSEUM_NAMESPACE,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                    },
                },
            },
            k8sOpts,
        );
        const credentials = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { name: `${CHARTMUSEUM_RELEASE}-credentials`, namespace: namespace.metadata.name },
                type: "Opaque",
                stringData: {
                    AZURE_STORAGE_ACCOUNT: account.name,
                    AZURE_STORAGE_ACCESS_KEY: accountKey,
                    BASIC_AUTH_USER: CHARTMUSEUM_PUSH_USER,
                    BASIC_AUTH_PASS: pulumi.secret(password.result),
                },
            },
            k8sOpts,
        );

        const release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: CHARTMUSEUM_RELEASE,
                namespace: namespace.metadata.name,
                chart: "chartmuseum",
                version: config.chartVersion,
                repositoryOpts: { repo: CHARTMUSEUM_CHART_REPO },
                values: chartMuseumValues({
                    config,
                    containerName: container.name,
                    credentialsSecretName: credentials.metadata.name,
                    dnsLabel: args.dnsLabel,
                }),
                atomic: true,
                cleanupOnFail: true,
                timeout: 600,
                maxHistory: 10,
            },
            { ...k8sOpts, dependsOn: [credentials, container] },
        );

        if (config.exposure === "ingress") {
            new k8s.networking.v1.Ingress(
                `${name}-ingress`,
                chartMuseumIngress(namespace.metadata.name, config),
                { ...k8sOpts, dependsOn: [release] },
            );
        }
        new k8s.networking.v1.NetworkPolicy(
            `${name}-netpol`,
            chartMuseumNetworkPolicy(namespace.metadata.name, config, args.sourceControllerNamespace, args.ingressNamespace),
            k8sOpts,
        );

        this.namespace = CHARTMUSEUM_NAMESPACE;
        // Taken from the release, so whoever reads the URL waits until ChartMuseum is installed.
        this.url = pulumi.interpolate`http://${release.name}.${release.namespace}.svc.cluster.local:${CHARTMUSEUM_PORT}`;
        this.pushUrl = pulumi.output(pushUrl(config, args.dnsLabel, args.location));
        this.username = pulumi.output(CHARTMUSEUM_PUSH_USER);
        this.password = pulumi.secret(password.result);
        this.storageAccountName = account.name;
        this.containerName = container.name;
        this.registerOutputs({
            url: this.url,
            pushUrl: this.pushUrl,
            username: this.username,
            password: this.password,
            namespace: this.namespace,
            storageAccountName: this.storageAccountName,
            containerName: this.containerName,
        });
    }

    /** This ChartMuseum as the chart source Flux tenants and CI pipelines consume. */
    chartSource(): ChartSource {
        return {
            kind: "chartmuseum",
            url: this.url,
            pushUrl: this.pushUrl,
            username: this.username,
            password: this.password,
            namespace: this.namespace,
        };
    }
}

/** Everything `chartSource` needs to build either mode; ChartMuseum's args are used in its mode only. */
export interface ChartRepositoryArgs {
    /** Validated `chartRepository` section: the mode, and ChartMuseum's settings in its mode. */
    readonly config: ChartRepositoryConfig;
    /** ACR login server, for `acr-oci` (`oci://<loginServer>/helm`). */
    readonly registryLoginServer: pulumi.Input<string>;
    /** Everything ChartMuseum needs but its config; ignored with `acr-oci`. */
    readonly chartMuseum: Omit<ChartMuseumArgs, "config">;
}

/**
 * The chart repository step: with `chartmuseum` installs ChartMuseum and returns its source; with
 * `acr-oci` creates nothing and returns `oci://<loginServer>/helm` (ACR already exists, Flux reads it
 * with workload identity or the kubelet's AcrPull, CI pushes with `helm push`).
 */
export function chartSource(name: string, args: ChartRepositoryArgs, opts?: pulumi.ComponentResourceOptions): ChartSource {
    if (args.config.mode === "acr-oci") return acrOciChartSource(args.registryLoginServer);
    return new ChartMuseum(name, { ...args.chartMuseum, config: args.config.chartMuseum }, opts).chartSource();
}

/** The URL CI pushes to: the ingress host (https with a Key Vault certificate) or the load balancer's DNS name. */
export function pushUrl(config: ChartMuseumConfig, dnsLabel: string, location: string): string {
    if (config.exposure === "loadbalancer") return `http://${dnsLabel}.${location}.cloudapp.azure.com:${CHARTMUSEUM_PORT}`;
    return `${config.tlsCertificateUri ? "https" : "http"}://${config.host}`;
}

interface ValuesInput {
    readonly config: ChartMuseumConfig;
    readonly containerName: pulumi.Input<string>;
    readonly credentialsSecretName: pulumi.Input<string>;
    readonly dnsLabel: string;
}

/**
 * Values of the official chart. No credential appears here: the pod reads the storage key and the
 * basic-auth pair from the Secret through `env.existingSecret`. The API (push, delete) is enabled
 * only because basic auth always is.
 */
export function chartMuseumValues(input: ValuesInput): Record<string, pulumi.Input<unknown>> {
    const { config } = input;
    const basicAuth = true;
    const loadBalancer = config.exposure === "loadbalancer";
    return {
        fullnameOverride: CHARTMUSEUM_RELEASE,
        replicaCount: 1,
        env: {
            open: {
                STORAGE: "microsoft",
                STORAGE_MICROSOFT_CONTAINER: input.containerName,
                DISABLE_API: !basicAuth,
                AUTH_ANONYMOUS_GET: config.anonymousGet,
                // A published version is immutable: a rebuilt chart needs a new version.
                ALLOW_OVERWRITE: false,
                DEPTH: 0,
                LOG_JSON: true,
                DISABLE_STATEFILES: false,
            },
            existingSecret: input.credentialsSecretName,
            existingSecretMappings: {
                AZURE_STORAGE_ACCOUNT: "AZURE_STORAGE_ACCOUNT",
                AZURE_STORAGE_ACCESS_KEY: "AZURE_STORAGE_ACCESS_KEY",
                BASIC_AUTH_USER: "BASIC_AUTH_USER",
                BASIC_AUTH_PASS: "BASIC_AUTH_PASS",
            },
        },
        service: {
            type: loadBalancer ? "LoadBalancer" : "ClusterIP",
            externalPort: CHARTMUSEUM_PORT,
            // Keeps the client IP, so the network policy's ipBlocks see the CI agent's address.
            externalTrafficPolicy: "Local",
            loadBalancerSourceRanges: loadBalancer ? [...config.allowedCidrs] : [],
            annotations: loadBalancer ? { "service.beta.kubernetes.io/azure-dns-label-name": input.dnsLabel } : {},
        },
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
        persistence: { enabled: false },
        ingress: { enabled: false },
    };
}

/** The Ingress on the app routing add-on's NGINX that CI pushes through (`exposure: ingress`). */
export function chartMuseumIngress(
    namespace: pulumi.Input<string>,
    config: ChartMuseumConfig,
): k8s.types.input.networking.v1.Ingress {
    const host = config.host!;
    const annotations: Record<string, string> = { "nginx.ingress.kubernetes.io/proxy-body-size": MAX_CHART_UPLOAD };
    if (config.allowedCidrs.length > 0) {
        annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] = config.allowedCidrs.join(",");
    }
    if (config.tlsCertificateUri) annotations["kubernetes.azure.com/tls-cert-keyvault-uri"] = config.tlsCertificateUri;
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: CHARTMUSEUM_RELEASE, namespace, annotations },
        spec: {
            ingressClassName: APP_ROUTING_INGRESS_CLASS,
            // The add-on syncs the Key Vault certificate into `keyvault-<ingress name>`.
            tls: config.tlsCertificateUri ? [{ hosts: [host], secretName: `keyvault-${CHARTMUSEUM_RELEASE}` }] : undefined,
            rules: [
                {
                    host,
                    http: {
                        paths: [
                            {
                                path: "/",
                                pathType: "Prefix",
                                backend: { service: { name: CHARTMUSEUM_RELEASE, port: { number: CHARTMUSEUM_PORT } } },
                            },
                        ],
                    },
                },
            ],
        },
    };
}

/**
 * Who may open connections to ChartMuseum: Flux's source-controller (reads the index and charts) and
 * the exposure path: the ingress controller's namespace, or the load balancer's allowed CIDRs.
 */
export function chartMuseumNetworkPolicy(
    namespace: pulumi.Input<string>,
    config: ChartMuseumConfig,
    sourceControllerNamespace: string,
    ingressNamespace: string,
): k8s.types.input.networking.v1.NetworkPolicy {
    const ports = [{ protocol: "TCP", port: CHARTMUSEUM_PORT }];
    const exposure =
        config.exposure === "ingress"
            ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ingressNamespace } } }]
            : config.allowedCidrs.map((cidr) => ({ ipBlock: { cidr } }));
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
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": sourceControllerNamespace } },
                            podSelector: { matchLabels: { app: "source-controller" } },
                        },
                    ],
                    ports,
                },
                { from: exposure, ports },
            ],
        },
    };
}
