import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { runnerProblem } from "../../components/platform/platform";
import { kubeloginLogin } from "../../components/platform/kubeconfig";
import { FAKE_DEPLOYER_OBJECT_ID, FAKE_SUBSCRIPTION_ID } from "../../tools/offline/cloud";
import { fixtureStackConfig } from "../support/instance";
import { BuiltInRole, roleDefinitionId } from "../../src/roles";
import { failureOf } from "../support/failingRun";
import { STACKS, ofType, one, run } from "../support/program";

const ROLE = "azure-native:authorization:RoleAssignment";
const LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel";
const GROUP = "azure-native:resources:ResourceGroup";
const SLEEP = "time:index/sleep:Sleep";
const key = (k: string) => `gitops-platform:${k}`;
const listOf = (stack: (typeof STACKS)[number], k: string) =>
    JSON.parse(fixtureStackConfig(stack).values[key(k)] ?? "[]") as string[];
const roleOf = (role: BuiltInRole) => roleDefinitionId(FAKE_SUBSCRIPTION_ID, role);

for (const stack of STACKS) {
    describe(`who runs the stack (${stack})`, () => {
        it("names its deployers and previewers in the stack file, never the same principal twice", () => {
            const deployers = listOf(stack, "deployerObjectIds");
            const previewers = listOf(stack, "previewerObjectIds");
            assert.ok(deployers.length > 0);
            assert.ok(previewers.length > 0);
            assert.deepEqual(
                previewers.filter((p) => deployers.includes(p)),
                [],
            );
        });

        it("gives each previewer AKS Cluster User and RBAC Reader on the cluster, and nothing else anywhere", async () => {
            const r = await run(stack);
            for (const id of listOf(stack, "previewerObjectIds")) {
                const grants = ofType(r, ROLE).filter((a) => a.inputs.principalId === id);
                assert.deepEqual(
                    grants.map((g) => g.inputs.roleDefinitionId).sort(),
                    [roleOf("AksClusterUser"), roleOf("AksRbacReader")].sort(),
                );
                for (const g of grants)
                    assert.match(g.inputs.scope, /\/managedClusters\/aks-gitops-platform-[a-z]+$/);
                const owned = r.resources.filter(
                    (x) => x.type.startsWith("azuread:") && (x.inputs.owners ?? []).includes(id),
                );
                assert.deepEqual(
                    owned.map((x) => x.name),
                    [],
                    "a previewer owns no Azure AD object",
                );
            }
        });

        it("gives each deployer RBAC Cluster Admin on the cluster only", async () => {
            const r = await run(stack);
            for (const id of listOf(stack, "deployerObjectIds")) {
                const grants = ofType(r, ROLE).filter((a) => a.inputs.principalId === id);
                assert.deepEqual(
                    grants.map((g) => g.inputs.roleDefinitionId),
                    [roleOf("AksRbacClusterAdmin")],
                );
            }
        });

        it("makes the owner service principals, and no engineer who also deploys, the owners of every Azure AD object", async () => {
            const engineer = "66666666-7777-4888-8999-000000000000";
            const r = await run(stack, {
                [key("deployerObjectIds")]: [FAKE_DEPLOYER_OBJECT_ID, engineer],
                [key("ownerObjectIds")]: [FAKE_DEPLOYER_OBJECT_ID],
            });
            const owned = r.resources.filter((x) => x.type.startsWith("azuread:") && x.inputs.owners);
            assert.ok(owned.length > 0, "the stack creates Azure AD objects");
            for (const o of owned) assert.deepEqual(o.inputs.owners, [FAKE_DEPLOYER_OBJECT_ID], o.name);
        });

        it("re-arms the propagation wait with the deployers' grants, so a new grant is waited for", async () => {
            const r = await run(stack);
            const wait = one(r, SLEEP, "rbac-propagation");
            const grants = listOf(stack, "deployerObjectIds").map((id) =>
                one(r, ROLE, `deployer-${id}-cluster-admin`),
            );
            for (const g of grants)
                assert.ok(wait.inputs.triggers.clusterGrants.includes(g.inputs.roleAssignmentName));
            const other = await run(stack, {
                [key("deployerObjectIds")]: [FAKE_DEPLOYER_OBJECT_ID, "66666666-7777-4888-8999-000000000000"],
            });
            assert.notEqual(
                one(other, SLEEP, "rbac-propagation").inputs.triggers.clusterGrants,
                wait.inputs.triggers.clusterGrants,
            );
        });

        it("builds a kubeconfig that fixes no identity: the login mode and the client come from the environment in CI", async () => {
            const kubeconfig = parse(one(await run(stack), "pulumi:providers:kubernetes").inputs.kubeconfig);
            const args: string[] = kubeconfig.users[0].user.exec.args;
            assert.deepEqual(args, [
                "get-token",
                "--login",
                "azurecli",
                "--server-id",
                "6dae42f8-4368-4678-94ff-3960e28e3630",
            ]);
            const ci = kubeloginLogin(args, {
                AAD_LOGIN_METHOD: "workloadidentity",
                AZURE_CLIENT_ID: "deploy-client",
                AZURE_TENANT_ID: "tenant",
                ACTIONS_ID_TOKEN_REQUEST_URL: "u",
                ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t",
            });
            assert.deepEqual(ci, {
                login: "workloadidentity",
                clientId: "deploy-client",
                tenantId: "tenant",
                assertion: "github-actions-oidc",
            });
            assert.deepEqual(kubeloginLogin(args, {}), {
                login: "azurecli",
                clientId: undefined,
                tenantId: undefined,
                assertion: undefined,
            });
        });
    });
}

describe("the principal running the program", () => {
    const access = { deployerObjectIds: ["aaaa"], previewerObjectIds: ["bbbb"] };

    it("may update only when it is a deployer, preview when a deployer or a previewer", () => {
        assert.equal(runnerProblem("AAAA", access, false), undefined);
        assert.equal(runnerProblem("bbbb", access, true), undefined);
        assert.match(runnerProblem("bbbb", access, false)!, /object id bbbb\) is not in deployerObjectIds/);
        assert.match(runnerProblem("cccc", access, true)!, /not in deployerObjectIds or previewerObjectIds/);
    });

    it("is refused before any Kubernetes object when the stack file does not name it", async () => {
        const other = "66666666-7777-4888-8999-000000000000";
        const failure = await failureOf("staging", {
            [key("deployerObjectIds")]: [other],
            [key("ownerObjectIds")]: [other],
        });
        assert.match(
            failure ?? "it ran",
            new RegExp(`object id ${FAKE_DEPLOYER_OBJECT_ID}\\) is not in deployerObjectIds`),
        );
    });
});

describe("the resource group", () => {
    it("is protected and locked CanNotDelete in prod", async () => {
        const r = await run("prod");
        const group = one(r, GROUP);
        assert.equal(group.protect, true);
        const lock = one(r, LOCK).inputs;
        assert.equal(lock.level, "CanNotDelete");
        assert.equal(lock.resourceGroupName, group.inputs.resourceGroupName);
    });

    it("is neither protected nor locked in staging, which is torn down", async () => {
        const r = await run("staging");
        assert.equal(one(r, GROUP).protect, false);
        assert.deepEqual(ofType(r, LOCK), []);
    });

    it("loses its lock before anything else an update deletes: the lock depends on the group's resources", async () => {
        const r = await run("prod");
        const lock = one(r, LOCK);
        for (const type of [
            "azure-native:containerservice:ManagedCluster",
            "azure-native:containerservice:AgentPool",
            "azure-native:containerregistry:Registry",
        ]) {
            for (const x of ofType(r, type)) assert.ok(lock.dependencies.includes(x.urn), x.name);
        }
    });

    it("names the node resource group, within Azure's 80 characters", async () => {
        const cluster = one(await run("prod"), "azure-native:containerservice:ManagedCluster").inputs;
        assert.equal(cluster.nodeResourceGroup, "rg-gitops-platform-prod-nodes");
    });
});
