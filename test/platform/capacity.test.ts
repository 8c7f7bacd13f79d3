import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TeamRequests, capacityCheck, checkCapacity } from "../../components/platform/capacity";
import { KUBE_RESERVED_MILLICORES, VM_SIZES, allocatable, vmSize } from "../../components/platform/vmSizes";
import { ConfigReader } from "../../src/config/reader";
import { registeredPools, registeredQuotas } from "../../tools/offline/planView";
import { STACKS, run } from "../support/program";
import { TENANTS_KEY, USER_POOLS_KEY, stackTenants } from "../support/tenants";

const MIB = 2 ** 20;
const apps = { name: "apps", vmSize: "Standard_D4ds_v5", maxCount: 3, maxPods: 110 };
const team = (name: string, cpu: string, memory = "8Gi", pods = 30): TeamRequests => ({
    team: name,
    cpu,
    memory,
    pods,
});
const teamFiles = { directory: "tenants", environment: "staging" };

/** The problems checkCapacity reports for `teams` on `pools`. */
function problems(pools: (typeof apps)[], teams: TeamRequests[]) {
    const r = new ConfigReader("gitops-platform");
    checkCapacity(r, pools, teams, teamFiles);
    return r.problems;
}

describe("a node's allocatable resources (AKS 1.29+ reservations)", () => {
    it("Standard_D4ds_v5 with 110 pods keeps 140m CPU and 20 MB × 110 + 50 MB plus the 100Mi eviction threshold", () => {
        assert.deepEqual(allocatable(VM_SIZES.Standard_D4ds_v5, 110), {
            millicores: 4000 - 140,
            memoryBytes: (16384 - 2250 - 100) * MIB,
        });
    });

    it("Standard_D2s_v5 with 30 pods reserves 650 MB (the documentation's example)", () => {
        assert.equal(allocatable(VM_SIZES.Standard_D2s_v5, 30).memoryBytes, (8192 - 650 - 100) * MIB);
        assert.equal(allocatable(VM_SIZES.Standard_D2s_v5, 30).millicores, 2000 - 100);
    });

    it("Standard_B2s reserves at most 25% of its 4 GiB, less than 20 MB × 110 + 50 MB", () => {
        assert.equal(allocatable(VM_SIZES.Standard_B2s, 110).memoryBytes, (4096 - 1024 - 100) * MIB);
    });

    it("knows the reserved CPU of every size of the table", () => {
        const missing = Object.entries(VM_SIZES).filter(([, s]) => !(s.vcpus in KUBE_RESERVED_MILLICORES));
        assert.deepEqual(missing, []);
    });

    it("finds a size whatever its case, as Azure does", () => {
        assert.equal(vmSize("standard_d8ds_v5"), VM_SIZES.Standard_D8ds_v5);
        assert.equal(vmSize("Standard_D4ds_v6"), undefined);
    });
});

describe("the capacity check", () => {
    for (const stack of STACKS) {
        it(`holds the ${stack} stack's teams in its user pools at maxCount`, async () => {
            const r = await run(stack);
            const check = capacityCheck(registeredPools(r), registeredQuotas(r));
            assert.deepEqual(
                check.teams.map((t) => t.team),
                ["dev-team1", "dev-team2"],
            );
            assert.deepEqual(check.overcommitted, []);
        });
    }

    it("fails when the quotas over-commit the pools, naming the teams and both sums", () => {
        const found = problems(
            [apps],
            [team("dev-team1", "4"), team("dev-team2", "4"), team("dev-team3", "6")],
        );
        assert.equal(found.length, 1);
        assert.equal(found[0].key, "gitops-platform:userPools");
        assert.equal(found[0].value, "11.58 CPU allocatable at maxCount");
        assert.match(
            found[0].allowed,
            /at once \(apps: 3 × Standard_D4ds_v5 at 3\.86 CPU each\): the teams ask for 14 CPU in all \(dev-team3 6, dev-team1 4, dev-team2 4\); raise a pool's maxCount or vmSize, or lower quota\.cpu in tenants\/guardrails\/<team>\.yaml/,
        );
    });

    it("reports memory and pods over-commitment each on its own", () => {
        const found = problems([apps], [team("a", "1", "40Gi", 200), team("b", "1", "2Gi", 200)]);
        assert.deepEqual(
            found.map((p) => p.value),
            ["41.1Gi memory allocatable at maxCount", "330 pods allocatable at maxCount"],
        );
        assert.match(found[0].allowed, /the teams ask for 42Gi memory in all \(a 40Gi, b 2Gi\)/);
        assert.match(found[1].allowed, /the teams ask for 400 pods in all \(a 200, b 200\)/);
    });

    it("names the ten largest teams and counts the others", () => {
        const teams = Array.from({ length: 12 }, (_, i) => team(`team-${i + 1}`, String(i + 1)));
        const [problem] = problems([apps], teams);
        assert.match(problem.allowed, /\(team-12 12, team-11 11, .*, team-3 3 and 2 more teams\)/);
    });

    it("passes a team set that exactly fills the pools", () => {
        assert.deepEqual(problems([apps], [team("a", "11580m", "1Gi", 10)]), []);
    });

    it("is refused by the program before any resource, naming the over-committing team", async () => {
        const tenants = stackTenants("staging");
        tenants.push({
            ...tenants[0],
            name: "dev-team3",
            hosts: [],
            quota: { cpu: "8", memory: "16Gi", pods: 30 },
        });
        await assert.rejects(
            run("staging", { [TENANTS_KEY]: tenants }),
            /\(1 problem\):\n {2}- gitops-platform:userPools: got "11\.58 CPU allocatable at maxCount"; .*the teams ask for 16 CPU in all \(dev-team3 8, dev-team1 4, dev-team2 4\)/,
        );
    });

    it("refuses a VM size it has no figures for, listing the known ones, and sums nothing then", async () => {
        const pools = [{ name: "apps", vmSize: "Standard_D4ds_v6", minCount: 1, maxCount: 3 }];
        await assert.rejects(run("staging", { [USER_POOLS_KEY]: pools }), (e: Error) => {
            assert.match(
                e.message,
                /\(1 problem\):\n {2}- gitops-platform:userPools\[0\]\.vmSize: got "Standard_D4ds_v6"; allowed: a VM size of the capacity check's table \(components\/platform\/vmSizes\.ts\): Standard_B2s, .*Standard_D4ds_v5, /,
            );
            return true;
        });
    });
});
