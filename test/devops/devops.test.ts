import assert from "node:assert/strict";
import { stackTenants } from "../support/tenants";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
    PROMOTION_ENVIRONMENT,
    SERVICE_CONNECTIONS,
    TEAM_VARIABLES,
    appDirectory,
    ciTrigger,
    resourceGroupOf,
    teamVariables,
} from "../../components/devops/devops";
import { AZUREDEVOPS_TOKENS as T } from "../../components/devops/azuredevops";
import type { AppConfig, TenantConfig } from "../../components/tenants/config";
import {
    OfflineRun,
    RegisteredResource,
    STACKS,
    byUrn,
    isWireSecret,
    ofType,
    one,
    run,
} from "../support/program";

const FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";
const REGISTRY = "azure-native:containerregistry:Registry";

interface DeclaredApp {
    readonly team: string;
    readonly name: string;
    readonly repository: string;
    readonly pipelinePath?: string;
}

/** The apps the stack file declares, straight from the resolved config (not from the program). */
function declaredApps(r: OfflineRun): DeclaredApp[] {
    const tenants = stackTenants(r.stack as "staging" | "prod") as {
        name: string;
        apps: Omit<DeclaredApp, "team">[];
    }[];
    return tenants.flatMap((t) => t.apps.map((a) => ({ ...a, team: t.name })));
}

const dependsOn = (r: RegisteredResource, other: RegisteredResource) => r.dependencies.includes(other.urn);
const variable = (group: RegisteredResource, name: string) =>
    group.inputs.variables.find((v: { name: string }) => v.name === name);

for (const stack of STACKS) {
    describe(`Azure DevOps CI (${stack})`, () => {
        it("creates one private project, named by config, through a provider for the configured organization", async () => {
            const r = await run(stack);
            const project = one(r, T.project);
            assert.equal(project.inputs.name, r.config.values["gitops-platform:devopsProject"]);
            assert.equal(project.inputs.visibility, "private");
            const provider = one(r, "pulumi:providers:azuredevops");
            assert.equal(provider.inputs.orgServiceUrl, r.config.values["gitops-platform:devopsOrgUrl"]);
            assert.ok(isWireSecret(provider.wireInputs.personalAccessToken), "the PAT is sent as a secret");
            assert.equal(
                provider.inputs.personalAccessToken,
                r.config.placeholders["gitops-platform:devopsPersonalAccessToken"],
            );
        });

        it("connects GitHub with the GitHub token from secret config", async () => {
            const r = await run(stack);
            const github = one(r, T.serviceEndpointGitHub);
            assert.equal(github.inputs.serviceEndpointName, SERVICE_CONNECTIONS.github);
            assert.equal(
                github.inputs.authPersonal.personalAccessToken,
                r.config.placeholders["gitops-platform:devopsGithubToken"],
            );
            assert.ok(isWireSecret(github.wireInputs.authPersonal));
        });

        it("connects Azure Resource Manager and ACR through workload identity federation as the CI application, with no secret", async () => {
            const r = await run(stack);
            const ciApp = one(r, "azuread:index/application:Application", "-identities-ci");
            const arm = one(r, T.serviceEndpointAzureRM);
            const acr = one(r, T.serviceEndpointAzureEcr);
            for (const connection of [arm, acr]) {
                assert.equal(
                    connection.inputs.serviceEndpointAuthenticationScheme,
                    "WorkloadIdentityFederation",
                );
                assert.deepEqual(
                    Object.keys(connection.inputs.credentials),
                    ["serviceprincipalid"],
                    "a client id and nothing else",
                );
                assert.ok(dependsOn(connection, ciApp), `${connection.name} acts as the CI application`);
            }
            assert.equal(arm.inputs.serviceEndpointName, SERVICE_CONNECTIONS.azure);
            assert.equal(acr.inputs.serviceEndpointName, SERVICE_CONNECTIONS.registry);
            const registry = one(r, REGISTRY);
            assert.equal(acr.inputs.azurecrName, registry.inputs.registryName);
            assert.equal(acr.inputs.resourceGroup, registry.inputs.resourceGroupName);
        });

        it("federates the CI application with exactly the issuer and subject of each connection", async () => {
            const r = await run(stack);
            const ciApp = one(r, "azuread:index/application:Application", "-identities-ci");
            const credentials = ofType(r, FIC).filter((c) => dependsOn(c, ciApp));
            assert.equal(credentials.length, 2);
            for (const [suffix, type, name] of [
                ["-azure-federation", T.serviceEndpointAzureRM, SERVICE_CONNECTIONS.azure],
                ["-registry-federation", T.serviceEndpointAzureEcr, SERVICE_CONNECTIONS.registry],
            ] as const) {
                const fic = one(r, FIC, suffix);
                assert.deepEqual(fic.inputs.audiences, ["api://AzureADTokenExchange"]);
                assert.ok(
                    dependsOn(fic, one(r, type)),
                    "issuer and subject come from the connection's outputs",
                );
                assert.match(fic.inputs.issuer, /^https:\/\/vstoken\.dev\.azure\.com\//);
                assert.ok(fic.inputs.subject.endsWith(`/${name}`), fic.inputs.subject);
            }
        });

        it("gives every team a variable group of its own with the registry and the chart repository", async () => {
            const r = await run(stack);
            const teams = [...new Set(declaredApps(r).map((a) => a.team))];
            const groups = ofType(r, T.variableGroup);
            assert.deepEqual(groups.map((g) => g.inputs.name).sort(), teams.sort());
            const registry = one(r, REGISTRY);
            for (const group of groups) {
                assert.equal(group.inputs.allowAccess, false, "only authorized pipelines read it");
                assert.equal(
                    variable(group, TEAM_VARIABLES.registryName).value,
                    registry.inputs.registryName,
                );
                assert.equal(
                    variable(group, TEAM_VARIABLES.registryLoginServer).value,
                    `${registry.inputs.registryName}.azurecr.io`,
                );
                assert.equal(variable(group, TEAM_VARIABLES.teamName).value, group.inputs.name);
                assert.match(variable(group, TEAM_VARIABLES.chartRepositoryUrl).value, /^(https|oci):\/\//);
            }
        });

        it("marks the chart push password secret and sends it only as a secret value", async () => {
            const r = await run(stack);
            for (const group of ofType(r, T.variableGroup)) {
                const wire = group.wireInputs.variables as Record<string, unknown>[];
                const password = wire.find((v) => v.name === TEAM_VARIABLES.chartRepositoryPassword);
                assert.ok(password, `${group.name} has the chart push password`);
                assert.equal(password.isSecret, true);
                assert.ok(isWireSecret(password.secretValue), "the value is a secret output");
                assert.equal(password.value, undefined, "no plaintext value");
                assert.ok(
                    !wire.some((v) => v.name === "registryPassword"),
                    "no registry password: the ACR connection is federated",
                );
            }
        });

        it("hands the CI password, when the stack enables one, to every team only as the secret registryPassword", async () => {
            const endDate = new Date(Date.now() + 90 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
            const r = await run(stack, {
                "gitops-platform:ciPassword": "true",
                "gitops-platform:ciPasswordEndDate": endDate,
            });
            for (const group of ofType(r, T.variableGroup)) {
                const password = (group.wireInputs.variables as Record<string, unknown>[]).find(
                    (v) => v.name === TEAM_VARIABLES.registryPassword,
                );
                assert.ok(password, `${group.name} has registryPassword`);
                assert.equal(password.isSecret, true);
                assert.ok(isWireSecret(password.secretValue));
                assert.equal(password.value, undefined);
            }
        });

        it("creates a pipeline per declared app from the app repository's YAML, linked to its team's variable group", async () => {
            const r = await run(stack);
            const apps = declaredApps(r);
            const pipelines = ofType(r, T.buildDefinition);
            assert.deepEqual(
                pipelines.map((p) => p.inputs.name).sort(),
                apps.map((a) => `${a.team}-${a.name}`).sort(),
            );
            const github = one(r, T.serviceEndpointGitHub);
            for (const app of apps) {
                const p = one(r, T.buildDefinition, `-${app.team}-${app.name}`);
                assert.equal(p.inputs.repository.repoType, "GitHub");
                assert.equal(p.inputs.repository.repoId, app.repository);
                assert.equal(p.inputs.repository.ymlPath, app.pipelinePath ?? `${app.name}/ci-pipeline.yml`);
                assert.ok(dependsOn(p, github), "reads the repository through the GitHub connection");
                const groups = ofType(r, T.variableGroup).filter((g) => dependsOn(p, g));
                assert.deepEqual(
                    groups.map((g) => g.inputs.name),
                    [app.team],
                );
                assert.equal(p.inputs.variableGroups.length, 1);
                assert.ok(Number.isInteger(p.inputs.variableGroups[0]));
            }
        });

        it("triggers each pipeline on main for changes in the app's directory", async () => {
            const r = await run(stack);
            for (const app of declaredApps(r)) {
                const p = one(r, T.buildDefinition, `-${app.team}-${app.name}`);
                assert.deepEqual(p.inputs.ciTrigger.override.branchFilters, [{ includes: ["main"] }]);
                assert.deepEqual(p.inputs.ciTrigger.override.pathFilters, [{ includes: [`${app.name}/*`] }]);
            }
        });

        it("authorizes each pipeline for the three connections, its own team's variable group and the prod environment", async () => {
            const r = await run(stack);
            const auths = ofType(r, T.pipelineAuthorization);
            for (const p of ofType(r, T.buildDefinition)) {
                const mine = auths.filter((a) => dependsOn(a, p));
                assert.deepEqual(mine.map((a) => a.inputs.type).sort(), [
                    "endpoint",
                    "endpoint",
                    "endpoint",
                    "environment",
                    "variablegroup",
                ]);
                for (const target of [
                    T.serviceEndpointGitHub,
                    T.serviceEndpointAzureRM,
                    T.serviceEndpointAzureEcr,
                    T.environment,
                ]) {
                    assert.ok(
                        mine.some((a) => dependsOn(a, one(r, target))),
                        `${p.name} -> ${target}`,
                    );
                }
                const group = mine.find((a) => a.inputs.type === "variablegroup")!;
                assert.equal(
                    String(p.inputs.variableGroups[0]),
                    group.inputs.resourceId,
                    `${p.name} reads only the group it is linked to`,
                );
                assert.ok(
                    mine.every((a) => Number.isInteger(a.inputs.pipelineId)),
                    "scoped to the pipeline, not the whole project",
                );
            }
        });

        it("guards the prod environment with an approval by the configured group", async () => {
            const r = await run(stack);
            const environment = one(r, T.environment);
            assert.equal(environment.inputs.name, PROMOTION_ENVIRONMENT);
            const check = one(r, T.checkApproval);
            assert.equal(check.inputs.targetResourceType, "environment");
            assert.ok(dependsOn(check, environment));
            assert.equal(check.inputs.approvers.length, 1);
            assert.equal(check.inputs.requesterCanApprove, false);
            assert.ok(r.invokes.includes(T.getGroup), "approvers are the project group looked up by name");
        });

        it("keeps every Azure DevOps resource inside the component", async () => {
            const r = await run(stack);
            for (const x of r.resources.filter((x) => x.type.startsWith("azuredevops:") || x.type === FIC)) {
                assert.equal(byUrn(r, x.parent)?.type, "gitops:devops:DevOps", x.name);
                assert.ok(x.name.startsWith(`${byUrn(r, x.parent)!.name}-`), x.name);
            }
        });
    });
}

describe("Azure DevOps CI with a custom pipeline path", () => {
    it("points the pipeline at that YAML and filters on its directory", async () => {
        const r = await run("staging", {
            "gitops-platform:tenants": [
                {
                    name: "dev-team3",
                    delivery: "helm",
                    apps: [
                        {
                            name: "web",
                            repository: "contoso/web",
                            pipelinePath: "services/web/azure-pipelines.yml",
                            version: "1.x",
                        },
                    ],
                },
            ],
        });
        const p = one(r, T.buildDefinition);
        assert.equal(p.inputs.repository.ymlPath, "services/web/azure-pipelines.yml");
        assert.deepEqual(p.inputs.ciTrigger.override.pathFilters, [{ includes: ["services/web/*"] }]);
    });
});

describe("Azure DevOps CI builders", () => {
    const app = (pipelinePath: string) => ({ name: "x", pipelinePath }) as AppConfig;

    it("does not filter paths when the pipeline YAML is at the repository root", () => {
        assert.equal(appDirectory(app("azure-pipelines.yml")), "");
        assert.equal(ciTrigger(app("azure-pipelines.yml")).pathFilters, undefined);
    });

    it("takes the resource group out of an ARM id", () => {
        assert.equal(
            resourceGroupOf(
                "/subscriptions/s/resourceGroups/rg-x/providers/Microsoft.ContainerRegistry/registries/acr",
            ),
            "rg-x",
        );
        assert.throws(() => resourceGroupOf("/subscriptions/s"), /resource group/);
    });

    it("gives ACR-as-OCI teams the OCI URL and no push secret at all", () => {
        const variables = teamVariables(
            { name: "dev-team1" } as TenantConfig,
            { id: "id", name: "acr", loginServer: "acr.azurecr.io" },
            { kind: "acr-oci", url: pulumi.output("oci://acr.azurecr.io/helm") },
            "client",
        );
        assert.ok(!variables.some((v) => v.isSecret || v.secretValue !== undefined));
        assert.ok(variables.some((v) => v.name === TEAM_VARIABLES.chartRepositoryUrl));
        assert.ok(!variables.some((v) => v.name === TEAM_VARIABLES.chartRepositoryPassword));
    });
});
