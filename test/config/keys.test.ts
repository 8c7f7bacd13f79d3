import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { CONFIG_KEYS, KeyDeclaration } from "../../src/config/keys";
import { pulumiYaml, pulumiYamlHead, readmeReference } from "../../tools/gen/generate";
import { ConfigError } from "../../src/config/reader";
import { PROJECT_DIR } from "../../tools/offline/stackConfig";
import { run } from "../support/program";

const read = (file: string) => readFileSync(join(PROJECT_DIR, file), "utf8");
type Declared = Record<string, { type?: string; default?: unknown; description?: string; secret?: boolean }>;

/** Keys whose declaration in `file` differs from what the table generates. */
function staleKeys(fileText: string): string[] {
    const inFile = (parse(fileText) as { config: Declared }).config;
    const generated = (parse(pulumiYaml(pulumiYamlHead(fileText))) as { config: Declared }).config;
    const keys = new Set([...Object.keys(inFile), ...Object.keys(generated)]);
    return [...keys].filter((k) => JSON.stringify(inFile[k]) !== JSON.stringify(generated[k]));
}

describe("the key table", () => {
    it("is what Pulumi.yaml declares, key by key (run `npm run gen` after editing the table)", () => {
        assert.deepEqual(staleKeys(read("Pulumi.yaml")), []);
    });

    it("names the key whose default was edited without regenerating", () => {
        const edited = read("Pulumi.yaml").replace(
            /( {2}systemPoolMinCount:\n {4}type: integer\n {4}default: )\d+/,
            "$17",
        );
        assert.deepEqual(staleKeys(edited), ["systemPoolMinCount"]);
    });

    it("writes Pulumi.yaml byte for byte", () => {
        const text = read("Pulumi.yaml");
        assert.equal(pulumiYaml(pulumiYamlHead(text)), text, "Pulumi.yaml is out of date: run `npm run gen`");
    });

    it("writes the README's configuration reference", () => {
        assert.ok(
            read("docs/reference/configuration.md").includes(readmeReference()),
            "docs/reference/configuration.md is out of date: run `npm run gen`",
        );
    });

    it("declares every key in the folder of the step that reads it", () => {
        for (const [key, d] of Object.entries(CONFIG_KEYS) as [string, KeyDeclaration][]) {
            const reader = read(join("components", d.step, "config.ts"));
            assert.ok(
                reader.includes(`"${key}"`),
                `${key} is declared for step ${d.step}, but components/${d.step}/config.ts does not read it`,
            );
        }
    });
});

describe("keys the program does not know", () => {
    it("are refused with the closest known key", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:systemPoolMinCout": 5 }),
            /gitops-platform:systemPoolMinCout: got 5; allowed: no such key; did you mean "systemPoolMinCount"\?/,
        );
    });

    it("include a misspelt teams folder, which would otherwise plan no team and delete them all", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:teamsDirectroy": "tenants" }),
            /gitops-platform:teamsDirectroy: .*did you mean "teamsDirectory"\?/,
        );
    });

    it("include a misspelt project namespace", async () => {
        await assert.rejects(
            run("staging", { "gitops-platfrom:nodeCount": 3 }),
            /gitops-platfrom:nodeCount: .*no such config namespace; did you mean "gitops-platform"\?/,
        );
    });

    it("name the stack file", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:systemPoolMinCout": 5 }),
            /Invalid stack config in Pulumi\.prod\.yaml/,
        );
    });

    it("do not include provider namespaces", async () => {
        const r = await run("staging", {
            "azure-native:location": "westeurope",
            "kubernetes:enableServerSideApply": "true",
        });
        assert.ok(r.resources.length > 0);
    });
});

describe("config errors", () => {
    it("end the program without a stack trace (a Pulumi RunError)", () => {
        assert.ok(pulumi.RunError.isInstance(new ConfigError([{ key: "k", value: 1, allowed: "2" }])));
    });
});
