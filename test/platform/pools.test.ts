import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    CRITICAL_ADDONS_ONLY_TAINT,
    NodePoolConfig,
    SYSTEM_POOL,
    agentPoolName,
    userPoolArgs,
} from "../../components/platform/nodePools";
import { fixtureStackConfig } from "../support/instance";
import { STACKS, ofType, one, run } from "../support/program";

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const POOL = "azure-native:containerservice:AgentPool";
const key = (k: string) => `gitops-platform:${k}`;
const stackValue = (stack: (typeof STACKS)[number], k: string) =>
    JSON.parse(fixtureStackConfig(stack).values[key(k)]);

const apps: NodePoolConfig = {
    name: "apps",
    vmSize: "Standard_D4ds_v5",
    minCount: 2,
    maxCount: 5,
    osSku: "AzureLinux",
    maxPods: 110,
    labels: {},
    taints: [],
};

for (const stack of STACKS) {
    describe(`node pools (${stack})`, () => {
        it("creates the cluster with one system pool, tainted CriticalAddonsOnly so the teams' pods land elsewhere", async () => {
            const profiles = one(await run(stack), CLUSTER).inputs.agentPoolProfiles;
            assert.equal(profiles.length, 1);
            const [system] = profiles;
            assert.equal(system.name, SYSTEM_POOL.name);
            assert.equal(system.mode, "System");
            assert.deepEqual(system.nodeTaints, [CRITICAL_ADDONS_ONLY_TAINT]);
            assert.equal(system.vmSize, SYSTEM_POOL.vmSize);
            assert.equal(system.osSKU, "AzureLinux");
        });

        it("autoscales the system pool between the stack's bounds", async () => {
            const r = await run(stack);
            const cluster = one(r, CLUSTER);
            const system = cluster.inputs.agentPoolProfiles[0];
            assert.equal(system.enableAutoScaling, true);
            assert.deepEqual(
                [system.minCount, system.maxCount],
                [stackValue(stack, "systemPoolMinCount"), stackValue(stack, "systemPoolMaxCount")],
            );
        });

        it("leaves the pools to Azure after creation: the autoscaler's counts and the refreshed user pools", async () => {
            const cluster = one(await run(stack), CLUSTER);
            assert.ok(cluster.lifecycle!.ignoreChanges.includes("agentPoolProfiles"));
        });

        it("runs each configured user pool as an AgentPool of the cluster with the autoscaler on", async () => {
            const r = await run(stack);
            const configured = stackValue(stack, "userPools") as {
                name: string;
                minCount: number;
                maxCount: number;
                vmSize: string;
            }[];
            const pools = ofType(r, POOL);
            assert.equal(pools.length, configured.length);
            for (const wanted of configured) {
                const pool = one(r, POOL, `-pool-${wanted.name}`);
                assert.equal(pool.inputs.mode, "User");
                assert.equal(pool.inputs.resourceName, one(r, CLUSTER).inputs.resourceName);
                assert.equal(pool.inputs.enableAutoScaling, true);
                assert.deepEqual(
                    [pool.inputs.minCount, pool.inputs.maxCount, pool.inputs.vmSize],
                    [wanted.minCount, wanted.maxCount, wanted.vmSize],
                );
                assert.equal(
                    pool.inputs.nodeTaints,
                    undefined,
                    "the teams' default pool takes their pods without tolerations",
                );
                assert.match(pool.inputs.agentPoolName, new RegExp(`^${wanted.name}[0-9a-f]{4}$`));
                assert.ok(pool.inputs.agentPoolName.length <= 12);
            }
        });

        it("replaces a user pool by creating its successor first and keeps the autoscaler's count", async () => {
            for (const pool of ofType(await run(stack), POOL)) {
                assert.equal(pool.lifecycle!.deleteBeforeReplace, false);
                assert.ok(pool.lifecycle!.replaceOnChanges.includes("agentPoolName"));
                assert.ok(pool.lifecycle!.ignoreChanges.includes("count"));
                assert.equal(pool.protect, false, "a protected pool could never be replaced");
            }
        });

        it("lets Kubernetes objects wait for the user pools, the only nodes that take them", async () => {
            const r = await run(stack);
            const provider = one(r, "pulumi:providers:kubernetes");
            for (const pool of ofType(r, POOL))
                assert.ok(provider.dependencies.includes(pool.urn), pool.name);
        });
    });
}

describe("a user pool's Azure name", () => {
    it("changes with a setting Azure cannot change in place, so the pool is replaced instead of refused", () => {
        const base = agentPoolName(apps, "westeurope");
        for (const changed of [
            { vmSize: "Standard_D8ds_v5" },
            { zones: ["1", "2"] },
            { osSku: "Ubuntu" as const },
            { maxPods: 60 },
        ]) {
            assert.notEqual(
                agentPoolName({ ...apps, ...changed }, "westeurope"),
                base,
                JSON.stringify(changed),
            );
        }
    });

    it("stays the same when only the autoscaler bounds, labels or taints change (Azure updates those in place)", () => {
        const base = agentPoolName(apps, "westeurope");
        assert.equal(
            agentPoolName(
                { ...apps, minCount: 0, maxCount: 20, labels: { a: "b" }, taints: ["t=v:NoSchedule"] },
                "westeurope",
            ),
            base,
        );
    });

    it("is the same for the region's zones given explicitly or implied", () => {
        assert.equal(
            agentPoolName({ ...apps, zones: ["1", "2", "3"] }, "westeurope"),
            agentPoolName(apps, "westeurope"),
        );
    });

    it("omits zones in a region without them", () => {
        assert.equal(userPoolArgs(apps, "westcentralus").availabilityZones, undefined);
        assert.deepEqual(userPoolArgs(apps, "northeurope").availabilityZones, ["1", "2", "3"]);
    });

    it("a changed VM size in the stack's config makes a new AgentPool name", async () => {
        const before = one(await run("staging"), POOL).inputs.agentPoolName;
        const after = one(
            await run("staging", {
                [key("userPools")]: [{ name: "apps", vmSize: "Standard_D8ds_v5", minCount: 1, maxCount: 3 }],
            }),
            POOL,
        ).inputs.agentPoolName;
        assert.notEqual(after, before);
        assert.ok(after.startsWith("apps"));
    });
});

describe("user pools from config", () => {
    it("carries labels, taints, zones, OS SKU and max pods", async () => {
        const r = await run("prod", {
            [key("userPools")]: [
                { name: "apps", vmSize: "Standard_D8ds_v5", minCount: 3, maxCount: 10 },
                {
                    name: "batch",
                    vmSize: "Standard_D16ds_v5",
                    minCount: 0,
                    maxCount: 4,
                    zones: ["2"],
                    osSku: "Ubuntu",
                    maxPods: 60,
                    labels: { workload: "batch" },
                    taints: ["workload=batch:NoSchedule"],
                },
            ],
        });
        const batch = one(r, POOL, "-pool-batch").inputs;
        assert.deepEqual(batch.availabilityZones, ["2"]);
        assert.equal(batch.osSKU, "Ubuntu");
        assert.equal(batch.maxPods, 60);
        assert.deepEqual(batch.nodeTaints, ["workload=batch:NoSchedule"]);
        assert.equal(batch.nodeLabels.workload, "batch");
        assert.equal(batch.minCount, 0);
        assert.equal(batch.count, 1, "AKS creates a pool with at least one node");
    });
});
