// The pipeline YAML of pipelines/: valid against the Azure Pipelines schema (when ../shared/schemas is
// beside the project, as in CI), and structurally what the platform relies on: triggers, stages,
// tasks with their inputs, the service connections Pulumi creates, and no secret in a script.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import Ajv from "ajv";
import { parse } from "yaml";
import { PROMOTION_ENVIRONMENT, SERVICE_CONNECTIONS, TEAM_VARIABLES } from "../../components/devops/devops";
import { PROJECT_DIR } from "../../src/offline/stackConfig";

const PIPELINES = join(PROJECT_DIR, "pipelines");
const PIPELINE_SCHEMA = join(PROJECT_DIR, "..", "shared", "schemas", "azure-pipelines.schema.json");

type Doc = Record<string, any>;

function yamlFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((f) => {
        const path = join(dir, f);
        return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(f) ? [path] : [];
    });
}

const FILES = yamlFiles(PIPELINES);
const DOCS = new Map<string, Doc>(
    FILES.map((f) => [relative(PROJECT_DIR, f), parse(readFileSync(f, "utf8")) as Doc]),
);
const EXAMPLES = [...DOCS.keys()].filter((f) => f.startsWith("pipelines/examples/"));
const doc = (name: string) => DOCS.get(`pipelines/templates/${name}`)!;

/** Every step of a document, whatever nests it (stages, jobs, deployment strategies, templates). */
function steps(node: unknown): Doc[] {
    if (Array.isArray(node)) return node.flatMap(steps);
    if (!node || typeof node !== "object") return [];
    const n = node as Doc;
    const own = Array.isArray(n.steps) ? (n.steps as Doc[]) : [];
    return [
        ...own,
        ...Object.entries(n)
            .filter(([k]) => k !== "steps")
            .flatMap(([, v]) => steps(v)),
    ];
}

const tasks = (d: Doc, name: string) => steps(d).filter((s) => s.task === name);
const allTasks = () => [...DOCS.values()].flatMap((d) => steps(d).filter((s) => s.task));
const scriptOf = (s: Doc): string => s.inputs?.script ?? s.inputs?.inlineScript ?? s.script ?? s.bash ?? "";
const parameterDefault = (d: Doc, name: string) =>
    (d.parameters as Doc[]).find((p) => p.name === name)?.default;

/** Template references (`x.yml` or `pipelines/templates/x.yml@platform`) resolved to files. */
function templateRefs(file: string): string[] {
    const refs: string[] = [];
    const walk = (n: unknown): void => {
        if (Array.isArray(n)) n.forEach(walk);
        else if (n && typeof n === "object") {
            for (const [k, v] of Object.entries(n)) {
                if (k === "template" && typeof v === "string") refs.push(v);
                else walk(v);
            }
        }
    };
    walk(DOCS.get(file));
    return refs.map((ref) =>
        ref.endsWith("@platform")
            ? join(PROJECT_DIR, ref.replace(/@platform$/, ""))
            : join(PROJECT_DIR, dirname(file), ref),
    );
}

describe("pipeline YAML", () => {
    it("has the variables template, the step templates and one example per delivery kind", () => {
        assert.deepEqual([...DOCS.keys()].sort(), [
            "pipelines/examples/helm-app/ci-pipeline.yml",
            "pipelines/examples/kustomize-app/ci-pipeline.yml",
            "pipelines/templates/ci-image-steps-template.yml",
            "pipelines/templates/ci-kustomize-steps-template.yml",
            "pipelines/templates/ci-promote-steps-template.yml",
            "pipelines/templates/ci-steps-template.yml",
            "pipelines/templates/ci-vars-template.yml",
        ]);
    });

    it("validates every file against the Azure Pipelines schema", (t) => {
        if (!existsSync(PIPELINE_SCHEMA)) {
            t.skip(
                `Azure Pipelines schema not found at ${PIPELINE_SCHEMA}: put shared/schemas beside the project to validate`,
            );
            return;
        }
        const schema = JSON.parse(readFileSync(PIPELINE_SCHEMA, "utf8"));
        assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#", "Ajv's default draft");
        // The schema carries editor hints (ignoreCase, firstProperty, doNotSuggest...) Ajv must ignore,
        // and patterns written for JavaScript's non-unicode RegExp (`\/` escapes).
        const ajv = new Ajv({ strict: false, allErrors: false, unicodeRegExp: false });
        ajv.addSchema(schema);
        // Pipelines against the root; templates against the schema's own template definitions.
        const validator = (d: Doc) => {
            const definition =
                d.stages || d.jobs || d.extends
                    ? ""
                    : d.variables
                      ? "/definitions/variablesTemplate"
                      : "/definitions/stepsTemplate";
            return ajv.getSchema(`${schema.$id}#${definition}`)!;
        };
        // Azure Pipelines reads every YAML scalar as a string (the schema's booleans are "true"/"false"
        // patterns), so the files are parsed with YAML's failsafe schema for validation.
        for (const file of DOCS.keys()) {
            const asPipelines = parse(readFileSync(join(PROJECT_DIR, file), "utf8"), { schema: "failsafe" });
            const validate = validator(asPipelines);
            assert.ok(validate(asPipelines), `${file}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
        }
    });

    it("refers only to templates that exist in this repository", () => {
        for (const file of DOCS.keys()) {
            for (const ref of templateRefs(file))
                assert.ok(existsSync(ref), `${file} -> ${relative(PROJECT_DIR, ref)}`);
        }
    });

    it("triggers each example on main, for its app's directory only, and not on pull requests", () => {
        for (const file of EXAMPLES) {
            const d = DOCS.get(file)!;
            assert.deepEqual(d.trigger.branches.include, ["main"], file);
            assert.equal(d.trigger.paths.include.length, 1, file);
            assert.equal(d.pr, "none", file);
        }
    });

    it("reads the templates through the GitHub service connection Pulumi creates", () => {
        for (const file of EXAMPLES) {
            const [platform] = DOCS.get(file)!.resources.repositories;
            assert.equal(platform.type, "github");
            assert.equal(platform.endpoint, SERVICE_CONNECTIONS.github, file);
        }
    });

    it("links each example to its team's variable group before the shared variables", () => {
        for (const file of EXAMPLES) {
            const [group, vars] = DOCS.get(file)!.variables;
            assert.match(group.group, /^dev-team\d$/);
            assert.equal(vars.template, "pipelines/templates/ci-vars-template.yml@platform");
        }
    });

    it("builds in a job stage, then promotes in a deployment job on the prod environment, from main only", () => {
        for (const file of EXAMPLES) {
            const [build, promote] = DOCS.get(file)!.stages;
            assert.ok(build.jobs[0].job && steps(build).length > 0, file);
            assert.equal(promote.dependsOn, build.stage);
            assert.match(promote.condition, /eq\(variables\['Build\.SourceBranch'\], 'refs\/heads\/main'\)/);
            assert.equal(promote.jobs[0].environment, PROMOTION_ENVIRONMENT);
            assert.ok(promote.jobs[0].strategy.runOnce.deploy.steps.length > 0);
        }
    });

    it("uses only known tasks, each with its required inputs", () => {
        const required: Record<string, string[]> = {
            "Docker@2": ["command", "containerRegistry", "repository", "Dockerfile", "buildContext", "tags"],
            "AzureCLI@2": ["azureSubscription", "scriptType", "scriptLocation", "inlineScript"],
            "HelmInstaller@1": ["helmVersionToInstall"],
            "Bash@3": ["targetType", "script"],
            "PublishPipelineArtifact@1": ["targetPath", "artifact"],
        };
        for (const t of allTasks()) {
            assert.ok(required[t.task], `unexpected task ${t.task}`);
            for (const input of required[t.task])
                assert.ok(t.inputs?.[input] !== undefined, `${t.task} ${t.displayName}: ${input}`);
        }
    });

    it("pushes the image with Docker@2 through the registry service connection, tagged with the build version", () => {
        const [docker] = tasks(doc("ci-image-steps-template.yml"), "Docker@2");
        assert.equal(docker.inputs.command, "buildAndPush");
        assert.equal(docker.inputs.containerRegistry, "${{ parameters.containerRegistry }}");
        assert.equal(
            parameterDefault(doc("ci-image-steps-template.yml"), "containerRegistry"),
            SERVICE_CONNECTIONS.registry,
        );
        assert.equal(docker.inputs.repository, "$(imageRepository)");
        assert.equal(docker.inputs.tags, "$(buildVersion)");
        for (const name of ["ci-steps-template.yml", "ci-kustomize-steps-template.yml"]) {
            assert.equal(
                parameterDefault(doc(name), "containerRegistry"),
                SERVICE_CONNECTIONS.registry,
                name,
            );
        }
    });

    it("versions each build with a semver counted by the pipeline, not a constant", () => {
        const vars = doc("ci-vars-template.yml").variables as { name: string; value: string }[];
        const value = (n: string) => vars.find((v) => v.name === n)?.value;
        assert.match(value("versionPatch")!, /^\$\[counter\(variables\['versionMajorMinor'\], 0\)\]$/);
        assert.equal(value("buildVersion"), "$(versionMajorMinor).$(versionPatch)");
        assert.match(parameterDefault(doc("ci-vars-template.yml"), "versionMajorMinor"), /^\d+\.\d+$/);
    });

    it("lints, packages with the build version and publishes the Helm chart as an artifact", () => {
        const helm = doc("ci-steps-template.yml");
        const scripts = steps(helm).map(scriptOf);
        assert.ok(scripts.some((s) => /helm lint "\$CHART_PATH"/.test(s)));
        const pack = steps(helm).find((s) => /helm package/.test(scriptOf(s)))!;
        assert.match(scriptOf(pack), /--version "\$BUILD_VERSION"/);
        assert.equal(pack.env.BUILD_VERSION, "$(buildVersion)");
        const [publish] = tasks(helm, "PublishPipelineArtifact@1");
        assert.equal(publish.inputs.artifact, "chart");
        assert.equal(publish.inputs.targetPath, "$(chartPackageDirectory)");
    });

    it("pushes to ChartMuseum with basic auth from secret variables, failing on HTTP errors", () => {
        const push = steps(doc("ci-steps-template.yml")).find((s) => /\/api\/charts/.test(scriptOf(s)))!;
        assert.match(push.condition, /eq\(variables\['chartRepositoryKind'\], 'chartmuseum'\)/);
        assert.match(scriptOf(push), /curl --fail /);
        assert.equal(push.env.CHART_PASSWORD, `$(${TEAM_VARIABLES.chartRepositoryPassword})`);
        assert.equal(push.env.CHART_USERNAME, `$(${TEAM_VARIABLES.chartRepositoryUsername})`);
    });

    it("pushes to ACR as OCI with helm push after a token from the workload identity connection", () => {
        const helm = doc("ci-steps-template.yml");
        const [cli] = tasks(helm, "AzureCLI@2");
        assert.match(cli.condition, /eq\(variables\['chartRepositoryKind'\], 'acr-oci'\)/);
        assert.equal(cli.inputs.azureSubscription, "${{ parameters.azureSubscription }}");
        assert.equal(parameterDefault(helm, "azureSubscription"), SERVICE_CONNECTIONS.azure);
        assert.match(cli.inputs.inlineScript, /az acr login --name "\$REGISTRY_NAME" --expose-token/);
        assert.match(cli.inputs.inlineScript, /helm push "\$package" "\$CHART_REPOSITORY_URL"/);
    });

    it("makes the Kustomize build bump the image in its kustomization instead of packaging a chart", () => {
        const k = doc("ci-kustomize-steps-template.yml");
        const scripts = steps(k).map(scriptOf).join("\n");
        assert.match(
            scripts,
            /kustomize edit set image "\$IMAGE_NAME=\$REGISTRY_LOGIN_SERVER\/\$IMAGE_REPOSITORY:\$BUILD_VERSION"/,
        );
        assert.match(scripts, /\[skip ci\]/, "the bump commit does not trigger another build");
        assert.doesNotMatch(scripts, /helm (package|push)/);
        assert.equal(tasks(k, "HelmInstaller@1").length, 0);
    });

    it("reads only variables the team's group, the shared variables or Azure Pipelines define", () => {
        const shared = (doc("ci-vars-template.yml").variables as { name: string }[]).map((v) => v.name);
        const known = new Set<string>([...Object.values(TEAM_VARIABLES), ...shared]);
        for (const [file, d] of DOCS) {
            for (const [, name] of JSON.stringify(d).matchAll(/\$\(([A-Za-z_.]+)\)/g)) {
                assert.ok(known.has(name) || name.includes("."), `${file}: $(${name}) is defined nowhere`);
            }
        }
    });

    it("never puts a password in a script or echoes a secret variable", () => {
        const secretEnv = (s: Doc) =>
            Object.entries((s.env ?? {}) as Record<string, string>)
                .filter(([, v]) => /Password|Token|Secret/i.test(v))
                .map(([k]) => k);
        for (const [file, d] of DOCS) {
            assert.doesNotMatch(JSON.stringify(d), /registryPassword/, file);
            for (const s of steps(d)) {
                const script = scriptOf(s);
                assert.doesNotMatch(
                    script,
                    /\$\((\w*(Password|Token|Secret)\w*)\)/i,
                    `${file}: a secret macro in a script`,
                );
                assert.doesNotMatch(
                    script,
                    /set -x|--password(?!-stdin)|docker login/,
                    `${file}: credentials on a command line or traced`,
                );
                for (const name of secretEnv(s)) {
                    assert.doesNotMatch(
                        script,
                        new RegExp(`(echo|printf)[^\\n]*\\$\\{?${name}\\b`),
                        `${file}: ${name} echoed`,
                    );
                }
            }
        }
    });
});
