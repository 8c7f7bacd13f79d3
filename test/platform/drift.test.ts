// The nightly drift check (`pulumi preview --refresh --expect-no-changes`) on a cluster as a refresh
// records it: the state's inputs rewritten from what AKS reports. The engine applies the cluster's
// ignoreChanges against that state (test/support/ignoreChanges.ts); what is left must be no diff.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OfflineRun } from "../../tools/offline/run";
import { applyIgnoreChanges, changedInputs } from "../support/ignoreChanges";
import { STACKS, ofType, one, run } from "../support/program";

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const POOL = "azure-native:containerservice:AgentPool";
const key = (k: string) => `gitops-platform:${k}`;

/** The cluster's inputs after a refresh: every pool folded in, with what AKS filled in since. */
function refreshedCluster(r: OfflineRun, changes: Record<string, unknown> = {}): Record<string, unknown> {
    const inputs = structuredClone(one(r, CLUSTER).inputs);
    const [system] = inputs.agentPoolProfiles;
    const aks = {
        orchestratorVersion: "1.34.2",
        upgradeSettings: { maxSurge: "33%", drainTimeoutInMinutes: 30 },
    };
    const userPools = ofType(r, POOL).map(({ inputs: p }) => {
        const profile: Record<string, unknown> = { ...p, name: p.agentPoolName, count: p.maxCount, ...aks };
        for (const addressOnly of ["agentPoolName", "resourceGroupName", "resourceName"])
            delete profile[addressOnly];
        return profile;
    });
    return {
        ...inputs,
        agentPoolProfiles: [{ ...system, count: system.maxCount, ...aks }, ...userPools],
        ...changes,
    };
}

function diffAfterRefresh(r: OfflineRun, refreshed: Record<string, unknown>): string[] {
    const cluster = one(r, CLUSTER);
    return changedInputs(
        refreshed,
        applyIgnoreChanges(refreshed, cluster.inputs, cluster.lifecycle!.ignoreChanges),
    );
}

for (const stack of STACKS) {
    describe(`drift check of the cluster (${stack})`, () => {
        it("a refresh that folds the user pools, scaled and upgraded, into the cluster shows no diff", async () => {
            const r = await run(stack);
            assert.ok(ofType(r, POOL).length > 0, "the stack has user pools");
            assert.deepEqual(diffAfterRefresh(r, refreshedCluster(r)), []);
        });
    });
}

describe("drift check of the cluster and the upgrade channel", () => {
    it("with upgradeChannel stable, the minor version AKS moved to shows no diff", async () => {
        const r = await run("staging", { [key("upgradeChannel")]: "stable" });
        assert.deepEqual(diffAfterRefresh(r, refreshedCluster(r, { kubernetesVersion: "1.35" })), []);
    });

    it("with upgradeChannel patch, a minor version changed in the stack file is still applied", async () => {
        const r = await run("staging", { [key("kubernetesVersion")]: "1.35" });
        assert.deepEqual(diffAfterRefresh(r, refreshedCluster(r, { kubernetesVersion: "1.34" })), [
            "kubernetesVersion",
        ]);
    });

    it("a per-pool ignore path cannot absorb the refreshed pools: the engine never removes array items", async () => {
        const r = await run("staging");
        const refreshed = refreshedCluster(r);
        const kept = applyIgnoreChanges(refreshed, one(r, CLUSTER).inputs, ["agentPoolProfiles[0].count"]);
        assert.deepEqual(changedInputs(refreshed, kept), ["agentPoolProfiles"]);
    });
});
