import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FIXTURE_INSTANCE } from "../support/instance";

const rules = readFileSync(join(FIXTURE_INSTANCE, ".github", "CODEOWNERS"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/));

/** The owners GitHub asks for a path: the last matching rule wins. */
function ownersOf(path: string): string[] {
    const matching = rules.filter(
        ([pattern]) =>
            pattern === "*" ||
            pattern === `/${path}` ||
            (pattern.endsWith("/") && `/${path}`.startsWith(pattern)),
    );
    return matching.at(-1)?.slice(1) ?? [];
}

describe("CODEOWNERS", () => {
    for (const file of readdirSync(join(FIXTURE_INSTANCE, "tenants")).filter((f) => f.endsWith(".yaml"))) {
        test(`tenants/${file} is approved by its own team, so the team approves its own promotions`, () => {
            assert.deepEqual(ownersOf(`tenants/${file}`), [`@one-kubernetes/${file.replace(/\.yaml$/, "")}`]);
        });
    }

    for (const file of readdirSync(join(FIXTURE_INSTANCE, "tenants", "guardrails"))) {
        test(`tenants/guardrails/${file} is the platform team's alone: a team cannot raise its own guardrails`, () => {
            assert.deepEqual(ownersOf(`tenants/guardrails/${file}`), ["@one-kubernetes/platform-team"]);
        });
    }

    test("everything else, the platform's code and the stacks, is the platform team's", () => {
        assert.deepEqual(ownersOf("index.ts"), ["@one-kubernetes/platform-team"]);
        assert.deepEqual(ownersOf("Pulumi.prod.yaml"), ["@one-kubernetes/platform-team"]);
    });
});
