import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as time from "@pulumiverse/time";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, UpgradeChannel, nodeResourceGroupName } from "./config";
import { kubeloginKubeconfig } from "./kubeconfig";
import { containerRegistry, RegistryOutputs } from "./registry";
import { systemPoolProfile, userPoolArgs } from "./nodePools";
import type { Names } from "../../src/naming";
import { GatewayRef, SHARED_GATEWAY } from "../../src/gateway";
import { CLUSTER_NETWORK } from "../../src/network";
import { roleAssignmentArgs } from "../../src/roleAssignments";
import type { BuiltInRole } from "../../src/roles";

/** Control-plane log categories sent to Log Analytics: the record of who did what on the cluster. */
export const CLUSTER_LOG_CATEGORIES = [
    "kube-audit-admin",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "cluster-autoscaler",
    "guard",
] as const;

/** Container Insights' default stream group: ContainerLogV2, KubeEvents, KubePodInventory, Perf... */
const CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default";

/**
 * What each kind of principal that runs the program may do inside the cluster, scoped to it. The
 * Azure and Microsoft Graph rights they also need are granted once, outside the stack (see
 * `components/identities/ciRights.ts`), because they are what runs the program.
 */
export const CLUSTER_ACCESS: Readonly<Record<"deployer" | "previewer", readonly BuiltInRole[]>> = {
    // Local accounts are off: creating namespaces, Flux and tenants needs Azure RBAC on the cluster.
    deployer: ["AksRbacClusterAdmin"],
    // Fetch the Azure AD kubeconfig (it holds no credential) and read objects; no Secrets, no writes.
    previewer: ["AksClusterUser", "AksRbacReader"],
};

/** How long Azure RBAC grants on AKS take to reach the API server, waited out before Kubernetes objects. */
export const RBAC_PROPAGATION = "5m";

export interface PlatformArgs {
    /** Deterministic names of the stack's Azure resources (see `src/naming.ts`). */
    readonly names: Names;
    /** Validated platform settings: location, pools, upgrade channels, network, registry SKU, who deploys. */
    readonly config: PlatformConfig;
    /** Tags put on every Azure resource. */
    readonly tags: Readonly<Record<string, string>>;
}

type ClientConfig = pulumi.Output<authorization.GetClientConfigResult>;

/**
 * The shared platform: resource group (protected, locked in prod), Log Analytics, a hardened AKS
 * cluster with a tainted system pool and autoscaled user pools, its maintenance windows and audit
 * logs, ACR in ABAC mode with Repository Reader for the kubelet, and a Kubernetes provider for the rest.
 */
export class Platform extends pulumi.ComponentResource {
    readonly resourceGroupName: pulumi.Output<string>;
    readonly location: pulumi.Output<string>;
    readonly subscriptionId: pulumi.Output<string>;
    readonly tenantId: pulumi.Output<string>;
    readonly workspaceId: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly clusterId: pulumi.Output<string>;
    /** The Kubernetes version the control plane runs now (MAJOR.MINOR.PATCH), what `flux check --pre` reads. */
    readonly kubernetesVersion: pulumi.Output<string>;
    readonly oidcIssuerUrl: pulumi.Output<string>;
    readonly kubeletObjectId: pulumi.Output<string>;
    readonly registryId: pulumi.Output<string>;
    readonly registryName: pulumi.Output<string>;
    readonly registryLoginServer: pulumi.Output<string>;
    /** kubelogin-ready kubeconfig of the cluster; secret. */
    readonly kubeconfig: pulumi.Output<string>;
    /** The shared Gateway the gateway step creates for the teams and ChartMuseum. */
    readonly gateway: GatewayRef;
    /** The old ingress controller's namespace still let into web apps during the move, if set. */
    readonly legacyIngressNamespace?: string;
    /** Object ids of the principals that deploy the stack (cluster admins, owners of Azure AD objects). */
    readonly deployerObjectIds: pulumi.Output<string[]>;
    /** The Kubernetes provider every in-cluster component must use. */
    readonly provider: k8s.Provider;
    /** The cluster resource itself, for components that need a dependency on it. */
    readonly cluster: containerservice.ManagedCluster;

    private readonly name: string;
    private readonly args: PlatformArgs;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:Platform", name, {}, opts);
        this.name = name;
        this.args = args;
        const client = authorization.getClientConfigOutput({ parent: this });

        const group = this.resourceGroup();
        const workspace = this.workspace(group);
        const cluster = this.managedCluster(group, workspace, client);
        const pools = this.userPools(group, cluster);
        this.containerInsights(group, cluster, workspace);
        this.maintenanceWindows(group, cluster);
        this.auditLogs(cluster, workspace);
        const registry = this.registry(group);
        const kubeletObjectId = this.kubeletPull(cluster, registry, client);
        this.ingressKeyVault(cluster, client);
        const deployerGrants = this.clusterAccess(cluster, client);
        this.kubeconfig = this.userKubeconfig(group, cluster, client);
        this.provider = this.kubernetesProvider(cluster, [...pools, this.rbacPropagation(deployerGrants)]);
        this.resourceGroupLock(group, [workspace, cluster, registry.resource, ...pools]);

        this.cluster = cluster;
        this.resourceGroupName = group.name;
        this.location = pulumi.output(args.config.location);
        this.subscriptionId = client.subscriptionId;
        this.tenantId = client.tenantId;
        this.workspaceId = workspace.id;
        this.clusterName = cluster.name;
        this.clusterId = cluster.id;
        this.kubernetesVersion = cluster.currentKubernetesVersion;
        this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
        this.kubeletObjectId = kubeletObjectId;
        this.registryId = registry.id;
        this.registryName = registry.name;
        this.registryLoginServer = registry.loginServer;
        this.gateway = SHARED_GATEWAY;
        this.legacyIngressNamespace = args.config.legacyIngressNamespace;
        this.deployerObjectIds = pulumi.output([...args.config.deployerObjectIds]);
        this.registerOutputs({
            resourceGroupName: this.resourceGroupName,
            location: this.location,
            subscriptionId: this.subscriptionId,
            tenantId: this.tenantId,
            workspaceId: this.workspaceId,
            clusterName: this.clusterName,
            clusterId: this.clusterId,
            kubernetesVersion: this.kubernetesVersion,
            oidcIssuerUrl: this.oidcIssuerUrl,
            kubeletObjectId: this.kubeletObjectId,
            registryId: this.registryId,
            registryName: this.registryName,
            registryLoginServer: this.registryLoginServer,
            kubeconfig: this.kubeconfig,
            gateway: this.gateway,
            deployerObjectIds: this.deployerObjectIds,
        });
    }

    private get parent(): pulumi.CustomResourceOptions {
        return { parent: this };
    }

    /** Stateful resources: protected where the stack says so (prod). */
    private get stateful(): pulumi.CustomResourceOptions {
        return { parent: this, protect: this.args.config.protect };
    }

    private resourceGroup(): resources.ResourceGroup {
        const { names, config, tags } = this.args;
        // Deleting the group deletes every resource of the stack at once, around Pulumi's protect.
        return new resources.ResourceGroup(
            `${this.name}-rg`,
            { resourceGroupName: names.resourceGroup, location: config.location, tags },
            this.stateful,
        );
    }

    private workspace(group: resources.ResourceGroup): operationalinsights.Workspace {
        const { names, config, tags } = this.args;
        return new operationalinsights.Workspace(
            `${this.name}-logs`,
            {
                workspaceName: names.workspace,
                resourceGroupName: group.name,
                location: config.location,
                sku: { name: "PerGB2018" },
                retentionInDays: config.logRetentionDays,
                tags,
            },
            this.stateful, // it holds the cluster's audit trail
        );
    }

    private managedCluster(
        group: resources.ResourceGroup,
        workspace: operationalinsights.Workspace,
        client: ClientConfig,
    ): containerservice.ManagedCluster {
        const { names, config, tags } = this.args;
        return new containerservice.ManagedCluster(
            `${this.name}-aks`,
            {
                resourceName: names.cluster,
                resourceGroupName: group.name,
                location: config.location,
                dnsPrefix: names.dnsPrefix,
                nodeResourceGroup: nodeResourceGroupName(names),
                kubernetesVersion: config.kubernetesVersion,
                sku: { name: "Base", tier: config.aksTier },
                identity: { type: "SystemAssigned" },
                enableRBAC: true,
                disableLocalAccounts: true,
                aadProfile: { managed: true, enableAzureRBAC: true, tenantID: client.tenantId },
                oidcIssuerProfile: { enabled: true },
                securityProfile: {
                    workloadIdentity: { enabled: true },
                    imageCleaner: { enabled: true, intervalHours: 48 },
                },
                apiServerAccessProfile:
                    config.apiServerAuthorizedIpRanges.length > 0
                        ? { authorizedIPRanges: [...config.apiServerAuthorizedIpRanges] }
                        : undefined,
                agentPoolProfiles: systemPoolProfile(config.systemPool, config.location),
                networkProfile: networkProfile(config.networkDataplane),
                autoUpgradeProfile: {
                    upgradeChannel: config.upgradeChannel,
                    nodeOSUpgradeChannel: config.nodeOsUpgradeChannel,
                },
                addonProfiles: {
                    // The Secrets Store CSI driver: how the app routing add-on reads TLS certificates from Key Vault.
                    azureKeyvaultSecretsProvider: {
                        enabled: true,
                        config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
                    },
                    omsagent: {
                        enabled: true,
                        config: { logAnalyticsWorkspaceResourceID: workspace.id, useAADAuth: "true" },
                    },
                },
                ingressProfile: { webAppRouting: { enabled: true } },
                tags,
            },
            { ...this.stateful, ignoreChanges: clusterIgnoreChanges(config.upgradeChannel) },
        );
    }

    /**
     * The teams' pools. A settings change Azure cannot apply in place gives the pool a new Azure name:
     * Pulumi creates the new pool, then AKS drains and deletes the old one (respecting PDBs).
     */
    private userPools(
        group: resources.ResourceGroup,
        cluster: containerservice.ManagedCluster,
    ): containerservice.AgentPool[] {
        const { config } = this.args;
        return config.userPools.map(
            (pool) =>
                new containerservice.AgentPool(
                    `${this.name}-pool-${pool.name}`,
                    {
                        resourceGroupName: group.name,
                        resourceName: cluster.name,
                        ...userPoolArgs(pool, config.location),
                    },
                    {
                        parent: this,
                        deleteBeforeReplace: false,
                        replaceOnChanges: ["agentPoolName"],
                        ignoreChanges: ["count"],
                    },
                ),
        );
    }

    /**
     * With Azure AD auth the Container Insights agent takes its configuration from a data collection
     * rule associated with the cluster (what `az aks enable-addons -a monitoring` creates).
     */
    private containerInsights(
        group: resources.ResourceGroup,
        cluster: containerservice.ManagedCluster,
        workspace: operationalinsights.Workspace,
    ): void {
        const { names, config, tags } = this.args;
        const rule = new monitor.DataCollectionRule(
            `${this.name}-insights-dcr`,
            {
                dataCollectionRuleName: `MSCI-${config.location}-${names.cluster}`.slice(0, 64),
                resourceGroupName: group.name,
                location: config.location,
                kind: "Linux",
                dataSources: {
                    extensions: [
                        {
                            name: "ContainerInsightsExtension",
                            extensionName: "ContainerInsights",
                            streams: [CONTAINER_INSIGHTS_STREAM],
                            extensionSettings: {
                                dataCollectionSettings: {
                                    interval: "1m",
                                    namespaceFilteringMode: "Off",
                                    enableContainerLogV2: true,
                                },
                            },
                        },
                    ],
                },
                destinations: { logAnalytics: [{ name: "workspace", workspaceResourceId: workspace.id }] },
                dataFlows: [{ streams: [CONTAINER_INSIGHTS_STREAM], destinations: ["workspace"] }],
                tags,
            },
            this.parent,
        );
        new monitor.DataCollectionRuleAssociation(
            `${this.name}-insights-dcra`,
            {
                associationName: "ContainerInsightsExtension",
                resourceUri: cluster.id,
                dataCollectionRuleId: rule.id,
            },
            this.parent,
        );
    }

    /** A window only for a channel that upgrades something: AKS has nothing to schedule otherwise. */
    private maintenanceWindows(
        group: resources.ResourceGroup,
        cluster: containerservice.ManagedCluster,
    ): void {
        const { config } = this.args;
        const window = config.maintenanceWindow;
        const schedules = [
            ...(config.upgradeChannel !== "none" ? ["aksManagedAutoUpgradeSchedule"] : []),
            ...(config.nodeOsUpgradeChannel === "NodeImage" || config.nodeOsUpgradeChannel === "SecurityPatch"
                ? ["aksManagedNodeOSUpgradeSchedule"]
                : []),
        ];
        for (const configName of schedules) {
            new containerservice.MaintenanceConfiguration(
                `${this.name}-${configName}`,
                {
                    resourceGroupName: group.name,
                    resourceName: cluster.name,
                    configName,
                    maintenanceWindow: {
                        schedule: { weekly: { dayOfWeek: window.dayOfWeek, intervalWeeks: 1 } },
                        startTime: window.startTime,
                        durationHours: window.durationHours,
                        utcOffset: window.utcOffset,
                    },
                },
                this.parent,
            );
        }
    }

    private auditLogs(
        cluster: containerservice.ManagedCluster,
        workspace: operationalinsights.Workspace,
    ): void {
        new monitor.DiagnosticSetting(
            `${this.name}-aks-audit`,
            {
                name: "audit-to-log-analytics",
                resourceUri: cluster.id,
                workspaceId: workspace.id,
                logAnalyticsDestinationType: "Dedicated",
                logs: CLUSTER_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
                metrics: [{ category: "AllMetrics", enabled: true }],
            },
            this.parent,
        );
    }

    private registry(group: resources.ResourceGroup): RegistryOutputs {
        const { names, config, tags } = this.args;
        const spec = {
            registryName: names.registry,
            resourceGroupName: group.name,
            location: config.location,
            sku: config.acrSku,
            tags,
        };
        return containerRegistry(`${this.name}-acr`, spec, this.stateful);
    }

    /**
     * What `az aks update --attach-acr` did, in the registry's ABAC mode: the kubelet may pull every
     * repository of this registry only (admission decides which images a namespace may run).
     */
    private kubeletPull(
        cluster: containerservice.ManagedCluster,
        registry: RegistryOutputs,
        client: ClientConfig,
    ): pulumi.Output<string> {
        const kubeletObjectId = cluster.identityProfile.apply(
            (profile) => profile?.["kubeletidentity"]?.objectId ?? "",
        );
        new authorization.RoleAssignment(
            `${this.name}-kubelet-acr-reader`,
            roleAssignmentArgs({
                subscriptionId: client.subscriptionId,
                role: "AcrRepositoryReader",
                principalId: kubeletObjectId,
                principalType: "ServicePrincipal",
                scope: registry.id,
            }),
            this.parent,
        );
        return kubeletObjectId;
    }

    /**
     * What `az aks approuting update --attach-kv` does: the add-on's NGINX may read certificates of
     * this vault only. Only while NGINX still serves (`legacyIngressNamespace`): the shared Gateway
     * reads its certificates with an identity of its own (gateway-tls).
     */
    private ingressKeyVault(cluster: containerservice.ManagedCluster, client: ClientConfig): void {
        const vault = this.args.config.ingressKeyVaultId;
        if (!vault || !this.args.config.legacyIngressNamespace) return;
        const appRoutingIdentity = cluster.ingressProfile.apply((p) => {
            const objectId = p?.webAppRouting?.identity?.objectId;
            if (!objectId)
                throw new pulumi.ResourceError(
                    "AKS reported no identity for the application routing add-on",
                    this,
                );
            return objectId;
        });
        new authorization.RoleAssignment(
            `${this.name}-ingress-keyvault`,
            roleAssignmentArgs({
                subscriptionId: client.subscriptionId,
                role: "KeyVaultSecretsUser",
                principalId: appRoutingIdentity,
                principalType: "ServicePrincipal",
                scope: vault,
            }),
            this.parent,
        );
    }

    /**
     * Each named deployer and previewer gets its CLUSTER_ACCESS roles on this cluster, never wider.
     * Named in config, the grants stay the same whoever runs the stack. Returns the deployers' grants.
     */
    private clusterAccess(
        cluster: containerservice.ManagedCluster,
        client: ClientConfig,
    ): authorization.RoleAssignment[] {
        const { config } = this.args;
        const grant = (kind: keyof typeof CLUSTER_ACCESS, id: string) =>
            CLUSTER_ACCESS[kind].map(
                (role) =>
                    new authorization.RoleAssignment(
                        `${this.name}-${kind}-${id}-${ROLE_SUFFIX[role] ?? role}`,
                        roleAssignmentArgs({
                            subscriptionId: client.subscriptionId,
                            role,
                            principalId: id,
                            scope: cluster.id,
                        }),
                        this.parent,
                    ),
            );
        config.previewerObjectIds.forEach((id) => grant("previewer", id));
        return config.deployerObjectIds.flatMap((id) => grant("deployer", id));
    }

    /**
     * Azure RBAC grants on AKS take minutes to reach the API server: Kubernetes objects wait. The
     * grants' ids are the wait's triggers, so a changed grant is waited for again instead of used at once.
     */
    private rbacPropagation(grants: authorization.RoleAssignment[]): time.Sleep {
        const triggers = pulumi
            .all(grants.map((g) => g.id))
            .apply((ids) => ({ clusterGrants: [...ids].sort().join(",") }));
        return new time.Sleep(
            `${this.name}-rbac-propagation`,
            { createDuration: RBAC_PROPAGATION, triggers },
            { parent: this, dependsOn: grants },
        );
    }

    /**
     * The cluster's Azure AD user kubeconfig (no credential in it: local accounts are off), rewritten
     * for kubelogin. Refuses a runner the config does not name: its grant would not exist.
     */
    private userKubeconfig(
        group: resources.ResourceGroup,
        cluster: containerservice.ManagedCluster,
        client: ClientConfig,
    ): pulumi.Output<string> {
        const { config } = this.args;
        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            { resourceGroupName: group.name, resourceName: cluster.name, format: "exec" },
            this.parent,
        );
        const runner = client.objectId.apply((objectId) => {
            const problem = runnerProblem(objectId, config, pulumi.runtime.isDryRun());
            if (problem) throw new pulumi.ResourceError(problem, this);
            return objectId;
        });
        return pulumi.secret(
            pulumi
                .all([credentials.kubeconfigs, runner])
                .apply(([configs]) =>
                    kubeloginKubeconfig(
                        Buffer.from(configs[0].value, "base64").toString("utf8"),
                        config.kubeloginMode,
                    ),
                ),
        );
    }

    /** One provider for every Kubernetes object, usable once the grants propagated and the user pools run. */
    private kubernetesProvider(
        cluster: containerservice.ManagedCluster,
        ready: pulumi.Resource[],
    ): k8s.Provider {
        return new k8s.Provider(
            `${this.name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true, deleteUnreachable: false },
            { parent: this, dependsOn: [cluster, ...ready] },
        );
    }

    /**
     * A CanNotDelete lock on the group (prod). It depends on what lives in the group, so turning it off
     * deletes it before anything else the same update deletes (a pool rotation, for one).
     */
    private resourceGroupLock(group: resources.ResourceGroup, contents: pulumi.Resource[]): void {
        if (!this.args.config.resourceGroupLock) return;
        new authorization.ManagementLockAtResourceGroupLevel(
            `${this.name}-rg-lock`,
            {
                resourceGroupName: group.name,
                lockName: "platform-cannot-delete",
                level: "CanNotDelete",
                notes: "Pulumi stack lock (config resourceGroupLock): nothing in this group can be deleted while it is on.",
            },
            { parent: this, dependsOn: contents },
        );
    }
}

const ROLE_SUFFIX: Partial<Record<BuiltInRole, string>> = {
    AksRbacClusterAdmin: "cluster-admin",
    AksClusterUser: "cluster-user",
    AksRbacReader: "rbac-reader",
};

/**
 * Why the principal running the program may not, or undefined: `pulumi up` must be a named deployer
 * (its cluster grant and Azure AD ownership exist), a preview a named deployer or previewer.
 */
export function runnerProblem(
    objectId: string,
    access: Pick<PlatformConfig, "deployerObjectIds" | "previewerObjectIds">,
    preview: boolean,
): string | undefined {
    const id = objectId.toLowerCase();
    if (access.deployerObjectIds.includes(id)) return undefined;
    if (preview && access.previewerObjectIds.includes(id)) return undefined;
    const list = preview ? "deployerObjectIds or previewerObjectIds" : "deployerObjectIds";
    return `the principal running this ${preview ? "preview" : "update"} (object id ${objectId}) is not in ${list}: add it to the stack file, or run as a listed principal`;
}

/** Azure CNI overlay; Cilium as dataplane and policy engine, or the Azure dataplane with Calico. */
function networkProfile(
    dataplane: PlatformConfig["networkDataplane"],
): containerservice.ManagedClusterArgs["networkProfile"] {
    return {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataplane: dataplane === "cilium" ? "cilium" : "azure",
        networkPolicy: dataplane,
        podCidr: CLUSTER_NETWORK.podCidr,
        serviceCidr: CLUSTER_NETWORK.serviceCidr,
        dnsServiceIP: CLUSTER_NETWORK.dnsServiceIP,
        loadBalancerSku: "standard",
        outboundType: "loadBalancer",
    };
}

/**
 * What the cluster resource leaves to Azure after creation, so a refreshed state shows no diff:
 * - `agentPoolProfiles`, whole: a refresh copies every pool into it (the user pools that are their own
 *   AgentPool resources too) with what AKS fills in (counts the autoscaler set, `orchestratorVersion`
 *   after an upgrade, defaults). Pulumi cannot ignore array elements the program does not declare
 *   (`PropertyPath.Reset` never adds or removes array items: pulumi/pulumi
 *   sdk/go/common/resource/properties_path.go at 1b59498), so per-item paths would still show the
 *   refreshed pools as removed. The system pool's settings therefore apply at creation (README, Node
 *   pools, says how to change its bounds later).
 * - `kubernetesVersion` where AKS moves the minor version itself (`stable`, `rapid`): the program
 *   declares none there, and a refresh records the one AKS upgraded to. With `patch` the program's
 *   MAJOR.MINOR stays what changes the minor version, so it is not ignored.
 */
export function clusterIgnoreChanges(upgradeChannel: UpgradeChannel): string[] {
    const movesMinor = upgradeChannel === "stable" || upgradeChannel === "rapid";
    return ["agentPoolProfiles", ...(movesMinor ? ["kubernetesVersion"] : [])];
}
