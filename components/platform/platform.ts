import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as time from "@pulumiverse/time";
import * as pulumi from "@pulumi/pulumi";
import { availabilityZones } from "../../src/azureRegions";
import type { PlatformConfig } from "./config";
import { kubeloginKubeconfig } from "./kubeconfig";
import { APP_ROUTING_NAMESPACE } from "../../src/namespaces";
import type { Names } from "../../src/naming";
import { CLUSTER_NETWORK } from "../../src/network";
import { roleAssignmentArgs } from "../../src/roleAssignments";

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

export interface PlatformArgs {
    /** Deterministic names of the stack's Azure resources (see `src/naming.ts`). */
    readonly names: Names;
    /** Validated platform settings: location, node pool, upgrade channels, network, registry SKU. */
    readonly config: PlatformConfig;
    /** Tags put on every Azure resource. */
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * The shared platform: resource group, Log Analytics, a hardened AKS cluster with its maintenance
 * window and audit logs, ACR with AcrPull for the kubelet, and a Kubernetes provider for the rest.
 */
export class Platform extends pulumi.ComponentResource {
    readonly resourceGroupName: pulumi.Output<string>;
    readonly location: pulumi.Output<string>;
    readonly subscriptionId: pulumi.Output<string>;
    readonly tenantId: pulumi.Output<string>;
    readonly workspaceId: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly clusterId: pulumi.Output<string>;
    readonly oidcIssuerUrl: pulumi.Output<string>;
    readonly kubeletObjectId: pulumi.Output<string>;
    readonly registryId: pulumi.Output<string>;
    readonly registryName: pulumi.Output<string>;
    readonly registryLoginServer: pulumi.Output<string>;
    /** kubelogin-ready kubeconfig of the cluster; secret. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly ingressNamespace: string;
    /** Object ids of the principals that deploy the stack (cluster admins, owners of Azure AD objects). */
    readonly deployerObjectIds: pulumi.Output<string[]>;
    /** The Kubernetes provider every in-cluster component must use. */
    readonly provider: k8s.Provider;
    /** The cluster resource itself, for components that need a dependency on it. */
    readonly cluster: containerservice.ManagedCluster;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:Platform", name, {}, opts);
        const { names, config, tags } = args;
        const parent = { parent: this };
        const stateful = { parent: this, protect: config.protect };
        const client = authorization.getClientConfigOutput(parent);

        const group = new resources.ResourceGroup(
            `${name}-rg`,
            { resourceGroupName: names.resourceGroup, location: config.location, tags },
            parent,
        );

        const workspace = new operationalinsights.Workspace(
            `${name}-logs`,
            {
                workspaceName: names.workspace,
                resourceGroupName: group.name,
                location: config.location,
                sku: { name: "PerGB2018" },
                retentionInDays: config.logRetentionDays,
                tags,
            },
            stateful, // it holds the cluster's audit trail
        );

        const cluster = new containerservice.ManagedCluster(
            `${name}-aks`,
            {
                resourceName: names.cluster,
                resourceGroupName: group.name,
                location: config.location,
                dnsPrefix: names.dnsPrefix,
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
                agentPoolProfiles: [
                    {
                        name: "system",
                        mode: "System",
                        osType: "Linux",
                        osSKU: "AzureLinux",
                        vmSize: config.nodeVmSize,
                        count: config.nodeCount,
                        availabilityZones: availabilityZones(config.location),
                        type: "VirtualMachineScaleSets",
                        maxPods: 110,
                        upgradeSettings: { maxSurge: "33%" },
                    },
                ],
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
            stateful,
        );

        // With Azure AD auth the Container Insights agent takes its configuration from a data collection
        // rule associated with the cluster (what `az aks enable-addons -a monitoring` creates).
        const insightsRule = new monitor.DataCollectionRule(
            `${name}-insights-dcr`,
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
            parent,
        );
        new monitor.DataCollectionRuleAssociation(
            `${name}-insights-dcra`,
            {
                associationName: "ContainerInsightsExtension",
                resourceUri: cluster.id,
                dataCollectionRuleId: insightsRule.id,
            },
            parent,
        );

        const clusterScope = { resourceGroupName: group.name, resourceName: cluster.name };
        const window = config.maintenanceWindow;
        const weekly = { weekly: { dayOfWeek: window.dayOfWeek, intervalWeeks: 1 } };
        // A window only for a channel that upgrades something: AKS has nothing to schedule otherwise.
        const schedules = [
            ...(config.upgradeChannel !== "none" ? ["aksManagedAutoUpgradeSchedule"] : []),
            ...(config.nodeOsUpgradeChannel === "NodeImage" || config.nodeOsUpgradeChannel === "SecurityPatch"
                ? ["aksManagedNodeOSUpgradeSchedule"]
                : []),
        ];
        for (const configName of schedules) {
            new containerservice.MaintenanceConfiguration(
                `${name}-${configName}`,
                {
                    ...clusterScope,
                    configName,
                    maintenanceWindow: {
                        schedule: weekly,
                        startTime: window.startTime,
                        durationHours: window.durationHours,
                        utcOffset: window.utcOffset,
                    },
                },
                parent,
            );
        }

        new monitor.DiagnosticSetting(
            `${name}-aks-audit`,
            {
                name: "audit-to-log-analytics",
                resourceUri: cluster.id,
                workspaceId: workspace.id,
                logAnalyticsDestinationType: "Dedicated",
                logs: CLUSTER_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
                metrics: [{ category: "AllMetrics", enabled: true }],
            },
            parent,
        );

        const registry = new containerregistry.Registry(
            `${name}-acr`,
            {
                registryName: names.registry,
                resourceGroupName: group.name,
                location: config.location,
                sku: { name: config.acrSku },
                adminUserEnabled: false,
                anonymousPullEnabled: false,
                tags,
            },
            stateful,
        );

        const kubeletObjectId = cluster.identityProfile.apply(
            (profile) => profile?.["kubeletidentity"]?.objectId ?? "",
        );
        // What `az aks update --attach-acr` did: the kubelet may pull from this registry only.
        new authorization.RoleAssignment(
            `${name}-kubelet-acrpull`,
            roleAssignmentArgs({
                subscriptionId: client.subscriptionId,
                role: "AcrPull",
                principalId: kubeletObjectId,
                principalType: "ServicePrincipal",
                scope: registry.id,
            }),
            parent,
        );

        // Local accounts are off, so whoever runs `pulumi up` needs Azure RBAC on the cluster to create
        // namespaces, Flux and tenants. Scoped to this cluster, never the subscription. Naming the
        // deployers in config keeps the grant stable when a person, CI or a preview runs the stack.
        const deployers =
            config.deployerObjectIds.length > 0
                ? pulumi.output([...config.deployerObjectIds])
                : client.objectId.apply((id) => [id]);
        const deployerGrants = (
            config.deployerObjectIds.length > 0
                ? config.deployerObjectIds.map((id) => ({ key: id, id: pulumi.output(id) }))
                : [{ key: "current", id: client.objectId }]
        ).map(
            ({ key, id }) =>
                new authorization.RoleAssignment(
                    `${name}-deployer-${key}-cluster-admin`,
                    roleAssignmentArgs({
                        subscriptionId: client.subscriptionId,
                        role: "AksRbacClusterAdmin",
                        principalId: id,
                        scope: cluster.id,
                    }),
                    parent,
                ),
        );
        // Azure RBAC grants on AKS take minutes to reach the API server: the first `pulumi up` would
        // otherwise meet 403s on its first Kubernetes objects. Waits only when the grants are created.
        const rbacPropagation = new time.Sleep(
            `${name}-rbac-propagation`,
            { createDuration: "5m" },
            { parent: this, dependsOn: deployerGrants },
        );

        if (config.ingressKeyVaultId) {
            // What `az aks approuting update --attach-kv` does: the add-on may read certificates of this vault only.
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
                `${name}-ingress-keyvault`,
                roleAssignmentArgs({
                    subscriptionId: client.subscriptionId,
                    role: "KeyVaultSecretsUser",
                    principalId: appRoutingIdentity,
                    principalType: "ServicePrincipal",
                    scope: config.ingressKeyVaultId,
                }),
                parent,
            );
        }

        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            { ...clusterScope, format: "exec" },
            parent,
        );
        this.kubeconfig = pulumi.secret(
            credentials.kubeconfigs.apply((configs) =>
                kubeloginKubeconfig(
                    Buffer.from(configs[0].value, "base64").toString("utf8"),
                    config.kubeloginMode,
                ),
            ),
        );
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true, deleteUnreachable: false },
            { parent: this, dependsOn: [cluster, rbacPropagation] },
        );

        this.cluster = cluster;
        this.resourceGroupName = group.name;
        this.location = pulumi.output(config.location);
        this.subscriptionId = client.subscriptionId;
        this.tenantId = client.tenantId;
        this.workspaceId = workspace.id;
        this.clusterName = cluster.name;
        this.clusterId = cluster.id;
        this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
        this.kubeletObjectId = kubeletObjectId;
        this.registryId = registry.id;
        this.registryName = registry.name;
        this.registryLoginServer = registry.loginServer;
        this.ingressNamespace = APP_ROUTING_NAMESPACE;
        this.deployerObjectIds = deployers;
        this.registerOutputs({
            resourceGroupName: this.resourceGroupName,
            location: this.location,
            subscriptionId: this.subscriptionId,
            tenantId: this.tenantId,
            workspaceId: this.workspaceId,
            clusterName: this.clusterName,
            clusterId: this.clusterId,
            oidcIssuerUrl: this.oidcIssuerUrl,
            kubeletObjectId: this.kubeletObjectId,
            registryId: this.registryId,
            registryName: this.registryName,
            registryLoginServer: this.registryLoginServer,
            kubeconfig: this.kubeconfig,
            ingressNamespace: this.ingressNamespace,
            deployerObjectIds: this.deployerObjectIds,
        });
    }
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
