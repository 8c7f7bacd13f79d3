// The commands the docs show, checked against what they name: every `npm run <script>` exists with the
// options it is given, and every `pulumi config set` names a key of the key table.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CONFIG_KEYS } from "../../src/config/keys";
import { parseCommandLine } from "../../tools/offline/cli";
import { OPTIONS as PLAN_OPTIONS } from "../../tools/offline/plan";

const ROOT = join(__dirname, "..", "..");
const SCRIPTS = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<
    string,
    string
>;

/** Project paths of every page under `dir`. */
function markdownFiles(dir: string): string[] {
    return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
            ? markdownFiles(join(dir, e.name))
            : e.name.endsWith(".md")
              ? [join(dir, e.name)]
              : [],
    );
}

/** README.md and every page under docs/, as [project path, text]. */
const DOCS: [string, string][] = ["README.md", ...markdownFiles("docs")].map((p) => [
    p,
    readFileSync(join(ROOT, p), "utf8"),
]);

/** Each command a page shows (code blocks' lines, inline code), comments and prompts stripped. */
function commands(text: string, program: string): string[] {
    const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
    const inline = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
    return [...blocks, ...inline]
        .map((line) =>
            line
                .replace(/^\$ /, "")
                .replace(/\s+#.*$/, "")
                .trim(),
        )
        .flatMap((line) => line.split(/\s*(?:&&|;)\s*/))
        .filter((line) => line.startsWith(`${program} `));
}

describe("the commands the docs show", () => {
    for (const [page, text] of DOCS) {
        for (const command of new Set(commands(text, "npm run"))) {
            const [script, ...rest] = command.slice("npm run ".length).split(/\s+/);
            test(`${page}: \`${command}\` names an npm script`, () =>
                assert.ok(script in SCRIPTS, `${page}: npm run ${script}: no such script in package.json`));
            if (script === "plan" && rest[0] === "--")
                test(`${page}: \`${command}\` gives the plan options it knows`, () =>
                    assert.doesNotThrow(() => parseCommandLine(rest.slice(1), PLAN_OPTIONS)));
        }
        for (const command of new Set(commands(text, "pulumi config set"))) {
            const key = command
                .split(/\s+/)
                .slice(3)
                .filter((w) => !w.startsWith("-") && !/^(staging|prod|delivery|local)$/.test(w))[0]
                ?.replace(/^'|'$/g, "")
                .split(".")[0];
            test(`${page}: \`${command}\` sets a key of the key table`, () =>
                assert.ok(
                    key !== undefined && key in CONFIG_KEYS,
                    `${page}: ${command}: ${key} is not a config key`,
                ));
        }
    }

    test("finds the README's commands (the check reads what it should)", () => {
        const readme = DOCS.find(([p]) => p === "README.md")![1];
        assert.ok(commands(readme, "npm run").includes("npm run plan"));
        assert.ok(commands(readme, "npm run").includes("npm run plan -- --stack prod"));
    });
});
