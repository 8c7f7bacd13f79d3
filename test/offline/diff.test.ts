import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { UNKNOWN } from "../../tools/offline/cloud";
import { changedPaths, diffPlans, forcesReplacement, renderDiff } from "../../tools/offline/diff";
import type { PlanJson, PlannedResource } from "../../tools/offline/planJson";
import { ScratchCheckout } from "../support/checkout";

const HELM_RELEASE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";
const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" };

function planned(
    name: string,
    type: string,
    inputs: Record<string, unknown>,
    protect = false,
): PlannedResource {
    return {
        urn: `urn:pulumi:prod::p::${type}::${name}`,
        type,
        name,
        custom: true,
        parent: "",
        protect,
        inputs,
    };
}

function planOf(...resources: PlannedResource[]): PlanJson {
    return { stack: "prod", resources, outputs: {}, secretOutputs: [] };
}

const release = (version: string, name = "front") =>
    planned(`team-${name}`, HELM_RELEASE, {
        metadata: { name, namespace: "team" },
        spec: { chart: { spec: { version } } },
    });

/** Lines of a rendered diff that name a changed resource. */
const changeLines = (text: string) => text.split("\n").filter((l) => /^(\+-|\+|-|~) /.test(l));

describe("diff of two plans", () => {
    it("finds nothing between equal plans", () => {
        assert.deepEqual(diffPlans(planOf(release("0.4.0")), planOf(release("0.4.0"))), []);
    });

    it("reports a changed input as an update with its path, old and new value", () => {
        const [change] = diffPlans(planOf(release("0.4.0")), planOf(release("0.4.7")));
        assert.equal(change.op, "update");
        assert.deepEqual(change.changes, [
            { path: "spec.chart.spec.version", before: "0.4.0", after: "0.4.7", replaces: false },
        ]);
    });

    it("reports a resource only in the new plan as a create", () => {
        const changes = diffPlans(
            planOf(release("1.0.0")),
            planOf(release("1.0.0"), release("1.0.0", "back")),
        );
        assert.deepEqual(
            changes.map((c) => [c.op, c.name]),
            [["create", "team-back"]],
        );
    });

    it("reports a resource only in the old plan as a delete", () => {
        const changes = diffPlans(
            planOf(release("1.0.0"), release("1.0.0", "back")),
            planOf(release("1.0.0")),
        );
        assert.deepEqual(
            changes.map((c) => [c.op, c.name]),
            [["delete", "team-back"]],
        );
    });

    it("reports a replacement when a changed input forces one", () => {
        const group = (location: string) =>
            planned("rg", "azure-native:resources:ResourceGroup", { resourceGroupName: "rg-1", location });
        const [change] = diffPlans(planOf(group("westeurope")), planOf(group("northeurope")));
        assert.equal(change.op, "replace");
    });

    it("reports a change of the protect option", () => {
        const [change] = diffPlans(planOf(release("1.0.0")), planOf({ ...release("1.0.0"), protect: true }));
        assert.deepEqual(
            change.changes.map((c) => c.path),
            ["[protect]"],
        );
    });

    it("prints a promotion as exactly one ~ line with the changed version", () => {
        const [before, after] = [
            planOf(release("0.4.0"), release("0.3.1", "back")),
            planOf(release("0.4.7"), release("0.3.1", "back")),
        ];
        const text = renderDiff(diffPlans(before, after), before, after, "t");
        assert.deepEqual(changeLines(text), [`~   ${HELM_RELEASE}  team-front  update`]);
        assert.match(text, /^ {8}spec\.chart\.spec\.version: 0\.4\.0 => 0\.4\.7$/m);
    });

    it("prints a created resource's inputs under it, so an onboarding shows the new team's quota", () => {
        const quota = planned("team3-quota", "kubernetes:core/v1:ResourceQuota", {
            metadata: { name: "team-quota", namespace: "team3" },
            spec: { hard: { "requests.cpu": "2", pods: "20" } },
        });
        const [before, after] = [planOf(release("1.0.0")), planOf(release("1.0.0"), quota)];
        const text = renderDiff(diffPlans(before, after), before, after, "t");
        assert.deepEqual(changeLines(text), ["+   kubernetes:core/v1:ResourceQuota  team3-quota  create"]);
        assert.match(
            text,
            /^ {8}metadata\.namespace: team3\n {8}spec\.hard\["requests\.cpu"\]: 2\n {8}spec\.hard\.pods: 20$/m,
        );
    });

    it("never prints a created resource's secret input", () => {
        const key = planned("pw", "random:index/randomPassword:RandomPassword", { keepers: SECRET });
        const text = renderDiff(diffPlans(planOf(), planOf(key)), planOf(), planOf(key), "t");
        assert.match(text, /^ {8}keepers: \[secret\]$/m);
        assert.doesNotMatch(text, /hunter/);
    });

    it("never prints a secret it compares", () => {
        const key = (value: unknown) =>
            planned("pw", "random:index/randomPassword:RandomPassword", { keepers: value });
        const [before, after] = [planOf(key(SECRET)), planOf(key({ ...SECRET, value: "hunter3" }))];
        const text = renderDiff(diffPlans(before, after), before, after, "t");
        assert.match(text, /keepers: \[secret\] => \[secret\]/);
        assert.doesNotMatch(text, /hunter/);
    });

    it("prints an input that became unknown as (known after up)", () => {
        const [before, after] = [planOf(release("1.0.0")), planOf(release(UNKNOWN))];
        assert.match(
            renderDiff(diffPlans(before, after), before, after, "t"),
            /spec\.chart\.spec\.version: 1\.0\.0 => \(known after up\)/,
        );
    });
});

describe("input paths", () => {
    it("name array items by index and odd keys in brackets", () => {
        const paths = changedPaths(
            { a: [1, 2], m: { "x.io/y": "1" } },
            { a: [1, 3], m: { "x.io/y": "2" } },
        ).map((c) => c.path);
        assert.deepEqual(paths, ["a[1]", 'm["x.io/y"]']);
    });

    it("report an added item against nothing", () => {
        assert.deepEqual(changedPaths({ a: [1] }, { a: [1, 2] }), [
            { path: "a[1]", before: undefined, after: 2 },
        ]);
    });
});

describe("replace-on-change table", () => {
    for (const [type, path] of [
        ["azure-native:resources:Resource", "resourceName"],
        ["azure-native:storage:StorageAccount", "accountName"],
        ["azure-native:containerservice:ManagedCluster", "resourceName"],
        ["azure-native:containerservice:ManagedCluster", "location"],
        ["azure-native:storage:BlobContainer", "resourceGroupName"],
        ["azure-native:authorization:RoleAssignment", "scope"],
        [HELM_RELEASE, "metadata.name"],
        ["kubernetes:core/v1:Namespace", "metadata.namespace"],
    ] as const) {
        it(`replaces a ${type.split(":").pop()} when ${path} changes`, () =>
            assert.equal(forcesReplacement(type, path), true));
    }

    it("updates in place what the table does not list (a chart version, a node count)", () => {
        assert.equal(forcesReplacement(HELM_RELEASE, "spec.chart.spec.version"), false);
        assert.equal(
            forcesReplacement("azure-native:containerservice:ManagedCluster", "agentPoolProfiles[0].count"),
            false,
        );
    });

    it("covers what is under a listed path", () => {
        assert.equal(forcesReplacement("kubernetes:core/v1:Secret", "metadata.name"), true);
        assert.equal(forcesReplacement("kubernetes:core/v1:Secret", "metadata.labels.team"), false);
    });
});

describe("npm run plan -- --diff <ref>", () => {
    let scratch: ScratchCheckout;
    before(() => {
        scratch = new ScratchCheckout();
    });
    after(() => scratch.remove());

    it("prints no change between a ref and the same working tree", () => {
        const result = scratch.plan(["--stack", "prod", "--diff", "HEAD"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /^No resource changes\.$/m);
        assert.deepEqual(changeLines(result.stdout), []);
    });

    it("exits 0 with --exit-code when nothing changes", () => {
        const result = scratch.plan(["--stack", "prod", "--diff", "HEAD", "--exit-code"]);
        assert.equal(result.status, 0, result.stderr);
    });

    it("prints exactly one ~ line, with the pin, for a promotion of one prod version", () => {
        const teamFile = scratch.read("tenants/dev-team1.yaml");
        const pin = /( {6}front: \{ version: )"0\.4\.0", digest: "sha256:[0-9a-f]{64}"( \})/;
        assert.match(teamFile, pin);
        const digest = `sha256:${"7".repeat(64)}`;
        scratch.write("tenants/dev-team1.yaml", teamFile.replace(pin, `$1"0.4.7", digest: "${digest}"$2`));
        const result = scratch.plan(["--stack", "prod", "--diff", "HEAD"]);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(changeLines(result.stdout), [
            `~   ${HELM_RELEASE}  dev-team1-helmrelease-front  update`,
        ]);
        assert.match(result.stdout, /^ {8}spec\.chart\.spec\.version: 0\.4\.0 => 0\.4\.7$/m);
        assert.match(
            result.stdout,
            new RegExp(`spec\\.values\\.image\\.digest: sha256:[0-9a-f]{64} => ${digest}`),
        );
    });

    it("exits 2 with --exit-code when something changes, as git diff --exit-code does", () => {
        const teamFile = scratch.read("tenants/dev-team2.yaml");
        scratch.write("tenants/dev-team2.yaml", teamFile.replace("port: 8080", "port: 8081"));
        try {
            const result = scratch.plan(["--stack", "prod", "--diff", "HEAD", "--exit-code"]);
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stdout, /^~ /m);
        } finally {
            scratch.write("tenants/dev-team2.yaml", teamFile);
        }
    });

    it("names a ref that is not a commit", () => {
        const result = scratch.plan(["--stack", "prod", "--diff", "no-such-ref"]);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /--diff no-such-ref: not a commit of this repository/);
    });
});
