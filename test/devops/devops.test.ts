import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AZUREDEVOPS_TOKENS as T } from "../../components/devops/azuredevops";
import { SERVICE_CONNECTIONS, TEAM_VARIABLES } from "../../components/devops/devops";
import type { AppConfig } from "../../components/tenants/config";
import type { CiIdentityIds } from "../../components/identities/identities";
import { BuiltInRoles, repositoryPrefixCondition } from "../../src/roles";
import { evaluateCondition } from "../support/abac";
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
import { stackTenants } from "../support/tenants";
import { unwrap } from "../../tools/offline/run";
import { placeholderFor } from "../../tools/offline/stackConfig";

const FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const APPLICATION = "azuread:index/application:Application";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";

const delivery = () => run("delivery");
const variable = (group: RegisteredResource, name: string) =>
    group.inputs.variables.find((v: { name: string }) => v.name === name);
const connection = (r: OfflineRun, name: string) =>
    ofType(r, T.serviceEndpointAzureRM).find((c) => c.inputs.serviceEndpointName === name);

/** The connection exists, federates (no secret) to that application, with Azure AD's audience. */
function assertFederated(r: OfflineRun, name: string, clientId: unknown, applicationId: unknown): void {
    const c = connection(r, name);
    assert.ok(c, `connection ${name}`);
    assert.equal(c.inputs.serviceEndpointAuthenticationScheme, "WorkloadIdentityFederation");
    assert.equal(c.inputs.credentials.serviceprincipalid, clientId);
    assert.equal(c.inputs.credentials.serviceprincipalkey, undefined, "no secret");
    const federation = ofType(r, FIC).find((f) => f.name.endsWith(`-${name}-federation`))!;
    assert.equal(federation.inputs.applicationId, applicationId);
    assert.deepEqual(federation.inputs.audiences, ["api://AzureADTokenExchange"]);
}

/** Every app of every team file: what must get exactly one pipeline. */
const declaredApps = () =>
    stackTenants("staging").flatMap((t) => t.apps.map((a: AppConfig) => `${t.name}/${a.name}`));

describe("one Azure DevOps CI for the organisation (the delivery stack)", () => {
    it("creates exactly one Azure DevOps project across every stack", async () => {
        const runs = [await run("staging"), await run("prod"), await delivery()];
        const projects = runs.flatMap((r) => ofType(r, T.project));
        assert.equal(projects.length, 1);
        assert.equal(projects[0].inputs.name, "gitops-platform");
        assert.equal(projects[0].inputs.visibility, "private");
    });

    it("creates exactly one pipeline per app across every stack", async () => {
        const runs = [await run("staging"), await run("prod"), await delivery()];
        const pipelines = runs.flatMap((r) => ofType(r, T.buildDefinition)).map((p) => p.inputs.name);
        assert.deepEqual(
            pipelines.sort(),
            declaredApps()
                .map((a) => a.replace("/", "-"))
                .sort(),
        );
    });

    it("points each pipeline at the app repository's YAML, linked to its team's variable group", async () => {
        const r = await delivery();
        for (const app of declaredApps()) {
            const [team, name] = app.split("/");
            const pipeline = one(r, T.buildDefinition, `-${team}-${name}`);
            assert.equal(pipeline.inputs.repository.ymlPath, `${name}/ci-pipeline.yml`);
            assert.equal(pipeline.inputs.repository.branchName, "refs/heads/main");
            const group = one(r, T.variableGroup, `-${team}-variables`);
            assert.ok(pipeline.dependencies.includes(group.urn), `${app} uses its team's group`);
        }
    });

    it("connects GitHub with the GitHub token from secret config", async () => {
        const github = one(await delivery(), T.serviceEndpointGitHub);
        assert.equal(github.inputs.serviceEndpointName, SERVICE_CONNECTIONS.github);
        // The whole authPersonal block travels as a secret, the token with it.
        assert.ok(isWireSecret(github.wireInputs.authPersonal));
        assert.match(github.inputs.authPersonal.personalAccessToken, /devopsGithubToken/);
    });

    for (const environment of STACKS) {
        it(`${environment}: connects as each team's CI application there, by workload identity federation`, async () => {
            const env = await run(environment);
            const r = await delivery();
            const identities = env.outputs.ciIdentities as Record<string, CiIdentityIds>;
            for (const team of ["dev-team1", "dev-team2"]) {
                const name = SERVICE_CONNECTIONS.azure(environment, team);
                assertFederated(r, name, identities[team].clientId, identities[team].applicationId);
            }
        });
    }

    it("lets each team's prod CI identity read only its own repositories of staging's registry", async () => {
        const [staging, prod, r] = [await run("staging"), await run("prod"), await delivery()];
        const identities = prod.outputs.ciIdentities as Record<string, CiIdentityIds>;
        const grants = ofType(r, ROLE_ASSIGNMENT).filter((a) => a.name.includes("-reads-staging"));
        assert.deepEqual(grants.map((g) => g.name.split("-prod-ci-")[1]).sort(), [
            "dev-team1-reads-staging",
            "dev-team2-reads-staging",
        ]);
        for (const team of ["dev-team1", "dev-team2"]) {
            const grant = grants.find((g) => g.name.includes(`-ci-${team}-`))!;
            assert.equal(grant.inputs.scope, staging.outputs.registryId);
            assert.equal(grant.inputs.principalId, identities[team].servicePrincipalObjectId);
            assert.ok(String(grant.inputs.roleDefinitionId).endsWith(BuiltInRoles.AcrRepositoryReader));
            assert.equal(
                grant.inputs.condition,
                repositoryPrefixCondition("AcrRepositoryReader", `${team}/`),
            );
        }
    });

    it("refuses dev-team2's prod identity a read of dev-team1's staging repositories (the condition, evaluated)", async () => {
        const [prod, r] = [await run("prod"), await delivery()];
        const attacker = (prod.outputs.ciIdentities as Record<string, CiIdentityIds>)["dev-team2"];
        const grants = ofType(r, ROLE_ASSIGNMENT).filter(
            (a) => a.inputs.principalId === attacker.servicePrincipalObjectId,
        );
        const read = { action: "Microsoft.ContainerRegistry/registries/repositories/content/read" };
        assert.ok(grants.length > 0);
        for (const g of grants) {
            assert.equal(
                evaluateCondition(g.inputs.condition, { ...read, repository: "dev-team1/front" }),
                false,
            );
            assert.equal(
                evaluateCondition(g.inputs.condition, { ...read, repository: "dev-team2/back" }),
                true,
            );
        }
    });

    it("lets each team's staging CI identity read its own namespace only, to verify what runs there", async () => {
        const [staging, r] = [await run("staging"), await delivery()];
        const identities = staging.outputs.ciIdentities as Record<string, CiIdentityIds>;
        for (const team of ["dev-team1", "dev-team2"]) {
            const sp = identities[team].servicePrincipalObjectId;
            const grants = ofType(r, ROLE_ASSIGNMENT).filter((a) => a.inputs.principalId === sp);
            const reader = grants.filter((g) =>
                String(g.inputs.roleDefinitionId).endsWith(BuiltInRoles.AksRbacReader),
            );
            assert.deepEqual(
                reader.map((g) => g.inputs.scope),
                [`${staging.outputs.clusterId}/namespaces/${team}`],
            );
            const user = grants.filter((g) =>
                String(g.inputs.roleDefinitionId).endsWith(BuiltInRoles.AksClusterUser),
            );
            assert.deepEqual(
                user.map((g) => g.inputs.scope),
                [staging.outputs.clusterId],
            );
        }
    });

    it("attack: dev-team2's verify identity cannot read dev-team1's namespace", async () => {
        const [staging, r] = [await run("staging"), await delivery()];
        const sp = (staging.outputs.ciIdentities as Record<string, CiIdentityIds>)["dev-team2"]
            .servicePrincipalObjectId;
        // A Kubernetes read right at the cluster's scope would cover dev-team1's namespace too.
        const reads = ofType(r, ROLE_ASSIGNMENT)
            .filter((a) => a.inputs.principalId === sp)
            .filter((a) => !String(a.inputs.roleDefinitionId).endsWith(BuiltInRoles.AksClusterUser))
            .map((a) => String(a.inputs.scope));
        assert.ok(reads.length > 0);
        const covers = (scope: string) =>
            scope === staging.outputs.clusterId || scope.endsWith("/namespaces/dev-team1");
        assert.deepEqual(reads.filter(covers), [], reads.join());
    });

    it("gives every team a variable group with each environment's registry and chart repository", async () => {
        const [staging, prod, r] = [await run("staging"), await run("prod"), await delivery()];
        const group = one(r, T.variableGroup, "-dev-team1-variables");
        assert.equal(group.inputs.allowAccess, false);
        assert.equal(variable(group, TEAM_VARIABLES.teamName).value, "dev-team1");
        // The team file's path in the platform repository, which the promotion edits (here the fixture instance's).
        assert.equal(
            variable(group, TEAM_VARIABLES.teamFile).value,
            "test/fixtures/instance/tenants/dev-team1.yaml",
        );
        assert.equal(
            variable(group, TEAM_VARIABLES.platformRepository).value,
            "one-kubernetes/gitops-platform",
        );
        for (const [env, outputs] of [
            ["staging", staging.outputs],
            ["prod", prod.outputs],
        ] as const) {
            assert.equal(
                variable(group, TEAM_VARIABLES.ofEnvironment(env, "registryLoginServer")).value,
                outputs.registryLoginServer,
            );
            assert.equal(
                variable(group, TEAM_VARIABLES.ofEnvironment(env, "chartRepositoryUrl")).value,
                outputs.chartPushUrl,
            );
        }
    });

    it("sends the chart push tokens and the promotion token only as secret variables", async () => {
        const group = one(await delivery(), T.variableGroup, "-dev-team1-variables");
        const secrets = group.wireInputs.variables.filter((v: { isSecret?: boolean }) => v.isSecret);
        assert.deepEqual(
            secrets.map((v: { name: string }) => v.name).sort(),
            [
                TEAM_VARIABLES.promotionToken,
                "prod.chartRepositoryToken",
                "staging.chartRepositoryToken",
            ].sort(),
        );
        for (const v of secrets) assert.ok(isWireSecret(v.secretValue), v.name);
    });

    it("attack: dev-team2's variable group holds its own ChartMuseum push token of each environment, never dev-team1's", async () => {
        const [staging, prod, r] = [await run("staging"), await run("prod"), await delivery()];
        const group = one(r, T.variableGroup, "-dev-team2-variables");
        for (const [env, outputs] of [
            ["staging", staging.outputs],
            ["prod", prod.outputs],
        ] as const) {
            const tokens = unwrap(outputs.chartPushTokens) as Record<string, string>;
            const token = variable(group, TEAM_VARIABLES.ofEnvironment(env, "chartRepositoryToken"));
            assert.equal(token.secretValue, tokens["dev-team2"]);
            assert.notEqual(token.secretValue, tokens["dev-team1"]);
            assert.ok(!JSON.stringify(unwrap(group.wireInputs)).includes(tokens["dev-team1"]));
        }
    });

    it("attack: dev-team2's variable group holds its own promotion token, never dev-team1's", async () => {
        const r = await delivery();
        const token = (team: string) => placeholderFor(`gitops-platform:devopsPromotionTokens.${team}`);
        const group = one(r, T.variableGroup, "-dev-team2-variables");
        const promotion = variable(group, TEAM_VARIABLES.promotionToken);
        assert.ok(
            isWireSecret(
                group.wireInputs.variables.find((v: { name: string }) => v.name === "promotionToken")
                    .secretValue,
            ),
        );
        assert.equal(promotion.secretValue, token("dev-team2"));
        assert.ok(!JSON.stringify(unwrap(group.wireInputs)).includes(token("dev-team1")));
    });

    it("authorizes each pipeline for exactly the connections and its own team's variable group", async () => {
        const r = await delivery();
        const pipeline = one(r, T.buildDefinition, "-dev-team1-front");
        const uses = ofType(r, T.pipelineAuthorization)
            .filter((a) => a.dependencies.includes(pipeline.urn))
            .map((a) => a.name.split("-front-uses-")[1])
            .sort();
        assert.deepEqual(uses, [
            "azure-prod-dev-team1",
            "azure-staging-dev-team1",
            "environment-prod",
            "environment-staging",
            "github",
            "variables",
        ]);
    });

    it("does not authorize dev-team2's pipelines on dev-team1's CI connections", async () => {
        const r = await delivery();
        const theirs = ["staging", "prod"].map(
            (e) => connection(r, SERVICE_CONNECTIONS.azure(e, "dev-team1"))!.urn,
        );
        const pipelines = ofType(r, T.buildDefinition).filter((p) => p.inputs.name.startsWith("dev-team2-"));
        assert.ok(pipelines.length > 0);
        for (const pipeline of pipelines) {
            const authorized = ofType(r, T.pipelineAuthorization).filter((a) =>
                a.dependencies.includes(pipeline.urn),
            );
            for (const a of authorized)
                assert.ok(!theirs.some((urn) => a.dependencies.includes(urn)), a.name);
        }
    });

    it("asks for no approval check: the promotion pull request's review is the one approval", async () => {
        const r = await delivery();
        assert.equal(r.resources.filter((x) => /check/i.test(x.type)).length, 0);
    });

    it("creates the Azure Pipelines environments the deployment jobs name, and authorizes every pipeline on them", async () => {
        const r = await delivery();
        const environments = ofType(r, T.environment);
        assert.deepEqual(environments.map((e) => e.inputs.name).sort(), ["prod", "staging"]);
        for (const pipeline of ofType(r, T.buildDefinition)) {
            const on = ofType(r, T.pipelineAuthorization).filter(
                (a) => a.dependencies.includes(pipeline.urn) && a.inputs.type === "environment",
            );
            assert.deepEqual(
                environments.filter((e) => on.some((a) => a.dependencies.includes(e.urn))).length,
                2,
                pipeline.inputs.name,
            );
        }
    });

    it("keeps every Azure DevOps resource inside the component", async () => {
        const r = await delivery();
        for (const x of r.resources.filter((x) => x.type.startsWith("azuredevops:") || x.type === FIC)) {
            assert.equal(byUrn(r, x.parent)?.type, "gitops:devops:DevOps", x.name);
        }
    });

    it("creates no Azure resource of an environment: those stay in the environment stacks", async () => {
        const r = await delivery();
        for (const type of [APPLICATION, SERVICE_PRINCIPAL, "azure-native:containerregistry:Registry"]) {
            assert.equal(ofType(r, type).length, 0, type);
        }
    });
});

describe("environment stacks", () => {
    for (const stack of STACKS) {
        it(`${stack}: lets each team's verify identity read its own namespace (view, Flux objects included) where builds land, nowhere else`, async () => {
            const r = await run(stack);
            const bindings = ofType(r, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").filter(
                (b) => b.inputs.metadata.name === "pipeline-verifier-view",
            );
            if (stack === "prod") {
                assert.deepEqual(bindings, [], "prod is not verified by pipelines");
                return;
            }
            assert.deepEqual(
                bindings.map((b) => b.inputs.metadata.namespace).sort(),
                r.outputs.tenantNamespaces,
            );
            for (const b of bindings) {
                assert.deepEqual(b.inputs.roleRef, {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: "view",
                });
                const team = b.inputs.metadata.namespace as string;
                assert.deepEqual(b.inputs.subjects, [
                    {
                        apiGroup: "rbac.authorization.k8s.io",
                        kind: "User",
                        name: (r.outputs.ciIdentities as Record<string, CiIdentityIds>)[team]
                            .servicePrincipalObjectId,
                    },
                ]);
            }
        });

        it(`${stack}: creates no Azure DevOps resource, and exports what the delivery stack reads`, async () => {
            const r = await run(stack);
            assert.equal(r.resources.filter((x) => x.type.startsWith("azuredevops:")).length, 0);
            for (const key of ["registryId", "registryLoginServer", "ciIdentities", "chartPushUrl"]) {
                assert.ok(r.outputs[key], key);
            }
            assert.ok(r.secretOutputs.includes("chartPushTokens"));
        });
    }
});

describe("pipeline triggers", () => {
    it("follow each app's YAML trigger, so its path filters (app, chart or manifests) are the only ones", async () => {
        for (const pipeline of ofType(await delivery(), T.buildDefinition)) {
            assert.deepEqual(pipeline.inputs.ciTrigger, { useYaml: true }, pipeline.name);
        }
    });
});
