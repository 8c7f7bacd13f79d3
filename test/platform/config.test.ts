import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { azureNameProblems } from "../../components/platform/config";
import { names } from "../../src/naming";
import { ofType, run } from "../support/program";
import { TENANTS_KEY, stackTenants } from "../support/tenants";

const key = (k: string) => `gitops-platform:${k}`;

describe("platform config", () => {
    it("rejects a location that is not an Azure region name", async () => {
        await assert.rejects(run("staging", { [key("location")]: "West Europe" }), (e: Error) => {
            assert.match(
                e.message,
                /gitops-platform:location: got "West Europe"; allowed: an Azure region name/,
            );
            return true;
        });
    });

    it("requires a location", async () => {
        await assert.rejects(
            run("staging", { [key("location")]: undefined }),
            /gitops-platform:location: got nothing \(the key is not set\)/,
        );
    });

    it("rejects a system pool floor of 0", async () => {
        await assert.rejects(
            run("staging", { [key("systemPoolMinCount")]: 0 }),
            /gitops-platform:systemPoolMinCount: got "0"; allowed: an integer from 1 to 100/,
        );
    });

    it("rejects a system pool ceiling below its floor", async () => {
        await assert.rejects(
            run("staging", { [key("systemPoolMinCount")]: 3, [key("systemPoolMaxCount")]: 2 }),
            /gitops-platform:systemPoolMaxCount: got 2; allowed: an integer from systemPoolMinCount \(3\) to 100/,
        );
    });

    it("refuses the retired node keys and says what replaced them", async () => {
        await assert.rejects(
            run("staging", { [key("nodeCount")]: 3 }),
            /gitops-platform:nodeCount: got 3; allowed: unset \(retired\): the system pool autoscales between systemPoolMinCount and systemPoolMaxCount/,
        );
        await assert.rejects(
            run("staging", { [key("nodeVmSize")]: "Standard_D2s_v5" }),
            /gitops-platform:nodeVmSize: .*set the teams' VM sizes in userPools/,
        );
    });

    it("rejects a Kubernetes version that is not a version", async () => {
        await assert.rejects(
            run("staging", { [key("kubernetesVersion")]: "latest" }),
            /gitops-platform:kubernetesVersion: got "latest"; allowed: a Kubernetes version/,
        );
    });

    it("rejects a patch version pin while AKS applies patches itself", async () => {
        await assert.rejects(
            run("staging", { [key("kubernetesVersion")]: "1.34.2" }),
            /gitops-platform:kubernetesVersion: got "1.34.2"; allowed: MAJOR.MINOR only \(e.g. "1.34"\) while upgradeChannel is "patch"/,
        );
    });

    it("refuses any version pin with the stable or rapid channel, which move the minor version", async () => {
        for (const channel of ["stable", "rapid"]) {
            await assert.rejects(
                run("staging", { [key("kubernetesVersion")]: "1.33", [key("upgradeChannel")]: channel }),
                new RegExp(
                    `gitops-platform:kubernetesVersion: got "1.33"; allowed: empty while upgradeChannel is "${channel}"`,
                ),
            );
        }
    });

    it("refuses the node-image channel with another node OS channel, which AKS overrides", async () => {
        await assert.rejects(
            run("staging", {
                [key("upgradeChannel")]: "node-image",
                [key("nodeOsUpgradeChannel")]: "SecurityPatch",
            }),
            /gitops-platform:nodeOsUpgradeChannel: got "SecurityPatch"; allowed: "NodeImage" while upgradeChannel is "node-image"/,
        );
    });

    it("accepts node-image with NodeImage and a patch pin", async () => {
        const r = await run("staging", {
            [key("upgradeChannel")]: "node-image",
            [key("nodeOsUpgradeChannel")]: "NodeImage",
            [key("kubernetesVersion")]: "1.34.1",
        });
        assert.equal(
            ofType(r, "azure-native:containerservice:ManagedCluster")[0].inputs.autoUpgradeProfile
                .upgradeChannel,
            "node-image",
        );
    });

    it("refuses a Kubernetes version the pinned Flux does not support, naming the chart", async () => {
        await assert.rejects(
            run("staging", { [key("kubernetesVersion")]: "1.33" }),
            /gitops-platform:kubernetesVersion: got "1.33"; allowed: a version fluxChartVersion 2.19.0 supports: Flux 2.9 \(flux2 chart 2.19.0\) needs Kubernetes 1.34 or later/,
        );
    });

    it("refuses a Kubernetes version older than the admission policies' API (1.30), saying why", async () => {
        await assert.rejects(
            run("staging", { [key("kubernetesVersion")]: "1.29" }),
            /gitops-platform:kubernetesVersion: got "1.29"; allowed: Kubernetes 1.30 or later: the tenant admission policies are ValidatingAdmissionPolicies/,
        );
    });

    it("accepts a patch version pin when auto-upgrade is off", async () => {
        const r = await run("staging", {
            [key("kubernetesVersion")]: "1.34.2",
            [key("upgradeChannel")]: "none",
        });
        assert.equal(
            ofType(r, "azure-native:containerservice:ManagedCluster")[0].inputs.kubernetesVersion,
            "1.34.2",
        );
    });

    it("requires a global name seed", async () => {
        await assert.rejects(
            run("staging", { [key("globalNameSeed")]: undefined }),
            /gitops-platform:globalNameSeed: got nothing \(the key is not set\); allowed: lowercase letters, digits and '-'/,
        );
    });

    it("requires the deployers", async () => {
        await assert.rejects(
            run("staging", { [key("deployerObjectIds")]: undefined }),
            /gitops-platform:deployerObjectIds: got nothing \(the key is not set\); allowed: a list of the Azure AD object ids that run pulumi up/,
        );
    });

    it("refuses an empty list of deployers", async () => {
        await assert.rejects(
            run("staging", { [key("deployerObjectIds")]: [] }),
            /gitops-platform:deployerObjectIds: got \[\]; allowed: at least one Azure AD object id/,
        );
    });

    it("refuses a previewer that is also a deployer: it would be cluster admin", async () => {
        const id = "00000000-0000-4000-8000-000000000003";
        await assert.rejects(
            run("staging", { [key("previewerObjectIds")]: [id] }),
            new RegExp(
                `gitops-platform:previewerObjectIds: got "${id}"; allowed: object ids that are not also in deployerObjectIds`,
            ),
        );
    });

    it("requires the owners of the Azure AD objects", async () => {
        await assert.rejects(
            run("staging", { [key("ownerObjectIds")]: undefined }),
            /gitops-platform:ownerObjectIds: got nothing \(the key is not set\); allowed: a list of at least one object id of a service principal that runs pulumi up/,
        );
    });

    it("refuses an owner that is not a deployer: it could not manage what it owns", async () => {
        const id = "66666666-7777-4888-8999-000000000000";
        await assert.rejects(
            run("staging", { [key("ownerObjectIds")]: [id] }),
            new RegExp(
                `gitops-platform:ownerObjectIds: got "${id}"; allowed: object ids that are also in deployerObjectIds`,
            ),
        );
    });

    it("rejects a deployer that is not an object id", async () => {
        await assert.rejects(
            run("staging", { [key("deployerObjectIds")]: ["ci@contoso.com"] }),
            /gitops-platform:deployerObjectIds: got "ci@contoso.com"; allowed: Azure AD object ids/,
        );
    });

    it("rejects an unknown upgrade channel and names the allowed ones", async () => {
        await assert.rejects(
            run("staging", { [key("upgradeChannel")]: "weekly" }),
            /gitops-platform:upgradeChannel: got "weekly"; allowed: one of "patch", "stable", "rapid", "node-image", "none"/,
        );
    });

    it("rejects an API server range that is not a CIDR", async () => {
        await assert.rejects(
            run("staging", { [key("apiServerAuthorizedIpRanges")]: ["10.0.0.300/8"] }),
            /apiServerAuthorizedIpRanges: got "10.0.0.300\/8"/,
        );
    });

    it("reports every problem at once", async () => {
        await assert.rejects(
            run("staging", { [key("systemPoolMinCount")]: 0, [key("acrSku")]: "Gold" }),
            (e: Error) => {
                assert.match(e.message, /2 problems/);
                assert.match(e.message, /systemPoolMinCount/);
                assert.match(e.message, /acrSku/);
                return true;
            },
        );
    });

    it("registers nothing when the config is invalid", async () => {
        const before = await run("staging");
        assert.ok(ofType(before, "azure-native:containerservice:ManagedCluster").length === 1);
        await assert.rejects(run("staging", { [key("systemPoolMinCount")]: 0 }), /systemPoolMinCount/);
    });
});

describe("user pools config", () => {
    const pools = (...list: unknown[]) => ({ [key("userPools")]: list });
    const apps = { name: "apps", vmSize: "Standard_D4ds_v5", minCount: 1, maxCount: 3 };

    it("requires at least one pool", async () => {
        await assert.rejects(
            run("staging", pools()),
            /gitops-platform:userPools: got \[\]; allowed: a non-empty list of pools/,
        );
    });

    it("names the field of the pool at fault", async () => {
        await assert.rejects(
            run("staging", pools({ ...apps, name: "Apps-Pool" })),
            /gitops-platform:userPools\[0\]\.name: got "Apps-Pool"; allowed: 1-8 lowercase letters and digits/,
        );
        await assert.rejects(
            run("staging", pools(apps, { ...apps, vmSize: "D4" })),
            /gitops-platform:userPools\[1\]\.vmSize: got "D4"; allowed: an Azure VM size/,
        );
        await assert.rejects(
            run("staging", pools({ ...apps, minCount: 4, maxCount: 2 })),
            /gitops-platform:userPools\[0\]\.maxCount: got 2; allowed: an integer from 4 to 1000/,
        );
        await assert.rejects(
            run("staging", pools({ ...apps, vmsize: "x" })),
            /gitops-platform:userPools\[0\]\.vmsize: got "x"; allowed: no such field/,
        );
        await assert.rejects(
            run("staging", pools({ ...apps, taints: ["bad taint"] })),
            /gitops-platform:userPools\[0\]\.taints\[0\]: got "bad taint"; allowed: a taint key=value:Effect/,
        );
        await assert.rejects(
            run("staging", pools({ ...apps, osSku: "Windows" })),
            /gitops-platform:userPools\[0\]\.osSku: got "Windows"; allowed: one of "AzureLinux", "Ubuntu"/,
        );
    });

    it("refuses two pools of one name and the system pool's name", async () => {
        await assert.rejects(
            run("staging", pools(apps, apps)),
            /gitops-platform:userPools\[1\]\.name: got "apps"; allowed: a name no other pool of userPools has/,
        );
        await assert.rejects(
            run("staging", pools({ ...apps, name: "system" })),
            /gitops-platform:userPools\[0\]\.name: got "system"/,
        );
    });

    it("refuses zones the region does not have", async () => {
        await assert.rejects(
            run("staging", pools({ ...apps, zones: ["4"] })),
            /gitops-platform:userPools\[0\]\.zones: got \["4"\]; allowed: distinct zones among "1", "2", "3" of westeurope/,
        );
        await assert.rejects(
            run("staging", { [key("location")]: "westcentralus", ...pools({ ...apps, zones: ["1"] }) }),
            /allowed: nothing: westcentralus has no availability zones/,
        );
    });
});

describe("derived Azure names", () => {
    it("are checked against Azure's limits, naming the stack and the name", () => {
        assert.deepEqual(azureNameProblems(names("gitops-platform", "staging")), []);
        const problems = azureNameProblems(names("gitops-platform", "a".repeat(60)));
        assert.ok(
            problems.some(
                (p) =>
                    p.name.startsWith("aks-") && /AKS cluster name of at most 63 characters/.test(p.allowed),
            ),
        );
        assert.ok(problems.some((p) => /AKS node resource group name of at most 80/.test(p.allowed)));
    });

    it("keep the DNS prefix from ending in a hyphen when it is cut", () => {
        const problems = azureNameProblems(names("gitops-platform", `${"b".repeat(37)}-c`));
        assert.ok(
            problems.some((p) => /AKS DNS prefix/.test(p.allowed)),
            JSON.stringify(problems),
        );
    });

    it("refuses more team hosts than the shared Gateway's 64 listeners, before anything is registered", async () => {
        const tenants = stackTenants("staging");
        tenants[0].hosts = Array.from({ length: 64 }, (_, i) => `app${i}.dev-team1.example.com`);
        await assert.rejects(
            run("staging", { [TENANTS_KEY]: tenants }),
            /teamsDirectory: got "6[5-9] hosts"; allowed: at most 64 hosts in all/,
        );
    });
});
