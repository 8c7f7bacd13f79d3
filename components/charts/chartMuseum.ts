import * as storage from "@pulumi/azure-native/storage";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { createHash } from "node:crypto";
import { assertNever } from "../../src/assertNever";
import { availabilityZones } from "../../src/azureRegions";
import {
    CHARTMUSEUM_CHART_REPO,
    CHARTMUSEUM_CONTAINER,
    CHARTMUSEUM_PORT,
    CHARTMUSEUM_RELEASE,
    CHARTMUSEUM_ROLES,
    ChartMuseumRole,
    ChartMuseumValuesInput,
    chartMuseumNetworkPolicy,
    chartMuseumRelease,
    chartMuseumPublicKeySecret,
    chartMuseumTeamRoute,
    chartMuseumValues,
    pushUrl,
} from "./manifests";
import { signChartPushToken } from "./pushTokens";
import { ChartSource, acrOciChartSource } from "../../src/charts";
import type { ChartMuseumConfig, ChartRepositoryConfig } from "./config";
import { CHARTMUSEUM_NAMESPACE } from "../../src/namespaces";
import type { GatewayRef } from "../../src/gateway";

export interface ChartMuseumArgs {
    /** Validated ChartMuseum settings: chart version and exposure (the push instance's; the read instance is in-cluster only). */
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
    /** The platform's Gateway: its pods are the push instance's only in-cluster client (`exposure: gateway`). */
    readonly gateway: GatewayRef;
    /** Namespace of Flux's source-controller (`flux-system`), the read instance's only client. */
    readonly sourceControllerNamespace: string;
    /** Azure DNS label of the load balancer with `exposure: loadbalancer` (`names.chartMuseumDnsLabel`). */
    readonly dnsLabel: string;
    /** Tags put on the Azure resources. */
    readonly tags: Readonly<Record<string, string>>;
    /** The teams: each gets its own repository (`/<team>`), push token and (gateway) upload route. */
    readonly teams: readonly string[];
}

/**
 * ChartMuseum, the workshop's chart repository, done properly: its own namespace (Pod Security
 * `restricted`), charts in a private Azure blob container (TLS 1.2, no public access), the official
 * chart pinned, the storage key only through a Kubernetes Secret in its own namespace, and two
 * releases on the one container (manifests.ts `ChartMuseumRole`): the read instance Flux's
 * source-controller alone reaches in-cluster (anonymous reads, no API), and the push instance, the only
 * one reachable from outside (each team's routes on the platform's Gateway, or the CIDR-restricted
 * load balancer), where every upload and every read is checked by ChartMuseum itself against a
 * per-team token the platform signs (bearer auth).
 */
export class ChartMuseum extends pulumi.ComponentResource {
    /** In-cluster URL Flux's HelmRepository reads. */
    readonly url: pulumi.Output<string>;
    /** URL CI pushes to (`<pushUrl>/api/<team>/charts`). */
    readonly pushUrl: pulumi.Output<string>;
    /** Each team's push token, by team; secret. */
    readonly pushTokens: pulumi.Output<Record<string, string>>;
    readonly namespace: string;
    readonly storageAccountName: pulumi.Output<string>;
    readonly containerName: pulumi.Output<string>;

    private readonly name: string;
    private readonly args: ChartMuseumArgs;

    constructor(name: string, args: ChartMuseumArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:charts:ChartMuseum", name, {}, opts);
        this.name = name;
        this.args = args;
        const { config } = args;

        const account = this.storageAccount();
        const container = this.blobContainer(account);
        const accountKey = this.accountKey(account);
        const signingKey = this.signingKey();
        const namespace = this.restrictedNamespace();
        const credentials = this.credentials(namespace, account, accountKey);
        const publicKey = this.publicKey(namespace, signingKey);
        const { read, push } = this.releases(namespace, container, credentials, publicKey, signingKey);
        for (const role of CHARTMUSEUM_ROLES) this.networkPolicy(role, namespace);
        if (config.exposure.kind === "gateway") this.route(config.exposure, namespace, push);

        this.namespace = CHARTMUSEUM_NAMESPACE;
        // Taken from the read release, so whoever reads the URL waits until it is installed.
        this.url = pulumi.interpolate`http://${read.name}.${read.namespace}.svc.cluster.local:${CHARTMUSEUM_PORT}`;
        this.pushUrl = pulumi.output(pushUrl(config.exposure, args.dnsLabel, args.location));
        this.pushTokens = this.teamTokens(signingKey);
        this.storageAccountName = account.name;
        this.containerName = container.name;
        this.registerOutputs({
            url: this.url,
            pushUrl: this.pushUrl,
            pushTokens: this.pushTokens,
            namespace: this.namespace,
            storageAccountName: this.storageAccountName,
            containerName: this.containerName,
        });
    }

    private get parent(): pulumi.CustomResourceOptions {
        return { parent: this };
    }

    /** The storage account and its container: protected where the stack says so (prod). */
    private get stateful(): pulumi.CustomResourceOptions {
        return { parent: this, protect: this.args.protect };
    }

    /** Every in-cluster object goes through the platform's provider. */
    private get k8sOpts(): pulumi.CustomResourceOptions {
        return { parent: this, provider: this.args.provider };
    }

    /** A private storage account, reachable over TLS 1.2+ only. */
    private storageAccount(): storage.StorageAccount {
        const { args } = this;
        return new storage.StorageAccount(
            `${this.name}-storage`,
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
            this.stateful,
        );
    }

    /** The charts' private blob container, with soft delete on blobs and containers. */
    private blobContainer(account: storage.StorageAccount): storage.BlobContainer {
        const { args } = this;
        new storage.BlobServiceProperties(
            `${this.name}-blob-service`,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                blobServicesName: "default",
                deleteRetentionPolicy: { enabled: true, days: 14 },
                containerDeleteRetentionPolicy: { enabled: true, days: 14 },
            },
            this.parent,
        );
        return new storage.BlobContainer(
            `${this.name}-container`,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                containerName: CHARTMUSEUM_CONTAINER,
                publicAccess: "None",
            },
            this.stateful,
        );
    }

    private accountKey(account: storage.StorageAccount): pulumi.Output<string> {
        // ChartMuseum's Azure backend signs every request with the account key: it has no workload
        // identity (helm/chartmuseum#222). Only `pulumi up` reads the key (the deploy identity's
        // listKeys); a preview never does, so the preview identity needs no right that reads a secret,
        // and the key's field is left out of every comparison (rotation: `up --replace` the Secret).
        return pulumi.runtime.isDryRun()
            ? pulumi.secret("read by pulumi up only")
            : pulumi.secret(
                  storage
                      .listStorageAccountKeysOutput(
                          { resourceGroupName: this.args.resourceGroupName, accountName: account.name },
                          this.parent,
                      )
                      .keys.apply((k) => k[0].value),
              );
    }

    /**
     * The key the platform signs each team's push token with; ChartMuseum holds its public half only.
     * Generated once and kept in the stack's state (secret). Rotation is `pulumi up --replace` of this
     * resource: every token is re-signed into the teams' variable groups and ChartMuseum restarts with
     * the new public key, so every old token is refused from then on.
     */
    private signingKey(): tls.PrivateKey {
        return new tls.PrivateKey(
            `${this.name}-push-signing-key`,
            { algorithm: "RSA", rsaBits: 3072 },
            this.parent,
        );
    }

    private restrictedNamespace(): k8s.core.v1.Namespace {
        return new k8s.core.v1.Namespace(
            `${this.name}-ns`,
            {
                metadata: {
                    name: CHARTMUSEUM_NAMESPACE,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                    },
                },
            },
            this.k8sOpts,
        );
    }

    private credentials(
        namespace: k8s.core.v1.Namespace,
        account: storage.StorageAccount,
        accountKey: pulumi.Output<string>,
    ): k8s.core.v1.Secret {
        return new k8s.core.v1.Secret(
            `${this.name}-credentials`,
            {
                metadata: { name: `${CHARTMUSEUM_RELEASE}-credentials`, namespace: namespace.metadata.name },
                type: "Opaque",
                stringData: {
                    AZURE_STORAGE_ACCOUNT: account.name,
                    AZURE_STORAGE_ACCESS_KEY: accountKey,
                },
            },
            { ...this.k8sOpts, ignoreChanges: ["stringData.AZURE_STORAGE_ACCESS_KEY"] },
        );
    }

    /** The Secret holding the signing key's public half, which ChartMuseum verifies every push with. */
    private publicKey(namespace: k8s.core.v1.Namespace, signingKey: tls.PrivateKey): k8s.core.v1.Secret {
        return new k8s.core.v1.Secret(
            `${this.name}-push-public-key`,
            chartMuseumPublicKeySecret(namespace.metadata.name, signingKey.publicKeyPem),
            this.k8sOpts,
        );
    }

    /** The read and push releases, on the one container with the one storage Secret. */
    private releases(
        namespace: k8s.core.v1.Namespace,
        container: storage.BlobContainer,
        credentials: k8s.core.v1.Secret,
        publicKey: k8s.core.v1.Secret,
        signingKey: tls.PrivateKey,
    ): { read: k8s.helm.v3.Release; push: k8s.helm.v3.Release } {
        const common = {
            config: this.args.config,
            containerName: container.name,
            credentialsSecretName: credentials.metadata.name,
            dnsLabel: this.args.dnsLabel,
        };
        const read = this.release({ ...common, role: "read" }, namespace, [credentials, container]);
        const push = this.release(
            {
                ...common,
                role: "push",
                publicKeySecretName: publicKey.metadata.name,
                publicKeyChecksum: signingKey.publicKeyPem.apply((pem) =>
                    createHash("sha256").update(pem).digest("hex"),
                ),
            },
            namespace,
            // After the read release: upgrading a `loadbalancer` stack, the read instance's Service
            // gives up the load balancer and its DNS label before the push instance's claims them.
            [credentials, container, publicKey, read],
        );
        return { read, push };
    }

    /** One role's release of the official chart; the read one keeps the name live stacks already have. */
    private release(
        input: ChartMuseumValuesInput,
        namespace: k8s.core.v1.Namespace,
        dependsOn: pulumi.Resource[],
    ): k8s.helm.v3.Release {
        const { config } = this.args;
        return new k8s.helm.v3.Release(
            `${this.name}-${roleResourceName(input.role, "release")}`,
            {
                name: chartMuseumRelease(input.role),
                namespace: namespace.metadata.name,
                chart: "chartmuseum",
                version: config.chartVersion,
                repositoryOpts: { repo: CHARTMUSEUM_CHART_REPO },
                values: chartMuseumValues(input),
                atomic: true,
                cleanupOnFail: true,
                timeout: 600,
                maxHistory: 10,
            },
            { ...this.k8sOpts, dependsOn },
        );
    }

    /** A role's network policy: the read instance admits Flux's source-controller, the push instance the exposure path. */
    private networkPolicy(role: ChartMuseumRole, namespace: k8s.core.v1.Namespace): void {
        new k8s.networking.v1.NetworkPolicy(
            `${this.name}-${roleResourceName(role, "netpol")}`,
            chartMuseumNetworkPolicy(role, namespace.metadata.name, {
                exposure: this.args.config.exposure,
                sourceControllerNamespace: this.args.sourceControllerNamespace,
                gateway: this.args.gateway,
            }),
            this.k8sOpts,
        );
    }

    /** `exposure: gateway`: each team's upload endpoint on the platform's Gateway, a route the platform owns. */
    private route(
        exposure: Extract<ChartMuseumConfig["exposure"], { kind: "gateway" }>,
        namespace: k8s.core.v1.Namespace,
        release: k8s.helm.v3.Release,
    ): void {
        for (const team of this.args.teams) {
            new k8s.apiextensions.CustomResource(
                `${this.name}-route-${team}`,
                chartMuseumTeamRoute(namespace.metadata.name, exposure, team, this.args.gateway),
                { ...this.k8sOpts, dependsOn: [release] },
            );
        }
    }

    /**
     * Each team's push token, granting push and pull on its own repository alone, whatever the
     * exposure; signed in the program, deterministically (no clock in it), so a second `up` changes nothing.
     */
    private teamTokens(signingKey: tls.PrivateKey): pulumi.Output<Record<string, string>> {
        const teams = this.args.teams;
        return pulumi.secret(
            signingKey.privateKeyPem.apply((pem) =>
                Object.fromEntries(teams.map((team) => [team, signChartPushToken(pem, team)])),
            ),
        );
    }

    /** This ChartMuseum as the chart source Flux tenants and CI pipelines consume. */
    chartSource(): ChartSource {
        return {
            kind: "chartmuseum",
            url: this.url,
            pushUrl: this.pushUrl,
            pushTokens: this.pushTokens,
            namespace: this.namespace,
        };
    }
}

/**
 * A role's resource name after the component's: the read instance keeps the names a live stack's
 * single ChartMuseum had (`-release`, `-netpol`), so an upgrade updates them in place.
 */
function roleResourceName(role: ChartMuseumRole, what: "release" | "netpol"): string {
    switch (role) {
        case "read":
            return what;
        case "push":
            return `push-${what}`;
        default:
            return assertNever(role, "ChartMuseum role");
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
 * `acr-oci` creates nothing and returns `oci://<loginServer>` (ACR already exists; Flux reads each
 * team's `<team>/helm` as the team's chart reader, each team's CI pushes there with `helm push`).
 */
export function chartSource(
    name: string,
    args: ChartRepositoryArgs,
    opts?: pulumi.ComponentResourceOptions,
): ChartSource {
    if (args.config.mode === "acr-oci") return acrOciChartSource(args.registryLoginServer);
    return new ChartMuseum(
        name,
        { ...args.chartMuseum, config: args.config.chartMuseum },
        opts,
    ).chartSource();
}
