import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse } from "yaml";
import { guardrailsFileSchema, teamFileSchema } from "../../components/tenants/teamSchema";
import { PROJECT_DIR } from "../../tools/offline/stackConfig";
import { SCHEMA_FILES, SCHEMA_LINES, schemaText, teamFileReference } from "../../tools/offline/schemas";
import { KITS, Kit, teamFileText } from "../../tools/offline/team";
import { FIXTURE_INSTANCE } from "../support/instance";

const ajv = new Ajv({ allErrors: true });
const validTeam = ajv.compile(teamFileSchema());
const validGuardrails = ajv.compile(guardrailsFileSchema());
const read = (...path: string[]) => readFileSync(join(...path), "utf8");
const teamsDir = join(FIXTURE_INSTANCE, "tenants");
const teamFiles = readdirSync(teamsDir).filter((f) => f.endsWith(".yaml"));
const guardrailsFiles = readdirSync(join(teamsDir, "guardrails"));
const kitTeamFile = (kit: Kit) => teamFileText(kit, "dev-team3", "api", "one-kubernetes/dev-team3");
const NEW_TEAM = parse(kitTeamFile("helm")) as Record<string, any>;
const errorsOf = (validate: typeof validTeam, value: unknown) =>
    validate(value) ? "" : ajv.errorsText(validate.errors, { separator: "\n" });

describe("the team file schema", () => {
    for (const file of Object.keys(SCHEMA_FILES))
        it(`${file} is generated from components/tenants/teamSchema.ts (npm run gen:schemas)`, () => {
            assert.equal(
                read(PROJECT_DIR, file),
                schemaText(file),
                `${file} is out of date: run npm run gen:schemas`,
            );
        });

    it("is the README's team-file reference (npm run gen:schemas)", () => {
        assert.ok(
            read(PROJECT_DIR, "docs/team-lead/team-files.md").includes(teamFileReference()),
            "run npm run gen:schemas",
        );
    });

    for (const file of teamFiles)
        it(`holds the fixture instance's tenants/${file}`, () => {
            assert.equal(errorsOf(validTeam, parse(read(teamsDir, file))), "");
        });

    for (const file of guardrailsFiles)
        it(`holds the fixture instance's tenants/guardrails/${file} (the guardrails schema)`, () => {
            assert.equal(errorsOf(validGuardrails, parse(read(teamsDir, "guardrails", file))), "");
        });

    for (const kit of Object.keys(KITS) as Kit[])
        it(`holds the ${kit} kit's team file as npm run team -- add writes it`, () => {
            assert.equal(errorsOf(validTeam, parse(kitTeamFile(kit))), "");
        });

    it("holds the guardrails file npm run team -- add writes", () => {
        assert.equal(errorsOf(validGuardrails, parse(read(PROJECT_DIR, "templates", "guardrails.yaml"))), "");
    });

    it("refuses an unknown key, as the reader does", () => {
        assert.match(
            errorsOf(validTeam, { ...NEW_TEAM, qouta: { pods: 5 } }),
            /must NOT have additional properties/,
        );
    });

    it("refuses a guardrail in the team file: the platform team sets it in the guardrails file", () => {
        assert.match(
            errorsOf(validTeam, { ...NEW_TEAM, quota: { pods: 5 } }),
            /must NOT have additional properties/,
        );
    });

    it("takes a port written as a string, as the reader does", () => {
        const app = { ...NEW_TEAM.apps[0], port: "8081" };
        assert.equal(errorsOf(validTeam, { ...NEW_TEAM, apps: [app] }), "");
    });

    it("refuses a delivery kind that does not exist, listing the kinds", () => {
        assert.match(
            errorsOf(validTeam, { ...NEW_TEAM, delivery: "argocd" }),
            /must be equal to one of the allowed values/,
        );
    });
});

describe("each team file names its schema on its first line, for an editor's completion", () => {
    const firstLine = (text: string) => text.split("\n")[0];
    for (const file of teamFiles)
        it(`the fixture instance's tenants/${file}`, () => {
            assert.equal(firstLine(read(teamsDir, file)), SCHEMA_LINES.team);
        });
    for (const file of guardrailsFiles)
        it(`the fixture instance's tenants/guardrails/${file}`, () => {
            assert.equal(firstLine(read(teamsDir, "guardrails", file)), SCHEMA_LINES.guardrails);
        });
    for (const kit of Object.keys(KITS) as Kit[])
        it(`the ${kit} kit's team file template`, () => {
            assert.equal(firstLine(kitTeamFile(kit)), SCHEMA_LINES.team);
        });
    it("the guardrails file template", () => {
        assert.equal(firstLine(read(PROJECT_DIR, "templates", "guardrails.yaml")), SCHEMA_LINES.guardrails);
    });
});
