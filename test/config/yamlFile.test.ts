import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { readYamlFile } from "../../src/config/yamlFile";

const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "yaml-")), "Pulumi.staging.yaml");
    writeFileSync(path, text);
    return path;
};

describe("a YAML file that does not parse", () => {
    it("is reported with its file, line and column", () => {
        const path = file("config:\n  gitops-platform:nodeCount: [2\n  gitops-platform:acrSku: Basic\n");
        assert.throws(
            () => readYamlFile(path),
            /^ConfigError: Pulumi\.staging\.yaml:\d+:\d+: not valid YAML: /,
        );
    });

    it("ends the program without a stack trace (a Pulumi RunError)", () => {
        const path = file("a: [\n");
        assert.throws(
            () => readYamlFile(path),
            (e) => pulumi.RunError.isInstance(e),
        );
    });

    it("is parsed when valid", () => {
        assert.deepEqual(readYamlFile(file("config:\n  a: 1\n")), { config: { a: 1 } });
    });
});
