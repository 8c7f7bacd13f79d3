// The team lead's pages (docs/team-lead/onboarding.md, commit-to-prod.md) as examples that run: each
// YAML example planned as the file it shows, the promotion's one-line change planned in prod, the
// error the page quotes produced by the program, and each test a page cites found where it says.
// (The onboarding command and its outputs run in test/offline/onboarding.test.ts.)
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { guardrailsFileSchema, teamFileSchema } from "../../components/tenants/teamSchema";
import { schemaProblems } from "../../components/tenants/schemaProblems";
import { FIXTURE_INSTANCE } from "../support/instance";
import { STACKS, run } from "../support/program";

const ROOT = join(__dirname, "..", "..");
const page = (name: string) => readFileSync(join(ROOT, "docs", "team-lead", name), "utf8");
const ONBOARDING = page("onboarding.md");
const COMMIT_TO_PROD = page("commit-to-prod.md");
const TEAMS = "gitops-platform:teamsDirectory";
const HELM_RELEASE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";

/** The fenced YAML blocks of a page, unindented, as written. */
const yamlBlocks = (text: string) =>
    [...text.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```$/gm)].map((m) =>
        m[2].replace(new RegExp(`^${m[1]}`, "gm"), ""),
    );
const blockStarting = (text: string, start: string) => {
    const found = yamlBlocks(text).find((b) => b.startsWith(start));
    assert.ok(found, `a YAML block of the page starts with ${start}`);
    return found;
};

/** The fixture instance's team files with `files` written over them, as a teams folder override. */
function teams(files: Record<string, string>): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), "teams-"));
    cpSync(join(FIXTURE_INSTANCE, "tenants"), dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return { [TEAMS]: dir };
}

/** The team file the onboarding page shows `npm run team -- add` writing. */
const NEW_TEAM = blockStarting(ONBOARDING, "# yaml-language-server");

describe("docs/team-lead/onboarding.md: its examples as files the program reads", () => {
    const guardrails = blockStarting(ONBOARDING, "# tenants/guardrails/dev-team3.yaml");
    const kustomize = blockStarting(ONBOARDING, "name: dev-team2");

    test("the guardrails example holds the guardrails schema", () =>
        assert.deepEqual(schemaProblems(guardrailsFileSchema(), parse(guardrails)), []));

    test("the Kustomize team example holds the team-file schema", () =>
        assert.deepEqual(schemaProblems(teamFileSchema(), parse(kustomize)), []));

    for (const stack of STACKS) {
        test(`${stack}: the new team with the guardrails example plans, its quota the example's`, async () => {
            const r = await run(
                stack,
                teams({ "dev-team3.yaml": NEW_TEAM, "guardrails/dev-team3.yaml": guardrails }),
            );
            const quota = r.resources.find(
                (x) =>
                    x.type === "kubernetes:core/v1:ResourceQuota" &&
                    x.inputs.metadata.namespace === "dev-team3",
            );
            const written = parse(guardrails).environments[stack].quota;
            assert.equal(quota?.inputs.spec.hard["requests.cpu"], written.cpu);
            assert.equal(quota?.inputs.spec.hard.pods, String(written.pods));
        });

        test(`${stack}: the Kustomize team example plans as dev-team2's file, following its environment's overlay`, async () => {
            const r = await run(stack, teams({ "dev-team2.yaml": kustomize }));
            const kustomization = r.resources.find(
                (x) => x.type.endsWith(":Kustomization") && x.inputs.metadata.namespace === "dev-team2",
            );
            assert.equal(kustomization?.inputs.spec.path, parse(kustomize).environments[stack].git.path);
        });
    }

    test("the error the page quotes is the one the program gives for that mistake", async () => {
        const quoted = /for\s+example\s+`([^`]+)`/.exec(ONBOARDING)?.[1];
        assert.ok(quoted, "the page quotes an error");
        const [, file, key, value] = /^(tenants\/[\w-]+\.yaml): ([\w.[\]]+): got "([^"]+)"/.exec(quoted)!;
        assert.equal(`${file}:${key}`, "tenants/dev-team3.yaml:flows[0].to");
        const mistake = NEW_TEAM.replace(
            "environments:",
            `flows:\n  - { from: my-app, to: ${value} }\nenvironments:`,
        );
        await assert.rejects(run("staging", teams({ [basename(file)]: mistake })), (e: Error) => {
            const pattern = quoted
                .replace(/^tenants\//, "")
                .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
                .replace("\\(\\.\\.\\.\\)", "\\(.*\\)");
            assert.match(e.message, new RegExp(pattern));
            return true;
        });
    });
});

describe("docs/team-lead/commit-to-prod.md: the promotion pull request's one line, planned", () => {
    const [, file, line] =
        /`environments\.prod\.apps` of `(tenants\/[\w-]+\.yaml)` with\s+`([^`]+)`/.exec(COMMIT_TO_PROD) ?? [];

    test("prod runs the version and digest of the line the page shows, in place of the old pin", async () => {
        assert.ok(file && line, "the page shows the line the promotion writes, and the file");
        const digest = `sha256:${"c".repeat(64)}`;
        const promoted = line.replace("sha256:...", digest);
        const before = readFileSync(join(FIXTURE_INSTANCE, file), "utf8");
        const app = promoted.split(":")[0];
        // The app's line in the prod section, the last one of the file.
        const [head, prod] = before.split(/^(?= {2}prod:$)/m);
        const after =
            head + prod.replace(new RegExp(`^(\\s+)${app}: \\{ version: .*$`, "m"), `$1${promoted}`);
        assert.notEqual(after, before, `${file} has a prod line for ${app}`);
        const r = await run("prod", teams({ [basename(file)]: after }));
        const release = r.resources.find((x) => x.type === HELM_RELEASE && x.inputs.metadata.name === app);
        assert.equal(release?.inputs.spec.chart.spec.version, parse(promoted)[app].version);
        assert.equal(release?.inputs.spec.values.image.digest, digest);
    });
});

/** Test titles declared in a test file, as patterns (a `${...}` of a template literal matches anything). */
function titlesOf(source: string): RegExp[] {
    return [...source.matchAll(/\b(?:it|test|describe)\(\s*(["'`])((?:\\.|(?!\1)[\s\S])*?)\1/g)].map(
        (m) =>
            new RegExp(
                `^${m[2]
                    .split(/\$\{[^}]*\}/)
                    .map((s) => s.replace(/\\(.)/g, "$1").replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
                    .join(".*")}$`,
            ),
    );
}

/** The `_Tests:_ file.test.ts, "title", ...; other.test.ts, "title"` citations of a page. */
function citations(text: string): { file: string; title: string }[] {
    const flat = (s: string) => s.replace(/\s+/g, " ");
    return [...text.matchAll(/_Tests?:_([\s\S]*?)(?=\n\s*\n|\n *\d+\. |\n {3}- |$)/g)].flatMap((m) =>
        flat(m[1])
            .split(";")
            .flatMap((part) => {
                const file = /([\w-]+\.test\.ts)/.exec(part)?.[1] ?? "";
                return [...part.matchAll(/"([^"]+)"/g)].map((t) => ({ file, title: t[1] }));
            }),
    );
}

describe("the tests the team lead's pages cite exist, under the titles they give", () => {
    const testFiles = readdirSync(join(ROOT, "test"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => join("test", f));
    for (const [name, text] of [
        ["commit-to-prod.md", COMMIT_TO_PROD],
        ["onboarding.md", ONBOARDING],
    ] as const)
        for (const { file, title } of citations(text))
            test(`${name}: ${file}, "${title}"`, () => {
                const sources = testFiles.filter((f) => basename(f) === file);
                assert.ok(sources.length > 0, `${file} is a test file`);
                const shown = title.replace(/(…|\.\.\.)$/, "").replace(/\s+/g, " ");
                const titles = sources.flatMap((f) => titlesOf(readFileSync(join(ROOT, f), "utf8")));
                assert.ok(
                    titles.some((t) => t.test(shown) || t.source.startsWith(`^${escape(shown)}`)),
                    `${file} has a test titled "${shown}"`,
                );
            });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
