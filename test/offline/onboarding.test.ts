import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseDocument } from "yaml";
import { ScratchCheckout } from "../support/checkout";

const ONBOARDING_PAGE = readFileSync(
    join(__dirname, "..", "..", "docs", "team-lead", "onboarding.md"),
    "utf8",
);
const ONBOARDING = ONBOARDING_PAGE.slice(
    ONBOARDING_PAGE.indexOf("# Onboarding a team"),
    ONBOARDING_PAGE.indexOf("**Guardrails are the platform team's.**"),
);
/** The onboarding page's fenced blocks of `language` in the onboarding section, in order, as written. */
const blocks = (language: string) =>
    [...ONBOARDING.matchAll(new RegExp(`^( *)\`\`\`${language}\\n([\\s\\S]*?)^\\1\`\`\`$`, "gm"))].map((m) =>
        m[2].replace(new RegExp(`^${m[1]}`, "gm"), ""),
    );

/** The onboarding page's command and what it prints: `$ npm run team -- add dev-team3 --kit helm` and the lines below. */
const [ADD_COMMAND, ...ADD_OUTPUT] = blocks("console")[0].trimEnd().split("\n");
const [TEAM_FILE, GUARDRAILS_LINE, FLOWS] = blocks("yaml");
const TOKEN_LEAF = ["config", "gitops-platform:devopsPromotionTokens", "dev-team3"];

/** What `pulumi config set -s delivery --secret --path 'devopsPromotionTokens.dev-team3'` writes (no CLI here). */
function setPromotionToken(scratch: ScratchCheckout): void {
    const file = parseDocument(scratch.read("Pulumi.delivery.yaml"));
    file.setIn([...TOKEN_LEAF, "secure"], "v1:ciphertext-of-dev-team3-token");
    scratch.write("Pulumi.delivery.yaml", file.toString());
}

/** What `pulumi config rm -s delivery --path 'devopsPromotionTokens.dev-team3'` does. */
function removePromotionToken(scratch: ScratchCheckout): void {
    const file = parseDocument(scratch.read("Pulumi.delivery.yaml"));
    file.deleteIn(TOKEN_LEAF);
    scratch.write("Pulumi.delivery.yaml", file.toString());
}

/** `npm run <script> -- <args>` from a command line of the page (`$ npm run team -- add ...`). */
function npmArgs(line: string): { script: string; args: string[] } {
    const m = /^\$ npm run (\S+) -- (.*)$/.exec(line);
    assert.ok(m, `a documented command: ${line}`);
    return { script: m[1], args: m[2].split(" ") };
}

describe("onboarding and removing a team as the onboarding page says, in a scratch copy of the repository", () => {
    let scratch: ScratchCheckout;
    before(() => {
        scratch = new ScratchCheckout();
    });
    after(() => scratch.remove());

    it("starts from an instance npm run validate passes", () => {
        const result = scratch.npm("validate", []);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^The instance is valid\.$/m);
    });

    it("npm run team -- add prints exactly what the onboarding page shows", () => {
        const { script, args } = npmArgs(ADD_COMMAND);
        const result = scratch.npm(script, args);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, `${ADD_OUTPUT.join("\n")}\n`);
    });

    it("wrote the team file the onboarding page shows, the guardrails file and the CODEOWNERS line", () => {
        assert.equal(scratch.read("tenants/dev-team3.yaml"), TEAM_FILE);
        assert.match(scratch.read("tenants/guardrails/dev-team3.yaml"), /^environments: \{\}$/m);
        assert.match(
            scratch.read(".github/CODEOWNERS"),
            /^\/tenants\/dev-team3\.yaml +@one-kubernetes\/dev-team3$/m,
        );
    });

    it("npm run validate then names exactly what is left: the promotion token and staging's capacity", () => {
        const result = scratch.npm("validate", []);
        assert.equal(result.status, 1);
        assert.match(result.stdout, /^2 of \d+ checks failed/m);
        assert.match(
            result.stdout,
            /devopsPromotionTokens\.dev-team3: got nothing; .*pulumi config set -s delivery --secret --path 'devopsPromotionTokens\.dev-team3' <token>/,
        );
        assert.match(
            result.stdout,
            /userPools: got "11\.58 CPU allocatable at maxCount"; .*\(dev-team1 4, dev-team2 4, dev-team3 4\)/,
        );
    });

    it("passes npm run validate once the token is set and the guardrails file has the page's line", () => {
        setPromotionToken(scratch);
        const guardrails = scratch.read("tenants/guardrails/dev-team3.yaml");
        scratch.write(
            "tenants/guardrails/dev-team3.yaml",
            guardrails.replace("environments: {}\n", GUARDRAILS_LINE),
        );
        const result = scratch.npm("validate", []);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^✓ staging: planned offline .*all teams cpu 11\.5\/11\.58/m);
    });

    it("plans the page's cross-team flow, each side declared in its own team's file", () => {
        const before = scratch.read("tenants/dev-team1.yaml");
        try {
            for (const side of FLOWS.split(/^(?=# tenants\/)/m)) {
                const file = /^# (tenants\/\S+\.yaml)/.exec(side)![1];
                const flow = (parseDocument(side).toJS() as { flows: unknown[] }).flows[0];
                const team = parseDocument(scratch.read(file));
                if (team.has("flows")) team.addIn(["flows"], flow);
                else team.set("flows", [flow]);
                scratch.write(file, team.toString());
            }
            const result = scratch.npm("validate", []);
            assert.equal(result.status, 0, result.stdout + result.stderr);
        } finally {
            scratch.write("tenants/dev-team1.yaml", before);
        }
    });

    it("passes npm run validate again once npm run team -- remove and the token's removal took the team away", () => {
        const result = scratch.npm("team", ["remove", "dev-team3"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /pulumi config rm -s delivery --path 'devopsPromotionTokens\.dev-team3'/);
        removePromotionToken(scratch);
        const validate = scratch.npm("validate", []);
        assert.equal(validate.status, 0, validate.stdout + validate.stderr);
        assert.doesNotMatch(scratch.read(".github/CODEOWNERS"), /dev-team3/);
    });
});
