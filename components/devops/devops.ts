import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as azuredevops from "./azuredevops";
import type { ChartSource } from "../charts/source";
import type { DevOpsConfig } from "./config";
import type { AppConfig, TenantConfig } from "../tenants/config";
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } from "../../src/federation";

/**
 * Names of the project's service connections. The pipeline templates in pipelines/ default their
 * `containerRegistry`, `azureSubscription` and repository `endpoint` to these (a service connection
 * must be named at compile time in YAML), so they are a contract with those files.
 */
export const SERVICE_CONNECTIONS = {
    github: "github",
    azure: "azure-workload-identity",
    registry: "container-registry",
} as const;

/** The Azure DevOps environment promotions go through, guarded by an approval check. */
export const PROMOTION_ENVIRONMENT = "prod";

/** Variables of a team's variable group (the workshop pasted the first three by hand). */
export const TEAM_VARIABLES = {
    registryName: "registryName",
    registryLoginServer: "registryLoginServer",
    registryLogin: "registryLogin",
    teamName: "teamName",
    chartRepositoryKind: "chartRepositoryKind",
    chartRepositoryUrl: "chartRepositoryUrl",
    chartRepositoryUsername: "chartRepositoryUsername",
    chartRepositoryPassword: "chartRepositoryPassword",
    registryPassword: "registryPassword",
} as const;

/** The stack's container registry, as the Platform outputs it. */
export interface DevOpsRegistry {
    /** ARM id of the registry; its resource group is taken from it. */
    readonly id: pulumi.Input<string>;
    /** Registry name (`registryName` in the variable groups). */
    readonly name: pulumi.Input<string>;
    /** `<name>.azurecr.io`. */
    readonly loginServer: pulumi.Input<string>;
}

export interface DevOpsArgs {
    /** Validated Azure DevOps settings: organization URL, project name, PAT and GitHub token (secrets). */
    readonly config: DevOpsConfig;
    /** Every team of the stack: one variable group per team, one pipeline per app (each app needs a repository). */
    readonly tenants: readonly TenantConfig[];
    /** The registry images are pushed to, through the ACR service connection. */
    readonly registry: DevOpsRegistry;
    /** Where charts are pushed: ChartMuseum (URL and basic-auth push credentials) or ACR as OCI. */
    readonly chartSource: ChartSource;
    /**
     * Resource id (`/applications/<objectId>`) of the CI Azure AD application (identities). Both
     * workload-identity service connections are federated to it; it must hold AcrPush on the registry.
     */
    readonly ciApplicationId: pulumi.Input<string>;
    /** Client (application) id of that CI application: the identity the service connections act as. */
    readonly ciClientId: pulumi.Input<string>;
    /** Azure AD tenant of the CI application. */
    readonly tenantId: pulumi.Input<string>;
    /** Subscription of the registry. */
    readonly subscriptionId: pulumi.Input<string>;
    /**
     * The CI application's password (identities `ciPassword`), for app pipelines that still log in
     * with `docker login` through a docker-registry connection: a secret `registryPassword` variable.
     * Default none: the ACR connection needs no password.
     */
    readonly registryPassword?: pulumi.Input<string>;
}

/**
 * The teams' CI in Azure DevOps: a private project, secretless service connections (GitHub with a
 * token, Azure Resource Manager and ACR through workload identity federation with the CI application),
 * a variable group per team, a pipeline per app built from the app repository's YAML, the
 * authorizations those pipelines need, and the `prod` environment whose approval gates promotions.
 */
export class DevOps extends pulumi.ComponentResource {
    readonly projectId: pulumi.Output<string>;
    readonly projectName: pulumi.Output<string>;
    /** Service connection names by role (github, azure, registry). */
    readonly serviceConnections: typeof SERVICE_CONNECTIONS;
    /** Variable group id by team. */
    readonly variableGroupIds: Record<string, pulumi.Output<string>>;
    /** Pipeline (build definition) id by `team/app`. */
    readonly pipelineIds: Record<string, pulumi.Output<string>>;
    readonly promotionEnvironmentId: pulumi.Output<string>;

    constructor(name: string, args: DevOpsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:devops:DevOps", name, {}, opts);
        const { config, tenants, registry, chartSource } = args;
        for (const t of tenants) {
            for (const app of t.apps) {
                if (!app.repository)
                    throw new pulumi.ResourceError(
                        `App ${t.name}/${app.name} has no repository: its pipeline is built from it.`,
                        this,
                    );
            }
        }

        const provider = new azuredevops.Provider(
            `${name}-provider`,
            { orgServiceUrl: config.orgUrl, personalAccessToken: config.personalAccessToken },
            { parent: this },
        );
        const inProject = { parent: this, provider };

        const project = new azuredevops.Project(
            `${name}-project`,
            {
                name: config.project,
                description:
                    "CI of the GitOps platform's teams: images and charts Flux deploys. Managed by Pulumi.",
                visibility: "private",
                versionControl: "Git",
                workItemTemplate: "Agile",
                // Code lives on GitHub, images and charts in ACR/ChartMuseum: Pipelines is what is used.
                features: { boards: "disabled", repositories: "disabled", testplans: "disabled" },
            },
            inProject,
        );

        const github = new azuredevops.ServiceEndpointGitHub(
            `${name}-github`,
            {
                projectId: project.id,
                serviceEndpointName: SERVICE_CONNECTIONS.github,
                description:
                    "Reads the app repositories and the platform's pipeline templates. Managed by Pulumi.",
                authPersonal: { personalAccessToken: config.githubToken },
            },
            inProject,
        );

        const subscriptionName = config.azureSubscriptionName ?? args.subscriptionId;
        const workloadIdentity = { serviceprincipalid: args.ciClientId };
        const azure = new azuredevops.ServiceEndpointAzureRM(
            `${name}-azure`,
            {
                projectId: project.id,
                serviceEndpointName: SERVICE_CONNECTIONS.azure,
                description:
                    "Azure as the CI application, through workload identity federation (no secret). Managed by Pulumi.",
                serviceEndpointAuthenticationScheme: "WorkloadIdentityFederation",
                credentials: workloadIdentity,
                azurermSpnTenantid: args.tenantId,
                azurermSubscriptionId: args.subscriptionId,
                azurermSubscriptionName: subscriptionName,
                environment: "AzureCloud",
                // The federated credential below is created after the connection: validating at
                // creation would fail before Azure AD trusts the connection's tokens.
                features: { validate: false },
            },
            inProject,
        );

        const acr = new azuredevops.ServiceEndpointAzureEcr(
            `${name}-registry`,
            {
                projectId: project.id,
                serviceEndpointName: SERVICE_CONNECTIONS.registry,
                description:
                    "Pushes images to the stack's ACR as the CI application (workload identity federation). Managed by Pulumi.",
                serviceEndpointAuthenticationScheme: "WorkloadIdentityFederation",
                credentials: workloadIdentity,
                azurecrName: registry.name,
                resourceGroup: pulumi.output(registry.id).apply(resourceGroupOf),
                azurecrSpnTenantid: args.tenantId,
                azurecrSubscriptionId: args.subscriptionId,
                azurecrSubscriptionName: subscriptionName,
            },
            inProject,
        );

        // Azure AD trusts the tokens Azure DevOps mints for exactly these two connections.
        const federated = [
            ["azure", azure, SERVICE_CONNECTIONS.azure],
            ["registry", acr, SERVICE_CONNECTIONS.registry],
        ] as const;
        for (const [suffix, connection, connectionName] of federated) {
            new azuread.ApplicationFederatedIdentityCredential(
                `${name}-${suffix}-federation`,
                {
                    applicationId: args.ciApplicationId,
                    displayName: credentialName(config, suffix),
                    description: `Azure DevOps service connection ${connectionName} of ${config.orgUrl}/${config.project}.`,
                    audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
                    issuer: connection.workloadIdentityFederationIssuer,
                    subject: connection.workloadIdentityFederationSubject,
                },
                { parent: this },
            );
        }

        const environment = new azuredevops.Environment(
            `${name}-${PROMOTION_ENVIRONMENT}`,
            {
                projectId: project.id,
                name: PROMOTION_ENVIRONMENT,
                description:
                    "Promotion of a build to production: runs only after an approval. Managed by Pulumi.",
            },
            inProject,
        );
        const approvers = azuredevops.getGroupOutput(
            { projectId: project.id, name: config.approverGroup },
            inProject,
        );
        new azuredevops.CheckApproval(
            `${name}-${PROMOTION_ENVIRONMENT}-approval`,
            {
                projectId: project.id,
                targetResourceType: "environment",
                targetResourceId: environment.id,
                approvers: [approvers.originId],
                minimumRequiredApprovers: 1,
                requesterCanApprove: false,
                instructions:
                    "Check the staging rollout of this version before approving its promotion to prod.",
                timeout: 7 * 24 * 60,
            },
            inProject,
        );

        const variableGroupIds: Record<string, pulumi.Output<string>> = {};
        const pipelineIds: Record<string, pulumi.Output<string>> = {};
        for (const tenant of tenants) {
            const group = new azuredevops.VariableGroup(
                `${name}-${tenant.name}-variables`,
                {
                    projectId: project.id,
                    name: tenant.name,
                    description: `Registry and chart repository of team ${tenant.name}. Managed by Pulumi.`,
                    // Only the team's own pipelines are authorized (below), not every pipeline of the project.
                    allowAccess: false,
                    variables: teamVariables(
                        tenant,
                        registry,
                        chartSource,
                        args.ciClientId,
                        args.registryPassword,
                    ),
                },
                inProject,
            );
            variableGroupIds[tenant.name] = group.id;

            for (const app of tenant.apps) {
                const pipeline = new azuredevops.BuildDefinition(
                    `${name}-${tenant.name}-${app.name}`,
                    {
                        projectId: project.id,
                        name: `${tenant.name}-${app.name}`,
                        path: `\\${tenant.name}`,
                        repository: {
                            repoType: "GitHub",
                            repoId: app.repository,
                            branchName: "refs/heads/main",
                            ymlPath: app.pipelinePath,
                            serviceConnectionId: github.id,
                            reportBuildStatus: true,
                        },
                        ciTrigger: { override: ciTrigger(app) },
                        variableGroups: [group.id.apply(Number)],
                        jobAuthorizationScope: "project",
                    },
                    inProject,
                );
                pipelineIds[`${tenant.name}/${app.name}`] = pipeline.id;

                const resources: [string, string, pulumi.Input<string>][] = [
                    ["github", "endpoint", github.id],
                    ["azure", "endpoint", azure.id],
                    ["registry", "endpoint", acr.id],
                    ["variables", "variablegroup", group.id],
                    [PROMOTION_ENVIRONMENT, "environment", environment.id],
                ];
                for (const [suffix, type, resourceId] of resources) {
                    new azuredevops.PipelineAuthorization(
                        `${name}-${tenant.name}-${app.name}-uses-${suffix}`,
                        { projectId: project.id, type, resourceId, pipelineId: pipeline.id.apply(Number) },
                        inProject,
                    );
                }
            }
        }

        this.projectId = project.id;
        this.projectName = project.name;
        this.serviceConnections = SERVICE_CONNECTIONS;
        this.variableGroupIds = variableGroupIds;
        this.pipelineIds = pipelineIds;
        this.promotionEnvironmentId = environment.id;
        this.registerOutputs({
            projectId: this.projectId,
            projectName: this.projectName,
            serviceConnections: this.serviceConnections,
            variableGroupIds: this.variableGroupIds,
            pipelineIds: this.pipelineIds,
            promotionEnvironmentId: this.promotionEnvironmentId,
        });
    }
}

/** The variables of a team's group: what the pipeline templates read; push secrets marked secret. */
export function teamVariables(
    tenant: TenantConfig,
    registry: DevOpsRegistry,
    chartSource: ChartSource,
    ciClientId: pulumi.Input<string>,
    registryPassword?: pulumi.Input<string>,
): azuredevops.VariableGroupVariable[] {
    const v = TEAM_VARIABLES;
    const common: azuredevops.VariableGroupVariable[] = [
        { name: v.teamName, value: tenant.name },
        { name: v.registryName, value: registry.name },
        { name: v.registryLoginServer, value: registry.loginServer },
        // The identity the registry connection logs in as (the password, if any, is `registryPassword`).
        { name: v.registryLogin, value: ciClientId },
        { name: v.chartRepositoryKind, value: chartSource.kind },
        ...(registryPassword === undefined
            ? []
            : [{ name: v.registryPassword, isSecret: true, secretValue: pulumi.secret(registryPassword) }]),
    ];
    if (chartSource.kind === "acr-oci")
        return [...common, { name: v.chartRepositoryUrl, value: chartSource.url }];
    return [
        ...common,
        { name: v.chartRepositoryUrl, value: chartSource.pushUrl },
        { name: v.chartRepositoryUsername, value: chartSource.username },
        { name: v.chartRepositoryPassword, isSecret: true, secretValue: chartSource.password },
    ];
}

/** CI on main, for changes under the app's directory only (the directory of its pipeline YAML). */
export function ciTrigger(app: AppConfig): azuredevops.BuildDefinitionCiTriggerOverride {
    const dir = appDirectory(app);
    return {
        branchFilters: [{ includes: ["main"] }],
        ...(dir === "" ? {} : { pathFilters: [{ includes: [`${dir}/*`] }] }),
        batch: true,
        maxConcurrentBuildsPerBranch: 1,
    };
}

/** Directory of the app's pipeline YAML in its repository; "" when at the root. */
export function appDirectory(app: AppConfig): string {
    const parts = app.pipelinePath.replace(/^\/+/, "").split("/");
    return parts.slice(0, -1).join("/");
}

/** `/subscriptions/<s>/resourceGroups/<rg>/providers/...` -> `<rg>`. */
export function resourceGroupOf(armId: string): string {
    const match = /\/resourceGroups\/([^/]+)/i.exec(armId);
    if (!match) throw new Error(`Not an ARM resource id within a resource group: ${armId}`);
    return match[1];
}

/** A federated credential name: 3-120 characters of letters, digits, `-` and `_`, unique per application. */
function credentialName(config: DevOpsConfig, suffix: string): string {
    const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, "-");
    return `azure-devops-${slug(config.organization)}-${slug(config.project)}-${suffix}`.slice(0, 120);
}
