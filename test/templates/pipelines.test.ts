// The kits' ci-pipeline.yml: valid Azure Pipelines YAML (against the schema in ../shared/schemas, as
// test/devops/templates.test.ts does for pipelines/), triggered by changes to the app and to its
// chart or manifests, run through the delivery loop of its kind (build, verify, promote) on
// templates that exist in pipelines/templates/ with only the parameters they declare, and laid out
// so that the paths the templates derive (Dockerfile, build context, chart, overlays) exist in the
// kit.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { HELM_KIT, KITS, KUSTOMIZE_KIT, PLACEHOLDER_APP, PLACEHOLDER_TEAM, read } from "../support/kits";
import {
    type Doc,
    PIPELINE_SCHEMA,
    asPipelines,
    declaredParameters,
    expand,
    loadYaml,
    pipelineSchema,
    requiredParameters,
    resolve,
    scriptOf,
    stage,
    steps,
    templateFile,
    templateUses,
} from "../support/pipelines";

type Kit = keyof typeof KITS;

const PIPELINE_FILES = Object.fromEntries(
    Object.entries(KITS).map(([kit, dir]) => [kit, join(dir, "ci-pipeline.yml")]),
) as Record<Kit, string>;
const PIPELINES = Object.fromEntries(
    Object.entries(PIPELINE_FILES).map(([kit, file]) => [kit, loadYaml(file)]),
) as Record<Kit, Doc>;
/** What each kit keeps beside its app, which must trigger a build too. */
const DEPLOY_FOLDER: Record<Kit, string> = { "helm-app": "chart", "kustomize-app": "deploy" };
const STAGES_TEMPLATE: Record<Kit, string> = {
    "helm-app": "pipelines/templates/ci-helm-stages-template.yml@platform",
    "kustomize-app": "pipelines/templates/ci-kustomize-stages-template.yml@platform",
};

/** The variables ci-vars-template.yml defines for the kit, as far as they are known at compile time. */
function kitVariables(kit: Kit): Record<string, string> {
    const variables: Record<string, string> = {};
    for (const v of expand(PIPELINE_FILES[kit]).variables as Doc[])
        if (v.name) variables[v.name] = resolve(v.value, {}, variables);
    return variables;
}

/** The steps of one stage of the kit's pipeline, templates expanded, the kit's variables resolved. */
const kitSteps = (kit: Kit, name: string): Doc[] =>
    steps(stage(expand(PIPELINE_FILES[kit]), name)).map((s) => resolve(s, {}, kitVariables(kit)));

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

// ---- Tests ---------------------------------------------------------------------------------------

describe("the kits' ci-pipeline.yml", () => {
    it("validate against the Azure Pipelines schema, which refuses an invalid pipeline", (t) => {
        const schema = pipelineSchema();
        if (!schema) {
            t.skip(
                `Azure Pipelines schema not found at ${PIPELINE_SCHEMA}: put shared/schemas beside the project`,
            );
            return;
        }
        for (const [kit, file] of Object.entries(PIPELINE_FILES)) {
            // Azure Pipelines reads every scalar as a string, hence YAML's failsafe schema.
            const doc = asPipelines(file);
            assert.ok(schema.pipeline(doc), `${kit}: ${JSON.stringify(schema.pipeline.errors?.slice(0, 3))}`);
        }
        const invalid = asPipelines(PIPELINE_FILES["helm-app"]);
        invalid.stages = [{ template: "x.yml", paramters: {} }];
        assert.equal(schema.pipeline(invalid), false, "a misspelt key is refused");
    });

    for (const kit of Object.keys(KITS) as Kit[]) {
        it(`${kit}: triggers on main only, not on pull requests, for the app, the Dockerfile, the pipeline and ${DEPLOY_FOLDER[kit]}/`, () => {
            const { trigger, pr } = PIPELINES[kit];
            assert.deepEqual(trigger.branches.include, ["main"]);
            assert.equal(trigger.batch, true, "one run at a time: versions reach staging in order");
            assert.equal(pr, "none");
            const paths: string[] = trigger.paths.include;
            for (const path of ["app/*", `${DEPLOY_FOLDER[kit]}/*`, "Dockerfile", "ci-pipeline.yml"])
                assert.ok(paths.includes(path), `${kit}: ${path}`);
        });

        it(`${kit}: triggers on paths that exist in the kit`, () => {
            const { include, exclude = [] } = PIPELINES[kit].trigger.paths as Doc;
            for (const path of [...include, ...exclude] as string[]) {
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
            assert.ok(uses.length >= 2, "variables and stages templates");
            for (const { template } of uses)
                assert.ok(existsSync(templateFile(template, PIPELINE_FILES[kit])), `${kit}: ${template}`);
        });

        it(`${kit}: passes only parameters its templates declare, and every parameter they require`, () => {
            for (const { template, parameters } of templateUses(PIPELINES[kit])) {
                const doc = loadYaml(templateFile(template, PIPELINE_FILES[kit]));
                for (const name of Object.keys(parameters))
                    assert.ok(
                        declaredParameters(doc).includes(name),
                        `${kit}: ${template} declares no parameter ${name}`,
                    );
                for (const name of requiredParameters(doc))
                    assert.ok(name in parameters, `${kit}: ${template} requires ${name}`);
            }
            // Nested uses too: expanding refuses an undeclared or missing parameter anywhere.
            assert.ok(steps(expand(PIPELINE_FILES[kit])).length > 0);
        });

        it(`${kit}: links the team's variable group before the shared variables, and versions MAJOR.MINOR`, () => {
            const [group, vars, ...rest] = PIPELINES[kit].variables;
            assert.deepEqual(group, { group: PLACEHOLDER_TEAM });
            assert.equal(vars.template, "pipelines/templates/ci-vars-template.yml@platform");
            assert.equal(vars.parameters.appName, PLACEHOLDER_APP);
            assert.match(vars.parameters.versionMajorMinor, /^\d+\.\d+$/);
            assert.deepEqual(rest, []);
        });

        it(`${kit}: runs the delivery loop of its kind: build, verify in staging, promote to prod`, () => {
            assert.deepEqual(PIPELINES[kit].stages, [
                { template: STAGES_TEMPLATE[kit], parameters: { team: PLACEHOLDER_TEAM } },
            ]);
            const stages = expand(PIPELINE_FILES[kit]).stages as Doc[];
            assert.deepEqual(
                stages.map((s) => [s.stage, s.jobs[0].environment]),
                [
                    ["build", undefined],
                    ["verify", "staging"],
                    ["promote", "prod"],
                ],
            );
        });

        it(`${kit}: builds the image from the kit's Dockerfile, in a context holding what it copies`, () => {
            const [image] = kitSteps(kit, "build").filter((s) => s.name === "image");
            assert.ok(image, "the image step");
            const dockerfile = join(KITS[kit], image.env.DOCKERFILE);
            const context = join(KITS[kit], image.env.BUILD_CONTEXT);
            assert.ok(existsSync(dockerfile), `Dockerfile ${image.env.DOCKERFILE}`);
            assert.ok(isDirectory(context), `build context ${image.env.BUILD_CONTEXT}`);
            for (const [, source] of read(dockerfile).matchAll(/^COPY (?!--from)(\S+)/gm))
                assert.ok(existsSync(join(context, source)), `COPY ${source}`);
            assert.equal(image.env.IMAGE_REPOSITORY, `$(teamName)/${PLACEHOLDER_APP}`, "image <team>/<app>");
        });
    }

    it("helm-app: lints and packages the kit's chart, named after the appName", () => {
        const [pack] = kitSteps("helm-app", "build").filter((s) =>
            /helm lint "\$CHART_PATH"[\s\S]*helm package "\$CHART_PATH"/.test(scriptOf(s)),
        );
        assert.equal(pack.env.CHART_PATH, "chart");
        const chart = parse(read(join(HELM_KIT, pack.env.CHART_PATH, "Chart.yaml")));
        assert.equal(
            chart.name,
            PLACEHOLDER_APP,
            "the pushed chart is the one the platform's HelmRelease asks for",
        );
        assert.equal(pack.env.CHART_NAME, chart.name);
    });

    it("kustomize-app: bumps the image of the kit's staging overlay, by the name the manifests use", () => {
        const [bump] = kitSteps("kustomize-app", "build").filter((s) => s.name === "bump");
        assert.equal(bump.env.STAGING_DIRECTORY, "deploy/staging");
        const overlay = parse(read(join(KUSTOMIZE_KIT, bump.env.STAGING_DIRECTORY, "kustomization.yaml")));
        assert.deepEqual(
            overlay.images.map((i: Doc) => [i.name, Object.keys(i)]),
            [[bump.env.IMAGE_NAME, ["name", "newName", "newTag"]]],
            "one entry with newName and newTag, the lines the bump rewrites",
        );
        const base = parse(read(join(KUSTOMIZE_KIT, "deploy", "base", "deployment.yaml")));
        assert.equal(base.spec.template.spec.containers[0].image, bump.env.IMAGE_NAME);
    });

    it("kustomize-app: pins the kit's prod overlay by digest, the line the promotion pull request rewrites", () => {
        const [pin] = kitSteps("kustomize-app", "promote").filter((s) => s.name === "pullRequest");
        assert.equal(pin.env.PROD_DIRECTORY, "deploy/prod");
        const overlay = parse(read(join(KUSTOMIZE_KIT, pin.env.PROD_DIRECTORY, "kustomization.yaml")));
        assert.deepEqual(
            overlay.images.map((i: Doc) => [i.name, Object.keys(i)]),
            [[pin.env.IMAGE_NAME, ["name", "newName", "digest"]]],
        );
        assert.match(overlay.images[0].digest, /^sha256:[0-9a-f]{64}$/);
    });

    it("kustomize-app: lets the pipeline's own commit to deploy/staging start no build ([skip ci]), nor the merge of a promotion", () => {
        const [bump] = kitSteps("kustomize-app", "build").filter((s) => s.name === "bump");
        assert.match(scriptOf(bump), /--message "ci: [^"]*\[skip ci\]"/);
        assert.deepEqual(PIPELINES["kustomize-app"].trigger.paths.exclude, ["deploy/prod/*"]);
    });

    for (const kit of Object.keys(KITS) as Kit[]) {
        it(`${kit}: its README tells the team to set pipelinePath: ci-pipeline.yml, where the kit keeps its pipeline`, () => {
            assert.match(read(join(KITS[kit], "README.md")), /pipelinePath: ci-pipeline\.yml/);
        });
    }
});
