// Every inline script of pipelines/ (the `script:`/`inlineScript:` of Bash@3 and AzureCLI@2 steps,
// `bash:` and `script:` steps) passes shellcheck as bash, at its strictest severity, and so do the
// stand-in commands the run tests use. shellcheck is the Debian package `shellcheck`; .ci/run
// installs it, and without it these tests fail rather than skip.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PIPELINES_DIR, loadYaml, projectPath, scriptOf, scriptSteps, yamlFiles } from "../support/pipelines";

const STANDINS = join(__dirname, "..", "support", "standins");

let dir: string;
before(() => {
    dir = mkdtempSync(join(tmpdir(), "shellcheck-"));
    const version = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    assert.equal(
        version.status,
        0,
        "shellcheck is not installed: `apt-get install -y shellcheck` (.ci/run installs it when it is missing)",
    );
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** shellcheck's findings, one `file:line:column: level: message [SCxxxx]` per line; "" when clean. */
function shellcheck(files: string[], ...options: string[]): string {
    const result = spawnSync(
        "shellcheck",
        ["--shell=bash", "--severity=style", "--format=gcc", ...options, ...files],
        {
            encoding: "utf8",
        },
    );
    assert.ok(result.status === 0 || result.status === 1, `shellcheck failed to run: ${result.stderr}`);
    return result.stdout.trim();
}

/** Every inline script, written to a file named after its template and step. */
function scripts(): Map<string, string> {
    const named = new Map<string, string>();
    for (const file of yamlFiles(PIPELINES_DIR)) {
        scriptSteps(loadYaml(file)).forEach((step, i) => {
            const path = join(dir, `${projectPath(file).replace(/\//g, "_")}.step${i + 1}.sh`);
            writeFileSync(path, scriptOf(step));
            named.set(path, `${projectPath(file)}, step "${step.displayName}"`);
        });
    }
    return named;
}

describe("shellcheck", () => {
    it("finds the scripts: every template with a script step", () => {
        const templates = new Set([...scripts().values()].map((n) => n.split(",")[0]));
        assert.deepEqual([...templates].sort(), [
            "pipelines/templates/ci-image-steps-template.yml",
            "pipelines/templates/ci-kustomize-steps-template.yml",
            "pipelines/templates/ci-promote-helm-steps-template.yml",
            "pipelines/templates/ci-promote-image-steps-template.yml",
            "pipelines/templates/ci-promote-kustomize-steps-template.yml",
            "pipelines/templates/ci-steps-template.yml",
            "pipelines/templates/ci-verify-helm-steps-template.yml",
            "pipelines/templates/ci-verify-kustomize-steps-template.yml",
        ]);
    });

    it("passes every inline script of the pipelines", () => {
        const named = scripts();
        const findings = shellcheck([...named.keys()]);
        const readable = findings.replace(/^(\S+?\.sh)(?=:)/gm, (path) => named.get(path) ?? path);
        assert.equal(readable, "", `shellcheck:\n${readable}`);
    });

    it("reports a script that has a problem (the check is live)", () => {
        const bad = join(dir, "bad.sh");
        writeFileSync(bad, 'set -euo pipefail\ncd $DIRECTORY\necho "$(ls)"\n');
        assert.match(shellcheck([bad]), /SC2086/);
    });

    it("passes the stand-in commands of the run tests", () => {
        const files = readdirSync(STANDINS).map((f) => join(STANDINS, f));
        assert.equal(shellcheck(files, "--external-sources", `--source-path=${STANDINS}`), "");
    });
});
