import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { FluxConfig, FluxNotifications } from "./config";
import { FLUX_RECONCILED_KINDS, FluxObject, alert, notificationProvider } from "../../src/flux";
import { FLUX_NAMESPACE } from "../../src/namespaces";
import {
    FLEET_SERVICE_ACCOUNT,
    FLUX_INSTALL,
    FLUX_SYNC_NAME,
    clusterKustomizationYaml,
    fleetHtmlUrl,
    fleetSource,
    fleetSshUrl,
    fleetSync,
    fluxChartValues,
    gitSshSecretData,
} from "./manifests";
import { fluxNetworkPolicies } from "./networkPolicies";

/** Name of the Secret holding the notification Provider's webhook URL or token. */
export const NOTIFICATION_SECRET_NAME = "flux-notifications";
/** Name of the platform's notification Provider and Alert in flux-system. */
export const NOTIFICATION_PROVIDER_NAME = "platform-ops";
export const FAILURE_ALERT_NAME = "reconciliation-failures";

export interface FluxArgs {
    /**
     * Validated Flux settings: GitHub owner and token, fleet repository (existing, or created when
     * `createRepository`), branch, cluster path, chart version, intervals and notifications.
     */
    readonly config: FluxConfig;
    /** The stack's name: titles the deploy key and tags every notification with `cluster: <stack>`. */
    readonly stack: string;
    /** The platform's Kubernetes provider; every in-cluster object is created through it. */
    readonly provider: k8s.Provider;
    /**
     * Protect the fleet repository from deletion when this component creates it (the platform's
     * `protect`). Default false. Has no effect on an existing repository, which is only read.
     */
    readonly protect?: boolean;
    /**
     * Client id of a user-assigned identity federated to `system:serviceaccount:flux-system:source-controller`
     * (OCI charts on ACR): annotates source-controller's service account and labels its pods for Azure
     * workload identity. Default none (source-controller runs without an Azure identity).
     */
    readonly sourceControllerIdentityClientId?: pulumi.Input<string>;
}

/**
 * `flux bootstrap github --owner --repository --branch --path=clusters/<stack>` as resources: the fleet
 * repository (read, or created private with its branch protected), a read-only ed25519 deploy key, the
 * cluster folder seeded with a kustomization.yaml, the Flux controllers (pinned, locked down for
 * multi-tenancy), the flux-system GitRepository and Kustomization, and alerts on failed reconciliations.
 */
export class Flux extends pulumi.ComponentResource {
    /** Namespace of the Flux controllers ("flux-system"). */
    readonly namespace: string;
    /** The Flux installation (controllers and CRDs): what every Flux custom resource must depend on. */
    readonly installation: pulumi.Resource;
    /** Web address of the fleet repository, https://github.com/<owner>/<repository>. */
    readonly fleetRepositoryUrl: pulumi.Output<string>;

    constructor(name: string, args: FluxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:flux:Flux", name, {}, opts);
        const { config, stack } = args;
        const parent = { parent: this };

        // --- GitHub: the fleet repository, the deploy key and the cluster folder.
        const githubProvider = new github.Provider(
            `${name}-github`,
            { owner: config.githubOwner, token: config.githubToken },
            parent,
        );
        const gh = { parent: this, provider: githubProvider };

        let repositoryName: pulumi.Output<string>;
        let created: github.Repository | undefined;
        let branchReady: pulumi.Resource[] = [];
        if (config.createRepository) {
            created = new github.Repository(
                `${name}-fleet-repo`,
                {
                    name: config.repository,
                    description: "Fleet repository: what Flux applies to each cluster (clusters/<stack>).",
                    visibility: "private",
                    autoInit: true,
                    hasIssues: true,
                    hasWiki: false,
                    hasProjects: false,
                    deleteBranchOnMerge: true,
                    vulnerabilityAlerts: true,
                    archiveOnDestroy: true,
                },
                { ...gh, protect: args.protect ?? false },
            );
            const defaultBranch = new github.BranchDefault(
                `${name}-fleet-default-branch`,
                { repository: created.name, branch: config.branch, rename: true },
                gh,
            );
            repositoryName = created.name;
            branchReady = [defaultBranch];
        } else {
            // Read at preview too: a missing repository, or one the token cannot see, fails before any change.
            const existing = github.getRepositoryOutput(
                { fullName: `${config.githubOwner}/${config.repository}` },
                gh,
            );
            repositoryName = existing.name;
        }

        const clusterFolder = new github.RepositoryFile(
            `${name}-cluster-folder`,
            {
                repository: repositoryName,
                branch: config.branch,
                file: `${config.path}/kustomization.yaml`,
                content: clusterKustomizationYaml(stack, config.path),
                commitMessage: `Add ${config.path} for Flux (Pulumi stack ${stack})`,
                // Never overwrite a kustomization.yaml someone already wrote: creation fails instead.
                overwriteOnCreate: false,
            },
            // A seed: once written, the platform team edits it in Git and Pulumi leaves it alone.
            // Kept in the repository on destroy: the fleet's history is not the stack's to delete.
            {
                ...gh,
                dependsOn: branchReady,
                ignoreChanges: ["content", "commitMessage"],
                retainOnDelete: true,
            },
        );

        if (created) {
            new github.BranchProtection(
                `${name}-fleet-branch-protection`,
                {
                    repositoryId: created.nodeId,
                    pattern: config.branch,
                    enforceAdmins: false,
                    allowsDeletions: false,
                    allowsForcePushes: false,
                    requiredLinearHistory: true,
                    requireConversationResolution: true,
                    requiredPullRequestReviews: [
                        { requiredApprovingReviewCount: 1, dismissStaleReviews: true },
                    ],
                },
                // After the seed commit, which goes straight to the branch.
                { ...gh, dependsOn: [clusterFolder] },
            );
        }

        const key = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, parent);
        const deployKey = new github.RepositoryDeployKey(
            `${name}-deploy-key`,
            {
                repository: repositoryName,
                title: `flux-${stack} (Pulumi)`,
                key: key.publicKeyOpenssh,
                // Flux only reads the fleet: a leaked cluster cannot push to it.
                readOnly: true,
            },
            gh,
        );

        // --- Cluster: the Flux controllers, then the fleet sync objects.
        const kube = { parent: this, provider: args.provider };
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: FLUX_NAMESPACE,
                    labels: {
                        "app.kubernetes.io/part-of": "flux",
                        "app.kubernetes.io/instance": FLUX_NAMESPACE,
                    },
                },
            },
            kube,
        );
        // The platform's policies before the controllers start, so flux-system is never open.
        const networkPolicies = fluxNetworkPolicies().map(
            (p) =>
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-netpol-${p.metadata.name}`,
                    { metadata: p.metadata, spec: p.spec as k8s.types.input.networking.v1.NetworkPolicySpec },
                    { ...kube, dependsOn: [namespace] },
                ),
        );
        const installation = new k8s.helm.v4.Chart(
            `${name}-controllers`,
            {
                chart: FLUX_INSTALL.chart,
                repositoryOpts: { repo: FLUX_INSTALL.repository },
                version: config.chartVersion,
                name: FLUX_INSTALL.releaseName,
                namespace: FLUX_NAMESPACE,
                values: fluxChartValues({
                    sourceControllerIdentityClientId: args.sourceControllerIdentityClientId,
                }),
            },
            { ...kube, dependsOn: [namespace, ...networkPolicies] },
        );
        const meta = (objectName: string) => ({ name: objectName, namespace: FLUX_NAMESPACE });
        const custom = (resourceName: string, object: FluxObject, dependsOn: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(resourceName, object, {
                ...kube,
                dependsOn: [installation, ...dependsOn],
            });

        const syncSecret = new k8s.core.v1.Secret(
            `${name}-sync-secret`,
            {
                metadata: meta(FLUX_SYNC_NAME),
                type: "Opaque",
                // The private key travels only inside this secret input.
                stringData: pulumi.secret(
                    pulumi
                        .all([key.privateKeyOpenssh, key.publicKeyOpenssh])
                        .apply(([privateKey, publicKey]) => gitSshSecretData(privateKey, publicKey)),
                ),
            },
            { ...kube, dependsOn: [namespace] },
        );

        const source = custom(
            `${name}-git-repository`,
            fleetSource({
                metadata: meta(FLUX_SYNC_NAME),
                url: fleetSshUrl(config.githubOwner, config.repository),
                branch: config.branch,
                interval: config.sourceInterval,
                secretName: FLUX_SYNC_NAME,
            }),
            // The key must be accepted by GitHub and the folder exist before the first fetch.
            [syncSecret, deployKey, clusterFolder],
        );
        custom(
            `${name}-kustomization`,
            fleetSync({
                metadata: meta(FLUX_SYNC_NAME),
                path: config.path,
                interval: config.reconcileInterval,
                sourceName: FLUX_SYNC_NAME,
                serviceAccountName: FLEET_SERVICE_ACCOUNT,
            }),
            [source],
        );

        // --- Notifications: ops hear of a failed reconciliation.
        failureAlerts(
            `${name}-notification`,
            {
                namespace: FLUX_NAMESPACE,
                notifications: config.notifications,
                cluster: stack,
                fleetRepositoryUrl: fleetHtmlUrl(config.githubOwner, config.repository),
            },
            { ...kube, dependsOn: [installation, namespace] },
        );

        this.namespace = FLUX_NAMESPACE;
        this.installation = installation;
        this.fleetRepositoryUrl = pulumi.output(fleetHtmlUrl(config.githubOwner, config.repository));
        this.registerOutputs({
            namespace: this.namespace,
            installation: this.installation,
            fleetRepositoryUrl: this.fleetRepositoryUrl,
        });
    }
}

/** Where and how `failureAlerts` reports. */
export interface FailureAlertsArgs {
    /** Namespace of the Secret, Provider and Alert; the Alert sees Flux objects of this namespace only. */
    readonly namespace: string;
    /** The channel (webhook or GitHub commit statuses); `none` creates nothing. */
    readonly notifications: FluxNotifications;
    /** Added to every event as `cluster`, so a message says which stack failed. */
    readonly cluster: string;
    /** For GitHub commit statuses: the fleet repository's https address. */
    readonly fleetRepositoryUrl: string;
}

/**
 * A notification Secret (the webhook URL or token, secret), a Provider and an Alert on failed
 * reconciliations in one namespace. The lockdown (`--no-cross-namespace-refs`) keeps an Alert to its
 * own namespace, so the Flux component calls this for flux-system and a tenant can call it for its
 * own namespace with the same notifications. `opts` must carry the parent, the Kubernetes provider,
 * and in `dependsOn` (a list) the Flux installation and the namespace.
 */
export function failureAlerts(
    name: string,
    args: FailureAlertsArgs,
    opts: pulumi.CustomResourceOptions & { readonly dependsOn: pulumi.Resource[] },
): k8s.apiextensions.CustomResource[] {
    const { notifications, namespace } = args;
    if (notifications.provider === "none") return [];
    const meta = (objectName: string) => ({ name: objectName, namespace });
    const isGithub = notifications.provider === "github";
    // Flux reads a webhook from the Secret's `address` key and a GitHub token from `token`.
    const credential: Record<string, pulumi.Output<string>> = isGithub
        ? { token: notifications.token }
        : { address: notifications.webhookUrl };
    const secret = new k8s.core.v1.Secret(
        `${name}-secret`,
        {
            metadata: meta(NOTIFICATION_SECRET_NAME),
            type: "Opaque",
            stringData: pulumi.secret(pulumi.output(credential)),
        },
        opts,
    );
    const provider = new k8s.apiextensions.CustomResource(
        `${name}-provider`,
        notificationProvider({
            metadata: meta(NOTIFICATION_PROVIDER_NAME),
            type: notifications.provider,
            secretName: NOTIFICATION_SECRET_NAME,
            address: isGithub ? args.fleetRepositoryUrl : undefined,
        }),
        { ...opts, dependsOn: [...opts.dependsOn, secret] },
    );
    const failures = new k8s.apiextensions.CustomResource(
        `${name}-alert`,
        alert({
            metadata: meta(FAILURE_ALERT_NAME),
            providerName: NOTIFICATION_PROVIDER_NAME,
            // Commit statuses need successes as well as failures; chat channels only failures.
            severity: isGithub ? "info" : "error",
            kinds: isGithub ? ["Kustomization"] : FLUX_RECONCILED_KINDS,
            eventMetadata: { cluster: args.cluster },
        }),
        { ...opts, dependsOn: [...opts.dependsOn, provider] },
    );
    return [provider, failures];
}
