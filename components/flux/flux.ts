import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { ChartRepositoryMode } from "../../src/charts";
import { FleetRepositoryConfig, FluxConfig, fluxChartLine, fluxPrerequisiteProblem } from "./config";
import { assertNever } from "../../src/assertNever";
import {
    FLUX_RECONCILED_KINDS,
    FluxNotifications,
    FluxObject,
    alert,
    notificationProvider,
} from "../../src/flux";
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
    objectIdentityClusterRole,
    objectIdentityClusterRoleBinding,
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
     * The Kubernetes version the cluster runs (MAJOR.MINOR.PATCH): checked against the chart's Flux
     * before anything of Flux is created, what the chart's `flux check --pre` hook would do.
     */
    readonly kubernetesVersion: pulumi.Input<string>;
    /**
     * Protect the fleet repository from deletion when this component creates it (the platform's
     * `protect`). Default false. Has no effect on an existing repository, which is only read.
     */
    readonly protect?: boolean;
    /**
     * Where teams' charts live. `acr-oci`: source-controller reads each team's OCIRepositories as the
     * ServiceAccount they name (object-level workload identity: the feature gate, and RBAC to read and
     * mint tokens for service accounts); it has no Azure identity of its own in any mode. Default
     * `chartmuseum` (neither).
     */
    readonly chartRepositoryMode?: ChartRepositoryMode;
}

/** Annotation on flux-system recording the `flux check --pre` constraint the cluster passed. */
export const FLUX_PREFLIGHT_ANNOTATION = "gitops.platform/flux-check-pre";

/**
 * Helm post-renderer keeping only the CustomResourceDefinitions of the rendered chart (a top-level
 * `kind:` line): the flux2 chart renders its CRDs only with their controllers, so the CRDs are
 * installed from the same chart and version as a resource of their own. Run by `node`, which every
 * machine running this program has.
 */
export const CRDS_ONLY_POST_RENDERER = [
    'let s="";process.stdin.setEncoding("utf8");',
    'process.stdin.on("data",(d)=>{s+=d;}).on("end",()=>{',
    "const docs=s.split(/^---[ \\t]*$/m).filter((d)=>/^kind:[ \\t]*CustomResourceDefinition[ \\t]*$/m.test(d));",
    'process.stdout.write(docs.map((d)=>"---\\n"+d.trim()+"\\n").join(""));});',
].join("");

type GithubFleet = Extract<FleetRepositoryConfig, { kind: "github" }>;

/** The platform's lockdown of a Flux it did not install: the network policies and RBAC are its children. */
class FluxLockdown extends pulumi.ComponentResource {
    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super("gitops:flux:Lockdown", name, {}, opts);
    }

    /** Called once every child is registered. */
    done(): void {
        this.registerOutputs({});
    }
}

interface FleetRepository {
    readonly name: pulumi.Output<string>;
    /** The repository when this stack creates it. */
    readonly created?: github.Repository;
    /** What must exist before the first commit (the default branch of a created repository). */
    readonly branchReady: pulumi.Resource[];
}

/**
 * `flux bootstrap github --owner --repository --branch --path=clusters/<stack>` as resources: the fleet
 * repository (read, or created private with its branch protected), a read-only ed25519 deploy key, the
 * cluster folder seeded with a kustomization.yaml, the Flux CRDs then the controllers (pinned, locked
 * down for multi-tenancy), the flux-system GitRepository and Kustomization, and alerts on failures.
 */
export class Flux extends pulumi.ComponentResource {
    /** Namespace of the Flux controllers ("flux-system"). */
    readonly namespace: string;
    /** The Flux controllers, after their CRDs: what every Flux custom resource must depend on. */
    readonly installation: pulumi.Resource;
    /** Web address of the fleet repository, https://github.com/<owner>/<repository>. */
    readonly fleetRepositoryUrl: pulumi.Output<string>;

    private readonly name: string;
    private readonly args: FluxArgs;

    constructor(name: string, args: FluxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:flux:Flux", name, {}, opts);
        this.name = name;
        this.args = args;
        const { config, stack } = args;

        // --- Cluster: the Flux CRDs and the controllers (or only their lockdown, when Flux is not ours).
        // flux-system is the platform's when it installs Flux; `flux install` made it otherwise, and
        // a destroy must not take the Flux someone else installed with it.
        const namespace = config.install === "chart" ? [this.fluxNamespace()] : [];
        const installation =
            config.install === "chart" ? this.controllers(namespace) : this.lockdown(namespace);
        // --- The fleet: its repository, and the sync objects that make the cluster follow it.
        const fleetUrl = this.fleet(namespace, installation);

        // --- Notifications: ops hear of a failed reconciliation.
        failureAlerts(
            `${name}-notification`,
            {
                namespace: FLUX_NAMESPACE,
                notifications: config.notifications,
                cluster: stack,
                fleetRepositoryUrl: fleetUrl,
            },
            { parent: this, provider: args.provider, dependsOn: [installation, ...namespace] },
        );

        this.namespace = FLUX_NAMESPACE;
        this.installation = installation;
        this.fleetRepositoryUrl = pulumi.output(fleetUrl);
        this.registerOutputs({
            namespace: this.namespace,
            installation: this.installation,
            fleetRepositoryUrl: this.fleetRepositoryUrl,
        });
    }

    private get kube(): pulumi.CustomResourceOptions {
        return { parent: this, provider: this.args.provider };
    }

    /** The fleet's sync objects, after what the fleet needs first; returns its web address. */
    private fleet(namespace: pulumi.Resource[], installation: pulumi.Resource): string {
        const { fleet } = this.args.config;
        switch (fleet.kind) {
            case "github":
                return this.githubFleet(namespace, installation, fleet);
            case "url":
                this.syncObjects(namespace, installation, { url: fleet.url, after: [] });
                return fleet.url;
            default:
                return assertNever(fleet, "fleet repository kind");
        }
    }

    /** `flux bootstrap github`: the repository, the cluster folder, a read-only deploy key, then the sync. */
    private githubFleet(
        namespace: pulumi.Resource[],
        installation: pulumi.Resource,
        fleet: GithubFleet,
    ): string {
        const githubProvider = new github.Provider(
            `${this.name}-github`,
            { owner: fleet.githubOwner, token: fleet.githubToken },
            { parent: this },
        );
        const gh = { parent: this, provider: githubProvider };
        const repository = this.fleetRepository(gh, fleet);
        const clusterFolder = this.clusterFolder(gh, repository);
        this.branchProtection(gh, repository, clusterFolder);
        const key = new tls.PrivateKey(`${this.name}-deploy-key`, { algorithm: "ED25519" }, { parent: this });
        const deployKey = new github.RepositoryDeployKey(
            `${this.name}-deploy-key`,
            // Flux only reads the fleet: a leaked cluster cannot push to it.
            {
                repository: repository.name,
                title: `flux-${this.args.stack} (Pulumi)`,
                key: key.publicKeyOpenssh,
                readOnly: true,
            },
            gh,
        );
        this.syncObjects(namespace, installation, {
            url: fleetSshUrl(fleet.githubOwner, fleet.repository),
            key,
            // The key must be accepted by GitHub and the folder exist before the first fetch.
            after: [deployKey, clusterFolder],
        });
        return fleetHtmlUrl(fleet.githubOwner, fleet.repository);
    }

    /** The existing repository (read at preview too: one the token cannot see fails before any change), or a new private one. */
    private fleetRepository(gh: pulumi.CustomResourceOptions, fleet: GithubFleet): FleetRepository {
        const { config } = this.args;
        if (!fleet.createRepository) {
            const existing = github.getRepositoryOutput(
                { fullName: `${fleet.githubOwner}/${fleet.repository}` },
                gh,
            );
            return { name: existing.name, branchReady: [] };
        }
        const created = new github.Repository(
            `${this.name}-fleet-repo`,
            {
                name: fleet.repository,
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
            { ...gh, protect: this.args.protect ?? false },
        );
        const defaultBranch = new github.BranchDefault(
            `${this.name}-fleet-default-branch`,
            { repository: created.name, branch: config.branch, rename: true },
            gh,
        );
        return { name: created.name, created, branchReady: [defaultBranch] };
    }

    /**
     * The cluster folder's kustomization.yaml, a seed: once written the platform team edits it in Git
     * and Pulumi leaves it alone. Kept in the repository on destroy (the fleet's history is not the
     * stack's to delete), so a later create adopts the file as it is instead of failing on it.
     */
    private clusterFolder(gh: pulumi.CustomResourceOptions, fleet: FleetRepository): github.RepositoryFile {
        const { config, stack } = this.args;
        const file = `${config.path}/kustomization.yaml`;
        const existing = github.getRepositoryFileOutput(
            { repository: fleet.name, branch: config.branch, file },
            { ...gh, dependsOn: fleet.branchReady },
        );
        return new github.RepositoryFile(
            `${this.name}-cluster-folder`,
            {
                repository: fleet.name,
                branch: config.branch,
                file,
                content: existing.content.apply((content) =>
                    seedContent(content, clusterKustomizationYaml(stack, config.path)),
                ),
                commitMessage: `Add ${config.path} for Flux (Pulumi stack ${stack})`,
                // Overwrites only with what the file already holds: the retained file of a destroyed stack.
                overwriteOnCreate: true,
            },
            {
                ...gh,
                dependsOn: fleet.branchReady,
                ignoreChanges: ["content", "commitMessage"],
                retainOnDelete: true,
            },
        );
    }

    private branchProtection(
        gh: pulumi.CustomResourceOptions,
        fleet: FleetRepository,
        clusterFolder: github.RepositoryFile,
    ): void {
        if (!fleet.created) return;
        new github.BranchProtection(
            `${this.name}-fleet-branch-protection`,
            {
                repositoryId: fleet.created.nodeId,
                pattern: this.args.config.branch,
                enforceAdmins: false,
                allowsDeletions: false,
                allowsForcePushes: false,
                requiredLinearHistory: true,
                requireConversationResolution: true,
                requiredPullRequestReviews: [{ requiredApprovingReviewCount: 1, dismissStaleReviews: true }],
            },
            // After the seed commit, which goes straight to the branch.
            { ...gh, dependsOn: [clusterFolder] },
        );
    }

    /** flux-system, created only on a cluster whose Kubernetes the chart's Flux supports. */
    private fluxNamespace(): k8s.core.v1.Namespace {
        const { config, kubernetesVersion } = this.args;
        const constraint = pulumi.output(kubernetesVersion).apply((version) => {
            const problem = fluxPrerequisiteProblem(config.chartVersion, version);
            if (problem) throw new pulumi.ResourceError(`flux check --pre failed: ${problem}`, this);
            return `kubernetes>=${fluxChartLine(config.chartVersion)!.minimumKubernetes}`;
        });
        return new k8s.core.v1.Namespace(
            `${this.name}-namespace`,
            {
                metadata: {
                    name: FLUX_NAMESPACE,
                    labels: {
                        "app.kubernetes.io/part-of": "flux",
                        "app.kubernetes.io/instance": FLUX_NAMESPACE,
                    },
                    annotations: { [FLUX_PREFLIGHT_ANNOTATION]: constraint },
                },
            },
            this.kube,
        );
    }

    /**
     * The CRDs, then the controllers, from the same pinned chart. The controllers depend on the CRDs,
     * so they start with their kinds served, and on destroy they go first, the CRDs last: every Flux
     * object (which depends on the controllers) is deleted while its controller still runs.
     */
    private controllers(namespace: pulumi.Resource[]): k8s.helm.v4.Chart {
        const { config } = this.args;
        const objectLevelWorkloadIdentity = this.args.chartRepositoryMode === "acr-oci";
        const chart = {
            chart: FLUX_INSTALL.chart,
            repositoryOpts: { repo: config.chartRepository },
            version: config.chartVersion,
            name: FLUX_INSTALL.releaseName,
            namespace: FLUX_NAMESPACE,
        };
        const values = fluxChartValues();
        const crds = new k8s.helm.v4.Chart(
            `${this.name}-crds`,
            { ...chart, values, postRenderer: { command: "node", args: ["-e", CRDS_ONLY_POST_RENDERER] } },
            { ...this.kube, dependsOn: namespace },
        );
        const networkPolicies = this.networkPolicies(namespace);
        const rbac = objectLevelWorkloadIdentity ? this.objectIdentityRbac() : [];
        return new k8s.helm.v4.Chart(
            `${this.name}-controllers`,
            { ...chart, values: { ...values, installCRDs: false } },
            { ...this.kube, dependsOn: [...namespace, crds, ...networkPolicies, ...rbac] },
        );
    }

    /**
     * Flux installed by someone else (`flux install`, the e2e): the platform's network policies and
     * RBAC only, which the sync objects wait for. The Flux CRDs must already be served.
     */
    private lockdown(namespace: pulumi.Resource[]): pulumi.Resource {
        // Depending on a component waits for its children: the policies and RBAC are its own.
        const lockdown = new FluxLockdown(`${this.name}-lockdown`, { parent: this });
        this.networkPolicies(namespace, lockdown);
        if (this.args.chartRepositoryMode === "acr-oci") this.objectIdentityRbac(lockdown);
        lockdown.done();
        return lockdown;
    }

    /** The platform's policies before the controllers start, so flux-system is never open. */
    private networkPolicies(namespace: pulumi.Resource[], parent: pulumi.Resource = this): pulumi.Resource[] {
        return fluxNetworkPolicies().map(
            (p) =>
                new k8s.networking.v1.NetworkPolicy(
                    `${this.name}-netpol-${p.metadata.name}`,
                    { metadata: p.metadata, spec: p.spec as k8s.types.input.networking.v1.NetworkPolicySpec },
                    { parent, provider: this.args.provider, dependsOn: namespace },
                ),
        );
    }

    /** What source-controller needs to read OCIRepositories as their ServiceAccounts, which the chart lacks. */
    private objectIdentityRbac(parent: pulumi.Resource = this): pulumi.Resource[] {
        const kube = { parent, provider: this.args.provider };
        const role = objectIdentityClusterRole();
        const binding = objectIdentityClusterRoleBinding(FLUX_NAMESPACE);
        return [
            new k8s.rbac.v1.ClusterRole(
                `${this.name}-object-identity-role`,
                { metadata: role.metadata, rules: role.rules },
                kube,
            ),
            new k8s.rbac.v1.ClusterRoleBinding(
                `${this.name}-object-identity-binding`,
                { metadata: binding.metadata, roleRef: binding.roleRef, subjects: binding.subjects },
                kube,
            ),
        ];
    }

    /**
     * The flux-system GitRepository and Kustomization that make the cluster follow the fleet, and the
     * Secret with the deploy key when the fleet needs one.
     */
    private syncObjects(
        namespace: pulumi.Resource[],
        installation: pulumi.Resource,
        fleet: { readonly url: string; readonly key?: tls.PrivateKey; readonly after: pulumi.Resource[] },
    ): void {
        const { config } = this.args;
        const meta = { name: FLUX_SYNC_NAME, namespace: FLUX_NAMESPACE };
        const custom = (resourceName: string, object: FluxObject, dependsOn: pulumi.Resource[]) =>
            new k8s.apiextensions.CustomResource(resourceName, object, {
                ...this.kube,
                dependsOn: [installation, ...dependsOn],
            });
        const key = fleet.key;
        const syncSecret = key
            ? new k8s.core.v1.Secret(
                  `${this.name}-sync-secret`,
                  {
                      metadata: meta,
                      type: "Opaque",
                      // The private key travels only inside this secret input.
                      stringData: pulumi.secret(
                          pulumi
                              .all([key.privateKeyOpenssh, key.publicKeyOpenssh])
                              .apply(([privateKey, publicKey]) => gitSshSecretData(privateKey, publicKey)),
                      ),
                  },
                  { ...this.kube, dependsOn: namespace },
              )
            : undefined;
        const source = custom(
            `${this.name}-git-repository`,
            fleetSource({
                metadata: meta,
                url: fleet.url,
                branch: config.branch,
                interval: config.sourceInterval,
                secretName: syncSecret ? FLUX_SYNC_NAME : undefined,
            }),
            [...(syncSecret ? [syncSecret] : []), ...fleet.after],
        );
        custom(
            `${this.name}-kustomization`,
            fleetSync({
                metadata: meta,
                path: config.path,
                interval: config.reconcileInterval,
                sourceName: FLUX_SYNC_NAME,
                serviceAccountName: FLEET_SERVICE_ACCOUNT,
            }),
            [source],
        );
    }
}

/** The cluster folder's first content: what the fleet already holds there, else the seed. */
export function seedContent(existing: string | undefined, seed: string): string {
    return existing && existing.length > 0 ? existing : seed;
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
