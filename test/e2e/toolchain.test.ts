// The e2e's toolchain declaration, checked without building anything.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { toolchain } from "../../e2e/toolchain/cache";
import { TABLE_MARKERS, TOOLCHAIN_DOC, toolchainTable } from "../../e2e/toolchain/table";

const ROOT = join(__dirname, "..", "..");
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages;
const tool = (name: string) => toolchain.tools.find((t) => t.name === name)!;

describe("the e2e toolchain", () => {
    test("builds the Pulumi CLI at the version of @pulumi/pulumi in the lockfile", () => {
        assert.equal(tool("pulumi").version, `v${lock["node_modules/@pulumi/pulumi"].version}`);
    });

    test("builds the kubernetes provider at the version of @pulumi/kubernetes in the lockfile", () => {
        assert.equal(
            tool("pulumi-resource-kubernetes").providerVersion,
            lock["node_modules/@pulumi/kubernetes"].version,
        );
    });

    test("pins every tool to an exact module version (a tag or a commit's pseudo-version)", () => {
        for (const t of toolchain.tools)
            assert.match(t.version, /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, t.name);
    });

    test("the run-it-locally page's table is generated from versions.json (npm run gen)", () => {
        const readme = readFileSync(join(ROOT, TOOLCHAIN_DOC), "utf8");
        const start = readme.indexOf(TABLE_MARKERS.start);
        const end = readme.indexOf(TABLE_MARKERS.end) + TABLE_MARKERS.end.length;
        assert.ok(start >= 0, `${TOOLCHAIN_DOC} has no e2e toolchain table`);
        assert.equal(readme.slice(start, end), toolchainTable());
    });
});

describe("the pages that name real-engine tests", () => {
    for (const [page, least] of [
        ["security/isolation.md", 15],
        ["team-lead/commit-to-prod.md", 8],
    ] as const)
        test(`${page} names only e2e tests that exist, in the file it cites`, () => {
            const readme = readFileSync(join(ROOT, "docs", page), "utf8");
            const source = (file: string) => readFileSync(join(ROOT, "e2e", file), "utf8");
            const named = [...readme.matchAll(/`e2e\/(\w+\.ts)` › ([^;|]+?)\s*(?=;|\|)/g)];
            assert.ok(
                named.length > least,
                `expected ${page} to name the e2e's tests, found ${named.length}`,
            );
            const missing = named
                .filter(([, file, name]) => {
                    // run.ts names its tests from e2e/attacks.ts's table too.
                    const text = source(file) + (file === "run.ts" ? source("attacks.ts") : "");
                    return !text.includes(`"${name}"`) && !text.includes(`"${name.replace(/'/g, "\\'")}"`);
                })
                .map(([, file, name]) => `${file} › ${name}`);
            assert.deepEqual(missing, []);
        });
});
