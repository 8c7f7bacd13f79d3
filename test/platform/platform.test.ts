import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CLUSTER_LOG_CATEGORIES } from "../../components/platform/platform";
import { BuiltInRoles } from "../../src/roles";
import { FAKE_DEPLOYER_OBJECT_ID, fakeGuid } from "../../tools/offline/cloud";
import { STACKS, isWireSecret, ofType, one, run } from "../support/program";

const DEPLOYER = `deployer-${FAKE_DEPLOYER_OBJECT_ID}-cluster-admin`;

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const REGISTRY = "azure-native:resources:Resource";
const ROLE = "azure-native:authorization:RoleAssignment";

for (const stack of STACKS) {
    describe(`platform (${stack})`, () => {
        it("disables local accounts and uses Azure AD with Azure RBAC", async () => {
            const cluster = one(await run(stack), CLUSTER).inputs;
            assert.equal(cluster.disableLocalAccounts, true);
            assert.equal(cluster.enableRBAC, true);
            assert.deepEqual(
                { managed: cluster.aadProfile.managed, enableAzureRBAC: cluster.aadProfile.enableAzureRBAC },
                { managed: true, enableAzureRBAC: true },
            );
        });

        it("turns on the OIDC issuer and workload identity", async () => {
            const cluster = one(await run(stack), CLUSTER).inputs;
            assert.equal(cluster.oidcIssuerProfile.enabled, true);
            assert.equal(cluster.securityProfile.workloadIdentity.enabled, true);
        });

        it("runs Azure CNI overlay with a network policy engine", async () => {
            const network = one(await run(stack), CLUSTER).inputs.networkProfile;
            assert.equal(network.networkPlugin, "azure");
            assert.equal(network.networkPluginMode, "overlay");
            assert.equal(network.networkPolicy, "cilium");
            assert.equal(network.networkDataplane, "cilium");
        });

        it("sets both upgrade channels and a maintenance window for each", async () => {
            const r = await run(stack);
            const profile = one(r, CLUSTER).inputs.autoUpgradeProfile;
            assert.ok(profile.upgradeChannel && profile.upgradeChannel !== "none");
            assert.ok(profile.nodeOSUpgradeChannel && profile.nodeOSUpgradeChannel !== "None");
            for (const name of ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"]) {
                const window = one(r, "azure-native:containerservice:MaintenanceConfiguration", name).inputs;
                assert.equal(window.configName, name);
                assert.equal(window.maintenanceWindow.schedule.weekly.dayOfWeek, "Sunday");
                assert.ok(window.maintenanceWindow.durationHours >= 4);
            }
        });

        it("sends Container Insights to the stack's workspace", async () => {
            const r = await run(stack);
            const omsagent = one(r, CLUSTER).inputs.addonProfiles.omsagent;
            assert.equal(omsagent.enabled, true);
            assert.equal(omsagent.config.useAADAuth, "true");
            assert.match(
                omsagent.config.logAnalyticsWorkspaceResourceID,
                /Microsoft.OperationalInsights\/workspaces\/log-gitops-platform-/,
            );
            assert.ok(
                one(r, CLUSTER).dependencies.includes(
                    one(r, "azure-native:operationalinsights:Workspace").urn,
                ),
            );
        });

        it("collects Container Insights through a data collection rule associated with the cluster", async () => {
            const r = await run(stack);
            const rule = one(r, "azure-native:monitor:DataCollectionRule", "insights-dcr");
            assert.deepEqual(rule.inputs.dataFlows, [
                { streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: ["workspace"] },
            ]);
            assert.match(
                rule.inputs.destinations.logAnalytics[0].workspaceResourceId,
                /workspaces\/log-gitops-platform-/,
            );
            const association = one(
                r,
                "azure-native:monitor:DataCollectionRuleAssociation",
                "insights-dcra",
            ).inputs;
            assert.match(association.resourceUri, /managedClusters\/aks-gitops-platform-/);
            assert.match(association.dataCollectionRuleId, /dataCollectionRules\/MSCI-/);
        });

        it("sends the kube-audit-admin and control-plane logs to Log Analytics", async () => {
            const r = await run(stack);
            const diag = one(r, "azure-native:monitor:DiagnosticSetting", "aks-audit").inputs;
            assert.match(diag.resourceUri, /managedClusters\/aks-gitops-platform-/);
            assert.match(diag.workspaceId, /workspaces\/log-gitops-platform-/);
            assert.deepEqual(
                diag.logs.map((l: { category: string }) => l.category),
                [...CLUSTER_LOG_CATEGORIES],
            );
            assert.ok(diag.logs.every((l: { enabled: boolean }) => l.enabled));
        });

        it("enables the application routing add-on for the teams' ingress", async () => {
            const cluster = one(await run(stack), CLUSTER).inputs;
            assert.equal(cluster.ingressProfile.webAppRouting.enabled, true);
        });

        it("builds the Kubernetes provider only once the deployer's cluster grant has had time to propagate", async () => {
            const r = await run(stack);
            const wait = one(r, "time:index/sleep:Sleep", "rbac-propagation");
            assert.equal(wait.inputs.createDuration, "5m");
            assert.ok(wait.dependencies.includes(one(r, ROLE, DEPLOYER).urn));
            assert.ok(one(r, "pulumi:providers:kubernetes").dependencies.includes(wait.urn));
        });

        it("names every role assignment deterministically", async () => {
            const [first, second] = [await run(stack), await run(stack, {})];
            const names = (r: typeof first) =>
                ofType(r, ROLE)
                    .map((a) => a.inputs.roleAssignmentName)
                    .sort();
            assert.ok(
                names(first).every((n) =>
                    /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(n),
                ),
            );
            assert.deepEqual(names(first), names(second));
        });

        it("gives the app routing add-on's identity no right on the ingress Key Vault once NGINX is gone (the Gateway reads with its own)", async () => {
            const r = await run(stack);
            assert.deepEqual(
                ofType(r, ROLE).filter((x) => x.name.endsWith("ingress-keyvault")),
                [],
            );
        });

        it("while NGINX still serves (legacyIngressNamespace), lets the add-on read TLS certificates from the ingress Key Vault only", async () => {
            const r = await run(stack, { "gitops-platform:legacyIngressNamespace": "app-routing-system" });
            const cluster = one(r, CLUSTER);
            assert.equal(cluster.inputs.addonProfiles.azureKeyvaultSecretsProvider.enabled, true);
            const access = one(r, ROLE, "ingress-keyvault").inputs;
            assert.ok(
                access.roleDefinitionId.endsWith(`/roleDefinitions/${BuiltInRoles.KeyVaultSecretsUser}`),
            );
            assert.equal(access.scope, r.config.values["gitops-platform:ingressKeyVaultId"]);
            assert.equal(access.principalId, fakeGuid(`${cluster.name}/webapprouting`));
        });

        it("creates the registry with the admin user and anonymous pull disabled", async () => {
            const registry = one(await run(stack), REGISTRY).inputs;
            assert.equal(registry.resourceType, "registries");
            assert.equal(registry.properties.adminUserEnabled, false);
            assert.equal(registry.properties.anonymousPullEnabled, false);
        });

        it("puts the registry in ABAC mode", async () => {
            const registry = one(await run(stack), REGISTRY).inputs;
            assert.equal(registry.properties.roleAssignmentMode, "AbacRepositoryPermissions");
        });

        it("writes the registry with the GA API version that has ABAC mode, not a preview", async () => {
            const registry = one(await run(stack), REGISTRY).inputs;
            assert.equal(registry.apiVersion, "2025-11-01");
        });

        it("grants the kubelet identity Repository Reader on the registry only, every repository", async () => {
            const r = await run(stack);
            const pull = one(r, ROLE, "kubelet-acr-reader").inputs;
            assert.ok(pull.roleDefinitionId.endsWith(`/roleDefinitions/${BuiltInRoles.AcrRepositoryReader}`));
            assert.equal(pull.condition, undefined);
            assert.match(pull.scope, /\/providers\/Microsoft.ContainerRegistry\/registries\/acr[a-z0-9]+$/);
            const kubelet = one(r, CLUSTER);
            assert.equal(pull.principalId, fakeGuid(`${kubelet.name}/kubelet`));
            assert.equal(pull.principalType, "ServicePrincipal");
        });

        it("gives the deployer RBAC Cluster Admin on this cluster, not wider", async () => {
            const admin = one(await run(stack), ROLE, DEPLOYER).inputs;
            assert.ok(
                admin.roleDefinitionId.endsWith(`/roleDefinitions/${BuiltInRoles.AksRbacClusterAdmin}`),
            );
            assert.equal(admin.principalId, FAKE_DEPLOYER_OBJECT_ID);
            assert.match(admin.scope, /\/managedClusters\/aks-gitops-platform-[a-z]+$/);
        });

        it("builds the Kubernetes provider from a kubelogin kubeconfig that logs in non-interactively", async () => {
            const provider = one(await run(stack), "pulumi:providers:kubernetes");
            assert.ok(isWireSecret(provider.wireInputs.kubeconfig), "kubeconfig must be a secret input");
            const kubeconfig = parse(provider.inputs.kubeconfig);
            assert.deepEqual(kubeconfig.users[0].user.exec.args.slice(0, 3), [
                "get-token",
                "--login",
                "azurecli",
            ]);
        });

        it("parents every platform resource to the Platform component", async () => {
            const r = await run(stack, { "gitops-platform:legacyIngressNamespace": "app-routing-system" });
            const platform = one(r, "gitops:platform:Platform");
            const suffixes = [
                "rg",
                "logs",
                "aks",
                "acr",
                "insights-dcr",
                "insights-dcra",
                "aks-audit",
                "kubelet-acr-reader",
                DEPLOYER,
                "rbac-propagation",
                "ingress-keyvault",
                "k8s",
                "aksManagedAutoUpgradeSchedule",
                "aksManagedNodeOSUpgradeSchedule",
            ];
            for (const suffix of suffixes) {
                const child = r.resources.find((x) => x.name === `${platform.name}-${suffix}`);
                assert.ok(child, `${platform.name}-${suffix} is missing`);
                assert.equal(child.parent, platform.urn, `${child.name} is not parented to the platform`);
            }
        });
    });
}

describe("platform per environment", () => {
    it("protects the cluster and the registry in prod", async () => {
        const r = await run("prod");
        assert.equal(one(r, CLUSTER).protect, true);
        assert.equal(one(r, REGISTRY).protect, true);
    });

    it("leaves staging unprotected so it can be torn down", async () => {
        const r = await run("staging");
        assert.equal(one(r, CLUSTER).protect, false);
        assert.equal(one(r, REGISTRY).protect, false);
    });

    it("spreads the system pool over availability zones in a region that has them", async () => {
        const pool = one(await run("prod"), CLUSTER).inputs.agentPoolProfiles[0];
        assert.deepEqual(pool.availabilityZones, ["1", "2", "3"]);
        assert.deepEqual([pool.minCount, pool.maxCount, pool.count], [3, 5, 3]);
    });

    it("omits availability zones in a region without them", async () => {
        const r = await run("staging", { "gitops-platform:location": "westcentralus" });
        assert.equal(one(r, CLUSTER).inputs.agentPoolProfiles[0].availabilityZones, undefined);
    });

    it("names resources deterministically from project and stack", async () => {
        const [first, second] = [await run("staging"), await run("staging", {})];
        assert.equal(one(first, REGISTRY).inputs.resourceName, one(second, REGISTRY).inputs.resourceName);
        assert.equal(one(first, CLUSTER).inputs.resourceName, "aks-gitops-platform-staging");
    });

    it("makes each configured deployer cluster admin, and the configured owner the owner of the Azure AD objects, instead of whoever runs it", async () => {
        const deployers = [FAKE_DEPLOYER_OBJECT_ID, "66666666-7777-4888-8999-000000000000"];
        const r = await run("staging", { "gitops-platform:deployerObjectIds": deployers });
        for (const id of deployers) {
            const grant = one(r, ROLE, `deployer-${id}-cluster-admin`).inputs;
            assert.equal(grant.principalId, id);
            assert.ok(
                grant.roleDefinitionId.endsWith(`/roleDefinitions/${BuiltInRoles.AksRbacClusterAdmin}`),
            );
        }
        assert.equal(ofType(r, ROLE).filter((a) => a.name.includes("deployer-current")).length, 0);
        assert.deepEqual(
            one(r, "azuread:index/application:Application", "-identities-ci-dev-team1").inputs.owners,
            [FAKE_DEPLOYER_OBJECT_ID],
        );
    });

    it("schedules no maintenance window for channels that upgrade nothing", async () => {
        const r = await run("staging", {
            "gitops-platform:upgradeChannel": "none",
            "gitops-platform:nodeOsUpgradeChannel": "Unmanaged",
        });
        assert.deepEqual(ofType(r, "azure-native:containerservice:MaintenanceConfiguration"), []);
    });

    it("uses Calico on the Azure dataplane when configured", async () => {
        const r = await run("staging", { "gitops-platform:networkDataplane": "calico" });
        const network = one(r, CLUSTER).inputs.networkProfile;
        assert.equal(network.networkPolicy, "calico");
        assert.equal(network.networkDataplane, "azure");
    });
});
