import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ofType, run } from "../support/program";

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

    it("rejects a node count of 0", async () => {
        await assert.rejects(
            run("staging", { [key("nodeCount")]: 0 }),
            /gitops-platform:nodeCount: got "0"; allowed: an integer from 1 to 100/,
        );
    });

    it("rejects a node count above 100", async () => {
        await assert.rejects(
            run("staging", { [key("nodeCount")]: 101 }),
            /gitops-platform:nodeCount: got "101"/,
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
            run("staging", { [key("kubernetesVersion")]: "1.33.2" }),
            /gitops-platform:kubernetesVersion: got "1.33.2"; allowed: MAJOR.MINOR only \(e.g. "1.33"\) while upgradeChannel is "patch"/,
        );
    });

    it("accepts a patch version pin when auto-upgrade is off", async () => {
        const r = await run("staging", {
            [key("kubernetesVersion")]: "1.33.2",
            [key("upgradeChannel")]: "none",
        });
        assert.equal(
            ofType(r, "azure-native:containerservice:ManagedCluster")[0].inputs.kubernetesVersion,
            "1.33.2",
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
            run("staging", { [key("nodeCount")]: 0, [key("acrSku")]: "Gold" }),
            (e: Error) => {
                assert.match(e.message, /2 problems/);
                assert.match(e.message, /nodeCount/);
                assert.match(e.message, /acrSku/);
                return true;
            },
        );
    });

    it("registers nothing when the config is invalid", async () => {
        const before = await run("staging");
        assert.ok(ofType(before, "azure-native:containerservice:ManagedCluster").length === 1);
        await assert.rejects(run("staging", { [key("nodeCount")]: 0 }), /nodeCount/);
    });
});
