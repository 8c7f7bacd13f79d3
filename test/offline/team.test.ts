import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runTool } from "../support/tool";
import { capacityCheck } from "../../components/platform/capacity";
import {
    capacityAdvice,
    checkNewTeamName,
    withCodeownersLine,
    withoutCodeownersLine,
} from "../../tools/offline/team";
import { FIXTURE_INSTANCE } from "../support/instance";

const CODEOWNERS = readFileSync(join(FIXTURE_INSTANCE, ".github", "CODEOWNERS"), "utf8");
const POOLS = [{ name: "apps", vmSize: "Standard_D4ds_v5", maxCount: 3, maxPods: 110 }];
const team = (name: string, cpu = "4") => ({ team: name, cpu, memory: "8Gi", pods: 30 });
const advice = (teams: ReturnType<typeof team>[]) =>
    capacityAdvice(
        "staging",
        "dev-team3",
        capacityCheck(POOLS, teams),
        "tenants/guardrails/dev-team3.yaml",
        "gitops-platform:userPools",
    );

describe("npm run team -- add: the new team's name", () => {
    for (const [name, why] of [
        ["Dev_Team3", /not a DNS label/],
        ["kube-tools", /a namespace reserved by the platform or Kubernetes/],
        ["flux-system", /a namespace reserved by the platform or Kubernetes/],
        ["dev-team1", /a team of that name exists already/],
    ] as const)
        it(`refuses ${name}, saying why`, () => {
            assert.throws(() => checkNewTeamName(name, ["dev-team1", "dev-team2"]), why);
        });

    it("takes a DNS label no team has", () => {
        assert.doesNotThrow(() => checkNewTeamName("dev-team3", ["dev-team1", "dev-team2"]));
    });
});

describe("npm run team: the CODEOWNERS line", () => {
    it("goes after the other teams' lines, before the guardrails folder's (GitHub applies the last match), aligned", () => {
        const lines = withCodeownersLine(CODEOWNERS, "tenants/dev-team3.yaml", "@one-kubernetes/dev-team3")
            .trimEnd()
            .split("\n")
            .slice(-3);
        assert.deepEqual(lines, [
            "/tenants/dev-team2.yaml   @one-kubernetes/dev-team2",
            "/tenants/dev-team3.yaml   @one-kubernetes/dev-team3",
            "/tenants/guardrails/      @one-kubernetes/platform-team",
        ]);
    });

    it("is taken away on removal, and nothing else", () => {
        const added = withCodeownersLine(CODEOWNERS, "tenants/dev-team3.yaml", "@one-kubernetes/dev-team3");
        assert.equal(withoutCodeownersLine(added, "tenants/dev-team3.yaml"), CODEOWNERS);
    });
});

describe("npm run team -- add: pools that cannot hold the default quota", () => {
    it("says nothing when they hold it", () => {
        assert.equal(advice([team("dev-team1", "2")]), undefined);
    });

    it("names the two changes that make them hold it: a pool's maxCount, or a quota that fits in the guardrails file", () => {
        assert.equal(
            advice([team("dev-team1"), team("dev-team2")]),
            [
                "staging: its user pools cannot hold dev-team3 at the default quota: the teams would ask for cpu 12 of 11.58 (at maxCount). Change one:",
                "  - Pulumi.staging.yaml, gitops-platform:userPools: pool apps maxCount: 4 (instead of 3)",
                '  - tenants/guardrails/dev-team3.yaml: environments.staging.quota: { cpu: "3.5" }',
            ].join("\n"),
        );
    });

    it("names only the pool's maxCount when nothing is left for a smaller quota", () => {
        const text = advice([team("dev-team1", "6"), team("dev-team2", "5.58")]) ?? "";
        assert.match(text, /maxCount: 5 \(instead of 3\)/);
        assert.doesNotMatch(text, /guardrails/);
    });
});

describe("npm run team's command line", () => {
    const team = (args: string[]) => runTool("team", args);

    it("--help prints the commands and the exit codes, and exits 0", () => {
        const r = team(["--help"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^Usage: npm run team -- add <team> --kit helm\|kustomize/);
        assert.match(r.stdout, /^Exit codes: 0 done, 1 an error \(nothing written\)\.$/m);
    });

    for (const [args, error] of [
        [["ad", "dev-team3"], /^unknown command "ad"; did you mean "add"\? Commands: add, remove\n/],
        [
            ["add", "dev-team3", "--kit", "helmm"],
            /^--kit helmm: no such kit; did you mean "helm"\? Kits: helm, kustomize\n/,
        ],
        [["add", "dev-team3"], /^add needs the team's kit: --kit helm\|kustomize\n/],
        [["add", "dev-team3", "--kti", "helm"], /^unknown option --kti; did you mean --kit\?/],
    ] as const)
        it(`refuses \`${args.join(" ")}\` with exit code 1, saying what exists, without a stack trace`, () => {
            const r = team([...args]);
            assert.equal(r.status, 1);
            assert.match(r.stderr, error);
            assert.doesNotMatch(r.stderr, /\n\s+at /);
        });
});
