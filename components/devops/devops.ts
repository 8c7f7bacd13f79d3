import * as authorization from "@pulumi/azure-native/authorization";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE } from "../../src/federation";
import { roleAssignmentArgs } from "../../src/roleAssignments";
import { repositoryPrefixCondition } from "../../src/roles";
import { teamChartRepositoryUrl, teamRepositoryPrefix } from "../../src/charts";
import type { AppConfig, TenantConfig } from "../tenants";
import * as azuredevops from "./azuredevops";
import type { DevOpsConfig } from "./config";
import { type EnvironmentOutputs, teamCiIdentity } from "./environments";

/**
 * Names of the project's service connections: a contract with the pipeline templates in pipelines/
 * (a service connection must be named at compile time in YAML). Per environment and team:
 * `azure-<env>-<team>` acts as the team's CI identity there: it writes the team's repositories of the
 * environment's registry, reads them in the previous one, and in the first environment reads the
 * team's namespace (verify), nothing of another team's.
 */
export const SERVICE_CONNECTIONS = {
    github: "github",
    azure: (environment: string, team: string) => `azure-${environment}-${team}`,
} as const;

/** Variables of a team's variable group, per environment where they differ: what the templates read. */
export const TEAM_VARIABLES = {
    teamName: "teamName",
    chartRepositoryKind: "chartRepositoryKind",
    platformRepository: "platformRepository",
    teamFile: "teamFile",
    promotionToken: "promotionToken",
    ofEnvironment: (environment: string, name: EnvironmentVariable) => `${environment}.${name}`,
} as const;

type EnvironmentVariable =
    | "registryName"
    | "registryLoginServer"
    | "resourceGroup"
    | "clusterName"
    | "chartRepositoryUrl"
    | "chartRepositoryToken";

/** A project resource a pipeline is authorized to use, named for what it is. */
interface Authorized {
    readonly use: string;
    readonly type: "endpoint" | "variablegroup" | "environment";
    readonly id: pulumi.Input<string>;
}

export interface DevOpsArgs {
    /** Validated Azure DevOps settings: organization URL, project, platform repository, tokens (secrets). */
    readonly config: DevOpsConfig;
    /** Every team: one variable group per team, one pipeline per app (built once, for every environment). */
    readonly tenants: readonly TenantConfig[];
    /** The environments in promotion order, read from their stacks; the first is where builds land. */
    readonly environments: readonly EnvironmentOutputs[];
    /** The folder of the team files in the platform repository (`tenants`): promotion PRs edit them. */
    readonly teamsDirectory: string;
}

/**
 * The organisation's one CI in Azure DevOps: a private project, secretless service connections per
 * team and environment (workload identity federation with the team's CI application), the Azure
 * Pipelines environments, a variable group per team, exactly one pipeline per app (built once, verified in the first environment, promoted by pull
 * request), the rights a promotion needs across environments, and the authorizations the pipelines use.
 */
export class DevOps extends pulumi.ComponentResource {
    readonly projectId: pulumi.Output<string>;
    readonly projectName: pulumi.Output<string>;
    /** Variable group id by team. */
    readonly variableGroupIds: Record<string, pulumi.Output<string>>;
    /** Pipeline (build definition) id by `team/app`. */
    readonly pipelineIds: Record<string, pulumi.Output<string>>;
    private readonly name: string;
    private readonly args: DevOpsArgs;
    private readonly inProject: pulumi.CustomResourceOptions;
    private readonly project: azuredevops.Project;

    constructor(name: string, args: DevOpsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:devops:DevOps", name, {}, opts);
        this.name = name;
        this.args = args;
        const provider = new azuredevops.Provider(
            `${name}-provider`,
            { orgServiceUrl: args.config.orgUrl, personalAccessToken: args.config.personalAccessToken },
            { parent: this },
        );
        this.inProject = { parent: this, provider };
        this.project = this.createProject();
        const github = this.githubConnection();
        const shared: Authorized[] = [
            { use: SERVICE_CONNECTIONS.github, type: "endpoint", id: github.id },
            ...this.deploymentEnvironments(),
        ];
        this.promotionRights();
        this.verificationRights();

        this.variableGroupIds = {};
        this.pipelineIds = {};
        for (const tenant of args.tenants) {
            const group = this.variableGroup(tenant);
            this.variableGroupIds[tenant.name] = group.id;
            // The team's own CI connections only: another team's are not authorized for its pipelines.
            const authorized: Authorized[] = [
                ...shared,
                ...args.environments.map((e) => ({
                    ...this.teamConnection(e, tenant.name),
                    type: "endpoint" as const,
                })),
                { use: "variables", type: "variablegroup", id: group.id },
            ];
            for (const app of tenant.apps)
                this.pipelineIds[`${tenant.name}/${app.name}`] = this.pipeline(
                    tenant,
                    app,
                    github,
                    group,
                    authorized,
                );
        }
        this.projectId = this.project.id;
        this.projectName = this.project.name;
        this.registerOutputs({
            projectId: this.projectId,
            projectName: this.projectName,
            variableGroupIds: this.variableGroupIds,
            pipelineIds: this.pipelineIds,
        });
    }

    private createProject(): azuredevops.Project {
        return new azuredevops.Project(
            `${this.name}-project`,
            {
                name: this.args.config.project,
                description:
                    "CI of the GitOps platform's teams: built once, verified, promoted by pull request. Managed by Pulumi.",
                visibility: "private",
                versionControl: "Git",
                workItemTemplate: "Agile",
                // Code lives on GitHub, images and charts in ACR/ChartMuseum: Pipelines is what is used.
                features: { boards: "disabled", repositories: "disabled", testplans: "disabled" },
            },
            this.inProject,
        );
    }

    /**
     * The Azure Pipelines environments the deployment jobs name (`environment: staging` for verify,
     * `prod` for promote), created here and authorized for each pipeline, so a first run neither
     * creates them on the fly nor waits for someone to permit them. No check on them: the promotion
     * pull request's review is the one approval.
     */
    private deploymentEnvironments(): Authorized[] {
        return this.args.environments.map((e) => {
            const environment = new azuredevops.Environment(
                `${this.name}-environment-${e.name}`,
                {
                    projectId: this.project.id,
                    name: e.name,
                    description: `Deployment jobs that run against ${e.name} (verify or promote). Managed by Pulumi.`,
                },
                this.inProject,
            );
            return { use: `environment-${e.name}`, type: "environment" as const, id: environment.id };
        });
    }

    private githubConnection(): azuredevops.ServiceEndpointGitHub {
        return new azuredevops.ServiceEndpointGitHub(
            `${this.name}-github`,
            {
                projectId: this.project.id,
                serviceEndpointName: SERVICE_CONNECTIONS.github,
                description:
                    "Reads the app repositories and the platform's pipeline templates. Managed by Pulumi.",
                authPersonal: { personalAccessToken: this.args.config.githubToken },
            },
            this.inProject,
        );
    }

    /** `azure-<env>-<team>` as the team's CI application in that environment: its own repositories only. */
    private teamConnection(e: EnvironmentOutputs, team: string): { use: string; id: pulumi.Output<string> } {
        const use = SERVICE_CONNECTIONS.azure(e.name, team);
        const ci = teamCiIdentity(e, team);
        const who = `team ${team}'s CI application in ${e.name}`;
        const connection = this.federatedConnection(
            e,
            use,
            who,
            ci.apply((c) => c.clientId),
            ci.apply((c) => c.applicationId),
        );
        return { use, id: connection.id };
    }

    private federatedConnection(
        e: EnvironmentOutputs,
        connectionName: string,
        who: string,
        clientId: pulumi.Output<string>,
        applicationId: pulumi.Output<string>,
    ): azuredevops.ServiceEndpointAzureRM {
        const config = this.args.config;
        const connection = new azuredevops.ServiceEndpointAzureRM(
            `${this.name}-${connectionName}`,
            {
                projectId: this.project.id,
                serviceEndpointName: connectionName,
                description: `Azure as ${who}, through workload identity federation (no secret). Managed by Pulumi.`,
                serviceEndpointAuthenticationScheme: "WorkloadIdentityFederation",
                credentials: { serviceprincipalid: clientId },
                azurermSpnTenantid: e.tenantId,
                azurermSubscriptionId: e.subscriptionId,
                azurermSubscriptionName: config.azureSubscriptionName ?? e.subscriptionId,
                environment: "AzureCloud",
                // The federated credential below is created after the connection: validating at
                // creation would fail before Azure AD trusts the connection's tokens.
                features: { validate: false },
            },
            this.inProject,
        );
        // Azure AD trusts the tokens Azure DevOps mints for exactly this connection.
        new azuread.ApplicationFederatedIdentityCredential(
            `${this.name}-${connectionName}-federation`,
            {
                applicationId,
                displayName: credentialName(config, connectionName),
                description: `Azure DevOps service connection ${connectionName} of ${config.orgUrl}/${config.project}.`,
                audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
                issuer: connection.workloadIdentityFederationIssuer,
                subject: connection.workloadIdentityFederationSubject,
            },
            { parent: this },
        );
        return connection;
    }

    /**
     * Each team's CI identity of an environment may read the team's repositories (only) in the
     * previous environment's registry: the promotion copies an image or chart from there by digest.
     */
    private promotionRights(): void {
        const envs = this.args.environments;
        envs.slice(1).forEach((next, i) => {
            const previous = envs[i];
            for (const tenant of this.args.tenants) {
                new authorization.RoleAssignment(
                    `${this.name}-${next.name}-ci-${tenant.name}-reads-${previous.name}`,
                    roleAssignmentArgs({
                        subscriptionId: previous.subscriptionId,
                        role: "AcrRepositoryReader",
                        principalId: teamCiIdentity(next, tenant.name).apply(
                            (c) => c.servicePrincipalObjectId,
                        ),
                        principalType: "ServicePrincipal",
                        scope: previous.registryId,
                        condition: repositoryPrefixCondition(
                            "AcrRepositoryReader",
                            teamRepositoryPrefix(tenant.name),
                        ),
                    }),
                    { parent: this },
                );
            }
        });
    }

    /**
     * Each team's CI identity of the first environment reads its own namespace there (AKS Cluster
     * User for the kubeconfig, Kubernetes RBAC Reader on the namespace scope), to verify a rollout:
     * never another team's namespace.
     */
    private verificationRights(): void {
        const first = this.args.environments[0];
        for (const tenant of this.args.tenants) {
            const principalId = teamCiIdentity(first, tenant.name).apply((c) => c.servicePrincipalObjectId);
            const grant = (
                suffix: string,
                role: "AksClusterUser" | "AksRbacReader",
                scope: pulumi.Input<string>,
            ) =>
                new authorization.RoleAssignment(
                    `${this.name}-${first.name}-ci-${tenant.name}-${suffix}`,
                    roleAssignmentArgs({
                        subscriptionId: first.subscriptionId,
                        role,
                        principalId,
                        principalType: "ServicePrincipal",
                        scope,
                    }),
                    { parent: this },
                );
            grant("cluster-user", "AksClusterUser", first.clusterId);
            grant(
                "reads-namespace",
                "AksRbacReader",
                pulumi.interpolate`${first.clusterId}/namespaces/${tenant.name}`,
            );
        }
    }

    private variableGroup(tenant: TenantConfig): azuredevops.VariableGroup {
        return new azuredevops.VariableGroup(
            `${this.name}-${tenant.name}-variables`,
            {
                projectId: this.project.id,
                name: tenant.name,
                description: `Registries, chart repositories and promotion settings of team ${tenant.name}. Managed by Pulumi.`,
                // Only the team's own pipelines are authorized (below), not every pipeline of the project.
                allowAccess: false,
                variables: teamVariables(tenant, this.args),
            },
            this.inProject,
        );
    }

    /** The app's one pipeline, and its authorizations to use the connections and the team's variables. */
    private pipeline(
        tenant: TenantConfig,
        app: AppConfig,
        github: azuredevops.ServiceEndpointGitHub,
        group: azuredevops.VariableGroup,
        authorized: readonly Authorized[],
    ): pulumi.Output<string> {
        const pipeline = new azuredevops.BuildDefinition(
            `${this.name}-${tenant.name}-${app.name}`,
            {
                projectId: this.project.id,
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
                // The YAML's own trigger (main only, the app's and its chart's or manifests' paths, never
                // deploy/prod/) is the one source of truth: an override would replace it.
                ciTrigger: { useYaml: true },
                variableGroups: [group.id.apply(Number)],
                jobAuthorizationScope: "project",
            },
            this.inProject,
        );
        for (const { use, type, id } of authorized) {
            new azuredevops.PipelineAuthorization(
                `${this.name}-${tenant.name}-${app.name}-uses-${use}`,
                { projectId: this.project.id, type, resourceId: id, pipelineId: pipeline.id.apply(Number) },
                this.inProject,
            );
        }
        return pipeline.id;
    }
}

/** The variables of a team's group: what the pipeline templates read; secrets marked secret. */
export function teamVariables(tenant: TenantConfig, args: DevOpsArgs): azuredevops.VariableGroupVariable[] {
    const v = TEAM_VARIABLES;
    const first = args.environments[0];
    return [
        { name: v.teamName, value: tenant.name },
        { name: v.chartRepositoryKind, value: first.chartRepositoryKind },
        { name: v.platformRepository, value: args.config.platformRepository },
        { name: v.teamFile, value: `${args.teamsDirectory}/${tenant.name}.yaml` },
        // The team's own token: a team's pipeline cannot push to another team's app repositories.
        { name: v.promotionToken, isSecret: true, secretValue: args.config.promotionTokens[tenant.name] },
        ...args.environments.flatMap((e) => environmentVariables(e, tenant.name)),
    ];
}

/**
 * One environment's variables for one team: its registry and cluster, where the team pushes charts
 * (ChartMuseum's URL; with acr-oci the team's own OCI path) and the team's own ChartMuseum push token,
 * which ChartMuseum accepts on the team's repository alone.
 */
function environmentVariables(e: EnvironmentOutputs, team: string): azuredevops.VariableGroupVariable[] {
    const name = (variable: EnvironmentVariable) => TEAM_VARIABLES.ofEnvironment(e.name, variable);
    const token = e.chartPushTokens.apply((all) => all[team] ?? "");
    const chartUrl = pulumi
        .all([e.chartRepositoryKind, e.chartPushUrl])
        .apply(([kind, url]) => (kind === "acr-oci" ? teamChartRepositoryUrl(kind, url, team) : url));
    return [
        { name: name("registryName"), value: e.registryName },
        { name: name("registryLoginServer"), value: e.registryLoginServer },
        { name: name("resourceGroup"), value: e.resourceGroupName },
        { name: name("clusterName"), value: e.clusterName },
        { name: name("chartRepositoryUrl"), value: chartUrl },
        { name: name("chartRepositoryToken"), isSecret: true, secretValue: pulumi.secret(token) },
    ];
}

/** A federated credential name: 3-120 characters of letters, digits, `-` and `_`, unique per application. */
function credentialName(config: DevOpsConfig, suffix: string): string {
    const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, "-");
    return `azure-devops-${slug(config.organization)}-${slug(config.project)}-${suffix}`.slice(0, 120);
}
