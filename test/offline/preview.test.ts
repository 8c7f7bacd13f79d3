import assert from "node:assert/strict";
import { CONFIG_KEYS } from "../../src/config/keys";
import { describe, it } from "node:test";
import { OfflineCloud, UNKNOWN, previewOutputs } from "../../tools/offline/cloud";
import { KNOWN_AFTER_UP, renderPlan } from "../../tools/offline/planView";
import type { OfflineRun } from "../../tools/offline/run";
import { one, previewRun, run, runOnce } from "../support/program";

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const plan = async () => {
    const r = await previewRun("prod");
    return renderPlan(r, { stackName: `gitops-platform-prod` });
};

describe("the fake cloud in preview mode", () => {
    const cloud = new OfflineCloud({ preview: true });
    const cluster = () =>
        cloud.newResource({
            type: CLUSTER,
            name: "aks",
            inputs: {
                resourceName: "aks-1",
                location: "westeurope",
                dnsPrefix: "aks1",
                ingressProfile: { webAppRouting: { enabled: true } },
            },
            custom: true,
        });

    it("gives a resource to be created no id", () => {
        assert.equal(cluster().id, undefined);
    });

    it("echoes the inputs as outputs", () => {
        const state = cluster().state;
        assert.equal(state.resourceName, "aks-1");
        assert.equal(state.location, "westeurope");
    });

    it("leaves what Azure computes unknown, also inside an input object", () => {
        const state = cluster().state;
        assert.equal(state.fqdn, UNKNOWN);
        assert.equal(state.name, UNKNOWN);
        assert.deepEqual(state.ingressProfile, { webAppRouting: { enabled: true, identity: UNKNOWN } });
    });

    it("answers a read of an existing resource with its id, as a preview does", () => {
        const read = cloud.newResource({
            type: CLUSTER,
            name: "aks",
            inputs: { resourceName: "aks-1" },
            custom: true,
            id: "/existing",
        });
        assert.notEqual(read.id, undefined);
    });

    it("keeps an input's own value where the full cloud would add to it", () => {
        assert.deepEqual(previewOutputs({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }), {
            a: UNKNOWN,
            b: { c: 2, d: UNKNOWN },
        });
    });
});

describe("a preview run of the whole program", () => {
    it("registers the same resources as a full run", async () => {
        const [preview, full] = [await previewRun("prod"), await run("prod")];
        assert.deepEqual(preview.resources.map((r) => r.urn).sort(), full.resources.map((r) => r.urn).sort());
    });

    it("leaves an input that comes from a created resource unknown (the registry id a role is scoped to)", async () => {
        const grant = one(await previewRun("prod"), ROLE_ASSIGNMENT, "kubelet-acr-reader");
        assert.equal(grant.wireInputs.scope, UNKNOWN);
    });

    it("keeps inputs the program knows (the cluster's name and version pins)", async () => {
        const cluster = one(await previewRun("prod"), CLUSTER);
        assert.equal(cluster.wireInputs.resourceName, "aks-gitops-platform-prod");
    });

    it("exports an output computed by Azure as unknown", async () => {
        assert.equal((await previewRun("prod")).outputs.oidcIssuerUrl, UNKNOWN);
    });

    it("records the same graph with the offline shortcuts on and off", async () => {
        // The shortcuts drop the aliases azure-native adds for its other API versions, and only those.
        const withoutSdkAliases = (x: OfflineRun["resources"][number]) =>
            x.custom ? { ...x, aliases: [] } : { ...x };
        const byUrn = (r: OfflineRun) =>
            [...r.resources].sort((a, b) => a.urn.localeCompare(b.urn)).map(withoutSdkAliases);
        const fast = await previewRun("staging");
        const faithful = await runOnce("staging", {}, { preview: true, fast: false });
        assert.deepEqual(byUrn(fast), byUrn(faithful));
    });
});

describe("the plan", () => {
    it("prints a value known only after creation as (known after up), naming where it comes from", async () => {
        assert.match(
            await plan(),
            /role=AcrRepositoryReader scope=\(known after up, from gitops-platform-prod-acr\)/,
        );
    });

    it("never prints an id the fake cloud would invent", async () => {
        const text = await plan();
        // What the fake cloud makes up in a full run: the action group's resource id, the CI app's client id.
        const full = await run("prod");
        const actionGroupId = String(full.outputs.alertActionGroupId);
        assert.match(actionGroupId, /^\/subscriptions\/.+\/actionGroups\//);
        assert.ok(!text.includes(actionGroupId));
        assert.ok(!text.includes(String(full.outputs.ciClientId)));
    });

    it("never prints undefined as a value", async () => {
        assert.doesNotMatch(await plan(), /\bundefined\b/);
    });

    it("prints unknown stack outputs as (known after up)", async () => {
        assert.match(
            await plan(),
            new RegExp(`^    clusterName\\s*: ${KNOWN_AFTER_UP.replace(/[()]/g, "\\$&")}$`, "m"),
        );
    });

    it("prints one line per resource, indented under its parent, as pulumi preview does", async () => {
        assert.match(
            await plan(),
            /^ \+ {3}│ {2}├─ azure-native:resources:ResourceGroup\s+gitops-platform-prod-rg\s+create {2}\[protect\]$/m,
        );
    });

    it("starts with the stack every resource belongs to", async () => {
        assert.match(await plan(), /^ \+ {3}pulumi:pulumi:Stack\s+gitops-platform-prod\s+create$/m);
    });

    it("prints the settings a reviewer checks under the resource", async () => {
        assert.match(
            await plan(),
            /gitops-platform-prod-rg\s+create {2}\[protect\]\n {5}│ {2}│ {5}resourceGroupName=rg-gitops-platform-prod location=northeurope\n/,
        );
    });

    it("marks protected resources", async () => {
        assert.match(await plan(), /gitops-platform-prod-aks\s+create {2}\[protect\]$/m);
    });

    it("counts what up creates: the stack, components, providers and cloud resources", async () => {
        const r = await previewRun("prod");
        assert.match(
            await plan(),
            new RegExp(`^Resources:\\n    \\+ ${r.resources.length + 1} to create$`, "m"),
        );
    });

    it("says the flux2 chart expands at deploy time, with its chart, version and repository", async () => {
        assert.match(
            await plan(),
            new RegExp(
                `expands at deploy time: the provider renders chart flux2 ${CONFIG_KEYS.fluxChartVersion.default.replace(/\./g, "\\.")} from https://fluxcd-community\\.github\\.io/helm-charts into namespace flux-system`,
            ),
        );
    });

    it("says the chart's objects are not in the count", async () => {
        assert.match(
            await plan(),
            /^ {6}and what helm\.sh\/v4:Chart gitops-platform-prod-flux-controllers renders at deploy time$/m,
        );
    });
});
