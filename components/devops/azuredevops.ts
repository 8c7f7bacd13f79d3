// Typed binding of the Azure DevOps provider (pulumi/pulumi-azuredevops 3.15.0), for exactly the
// resources this program uses. `@pulumi/azuredevops` is not installable from the registry this project
// builds with, so the resources are declared here as CustomResources with the provider's own type
// tokens, names and shapes, written from the provider's published schema (3.15.0).
//
// Swapping to the real SDK is a change of this file only: replace its body with
//     export * from "@pulumi/azuredevops";
// (and keep the 3.15.0 pin in package.json). Class names, argument names and output names below are
// the SDK's, so components/devops.ts compiles unchanged.
//
// test/fixtures/azuredevops-schema-extract.json lists the property names and types this file relies
// on; test/azuredevops.test.ts checks every registration against it and it against the schema.
import * as pulumi from "@pulumi/pulumi";

/** The provider plugin version every resource of this module asks the engine for. */
export const AZUREDEVOPS_PROVIDER_VERSION = "3.15.0";

/** Type tokens, as the provider's schema names them. */
export const AZUREDEVOPS_TOKENS = {
    project: "azuredevops:index/project:Project",
    serviceEndpointGitHub: "azuredevops:index/serviceEndpointGitHub:ServiceEndpointGitHub",
    serviceEndpointAzureRM: "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM",
    variableGroup: "azuredevops:index/variableGroup:VariableGroup",
    buildDefinition: "azuredevops:index/buildDefinition:BuildDefinition",
    pipelineAuthorization: "azuredevops:index/pipelineAuthorization:PipelineAuthorization",
    environment: "azuredevops:index/environment:Environment",
} as const;

type In<T> = pulumi.Input<T>;
type Out<T> = pulumi.Output<T>;

/** Asks for the pinned plugin version whatever the caller passes. */
function pinned<T extends { version?: string }>(opts?: T): T {
    return { ...(opts ?? ({} as T)), version: AZUREDEVOPS_PROVIDER_VERSION };
}

/** Output properties the provider computes, registered as unknown inputs so the engine fills them. */
function withOutputs(args: object, outputs: readonly string[]): pulumi.Inputs {
    const inputs: pulumi.Inputs = {};
    for (const key of outputs) inputs[key] = undefined;
    return { ...inputs, ...args };
}

// --- Provider -------------------------------------------------------------------------------------

export interface ProviderArgs {
    /** The url of the Azure DevOps instance which should be used. */
    readonly orgServiceUrl?: In<string>;
    /** The personal access token which should be used. Secret. */
    readonly personalAccessToken?: In<string>;
}

/** The `pulumi:providers:azuredevops` provider resource. */
export class Provider extends pulumi.ProviderResource {
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
        const inputs: pulumi.Inputs = { ...args };
        if (args?.personalAccessToken !== undefined)
            inputs.personalAccessToken = pulumi.secret(args.personalAccessToken);
        super("azuredevops", name, inputs, pinned(opts));
    }
}

// --- Project --------------------------------------------------------------------------------------

export interface ProjectArgs {
    readonly name?: In<string>;
    readonly description?: In<string>;
    /** `private` or `public`. */
    readonly visibility?: In<string>;
    /** `Git` or `Tfvc`. */
    readonly versionControl?: In<string>;
    /** `Agile`, `Basic`, `CMMI`, `Scrum` or a custom one. */
    readonly workItemTemplate?: In<string>;
    /** Project features (`boards`, `repositories`, `pipelines`, `testplans`, `artifacts`) -> `enabled` | `disabled`. */
    readonly features?: In<Record<string, In<string>>>;
}

export class Project extends pulumi.CustomResource {
    declare readonly name: Out<string>;
    declare readonly visibility: Out<string | undefined>;
    declare readonly processTemplateId: Out<string>;

    constructor(name: string, args: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
        super(AZUREDEVOPS_TOKENS.project, name, withOutputs(args, ["processTemplateId"]), pinned(opts));
    }
}

// --- Service endpoints ----------------------------------------------------------------------------

export interface ServiceEndpointGitHubAuthPersonal {
    /** The Personal Access Token for GitHub. Secret. */
    readonly personalAccessToken: In<string>;
}

export interface ServiceEndpointGitHubArgs {
    readonly projectId: In<string>;
    readonly serviceEndpointName: In<string>;
    readonly description?: In<string>;
    readonly authPersonal?: In<ServiceEndpointGitHubAuthPersonal>;
}

export class ServiceEndpointGitHub extends pulumi.CustomResource {
    declare readonly serviceEndpointName: Out<string>;
    declare readonly authorization: Out<Record<string, string>>;

    constructor(name: string, args: ServiceEndpointGitHubArgs, opts?: pulumi.CustomResourceOptions) {
        const authPersonal = args.authPersonal === undefined ? undefined : pulumi.secret(args.authPersonal);
        super(
            AZUREDEVOPS_TOKENS.serviceEndpointGitHub,
            name,
            withOutputs({ ...args, authPersonal }, ["authorization"]),
            pinned(opts),
        );
    }
}

export interface ServiceEndpointAzureRMCredentials {
    /** The service principal application (client) id. */
    readonly serviceprincipalid: In<string>;
    /** Not used with `WorkloadIdentityFederation`. Secret. */
    readonly serviceprincipalkey?: In<string>;
}

export interface ServiceEndpointAzureRMFeatures {
    /** Validate the connection with Azure after create or update. */
    readonly validate?: In<boolean>;
}

export interface ServiceEndpointAzureRMArgs {
    readonly projectId: In<string>;
    readonly serviceEndpointName: In<string>;
    readonly description?: In<string>;
    /** `WorkloadIdentityFederation`, `ManagedServiceIdentity` or `ServicePrincipal`. */
    readonly serviceEndpointAuthenticationScheme?: In<string>;
    readonly credentials?: In<ServiceEndpointAzureRMCredentials>;
    readonly azurermSpnTenantid?: In<string>;
    readonly azurermSubscriptionId?: In<string>;
    readonly azurermSubscriptionName?: In<string>;
    /** `AzureCloud` (default), `AzureChinaCloud`, `AzureUSGovernment`, `AzureGermanCloud`, `AzureStack`. */
    readonly environment?: In<string>;
    readonly features?: In<ServiceEndpointAzureRMFeatures>;
}

export class ServiceEndpointAzureRM extends pulumi.CustomResource {
    declare readonly serviceEndpointName: Out<string>;
    declare readonly servicePrincipalId: Out<string>;
    /** Issuer of the tokens Azure DevOps presents for this connection (federated credential issuer). */
    declare readonly workloadIdentityFederationIssuer: Out<string>;
    /** Subject of those tokens (federated credential subject), `sc://<org>/<project>/<connection>`. */
    declare readonly workloadIdentityFederationSubject: Out<string>;

    constructor(name: string, args: ServiceEndpointAzureRMArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            AZUREDEVOPS_TOKENS.serviceEndpointAzureRM,
            name,
            withOutputs(args, [
                "authorization",
                "servicePrincipalId",
                "workloadIdentityFederationIssuer",
                "workloadIdentityFederationSubject",
            ]),
            pinned(opts),
        );
    }
}

// --- Variable groups ------------------------------------------------------------------------------

export interface VariableGroupVariable {
    readonly name: In<string>;
    /** Plain value (never for secrets: it is stored unencrypted). */
    readonly value?: In<string>;
    /** Secret value; used when `isSecret` is true. */
    readonly secretValue?: In<string>;
    readonly isSecret?: In<boolean>;
}

export interface VariableGroupArgs {
    readonly projectId: In<string>;
    readonly name?: In<string>;
    readonly description?: In<string>;
    /** Shared with every pipeline of the project (false: pipelines need a PipelineAuthorization). */
    readonly allowAccess?: In<boolean>;
    readonly variables: In<In<VariableGroupVariable>[]>;
}

export class VariableGroup extends pulumi.CustomResource {
    declare readonly name: Out<string>;

    constructor(name: string, args: VariableGroupArgs, opts?: pulumi.CustomResourceOptions) {
        super(AZUREDEVOPS_TOKENS.variableGroup, name, withOutputs(args, []), pinned(opts));
    }
}

// --- Build definitions (pipelines) ----------------------------------------------------------------

export interface BuildDefinitionRepository {
    /** `GitHub`, `TfsGit`, `Bitbucket`, `GitHub Enterprise` or `Git`. */
    readonly repoType: In<string>;
    /** For GitHub: `<owner>/<repo>`. */
    readonly repoId: In<string>;
    readonly branchName?: In<string>;
    /** Path of the pipeline YAML in the repository. */
    readonly ymlPath?: In<string>;
    /** The GitHub service connection id. */
    readonly serviceConnectionId?: In<string>;
    readonly reportBuildStatus?: In<boolean>;
}

export interface BuildDefinitionCiTriggerOverrideFilter {
    readonly includes?: In<In<string>[]>;
    readonly excludes?: In<In<string>[]>;
}

export interface BuildDefinitionCiTriggerOverride {
    readonly branchFilters: In<In<BuildDefinitionCiTriggerOverrideFilter>[]>;
    readonly pathFilters?: In<In<BuildDefinitionCiTriggerOverrideFilter>[]>;
    readonly batch?: In<boolean>;
    readonly maxConcurrentBuildsPerBranch?: In<number>;
}

export interface BuildDefinitionCiTrigger {
    /** Use the YAML file's own `trigger`. */
    readonly useYaml?: In<boolean>;
    /** Or override it with these filters. */
    readonly override?: In<BuildDefinitionCiTriggerOverride>;
}

export interface BuildDefinitionArgs {
    readonly projectId: In<string>;
    readonly name?: In<string>;
    /** Folder of the definition, e.g. `\dev-team1`. */
    readonly path?: In<string>;
    readonly repository: In<BuildDefinitionRepository>;
    readonly ciTrigger?: In<BuildDefinitionCiTrigger>;
    /** Variable group ids (integers). */
    readonly variableGroups?: In<In<number>[]>;
    /** `project` or `projectCollection`. */
    readonly jobAuthorizationScope?: In<string>;
    /** `enabled`, `paused` or `disabled`. */
    readonly queueStatus?: In<string>;
}

export class BuildDefinition extends pulumi.CustomResource {
    declare readonly name: Out<string>;
    declare readonly revision: Out<number>;

    constructor(name: string, args: BuildDefinitionArgs, opts?: pulumi.CustomResourceOptions) {
        super(AZUREDEVOPS_TOKENS.buildDefinition, name, withOutputs(args, ["revision"]), pinned(opts));
    }
}

// --- Environments -----------------------------------------------------------

export interface EnvironmentArgs {
    /** The ID of the project. Changing this forces a new Environment to be created. */
    readonly projectId: In<string>;
    /** The name which should be used for this Environment (what a deployment job's `environment:` names). */
    readonly name?: In<string>;
    /** A description for the Environment. */
    readonly description?: In<string>;
}

/** An Azure Pipelines environment, the target of deployment jobs. Its `id` is what authorizations name. */
export class Environment extends pulumi.CustomResource {
    declare readonly name: Out<string>;

    constructor(name: string, args: EnvironmentArgs, opts?: pulumi.CustomResourceOptions) {
        super(AZUREDEVOPS_TOKENS.environment, name, withOutputs(args, []), pinned(opts));
    }
}

// --- Authorizations ---------------------------------------------------------

export interface PipelineAuthorizationArgs {
    readonly projectId: In<string>;
    readonly resourceId: In<string>;
    /** `endpoint`, `queue`, `variablegroup`, `environment` or `repository`. */
    readonly type: In<string>;
    /** The pipeline to authorize; all pipelines of the project when omitted. */
    readonly pipelineId?: In<number>;
}

export class PipelineAuthorization extends pulumi.CustomResource {
    constructor(name: string, args: PipelineAuthorizationArgs, opts?: pulumi.CustomResourceOptions) {
        super(AZUREDEVOPS_TOKENS.pipelineAuthorization, name, withOutputs(args, []), pinned(opts));
    }
}
