import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readYamlFile } from "../../tools/offline/yamlFile";

describe("stack files read through the parse cache", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitops-yaml-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "Pulumi.test.yaml");

    it("reads an edited file's new value, never the cached one", () => {
        writeFileSync(file, `config:\n  p:nodeCount: 2\n  p:dir: ${JSON.stringify(dir)}\n`);
        readYamlFile(file);
        writeFileSync(file, `config:\n  p:nodeCount: 5\n  p:dir: ${JSON.stringify(dir)}\n`);
        assert.deepEqual(readYamlFile(file), { config: { "p:nodeCount": 5, "p:dir": dir } });
    });

    it("reads a value JSON cannot carry as YAML means it", () => {
        writeFileSync(file, "limit: .inf\n");
        assert.deepEqual(
            [readYamlFile(file), readYamlFile(file)],
            [{ limit: Infinity }, { limit: Infinity }],
        );
    });

    it("fails on a file that is not YAML, as the parser does", () => {
        writeFileSync(file, "a: [1, 2\n");
        assert.throws(() => readYamlFile(file), /Flow sequence|Missing|end of|expected/i);
    });
});
