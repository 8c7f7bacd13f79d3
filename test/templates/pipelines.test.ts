// The kits' ci-pipeline.yml: valid Azure Pipelines YAML (against the schema in ../shared/schemas, as
// test/pipelines.test.ts does for pipelines/), triggered by changes to the app and to its chart or
// manifests, built on templates that exist in pipelines/templates/ with only the parameters they
// declare, and laid out so that the paths the templates derive (Dockerfile, build context, chart,
// kustomization) exist in the kit.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse } from "yaml";
import {
    HELM_KIT,
    KITS,
    KUSTOMIZE_KIT,
    PLACEHOLDER_APP,
    PLACEHOLDER_TEAM,
    PROJECT_DIR,
    read,
} from "../support/kits";

type Doc = Record<string, any>;
type Kit = keyof typeof KITS;

const PIPELINE_SCHEMA = join(PROJECT_DIR, "..", "shared", "schemas", "azure-pipelines.schema.json");
const PIPELINE_TEMPLATES = join(PROJECT_DIR, "pipelines", "templates");
const PIPELINES = Object.fromEntries(
    Object.entries(KITS).map(([kit, dir]) => [kit, parse(read(join(dir, "ci-pipeline.yml"))) as Doc]),
) as Record<Kit, Doc>;
/** What each kit keeps beside its app, which must trigger a build too. */
const DEPLOY_FOLDER: Record<Kit, string> = { "helm-app": "chart", "kustomize-app": "deploy" };
const STEPS_TEMPLATE: Record<Kit, string> = {
    "helm-app": "ci-steps-template.yml",
    "kustomize-app": "ci-kustomize-steps-template.yml",
};

/** Every `{ template, parameters }` of a document, wherever it is nested. */
function templateUses(node: unknown): { template: string; parameters: Doc }[] {
    if (Array.isArray(node)) return node.flatMap(templateUses);
    if (!node || typeof node !== "object") return [];
    const n = node as Doc;
    const own =
        typeof n.template === "string"
            ? [{ template: n.template as string, parameters: (n.parameters ?? {}) as Doc }]
            : [];
    return [...own, ...Object.values(n).flatMap(templateUses)];
}

/** `pipelines/templates/x.yml@platform` -> pipelines/templates/x.yml of this repository. */
function platformTemplate(ref: string): string {
    const match = /^pipelines\/templates\/([\w.-]+\.yml)@platform$/.exec(ref);
    assert.ok(match, `${ref}: a template of the platform repository, pipelines/templates/<file>@platform`);
    return join(PIPELINE_TEMPLATES, match[1]);
}

const loadTemplate = (file: string) => parse(readFileSync(file, "utf8")) as Doc;
const declared = (template: Doc) => ((template.parameters ?? []) as Doc[]).map((p) => p.name as string);
const required = (template: Doc) =>
    ((template.parameters ?? []) as Doc[]).filter((p) => !("default" in p)).map((p) => p.name as string);

// ---- Template expressions, as far as the platform's templates use them ----------------------------

/** Evaluates a compile-time expression (`coalesce`, `format`, `parameters.x`, '...' literals). */
function expression(source: string, parameters: Doc): string {
    const tokens = source.match(/'(?:[^']|'')*'|[A-Za-z_][\w.]*|[(),]|\S/g) ?? [];
    let i = 0;
    const value = (): string => {
        const t = tokens[i++];
        if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
        if (t.startsWith("parameters.")) {
            const name = t.slice("parameters.".length);
            assert.ok(name in parameters, `parameters.${name} is not a parameter here`);
            return String(parameters[name] ?? "");
        }
        assert.equal(tokens[i++], "(", `unsupported expression ${source}`);
        const args: string[] = [];
        while (tokens[i] !== ")") {
            args.push(value());
            if (tokens[i] === ",") i++;
        }
        i++;
        if (t === "coalesce") return args.find((a) => a !== "") ?? "";
        if (t === "format") return args[0].replace(/\{(\d+)\}/g, (_, n) => args[Number(n) + 1]);
        throw new Error(`unsupported function ${t} in ${source}`);
    };
    const result = value();
    assert.equal(i, tokens.length, `unparsed rest of ${source}`);
    return result;
}

/** Every string in `node` with its `${{ }}` expressions evaluated and its known `$(macros)` expanded. */
function resolve(node: unknown, parameters: Doc, variables: Record<string, string> = {}): any {
    if (typeof node === "string") {
        return node
            .replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_, e) => expression(e, parameters))
            .replace(/\$\(([\w.]+)\)/g, (m, name) => variables[name] ?? m);
    }
    if (Array.isArray(node)) return node.map((n) => resolve(n, parameters, variables));
    if (node && typeof node === "object")
        return Object.fromEntries(
            Object.entries(node).map(([k, v]) => [k, resolve(v, parameters, variables)]),
        );
    return node;
}

const withDefaults = (template: Doc, passed: Doc): Doc => ({
    ...Object.fromEntries(((template.parameters ?? []) as Doc[]).map((p) => [p.name, p.default])),
    ...passed,
});

/** The variables ci-vars-template.yml defines for the kit, as far as they are known at compile time. */
function kitVariables(kit: Kit): Record<string, string> {
    const use = templateUses(PIPELINES[kit].variables).find((u) =>
        u.template.includes("ci-vars-template.yml"),
    )!;
    const template = loadTemplate(platformTemplate(use.template));
    const parameters = withDefaults(template, use.parameters);
    const variables: Record<string, string> = {};
    for (const v of template.variables as { name: string; value: string }[])
        variables[v.name] = resolve(v.value, parameters, variables);
    return variables;
}

/** The steps a steps template expands to, nested templates included, with the kit's values resolved. */
function expandSteps(file: string, passed: Doc, variables: Record<string, string>): Doc[] {
    const template = loadTemplate(file);
    const parameters = withDefaults(template, passed);
    return (template.steps as Doc[]).flatMap((step) =>
        typeof step.template === "string"
            ? expandSteps(
                  join(PIPELINE_TEMPLATES, step.template),
                  resolve(step.parameters ?? {}, parameters, variables),
                  variables,
              )
            : [resolve(step, parameters, variables)],
    );
}

function kitBuildSteps(kit: Kit): Doc[] {
    const use = templateUses(PIPELINES[kit].stages).find((u) =>
        u.template.endsWith(`${STEPS_TEMPLATE[kit]}@platform`),
    );
    assert.ok(use, `${kit} builds with ${STEPS_TEMPLATE[kit]}`);
    return expandSteps(platformTemplate(use.template), use.parameters, kitVariables(kit));
}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

// ---- Tests ---------------------------------------------------------------------------------------

describe("the kits' ci-pipeline.yml", () => {
    it("validate against the Azure Pipelines schema, which refuses an invalid pipeline", (t) => {
        if (!existsSync(PIPELINE_SCHEMA)) {
            t.skip(
                `Azure Pipelines schema not found at ${PIPELINE_SCHEMA}: put shared/schemas beside the project to validate`,
            );
            return;
        }
        const schema = JSON.parse(readFileSync(PIPELINE_SCHEMA, "utf8"));
        // As in test/pipelines.test.ts: the schema's editor hints and non-unicode patterns need these.
        // Without code optimisation and ref inlining, the 1.6 MB schema compiles 3x faster; what it
        // accepts is the same.
        const ajv = new Ajv({
            strict: false,
            allErrors: false,
            unicodeRegExp: false,
            inlineRefs: false,
            code: { optimize: false },
        });
        const validate = ajv.compile(schema);
        for (const [kit, dir] of Object.entries(KITS)) {
            // Azure Pipelines reads every scalar as a string, hence YAML's failsafe schema.
            const doc = parse(read(join(dir, "ci-pipeline.yml")), { schema: "failsafe" });
            assert.ok(validate(doc), `${kit}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
        }
        const invalid = parse(read(join(HELM_KIT, "ci-pipeline.yml")), { schema: "failsafe" });
        invalid.stages[0].jobs[0].steps = [{ template: "x.yml", paramters: {} }];
        assert.equal(validate(invalid), false, "a misspelt key is refused");
    });

    for (const kit of Object.keys(KITS) as Kit[]) {
        it(`${kit}: triggers on main only, not on pull requests, for the app, the Dockerfile, the pipeline and ${DEPLOY_FOLDER[kit]}/`, () => {
            const { trigger, pr } = PIPELINES[kit];
            assert.deepEqual(trigger.branches.include, ["main"]);
            assert.equal(pr, "none");
            const paths: string[] = trigger.paths.include;
            for (const path of ["app/*", `${DEPLOY_FOLDER[kit]}/*`, "Dockerfile", "ci-pipeline.yml"])
                assert.ok(paths.includes(path), `${kit}: ${path}`);
            assert.equal(trigger.paths.exclude, undefined, "nothing of the kit is excluded");
        });

        it(`${kit}: triggers on paths that exist in the kit`, () => {
            for (const path of PIPELINES[kit].trigger.paths.include as string[]) {
                assert.ok(existsSync(join(KITS[kit], path.replace(/\/\*$/, ""))), `${kit}: ${path}`);
            }
        });

        it(`${kit}: reads the platform's templates through the github service connection`, () => {
            const [platform, ...others] = PIPELINES[kit].resources.repositories;
            assert.deepEqual(others, []);
            assert.equal(platform.repository, "platform");
            assert.equal(platform.type, "github");
            assert.equal(platform.endpoint, "github");
            assert.match(platform.name, /^[\w.-]+\/[\w.-]+$/);
        });

        it(`${kit}: uses only templates that exist in pipelines/templates/`, () => {
            const uses = templateUses(PIPELINES[kit]);
            assert.ok(uses.length >= 3, "variables, build and promote templates");
            for (const { template } of uses)
                assert.ok(existsSync(platformTemplate(template)), `${kit}: ${template}`);
        });

        it(`${kit}: passes only parameters its templates declare, and every parameter they require`, () => {
            for (const { template, parameters } of templateUses(PIPELINES[kit])) {
                const doc = loadTemplate(platformTemplate(template));
                for (const name of Object.keys(parameters))
                    assert.ok(
                        declared(doc).includes(name),
                        `${kit}: ${template} declares no parameter ${name}`,
                    );
                for (const name of required(doc))
                    assert.ok(name in parameters, `${kit}: ${template} requires ${name}`);
            }
        });

        it(`${kit}: links the team's variable group before the shared variables, and versions MAJOR.MINOR`, () => {
            const [group, vars, ...rest] = PIPELINES[kit].variables;
            assert.deepEqual(group, { group: PLACEHOLDER_TEAM });
            assert.equal(vars.template, "pipelines/templates/ci-vars-template.yml@platform");
            assert.equal(vars.parameters.appName, PLACEHOLDER_APP);
            assert.match(vars.parameters.versionMajorMinor, /^\d+\.\d+$/);
            assert.deepEqual(rest, []);
        });

        it(`${kit}: builds, then promotes from main in a deployment job on the prod environment`, () => {
            const [build, promote, ...rest] = PIPELINES[kit].stages;
            assert.deepEqual(rest, []);
            assert.ok(build.jobs[0].job);
            assert.equal(promote.dependsOn, build.stage);
            assert.match(promote.condition, /eq\(variables\['Build\.SourceBranch'\], 'refs\/heads\/main'\)/);
            assert.equal(promote.jobs[0].environment, "prod");
            assert.deepEqual(promote.jobs[0].strategy.runOnce.deploy.steps, [
                { template: "pipelines/templates/ci-promote-steps-template.yml@platform" },
            ]);
        });

        it(`${kit}: builds the image from the kit's Dockerfile, in a context holding what it copies`, () => {
            const [docker] = kitBuildSteps(kit).filter((s) => s.task === "Docker@2");
            assert.ok(docker, "a Docker@2 step");
            const dockerfile = join(KITS[kit], docker.inputs.Dockerfile);
            const context = join(KITS[kit], docker.inputs.buildContext);
            assert.ok(existsSync(dockerfile), `Dockerfile ${docker.inputs.Dockerfile}`);
            assert.ok(isDirectory(context), `build context ${docker.inputs.buildContext}`);
            for (const [, source] of read(dockerfile).matchAll(/^COPY (?!--from)(\S+)/gm))
                assert.ok(existsSync(join(context, source)), `COPY ${source}`);
            assert.equal(docker.inputs.repository, `$(teamName)/${PLACEHOLDER_APP}`, "image <team>/<app>");
        });
    }

    it("helm-app: lints and packages the kit's chart, named after the appName", () => {
        const steps = kitBuildSteps("helm-app");
        const chartPaths = new Set(
            steps
                .filter((s) => /helm (lint|package) "\$CHART_PATH"/.test(s.inputs?.script ?? ""))
                .map((s) => s.env.CHART_PATH),
        );
        assert.equal(chartPaths.size, 1);
        const [chartPath] = chartPaths;
        const chart = parse(read(join(HELM_KIT, chartPath, "Chart.yaml")));
        assert.equal(
            chart.name,
            kitVariables("helm-app").appName,
            "the pushed chart is the one the platform's HelmRelease asks for",
        );
        assert.equal(chartPath, "chart");
    });

    it("kustomize-app: bumps the image of the kit's staging overlay, by the name the manifests use", () => {
        const [bump] = kitBuildSteps("kustomize-app").filter((s) =>
            /kustomize edit set image/.test(s.inputs?.script ?? ""),
        );
        assert.equal(bump.env.KUSTOMIZATION_DIR, "deploy/staging");
        const overlay = parse(read(join(KUSTOMIZE_KIT, bump.env.KUSTOMIZATION_DIR, "kustomization.yaml")));
        assert.deepEqual(
            overlay.images.map((i: Doc) => i.name),
            [bump.env.IMAGE_NAME],
        );
        const base = parse(read(join(KUSTOMIZE_KIT, "deploy", "base", "deployment.yaml")));
        assert.equal(base.spec.template.spec.containers[0].image, bump.env.IMAGE_NAME);
    });

    it("kustomize-app: lets the pipeline's own commit to deploy/ start no build ([skip ci])", () => {
        const [bump] = kitBuildSteps("kustomize-app").filter((s) => /git push/.test(s.inputs?.script ?? ""));
        assert.match(bump.inputs.script, /\[skip ci\]/);
    });

    for (const kit of Object.keys(KITS) as Kit[]) {
        it(`${kit}: its README tells the team to set pipelinePath: ci-pipeline.yml, where the kit keeps its pipeline`, () => {
            assert.match(read(join(KITS[kit], "README.md")), /pipelinePath: ci-pipeline\.yml/);
        });
    }
});
