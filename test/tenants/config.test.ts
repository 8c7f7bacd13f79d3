import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { STACKS, run } from "../support/program";
import { TENANTS_KEY, stackTenants, teamKey } from "../support/tenants";

/** The staging teams with `change` applied, as a `tenants` override. */
function staging(change: (tenants: Record<string, any>[]) => void): Record<string, unknown> {
    const tenants = stackTenants("staging");
    change(tenants);
    return { [TENANTS_KEY]: tenants };
}

/** `key` is `[<team index>].<path>`: the problem names that team's file and the path in it. */
const rejectsNaming = (
    overrides: Record<string, unknown>,
    key: string,
    stack: (typeof STACKS)[number] = "staging",
) => {
    const [, index, path] = /^\[(\d+)\]\.(.*)$/.exec(key)!;
    return assert.rejects(run(stack, overrides), new RegExp(`${teamKey(Number(index), path)}:`));
};

describe("tenants config", () => {
    for (const stack of STACKS) {
        test(`the ${stack} stack file's teams are valid`, async () => {
            const r = await run(stack);
            assert.deepEqual(r.outputs.tenantNamespaces, ["dev-team1", "dev-team2"]);
        });
    }

    test("a duplicate team is refused, naming the second entry", () =>
        rejectsNaming(
            staging((t) => t.push({ ...t[0] })),
            "[2].name",
        ));

    test("a team name that is not a DNS label is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].name = "Dev_Team1")),
            "[0].name",
        ));

    for (const reserved of ["kube-system", "flux-system", "default", "kube-anything"]) {
        test(`the reserved namespace ${reserved} is refused`, () =>
            rejectsNaming(
                staging((t) => (t[1].name = reserved)),
                "[1].name",
            ));
    }

    test("an unknown delivery kind is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].delivery = "argocd")),
            "[0].delivery",
        ));

    test("a flow naming an unknown team is refused", () =>
        rejectsNaming(
            staging((t) => t[0].flows.push({ from: "front", to: "dev-team9/api" })),
            "[0].flows[1].to",
        ));

    test("a flow naming an unknown app of a known team is refused", () =>
        rejectsNaming(
            staging((t) => t[0].flows.push({ from: "front", to: "dev-team2/api" })),
            "[0].flows[1].to",
        ));

    test("a flow between two other teams is refused", () =>
        rejectsNaming(
            staging((t) => (t[1].flows = [{ from: "dev-team1/front", to: "dev-team1/back" }])),
            "[1].flows[0].from",
        ));

    test("a helm team without apps is refused", () =>
        rejectsNaming(
            staging((t) => delete t[0].apps),
            "[0].apps",
        ));

    test("a helm app without a version is refused", () =>
        rejectsNaming(
            staging((t) => delete t[0].apps[1].version),
            "[0].apps[1].version",
        ));

    test("a privileged pod security level is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].podSecurity = "privileged")),
            "[0].podSecurity",
        ));

    test("a misspelt key is refused rather than ignored", () =>
        rejectsNaming(
            staging((t) => (t[0].apps[1].dependson = ["back"])),
            "[0].apps[1].dependson",
        ));

    test("a dependsOn cycle between apps is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].apps[0].dependsOn = ["front"])),
            "[0].apps",
        ));

    test("a default request above the default limit is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].limits = { defaultMemory: "256Mi", defaultRequestMemory: "1Gi" })),
            "[0].limits.defaultRequestMemory",
        ));

    test("git on a helm team is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].git = t[1].git)),
            "[0].git",
        ));

    test("a kustomize team without git is refused", () =>
        rejectsNaming(
            staging((t) => delete t[1].git),
            "[1].git",
        ));

    test("an access role other than view, edit or admin is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].accessRole = "cluster-admin")),
            "[0].accessRole",
        ));

    test("remediation retries above 10 are refused", () =>
        rejectsNaming(
            staging((t) => (t[0].remediationRetries = 50)),
            "[0].remediationRetries",
        ));

    test("prod refuses a version range: it pins exact versions", () => {
        const tenants = stackTenants("prod");
        tenants[0].apps[0].version = "^0.3.0";
        return rejectsNaming({ [TENANTS_KEY]: tenants }, "[0].apps[0].version", "prod");
    });

    test("prod refuses a helm app without an image digest: it runs exactly what staging verified", () => {
        const tenants = stackTenants("prod");
        delete tenants[0].apps[1].digest;
        return rejectsNaming({ [TENANTS_KEY]: tenants }, "[0].apps[1].digest", "prod");
    });

    test("an image digest that is not sha256 and 64 hex digits is refused", () => {
        const tenants = stackTenants("prod");
        tenants[0].apps[0].digest = "sha256:abc";
        return rejectsNaming({ [TENANTS_KEY]: tenants }, "[0].apps[0].digest", "prod");
    });

    test("every problem is reported at once", async () => {
        const overrides = staging((t) => {
            t[0].delivery = "argocd";
            t[1].name = "kube-system";
        });
        await assert.rejects(run("staging", overrides), (e: Error) => {
            assert.match(e.message, new RegExp(teamKey(0, "delivery")));
            assert.match(e.message, new RegExp(teamKey(1, "name")));
            return true;
        });
    });
});
