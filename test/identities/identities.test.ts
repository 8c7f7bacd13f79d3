import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stackTenants } from "../support/tenants";
import { identityNames, namespaceScope } from "../../components/identities/identities";
import { serviceAccountFederation } from "../../src/federation";
import { CHART_READER_SERVICE_ACCOUNT } from "../../src/flux";
import { names } from "../../src/naming";
import { FAKE_SUBSCRIPTION_ID, fakeGuid } from "../../tools/offline/cloud";
import { fixtureStackConfig } from "../support/instance";
import { BuiltInRole, repositoryPrefixCondition, roleDefinitionId } from "../../src/roles";
import { evaluateCondition } from "../support/abac";
import { OfflineRun, RegisteredResource, STACKS, isWireSecret, one, ofType, run } from "../support/program";

const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const APPLICATION = "azuread:index/application:Application";
const GROUP = "azuread:index/group:Group";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const FEDERATED_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential";
const ACR_OCI = { "gitops-platform:chartRepository": "acr-oci" };
const TEAMS = ["dev-team1", "dev-team2"];

const DAY_MS = 24 * 60 * 60 * 1000;
const passwordOn = (): Record<string, string> => ({
    "gitops-platform:ciPassword": "true",
    "gitops-platform:ciPasswordEndDate": new Date(Date.now() + 90 * DAY_MS).toISOString().slice(0, 10),
});

/** The stack's names, as the program derives them with the stack's seed. */
const stackNames = (stack: string) =>
    names("gitops-platform", stack, fixtureStackConfig(stack).values["gitops-platform:globalNameSeed"]);
const base = (stack: string) => stackNames(stack).base;
const component = (stack: string) => `${base(stack)}-identities`;
const objectIdOf = (type: string, name: string) => fakeGuid(`${type}/${name}`);
const clusterIdEnd = (stack: string) =>
    `/providers/Microsoft.ContainerService/managedClusters/${stackNames(stack).cluster}`;

function assignment(r: OfflineRun, suffix: string): RegisteredResource {
    return one(r, ROLE_ASSIGNMENT, `-identities-${suffix}`);
}

function clusterId(r: OfflineRun): string {
    const scope: string = assignment(r, "admins-cluster-admin").inputs.scope;
    assert.ok(scope.endsWith(clusterIdEnd(r.stack)), `${scope} is not the cluster`);
    return scope;
}

function assertRole(a: RegisteredResource, role: BuiltInRole): void {
    assert.equal(a.inputs.roleDefinitionId, roleDefinitionId(FAKE_SUBSCRIPTION_ID, role));
}

function assertRegistryScope(stack: string, scope: string): void {
    const registry = stackNames(stack).registry;
    assert.match(
        scope,
        new RegExp(
            `^/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/[^/]+/providers/Microsoft\\.ContainerRegistry/[^/]+/${registry}$`,
        ),
    );
}

/** Every string anywhere in a value, with whether it sits inside a wire secret. */
function strings(value: any, inSecret = false, out: { text: string; secret: boolean }[] = []) {
    if (typeof value === "string") out.push({ text: value, secret: inSecret });
    else if (value && typeof value === "object") {
        const secret = inSecret || isWireSecret(value);
        for (const v of Object.values(value)) strings(v, secret, out);
    }
    return out;
}

for (const stack of STACKS) {
    describe(`identities (${stack})`, () => {
        it("gives each team's CI principal Repository Writer on its own registry repositories, and besides only the registry's Configuration Reader", async () => {
            const r = await run(stack);
            for (const team of TEAMS) {
                const a = assignment(r, `ci-${team}-acr-writer`);
                assertRole(a, "AcrRepositoryWriter");
                assertRegistryScope(stack, a.inputs.scope);
                assert.equal(
                    a.inputs.condition,
                    repositoryPrefixCondition("AcrRepositoryWriter", `${team}/`),
                );
                assert.equal(a.inputs.conditionVersion, "2.0");
                const sp = objectIdOf(SERVICE_PRINCIPAL, `${component(stack)}-ci-${team}-sp`);
                assert.equal(a.inputs.principalId, sp);
                const all = ofType(r, ROLE_ASSIGNMENT).filter((x) => x.inputs.principalId === sp);
                assert.deepEqual(
                    all.map((x) => x.name).sort(),
                    [a.name, assignment(r, `ci-${team}-registry-configuration-reader`).name].sort(),
                );
            }
        });

        it("gives each team's CI principal the registry's Configuration Reader, unconditioned, so AzureCLI@2 finds the subscription", async () => {
            const r = await run(stack);
            for (const team of TEAMS) {
                const a = assignment(r, `ci-${team}-registry-configuration-reader`);
                assertRole(a, "AcrConfigurationReader");
                assertRegistryScope(stack, a.inputs.scope);
                assert.equal(a.inputs.condition, undefined);
            }
        });

        it("refuses dev-team2's CI a push to dev-team1's repositories, and allows its own (the condition, evaluated)", async () => {
            const condition = assignment(await run(stack), "ci-dev-team2-acr-writer").inputs.condition;
            const push = { action: "Microsoft.ContainerRegistry/registries/repositories/content/write" };
            for (const repository of ["dev-team1/front", "dev-team1/helm/front", "dev-team1", "DEV-TEAM1/x"])
                assert.equal(evaluateCondition(condition, { ...push, repository }), false, repository);
            for (const repository of ["dev-team2/back", "dev-team2/helm/back"])
                assert.equal(evaluateCondition(condition, { ...push, repository }), true, repository);
            assert.equal(evaluateCondition(condition, { ...push, repository: "dev-team22/x" }), false);
        });

        it("makes the platform-admin group cluster admin at the cluster scope", async () => {
            const r = await run(stack);
            const a = assignment(r, "admins-cluster-admin");
            assertRole(a, "AksRbacClusterAdmin");
            assert.equal(a.inputs.scope, clusterId(r));
            assert.equal(a.inputs.principalType, "Group");
            assert.equal(a.inputs.principalId, objectIdOf(GROUP, `${component(stack)}-admins`));
        });

        it("binds each team's group to Kubernetes in its own namespace only, as AKS RBAC Writer", async () => {
            const r = await run(stack);
            for (const tenant of ["dev-team1", "dev-team2"]) {
                const group = objectIdOf(GROUP, `${component(stack)}-team-${tenant}`);
                const kubernetesRights = ofType(r, ROLE_ASSIGNMENT).filter(
                    (x) =>
                        x.inputs.principalId === group &&
                        x.inputs.roleDefinitionId !==
                            roleDefinitionId(FAKE_SUBSCRIPTION_ID, "AksClusterUser"),
                );
                assert.equal(
                    kubernetesRights.length,
                    1,
                    `${tenant} has ${kubernetesRights.length} Kubernetes role assignments`,
                );
                assertRole(kubernetesRights[0], "AksRbacWriter");
                assert.equal(kubernetesRights[0].inputs.scope, namespaceScope(clusterId(r), tenant));
                assert.equal(kubernetesRights[0].inputs.principalType, "Group");
            }
        });

        it("gives a team with accessRole view only AKS RBAC Reader on its namespace", async () => {
            const viewOnly = stackTenants(stack).map((t) =>
                t.name === "dev-team2" ? { ...t, accessRole: "view" } : t,
            );
            const r = await run(stack, { "gitops-platform:tenants": viewOnly });
            const a = assignment(r, "team-dev-team2-namespace-view");
            assertRole(a, "AksRbacReader");
            assert.equal(a.inputs.scope, namespaceScope(clusterId(r), "dev-team2"));
        });

        it("lets each team fetch the cluster's Azure AD kubeconfig, which grants nothing by itself", async () => {
            const r = await run(stack);
            for (const tenant of ["dev-team1", "dev-team2"]) {
                const a = assignment(r, `team-${tenant}-cluster-user`);
                assertRole(a, "AksClusterUser");
                assert.equal(a.inputs.scope, clusterId(r));
                assert.equal(a.inputs.principalId, objectIdOf(GROUP, `${component(stack)}-team-${tenant}`));
            }
        });

        it("creates one security group per tenant, named after the stack and the team", async () => {
            const r = await run(stack);
            const groups = ofType(r, GROUP).filter((g) => g.name.includes("-team-"));
            assert.deepEqual(
                groups.map((g) => g.inputs.displayName).sort(),
                ["dev-team1", "dev-team2"].map(identityNames(base(stack)).teamGroup),
            );
            for (const g of groups)
                assert.deepEqual([g.inputs.securityEnabled, g.inputs.mailEnabled], [true, false]);
        });

        it("never assigns a role at subscription or resource-group scope, anywhere in the program", async () => {
            for (const r of [await run(stack), await run(stack, { ...ACR_OCI, ...passwordOn() })]) {
                const assignments = ofType(r, ROLE_ASSIGNMENT);
                assert.ok(assignments.length >= 6);
                for (const a of assignments) {
                    assert.match(
                        a.inputs.scope,
                        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/,
                        `${a.name} is scoped to ${a.inputs.scope}`,
                    );
                }
            }
        });

        it("creates single-tenant applications with service principals, owned by the deployer", async () => {
            const r = await run(stack);
            const apps = ofType(r, APPLICATION);
            const display = identityNames(base(stack));
            assert.deepEqual(apps.map((a) => a.inputs.displayName).sort(), [
                ...TEAMS.map((t) => display.ciApplication(t)),
            ]);
            for (const app of apps) {
                assert.equal(app.inputs.signInAudience, "AzureADMyOrg");
                assert.equal(app.inputs.owners.length, 1);
                const sp = one(r, SERVICE_PRINCIPAL, `${app.name}-sp`);
                assert.equal(sp.inputs.clientId, fakeGuid(`${app.name}/client`));
            }
        });

        it("creates no password and no Flux identity by default", async () => {
            const r = await run(stack);
            assert.deepEqual(ofType(r, PASSWORD), []);
            assert.deepEqual(
                [...ofType(r, IDENTITY), ...ofType(r, FEDERATED_CREDENTIAL)]
                    .map((x) => x.name)
                    .filter((name) => name.includes("-flux-")),
                [],
            );
            assert.deepEqual(r.outputs.fluxChartReaderClientIds, {});
        });

        it("federates each team's Flux identity to exactly its own namespace's chart reader (acr-oci)", async () => {
            const r = await run(stack, ACR_OCI);
            for (const team of TEAMS) {
                const identity = one(r, IDENTITY, `-identities-flux-${team}`);
                assert.equal(identity.inputs.resourceName, identityNames(base(stack)).fluxChartReader(team));
                const credentials = ofType(r, FEDERATED_CREDENTIAL).filter(
                    (c) => c.inputs.resourceName === identity.inputs.resourceName,
                );
                assert.equal(credentials.length, 1, team);
                assert.equal(credentials[0].inputs.issuer, r.outputs.oidcIssuerUrl);
                assert.equal(
                    credentials[0].inputs.subject,
                    `system:serviceaccount:${team}:${CHART_READER_SERVICE_ACCOUNT}`,
                );
                assert.deepEqual(credentials[0].inputs.audiences, ["api://AzureADTokenExchange"]);
            }
        });

        it("gives each team's Flux identity one role: Repository Reader on the registry, conditioned to <team>/", async () => {
            const r = await run(stack, ACR_OCI);
            for (const team of TEAMS) {
                const principal = fakeGuid(`${component(stack)}-flux-${team}/principal`);
                const grants = ofType(r, ROLE_ASSIGNMENT).filter((a) => a.inputs.principalId === principal);
                assert.deepEqual(
                    grants.map((a) => a.name),
                    [`${component(stack)}-flux-${team}-chart-reader`],
                );
                assertRole(grants[0], "AcrRepositoryReader");
                assertRegistryScope(stack, grants[0].inputs.scope);
                assert.equal(
                    grants[0].inputs.condition,
                    repositoryPrefixCondition("AcrRepositoryReader", `${team}/`),
                );
                assert.equal(grants[0].inputs.conditionVersion, "2.0");
            }
        });

        it("grants AcrPull to no user-assigned identity, and none is federated to a flux-system account (acr-oci)", async () => {
            const r = await run(stack, ACR_OCI);
            const identities = ofType(r, IDENTITY).map((i) => fakeGuid(`${i.name}/principal`));
            assert.equal(
                identities.length,
                TEAMS.length + 1,
                "the teams' chart readers and the gateway's TLS identity",
            );
            const acrPull = ofType(r, ROLE_ASSIGNMENT).filter(
                (a) => a.inputs.roleDefinitionId === roleDefinitionId(FAKE_SUBSCRIPTION_ID, "AcrPull"),
            );
            assert.deepEqual(
                acrPull.filter((a) => identities.includes(a.inputs.principalId)).map((a) => a.name),
                [],
            );
            assert.deepEqual(
                ofType(r, FEDERATED_CREDENTIAL)
                    .map((c) => c.inputs.subject)
                    .filter((s: string) => s.startsWith("system:serviceaccount:flux-system:")),
                [],
            );
        });

        it("exports each team's Flux chart reader client id (acr-oci)", async () => {
            const r = await run(stack, ACR_OCI);
            assert.deepEqual(
                r.outputs.fluxChartReaderClientIds,
                Object.fromEntries(TEAMS.map((t) => [t, fakeGuid(`${component(stack)}-flux-${t}/client`)])),
            );
        });

        it("exports the non-secret client and group ids", async () => {
            const r = await run(stack);
            for (const team of TEAMS)
                assert.equal(
                    (r.outputs.ciIdentities as Record<string, { clientId: string }>)[team].clientId,
                    fakeGuid(`${component(stack)}-ci-${team}/client`),
                );
            assert.equal(r.outputs.adminGroupObjectId, objectIdOf(GROUP, `${component(stack)}-admins`));
            assert.deepEqual(Object.keys(r.outputs.teamGroupObjectIds as object).sort(), [
                "dev-team1",
                "dev-team2",
            ]);
        });

        it("registers the contract outputs, the CI application id being the Graph path federated credentials take", async () => {
            const r = await run(stack);
            const urn = one(r, "gitops:identities:Identities").urn;
            const outputs = r.componentOutputs[urn];
            assert.equal(
                outputs.ciIdentities["dev-team1"].applicationId,
                `/applications/${objectIdOf(APPLICATION, `${component(stack)}-ci-dev-team1`)}`,
            );
            assert.equal(
                outputs.ciIdentities["dev-team1"].servicePrincipalObjectId,
                objectIdOf(SERVICE_PRINCIPAL, `${component(stack)}-ci-dev-team1-sp`),
            );
            assert.deepEqual(Object.keys(outputs.teamGroupObjectIds).sort(), ["dev-team1", "dev-team2"]);
        });

        it("lets the shared Gateway's gateway-tls account (only) read listener certificates from the ingress Key Vault", async () => {
            const r = await run(stack);
            const identity = one(r, IDENTITY, "-gateway-tls");
            assert.equal(identity.inputs.resourceName, identityNames(base(stack)).gatewayTls);
            const federation = one(r, FEDERATED_CREDENTIAL, "-gateway-tls-federation").inputs;
            assert.equal(federation.subject, "system:serviceaccount:platform-gateway:gateway-tls");
            assert.equal(federation.issuer, r.outputs.oidcIssuerUrl);
            const grants = ofType(r, ROLE_ASSIGNMENT).filter(
                (a) => a.inputs.principalId === fakeGuid(`${identity.name}/principal`),
            );
            assert.equal(grants.length, 1);
            assertRole(grants[0], "KeyVaultSecretsUser");
            assert.equal(grants[0].inputs.scope, r.config.values["gitops-platform:ingressKeyVaultId"]);
            const account = r.resources.find(
                (x) =>
                    x.type === "kubernetes:core/v1:ServiceAccount" &&
                    x.inputs.metadata?.name === "gateway-tls",
            )!;
            assert.equal(account.inputs.metadata.namespace, "platform-gateway");
            assert.equal(
                account.inputs.metadata.annotations["azure.workload.identity/client-id"],
                fakeGuid(`${identity.name}/client`),
            );
        });

        it("parents every identity resource to the component, with names starting with the component's", async () => {
            const r = await run(stack, { ...ACR_OCI, ...passwordOn() });
            const urn = one(r, "gitops:identities:Identities").urn;
            const children = r.resources.filter((x) => x.parent === urn);
            assert.ok(children.length >= 14);
            for (const child of children)
                assert.ok(child.name.startsWith(`${component(stack)}-`), child.name);
            const identityTypes = [
                APPLICATION,
                GROUP,
                SERVICE_PRINCIPAL,
                PASSWORD,
                IDENTITY,
                FEDERATED_CREDENTIAL,
            ];
            for (const x of r.resources.filter((x) => identityTypes.includes(x.type)))
                assert.equal(x.parent, urn, x.name);
        });
    });
}

describe("identities: the optional CI password", () => {
    it("is created on each team's CI application with the configured end date", async () => {
        const overrides = passwordOn();
        const r = await run("staging", overrides);
        const password = one(r, PASSWORD, "-identities-ci-dev-team1-password");
        assert.equal(
            password.inputs.applicationId,
            `/applications/${objectIdOf(APPLICATION, `${component("staging")}-ci-dev-team1`)}`,
        );
        assert.equal(password.inputs.endDate, `${overrides["gitops-platform:ciPasswordEndDate"]}T00:00:00Z`);
    });

    it("is a secret in state", async () => {
        const r = await run("staging", passwordOn());
        for (const password of ofType(r, PASSWORD))
            assert.ok(password.additionalSecretOutputs.includes("value"), password.name);
    });

    it("is a secret in the component's outputs and appears in no stack output", async () => {
        const r = await run("staging", passwordOn());
        const plaintext = `offline-password-${fakeGuid(`${component("staging")}-ci-dev-team1-password/value`)}`;
        const outputs = r.componentOutputs[one(r, "gitops:identities:Identities").urn];
        assert.ok(isWireSecret(outputs.ciPasswords["dev-team1"]));
        const everywhere = [
            ...strings(r.componentOutputs),
            ...r.resources.flatMap((x) => strings(x.wireInputs)),
        ];
        assert.ok(
            everywhere.some((s) => s.text === plaintext),
            "the password reaches nothing: the test would prove nothing",
        );
        assert.deepEqual(
            everywhere.filter((s) => s.text === plaintext && !s.secret),
            [],
        );
        assert.ok(!JSON.stringify(r.outputs).includes(plaintext));
        // The other secret outputs: the kubeconfig, and each team's ChartMuseum push credential for the delivery stack.
        assert.deepEqual([...r.secretOutputs].sort(), ["chartPushTokens", "kubeconfig"]);
    });
});

describe("identities: group members", () => {
    const tenants = (members: string[]) => {
        const all = stackTenants("prod");
        return all.map((t, i) => (i === 1 ? { ...t, members } : t));
    };

    it("resolves UPNs through Azure AD and takes object ids as they are", async () => {
        const guid = "5F0B6A8E-1C2D-4E3F-9A0B-1C2D3E4F5A6B";
        const r = await run("prod", { "gitops-platform:tenants": tenants(["jane@contoso.com", guid]) });
        const group = objectIdOf(GROUP, `${component("prod")}-team-dev-team2`);
        const members = ofType(r, "azuread:index/groupMember:GroupMember");
        assert.deepEqual(
            members.map((m) => m.inputs.groupObjectId),
            [group, group],
        );
        assert.deepEqual(
            members.map((m) => m.inputs.memberObjectId).sort(),
            [fakeGuid("user/jane@contoso.com"), guid.toLowerCase()].sort(),
        );
        assert.ok(r.invokes.includes("azuread:index/getUser:getUser"));
    });

    it("puts the configured platform admins in the admin group", async () => {
        const r = await run("staging", { "gitops-platform:platformAdmins": ["ops@contoso.com"] });
        const member = one(r, "azuread:index/groupMember:GroupMember");
        assert.equal(member.inputs.groupObjectId, objectIdOf(GROUP, `${component("staging")}-admins`));
        assert.equal(member.inputs.memberObjectId, fakeGuid("user/ops@contoso.com"));
    });
});

describe("built-in roles", () => {
    it("uses the role definition ids Azure documents for the roles identities assign", () => {
        // A wrong id does not fail loudly: ARM assigns whatever role (or none) that id names.
        const documented: Partial<Record<BuiltInRole, string>> = {
            AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
            AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
            AksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
            AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
            AksRbacWriter: "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
        };
        for (const [role, id] of Object.entries(documented)) {
            assert.equal(
                roleDefinitionId("s", role as BuiltInRole),
                `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${id}`,
            );
        }
    });
});

describe("federation helper", () => {
    it("builds a Kubernetes service account subject for the cluster's issuer", () => {
        assert.deepEqual(
            serviceAccountFederation("https://issuer/", "dev-team1", CHART_READER_SERVICE_ACCOUNT),
            {
                issuer: "https://issuer/",
                subject: "system:serviceaccount:dev-team1:flux-chart-reader",
                audiences: ["api://AzureADTokenExchange"],
            },
        );
    });
});
