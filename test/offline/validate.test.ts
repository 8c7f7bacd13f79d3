import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runTool } from "../support/tool";
import {
    checkCodeowners,
    checkCommittedSecrets,
    codeownersRules,
    ownersOf,
    teamFilesOf,
    withoutRepeats,
} from "../../tools/offline/validate";
import { FIXTURE_INSTANCE } from "../support/instance";

const CODEOWNERS = readFileSync(join(FIXTURE_INSTANCE, ".github", "CODEOWNERS"), "utf8");
const TEAM_FILES = [
    ...teamFilesOf(FIXTURE_INSTANCE, "tenants"),
    ...teamFilesOf(FIXTURE_INSTANCE, "tenants/guardrails"),
];
const DEV_TEAM3 = { file: "tenants/dev-team3.yaml", team: "dev-team3" };

describe("npm run validate: CODEOWNERS", () => {
    it("holds for an instance that gives each team its file and the platform team the guardrails", () => {
        assert.deepEqual(checkCodeowners(CODEOWNERS, TEAM_FILES), []);
    });

    it("names the line to add for a team file without its own owner", () => {
        assert.deepEqual(checkCodeowners(CODEOWNERS, [DEV_TEAM3]), [
            '.github/CODEOWNERS: /tenants/dev-team3.yaml: got @one-kubernetes/platform-team; allowed: @one-kubernetes/dev-team3 (the team approves its own promotions): add the line "/tenants/dev-team3.yaml @one-kubernetes/dev-team3" before the guardrails line',
        ]);
    });

    it("refuses a team file approved by another team", () => {
        const text = CODEOWNERS.replace(
            "/tenants/dev-team2.yaml   @one-kubernetes/dev-team2",
            "/tenants/dev-team2.yaml   @one-kubernetes/dev-team1",
        );
        assert.match(
            checkCodeowners(text, TEAM_FILES).join("\n"),
            /\/tenants\/dev-team2\.yaml: got @one-kubernetes\/dev-team1; allowed: @one-kubernetes\/dev-team2/,
        );
    });

    it("refuses a guardrails file its team could approve (a team line after the guardrails line)", () => {
        const text = `${CODEOWNERS}/tenants/guardrails/dev-team1.yaml @one-kubernetes/dev-team1\n`;
        assert.match(
            checkCodeowners(text, TEAM_FILES).join("\n"),
            /\/tenants\/guardrails\/dev-team1\.yaml: got @one-kubernetes\/dev-team1; allowed: @one-kubernetes\/platform-team alone/,
        );
    });

    it("gives everything else, the program and the stack files, to the platform team", () => {
        const rules = codeownersRules(CODEOWNERS);
        assert.deepEqual(ownersOf(rules, "index.ts"), ["@one-kubernetes/platform-team"]);
        assert.deepEqual(ownersOf(rules, "Pulumi.prod.yaml"), ["@one-kubernetes/platform-team"]);
    });
});

describe("npm run validate: committed secrets", () => {
    it("holds for environment stacks whose required secrets are committed as ciphertext", () => {
        for (const stack of ["staging", "prod"])
            assert.deepEqual(
                checkCommittedSecrets(FIXTURE_INSTANCE, stack, "environment", "gitops-platform", []),
                [],
            );
    });

    it("names the command that commits a new team's promotion token", () => {
        const teams = ["dev-team1", "dev-team2", "dev-team3"];
        assert.deepEqual(
            checkCommittedSecrets(FIXTURE_INSTANCE, "delivery", "delivery", "gitops-platform", teams),
            [
                "Pulumi.delivery.yaml: devopsPromotionTokens.dev-team3: got nothing; allowed: team dev-team3's secret, committed encrypted: pulumi config set -s delivery --secret --path 'devopsPromotionTokens.dev-team3' <token>",
            ],
        );
    });
});

describe("npm run validate: one mistake, one error", () => {
    it("lists a team file's problem once, under the first stack, though every stack reads the file", () => {
        const problem = '  - tenants/dev-team2.yaml: apps[0].name: got "App"; allowed: a DNS label';
        const failed = (stack: string) => ({
            check: `${stack}: planned offline`,
            problems: [`Invalid stack config in Pulumi.${stack}.yaml (1 problem):\n${problem}`],
        });
        assert.deepEqual(
            withoutRepeats([failed("prod"), failed("staging")]).map((r) => r.problems),
            [
                [`Invalid stack config in Pulumi.prod.yaml (1 problem):\n${problem}`],
                [
                    "Invalid stack config in Pulumi.staging.yaml (1 problem):\n  - the same problem as prod, above",
                ],
            ],
        );
    });
});

describe("npm run validate's command line", () => {
    const validate = (args: string[]) => runTool("validate", args);

    it("--help prints what it checks and the exit codes, and exits 0", () => {
        const r = validate(["-h"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^Exit codes: 0 valid, 1 a problem/m);
    });

    it("refuses an unknown option with exit code 1, without a stack trace", () => {
        const r = validate(["--stack", "prod"]);
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^unknown option --stack\. Options: --help\n\(npm run validate -- --help for usage\)\n$/,
        );
    });
});
