// Every config key the program reads, declared once: the readers in components/<step>/config.ts take
// their defaults from here, and `npm run gen` writes Pulumi.yaml's `config:` block and the README's
// configuration reference from it (a test fails when either is out of date).

import { GATEWAY_NAMESPACE } from "../namespaces";

/** The step of the program that reads a key (its folder under components/). */
export type Step = "platform" | "identities" | "charts" | "flux" | "tenants" | "devops" | "monitoring";

/** How each step is titled in Pulumi.yaml and the README, in the program's order. */
export const STEP_TITLES: Readonly<Record<Step, string>> = {
    platform: "Platform",
    identities: "Identities",
    charts: "Chart repository",
    flux: "Flux",
    tenants: "Tenants",
    devops: "Azure DevOps",
    monitoring: "Monitoring",
};

/** Pulumi's project config types, plus `object` for structured keys Pulumi.yaml cannot type. */
export type KeyType = "string" | "integer" | "boolean" | "list" | "object";

export interface KeyDeclaration {
    readonly step: Step;
    readonly type: KeyType;
    /** What the program uses when the stack file does not set the key. No default: the key is required. */
    readonly default?:
        string | number | boolean | readonly string[] | readonly Readonly<Record<string, unknown>>[];
    /** Set with `pulumi config set --secret`; a plaintext value is refused. */
    readonly secret?: boolean;
    /**
     * Not declared in Pulumi.yaml: structured keys (the CLI types scalars and lists only) and optional
     * secrets (the CLI requires a declared key without a default, and a secret cannot have one).
     */
    readonly undeclared?: boolean;
    /**
     * Which stacks read the key: environment stacks (the default: staging, prod), the delivery stack
     * (the organisation's CI), or all. A key set in a stack that does not read it is an error.
     */
    readonly stacks?: StackRole | "all" | readonly StackRole[];
    /** A secret only some settings need (a webhook URL): no offline placeholder, no error when unset. */
    readonly optional?: boolean;
    /** An object with one secret per team, keyed by team name (offline: one placeholder per team file). */
    readonly perTeam?: boolean;
    readonly description: string;
}

/**
 * What a stack is: an environment (AKS cluster, registry, charts, teams), the organisation's delivery
 * (CI), or a cluster (an existing Kubernetes cluster reached by a kubeconfig: Flux's configuration,
 * the admission policies and the teams, nothing of Azure; a laptop's kind cluster, the e2e).
 */
export type StackRole = "environment" | "delivery" | "cluster";
export const STACK_ROLES = ["environment", "delivery", "cluster"] as const satisfies readonly StackRole[];

/** The roles of the stacks that read a key. */
export function stacksReading(d: KeyDeclaration): readonly StackRole[] {
    const stacks = d.stacks ?? "environment";
    if (stacks === "all") return STACK_ROLES;
    return typeof stacks === "string" ? [stacks as StackRole] : stacks;
}

/** Environment keys a cluster stack reads too: Flux's sync settings and the teams' version policy. */
const ENVIRONMENT_AND_CLUSTER = ["environment", "cluster"] as const satisfies readonly StackRole[];

export const CONFIG_KEYS = {
    // platform
    location: {
        step: "platform",
        type: "string",
        description: "Azure region of every resource, e.g. westeurope. Required.",
    },
    globalNameSeed: {
        step: "platform",
        type: "string",
        description:
            "Mixed into the hash of globally unique names (registry, storage account, DNS label), e.g. your organisation's name, so another organisation's deployment of this project cannot take them. Required; never change it after the first up (the registry and storage would be replaced).",
    },
    protect: {
        step: "platform",
        type: "boolean",
        default: false,
        description:
            "Protect the resource group, cluster, registry, workspace and storage from deletion (true in prod).",
    },
    resourceGroupLock: {
        step: "platform",
        type: "boolean",
        default: false,
        description:
            "Put a CanNotDelete management lock on the stack's resource group (true in prod). While it is on, Azure refuses every delete inside the group, node pool rotation included: turn it off in the same change.",
    },
    kubernetesVersion: {
        step: "platform",
        type: "string",
        default: "",
        description:
            "AKS version MAJOR.MINOR (upgradeChannel patch) or MAJOR.MINOR.PATCH (node-image or none); empty lets AKS choose, and is the only choice with stable or rapid.",
    },
    systemPoolMinCount: {
        step: "platform",
        type: "integer",
        default: 2,
        description:
            "Fewest nodes of the system pool (CriticalAddonsOnly: CoreDNS, metrics, Flux), 1 to 100; the cluster autoscaler never goes below.",
    },
    systemPoolMaxCount: {
        step: "platform",
        type: "integer",
        default: 3,
        description: "Most nodes of the system pool, systemPoolMinCount to 100.",
    },
    userPools: {
        step: "platform",
        type: "object",
        default: [{ name: "apps", vmSize: "Standard_D4ds_v5", minCount: 2, maxCount: 5 }],
        undeclared: true,
        description:
            "Node pools the teams' workloads run on, each { name, vmSize, minCount, maxCount, zones?, osSku?, maxPods?, labels?, taints? }, vmSize from the capacity table (components/platform/vmSizes.ts); at maxCount the pools must hold every team's quota. See README \"Node pools\".",
    },
    aksTier: {
        step: "platform",
        type: "string",
        default: "Standard",
        description: "AKS pricing tier, Free | Standard | Premium (Standard has the uptime SLA).",
    },
    upgradeChannel: {
        step: "platform",
        type: "string",
        default: "patch",
        description: "AKS auto-upgrade channel, patch | stable | rapid | node-image | none.",
    },
    nodeOsUpgradeChannel: {
        step: "platform",
        type: "string",
        default: "NodeImage",
        description:
            "Node OS patching, NodeImage | SecurityPatch | Unmanaged | None; upgradeChannel node-image requires NodeImage.",
    },
    maintenanceDay: {
        step: "platform",
        type: "string",
        default: "Sunday",
        description: "Day of the weekly maintenance window for upgrades and node OS patches.",
    },
    maintenanceStartTime: {
        step: "platform",
        type: "string",
        default: "02:00",
        description: "Start of the maintenance window, HH:MM in maintenanceUtcOffset.",
    },
    maintenanceDurationHours: {
        step: "platform",
        type: "integer",
        default: 4,
        description: "Length of the maintenance window in hours, 4 to 24.",
    },
    maintenanceUtcOffset: {
        step: "platform",
        type: "string",
        default: "+00:00",
        description: "UTC offset of the maintenance window, e.g. +01:00.",
    },
    networkDataplane: {
        step: "platform",
        type: "string",
        default: "cilium",
        description: "Network policy engine on Azure CNI overlay, cilium | calico.",
    },
    acrSku: {
        step: "platform",
        type: "string",
        default: "Standard",
        description: "Container registry SKU, Basic | Standard | Premium.",
    },
    logRetentionDays: {
        step: "platform",
        type: "integer",
        default: 30,
        description: "Log Analytics retention in days, 30 to 730.",
    },
    apiServerAuthorizedIpRanges: {
        step: "platform",
        type: "list",
        default: [],
        description:
            "IPv4 CIDRs allowed to reach the API server; empty allows any (Azure AD still required).",
    },
    ingressKeyVaultId: {
        step: "platform",
        type: "string",
        default: "",
        description:
            "Resource id of the Key Vault holding the shared Gateway's TLS certificates (ChartMuseum's and the teams'); the Gateway's identity reads it, and the app routing add-on too while legacyIngressNamespace is set.",
    },
    deployerObjectIds: {
        step: "platform",
        type: "list",
        description:
            "Object ids of every principal that runs pulumi up (the engineers of the first up, the CI deploy identity): RBAC Cluster Admin on the cluster. Required, at least one.",
    },
    ownerObjectIds: {
        step: "platform",
        type: "list",
        description:
            "Object ids of the service principals (never users) that own the stack's Azure AD applications and groups: the CI deploy identity's. Each must also be in deployerObjectIds. Required, at least one.",
    },
    previewerObjectIds: {
        step: "platform",
        type: "list",
        default: [],
        description:
            "Object ids of the principals that only run pulumi preview (the CI preview identity): AKS Cluster User and RBAC Reader on the cluster, nothing else; never also a deployer.",
    },
    kubeloginMode: {
        step: "platform",
        type: "string",
        default: "azurecli",
        description:
            "How the generated kubeconfig gets tokens, azurecli | workloadidentity | msi (CI overrides it with AAD_LOGIN_METHOD).",
    },

    // identities
    platformAdmins: {
        step: "identities",
        type: "list",
        default: [],
        description:
            "Members of the platform-admin group (AKS RBAC Cluster Admin), Azure AD object ids or UPNs.",
    },
    ciPassword: {
        step: "identities",
        type: "boolean",
        default: false,
        description:
            "Give the CI application a password (docker-registry service connection only); off means federation only.",
    },
    ciPasswordEndDate: {
        step: "identities",
        type: "string",
        default: "",
        description:
            "End date of the CI password, YYYY-MM-DD or RFC 3339, in the future, at most 365 days ahead.",
    },

    // charts
    chartRepositoryUrl: {
        step: "charts",
        type: "string",
        stacks: "cluster",
        description:
            "ChartMuseum-style repository a cluster stack's teams read charts from, a team's at <url>/<team>, e.g. http://chartmuseum.chartmuseum.svc:8080. Required.",
    },
    chartRepositoryNamespace: {
        step: "charts",
        type: "string",
        default: "chartmuseum",
        stacks: "cluster",
        description:
            "Namespace the cluster stack's chart repository runs in, which Flux's network policy admits.",
    },
    chartRepository: {
        step: "charts",
        type: "string",
        default: "chartmuseum",
        description:
            "Where teams' Helm charts live, chartmuseum (on the cluster, the workshop's way) | acr-oci (OCI artifacts in ACR under oci://<registry>/helm).",
    },
    chartMuseumChartVersion: {
        step: "charts",
        type: "string",
        default: "3.10.4",
        description:
            "Exact version of the official ChartMuseum chart (https://chartmuseum.github.io/charts); pinned, never a range.",
    },
    chartMuseumExposure: {
        step: "charts",
        type: "string",
        default: "gateway",
        description:
            "How CI reaches ChartMuseum to push, gateway (an HTTPRoute on the platform's shared Gateway, routes only each team's POST /api/<team>/charts and GET of its own archives, needs chartMuseumHost; the former ingress) | loadbalancer (public IP on 8080, plain HTTP, needs chartMuseumAllowedCidrs; every request still needs a team's token).",
    },
    chartMuseumHost: {
        step: "charts",
        type: "string",
        default: "",
        description:
            "DNS name CI pushes charts to with chartMuseumExposure gateway (a listener of the shared Gateway), e.g. charts.staging.example.com.",
    },
    chartMuseumTlsCertificateUri: {
        step: "charts",
        type: "string",
        default: "",
        description:
            "Key Vault certificate URI the shared Gateway terminates TLS with for chartMuseumHost. Required with the gateway exposure; the vault must be ingressKeyVaultId.",
    },
    chartMuseumAllowedCidrs: {
        step: "charts",
        type: "list",
        default: [],
        description:
            "IPv4 CIDRs (CI agents' egress) allowed to reach ChartMuseum's exposure; required with loadbalancer.",
    },

    // a cluster stack (stackRole: cluster): what Azure provides to an environment, given instead
    clusterKubeconfig: {
        step: "platform",
        type: "string",
        default: "",
        stacks: "cluster",
        description:
            "Path of the kubeconfig reaching the existing cluster (its current context); empty uses KUBECONFIG or ~/.kube/config.",
    },
    clusterContext: {
        step: "platform",
        type: "string",
        stacks: "cluster",
        description:
            "The kubeconfig context of the cluster, e.g. kind-kind. Required: the stack never follows whatever context is current, and changing it replaces the provider, which the plan shows.",
    },
    clusterKubernetesVersion: {
        step: "platform",
        type: "string",
        stacks: "cluster",
        description:
            "Kubernetes version MAJOR.MINOR.PATCH the existing cluster runs (kubectl version), checked against Flux and the admission policies. Required.",
    },
    registryLoginServer: {
        step: "platform",
        type: "string",
        stacks: "cluster",
        description:
            "Registry host (and port) the teams' images must come from, e.g. myregistry.azurecr.io or 127.0.0.1:5000. Required.",
    },
    clusterEnvironment: {
        step: "platform",
        type: "string",
        default: "",
        stacks: "cluster",
        description:
            "Which environment's section of the team files the cluster stack applies (one of environments); empty: the first, where builds land.",
    },
    legacyIngressNamespace: {
        step: "platform",
        type: "string",
        default: "",
        stacks: ["environment", "cluster"],
        description:
            "During the move to the Gateway only: the old ingress controller's namespace (app-routing-system), still let into the teams' web: true apps so their hosts keep serving until each team's HTTPRoute and DNS switch land; empty (default) lets none in. Unset it once every host is on the Gateway.",
    },
    clusterGatewayNamespace: {
        step: "platform",
        type: "string",
        default: GATEWAY_NAMESPACE,
        stacks: "cluster",
        description:
            "Namespace of the cluster's Gateway named shared (Gateway API), which the teams' HTTPRoutes attach to and their network policies admit.",
    },
    // flux
    githubOwner: {
        step: "flux",
        type: "string",
        description:
            "GitHub user or organisation owning the fleet repository (flux bootstrap --owner). Required.",
    },
    githubToken: {
        step: "flux",
        type: "string",
        secret: true,
        undeclared: true,
        description:
            "GitHub token for the fleet repository (administration, contents, deploy keys); set with `pulumi config set --secret githubToken`.",
    },
    fleetRepository: {
        step: "flux",
        type: "string",
        default: "fleet-infra",
        description: "Name of the fleet repository Flux syncs from (flux bootstrap --repository).",
    },
    fleetRepositoryCreate: {
        step: "flux",
        type: "boolean",
        default: false,
        description:
            "Create the fleet repository (private, main protected) instead of using an existing one.",
    },
    fleetBranch: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "main",
        description: "Branch Flux follows (flux bootstrap --branch).",
    },
    fleetPath: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "",
        description:
            "Folder of this cluster in the fleet repository, under clusters/; empty means clusters/<stack>.",
    },
    fleetRepositoryUrl: {
        step: "flux",
        type: "string",
        stacks: "cluster",
        description:
            "http(s) URL of the fleet repository Flux reads without credentials (a cluster stack's git server). Required.",
    },
    fluxInstall: {
        step: "flux",
        type: "string",
        default: "chart",
        stacks: "cluster",
        description:
            "chart installs the Flux controllers from the pinned flux2 chart; external applies only Flux's configuration (network policies, RBAC, sync, alerts) to a Flux installed otherwise (flux install, the e2e).",
    },
    fluxChartVersion: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "2.19.0",
        description:
            "Exact version of the fluxcd-community flux2 Helm chart (2.19.x ships Flux 2.9, which needs Kubernetes 1.34 or later); a chart line the platform has not vetted is refused.",
    },
    fluxChartRepository: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "https://fluxcd-community.github.io/helm-charts",
        description:
            "Helm repository the flux2 chart is installed from (fluxInstall: chart): the fluxcd-community repository, or a mirror holding the same chart. https in environment stacks; a cluster stack may use http (the e2e's chart repository).",
    },
    fluxSourceInterval: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "1m",
        description: "How often Flux fetches the fleet repository (Go duration).",
    },
    fluxReconcileInterval: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "10m",
        description: "How often Flux re-applies the cluster path, undoing drift (Go duration).",
    },
    fluxNotificationProvider: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "none",
        description:
            "Where failed reconciliations are reported, none | msteams | slack | github (commit statuses).",
    },
    fluxNotificationWebhookUrl: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        secret: true,
        optional: true,
        undeclared: true,
        description: "Teams or Slack incoming webhook URL (fluxNotificationProvider msteams | slack).",
    },
    fluxNotificationToken: {
        step: "flux",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        secret: true,
        optional: true,
        undeclared: true,
        description: "GitHub token allowed to write commit statuses (fluxNotificationProvider github).",
    },

    // tenants
    tenantVersionPolicy: {
        step: "tenants",
        stacks: ENVIRONMENT_AND_CLUSTER,
        type: "string",
        default: "range",
        description: "range lets HelmReleases follow semver ranges (staging); exact pins versions (prod).",
    },
    environments: {
        step: "tenants",
        stacks: "all",
        type: "list",
        default: ["staging", "prod"],
        description:
            "The environments, in promotion order (the first is where builds land): each one's stack, and the sections a team file may have.",
    },
    teamsDirectory: {
        step: "tenants",
        stacks: "all",
        type: "string",
        default: "tenants",
        description: "Folder of the team files, one <team>.yaml per team, read by every stack.",
    },

    // devops
    stackRole: {
        step: "devops",
        type: "string",
        default: "environment",
        stacks: "all",
        description:
            "environment (a cluster, registry and chart repository: staging, prod) | delivery (the organisation's one Azure DevOps CI, reading every environment's outputs) | cluster (the in-cluster half on an existing cluster reached by a kubeconfig: Pulumi.local.yaml, the e2e).",
    },
    devopsOrgUrl: {
        step: "devops",
        type: "string",
        stacks: "delivery",
        description:
            "Azure DevOps organization, https://dev.azure.com/<org> or https://<org>.visualstudio.com.",
    },
    devopsProject: {
        step: "devops",
        type: "string",
        stacks: "delivery",
        description:
            "Name of the organisation's private Azure DevOps project, where every app's one pipeline lives.",
    },
    platformRepository: {
        step: "devops",
        type: "string",
        stacks: "delivery",
        description:
            "This platform repository on GitHub, owner/repo: the pipelines read its templates, promotions open pull requests on its team files.",
    },
    devopsPromotionTokens: {
        step: "devops",
        type: "object",
        secret: true,
        perTeam: true,
        undeclared: true,
        stacks: "delivery",
        description:
            "Each team's GitHub token, by team name (`pulumi config set --secret --path 'devopsPromotionTokens.<team>'`): its pipelines push the Kustomize staging bump and open promotion pull requests with it. Fine-grained, Contents and Pull requests read/write on the platform repository and that team's app repositories only; every team needs one.",
    },
    devopsPersonalAccessToken: {
        step: "devops",
        type: "string",
        secret: true,
        undeclared: true,
        stacks: "delivery",
        description:
            "PAT Pulumi manages Azure DevOps with (project, service connections, pipelines). Set with --secret.",
    },
    devopsGithubToken: {
        step: "devops",
        type: "string",
        secret: true,
        undeclared: true,
        stacks: "delivery",
        description:
            "GitHub token of the GitHub service connection that reads the app repositories. Set with --secret.",
    },
    devopsAzureSubscriptionName: {
        step: "devops",
        type: "string",
        default: "",
        stacks: "delivery",
        description:
            "Subscription display name in the Azure service connections; empty uses the subscription id.",
    },

    // monitoring
    alertEmails: {
        step: "monitoring",
        type: "list",
        description:
            "Email addresses of the on-call team that receive the platform's alerts. Required, at least one.",
    },
    alertWebhookUrl: {
        step: "monitoring",
        type: "string",
        secret: true,
        optional: true,
        undeclared: true,
        description: "https webhook that receives every alert (common alert schema), e.g. a Teams workflow.",
    },
    alertNodeCpuPercent: {
        step: "monitoring",
        type: "integer",
        default: 80,
        description: "Alert when a node's average CPU usage over 15 minutes exceeds this percent (1-100).",
    },
    alertNodeMemoryPercent: {
        step: "monitoring",
        type: "integer",
        default: 85,
        description:
            "Alert when a node's average working-set memory over 15 minutes exceeds this percent (1-100).",
    },
    alertPodRestarts: {
        step: "monitoring",
        type: "integer",
        default: 3,
        description: "Alert when a container restarts this many times within 15 minutes (crash looping).",
    },
    alertPodsNotReady: {
        step: "monitoring",
        type: "integer",
        default: 1,
        description: "Alert when this many pods of a namespace stayed out of Running for a whole 15 minutes.",
    },
    alertFluxFailures: {
        step: "monitoring",
        type: "integer",
        default: 1,
        description:
            "Alert when Flux objects emit this many Warning events (failed reconciliations) within 15 minutes.",
    },
    alertRegistryStoragePercent: {
        step: "monitoring",
        type: "integer",
        default: 80,
        description: "Alert when the registry uses this percent of its SKU's included storage (1-100).",
    },
    alertNodeSeverity: {
        step: "monitoring",
        type: "integer",
        default: 2,
        description: "Severity of node CPU/memory alerts, 0 (Critical) to 4 (Verbose).",
    },
    alertPodSeverity: {
        step: "monitoring",
        type: "integer",
        default: 2,
        description: "Severity of pod not-ready and crash-loop alerts, 0 to 4.",
    },
    alertFluxSeverity: {
        step: "monitoring",
        type: "integer",
        default: 1,
        description: "Severity of failed Flux reconciliation alerts, 0 to 4.",
    },
    alertRegistrySeverity: {
        step: "monitoring",
        type: "integer",
        default: 3,
        description: "Severity of the registry storage alert, 0 to 4.",
    },
} as const satisfies Record<string, KeyDeclaration>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys the program no longer reads, with what to do instead: an error rather than a silent change. */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
    nodeCount:
        "unset (retired): the system pool autoscales between systemPoolMinCount and systemPoolMaxCount, and the teams' workloads run on userPools",
    nodeVmSize:
        "unset (retired): the system pool's VM size is fixed by the platform (Azure cannot change it in place); set the teams' VM sizes in userPools",
    devopsApproverGroup:
        "unset (retired): a promotion is approved by reviewing its pull request (see docs/team-lead/commit-to-prod.md), not by an Azure DevOps check",
    tenants:
        "unset (moved): each team is one file, tenants/<team>.yaml, read by every stack (see docs/team-lead/onboarding.md)",
    clusterIngressNamespace:
        'unset (renamed): the teams\' traffic enters through a Gateway; set clusterGatewayNamespace to the namespace of the Gateway named "shared"',
    chartMuseumAnonymousGet:
        "unset (retired): ChartMuseum's read instance serves Flux anonymously in-cluster (its network policy admits source-controller alone), and the push instance reachable from outside needs a team's token for every read",
};

/** Config namespaces of the providers the program uses: their keys pass through unchecked. */
export const PROVIDER_NAMESPACES = [
    "azure-native",
    "azuread",
    "kubernetes",
    "github",
    "random",
    "tls",
    "time",
    "azuredevops",
    "pulumi",
] as const;

/** The value Pulumi.yaml declares for a key: its default, or an empty one for a required key (see generate.ts). */
export function declaredDefault(d: KeyDeclaration): NonNullable<KeyDeclaration["default"]> {
    return d.default ?? (d.type === "list" ? [] : "");
}

export function declarationOf(key: string): KeyDeclaration | undefined {
    return Object.prototype.hasOwnProperty.call(CONFIG_KEYS, key)
        ? (CONFIG_KEYS as Record<string, KeyDeclaration>)[key]
        : undefined;
}
