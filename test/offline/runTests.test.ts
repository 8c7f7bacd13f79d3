import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { INSTANCE_GUARD_ENV } from "../../tools/test/instanceGuard";
import { FLOW_TESTS, expectedCost, selectedFiles, shard, testFiles } from "../../tools/test/runTests";

describe("test shards", () => {
    it("count a run with overrides as a run of its own", () => {
        assert.equal(
            expectedCost(`await run("prod", { a: 1 }); await run(stack, { b: 2 });`) >
                expectedCost(`await run("prod", { a: 1 });`),
            true,
        );
    });

    it("count plain stack runs once, since a shard shares them", () => {
        assert.equal(expectedCost(`run("prod"); run("staging"); run(stack);`), expectedCost(`run("prod");`));
    });

    it("deal the heaviest files first, each to the lightest shard", () => {
        const files = [
            { file: "a", cost: 5 },
            { file: "b", cost: 4 },
            { file: "c", cost: 3 },
            { file: "d", cost: 2 },
        ];
        assert.deepEqual(shard(files, 2), [
            ["a", "d"],
            ["b", "c"],
        ]);
    });

    it("start no more shards than there are files", () => {
        assert.equal(shard([{ file: "a", cost: 1 }], 4).length, 1);
    });
});

describe("the product's tests and the repository's own instance", () => {
    const root = join(__dirname, "..", "..");

    for (const path of ["tenants", "Pulumi.staging.yaml", join(".github", "CODEOWNERS")])
        it(`cannot read ${path}: they run on test/fixtures/instance/, so a team onboarded or removed changes no test`, () => {
            assert.throws(() => readdirSync(join(root, path)), /use test\/fixtures\/instance\//);
        });

    it("still read the product beside it (Pulumi.yaml, the program)", () => {
        assert.ok(readFileSync(join(root, "Pulumi.yaml"), "utf8").includes("name:"));
    });
});

describe("npm test and npm run test:flows", () => {
    const root = join(__dirname, "..", "..");
    const all = testFiles(join(root, "test"));

    it("together run every test file, each once", () => {
        const fast = selectedFiles([]);
        const flows = selectedFiles(["--flows"]);
        assert.deepEqual([...fast, ...flows].sort(), all);
        assert.equal(new Set([...fast, ...flows]).size, all.length);
    });

    it("name only flow tests that exist (a renamed file would otherwise run in neither)", () => {
        for (const file of FLOW_TESTS) assert.ok(all.includes(join(root, file)), file);
    });

    it("run a named file whatever its tier", () => {
        assert.deepEqual(selectedFiles([join(root, FLOW_TESTS[0])]), [join(root, FLOW_TESTS[0])]);
    });
});

describe("the instance guard in processes a test starts", () => {
    const root = join(__dirname, "..", "..");
    const readInChild = (file: string) =>
        spawnSync(
            process.execPath,
            [
                "-r",
                join(root, "tools", "offline", "register.js"),
                "-e",
                `require("node:fs").readFileSync(${JSON.stringify(file)})`,
            ],
            { encoding: "utf8" },
        );

    it("is handed down by the shard (GITOPS_REFUSE_INSTANCE_READS names this repository)", () => {
        assert.equal(process.env[INSTANCE_GUARD_ENV], root);
    });

    it("attack: a child process (npm run validate, team, plan) reading the repository's own team files is refused", () => {
        const r = readInChild(join(root, "tenants", "dev-team1.yaml"));
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /tenants\/dev-team1\.yaml: a product test read the repository's own instance/);
    });

    it("lets a child read the product and the fixture instance", () => {
        assert.equal(readInChild(join(root, "Pulumi.yaml")).status, 0);
        assert.equal(
            readInChild(join(root, "test", "fixtures", "instance", "tenants", "dev-team1.yaml")).status,
            0,
        );
    });
});
