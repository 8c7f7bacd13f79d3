import * as pulumi from "@pulumi/pulumi";
// The pipeline YAML of pipelines/: valid against the Azure Pipelines schema (when ../shared/schemas is
// beside the project, as in CI), and wired as the delivery loop needs: build once on main, verify in
// staging, promote to prod; each hop with the service connection of the identity allowed to do it;
// every variable from the team's group, the shared variables, the build's outputs or Azure
// Pipelines, mapped into scripts through env:, secrets never on a command line. What the scripts do
// is run by test/pipelines/; that they pass shellcheck, by test/pipelines/shellcheck.test.ts.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import * as devops from "../../components/devops/devops";
import { PROMOTION_BRANCH } from "../../components/tenants/config";
import { HELM_EXAMPLE, HELM_STAGES, KUSTOMIZE_EXAMPLE, KUSTOMIZE_STAGES } from "../support/delivery";
import {
    type Doc,
    ENVIRONMENTS,
    PIPELINES_DIR,
    PIPELINE_SCHEMA,
    PLATFORM_REPOSITORY,
    PREDEFINED_VARIABLES,
    SECRET_VARIABLES,
    SERVICE_CONNECTIONS,
    TEAM_VARIABLES,
    asPipelines,
    expand,
    loadYaml,
    onlyJob,
    originOf,
    pipelineSchema,
    projectPath,
    scriptOf,
    scriptSteps,
    stage,
    steps,
    templateFile,
    templateUses,
    yamlFiles,
} from "../support/pipelines";

const FILES = yamlFiles(PIPELINES_DIR);
const EXAMPLES = { helm: HELM_EXAMPLE, kustomize: KUSTOMIZE_EXAMPLE } as const;
const STAGES = { helm: HELM_STAGES, kustomize: KUSTOMIZE_STAGES } as const;
const KINDS = Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[];
/** The team whose app each example is (its variable group and its `team` parameter). */
const EXAMPLE_TEAMS = { helm: "dev-team1", kustomize: "dev-team2" } as const;
const EXPANDED = Object.fromEntries(KINDS.map((k) => [k, expand(EXAMPLES[k])])) as Record<
    keyof typeof EXAMPLES,
    Doc
>;

/**
 * An earlier stage's output a later stage maps: the build job's (`stageDependencies.build.build.outputs['step.name']`)
 * or a deployment job's (`stageDependencies.verify.verify.outputs['verify.step.name']`).
 */
const STAGE_OUTPUT = /^\$\[ stageDependencies\.(\w+)\.(\w+)\.outputs\['(?:\2\.)?(\w+)\.(\w+)'\] \]$/;

/** The variables a later stage's job maps from the build (releaseVersion, releaseDigest...). */
const releaseVariables = (): string[] =>
    KINDS.flatMap((k) =>
        (EXPANDED[k].stages as Doc[]).flatMap((s) =>
            (s.jobs as Doc[]).flatMap((j) => Object.keys(j.variables ?? {})),
        ),
    );

describe("pipeline YAML", () => {
    it("has the shared variables, one template per hop and delivery kind, the loop per kind and one example per kind", () => {
        assert.deepEqual(FILES.map(projectPath), [
            "pipelines/examples/helm-app/ci-pipeline.yml",
            "pipelines/examples/kustomize-app/ci-pipeline.yml",
            "pipelines/templates/ci-helm-stages-template.yml",
            "pipelines/templates/ci-image-steps-template.yml",
            "pipelines/templates/ci-kustomize-stages-template.yml",
            "pipelines/templates/ci-kustomize-steps-template.yml",
            "pipelines/templates/ci-promote-helm-steps-template.yml",
            "pipelines/templates/ci-promote-image-steps-template.yml",
            "pipelines/templates/ci-promote-kustomize-steps-template.yml",
            "pipelines/templates/ci-steps-template.yml",
            "pipelines/templates/ci-vars-template.yml",
            "pipelines/templates/ci-verify-helm-steps-template.yml",
            "pipelines/templates/ci-verify-kustomize-steps-template.yml",
        ]);
    });

    it("names the service connections and the team variables the delivery stack creates", () => {
        const [staging, prod] = ENVIRONMENTS;
        assert.equal(SERVICE_CONNECTIONS.github, devops.SERVICE_CONNECTIONS.github);
        for (const env of [staging, prod])
            assert.equal(
                SERVICE_CONNECTIONS.azure(env, "dev-team1"),
                devops.SERVICE_CONNECTIONS.azure(env, "dev-team1"),
            );
        // The group as the delivery stack fills it (values are passed through, so strings stand in).
        const group = devops.teamVariables(
            { name: "dev-team1" } as any,
            {
                config: {
                    platformRepository: PLATFORM_REPOSITORY,
                    promotionTokens: { "dev-team1": "token" },
                },
                environments: ENVIRONMENTS.map((name) => ({
                    name,
                    chartRepositoryKind: pulumi.output("chartmuseum"),
                    chartPushUrl: pulumi.output(`https://charts.${name}.example.com`),
                    chartPushTokens: pulumi.secret({}),
                })),
                teamsDirectory: "tenants",
            } as any,
        );
        assert.deepEqual(group.map((v) => v.name).sort(), [...TEAM_VARIABLES].sort());
        assert.deepEqual(
            group
                .filter((v) => v.isSecret)
                .map((v) => v.name)
                .sort(),
            [...SECRET_VARIABLES].sort(),
        );
        assert.equal(group.find((v) => v.name === "teamFile")?.value, "tenants/dev-team1.yaml");
    });

    it("validates every file against the Azure Pipelines schema, which refuses an invalid one", (t) => {
        const schema = pipelineSchema();
        if (!schema) {
            t.skip(
                `Azure Pipelines schema not found at ${PIPELINE_SCHEMA}: put shared/schemas beside the project`,
            );
            return;
        }
        // Pipelines against the root; templates against the schema's own template definitions.
        const validator = (d: Doc) =>
            d.trigger
                ? schema.pipeline
                : schema.definition(
                      d.stages ? "stagesTemplate" : d.variables ? "variablesTemplate" : "stepsTemplate",
                  );
        // Azure Pipelines reads every YAML scalar as a string (the schema's booleans are "true"/"false"
        // patterns), so the files are parsed with YAML's failsafe schema for validation.
        for (const file of FILES) {
            const d = asPipelines(file);
            const validate = validator(d);
            assert.ok(validate(d), `${projectPath(file)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
        }
        const invalid = asPipelines(STAGES.helm);
        invalid.stages[1].jobs[0].environmnet = "staging";
        assert.equal(schema.definition("stagesTemplate")(invalid), false, "a misspelt key is refused");
    });

    it("refers only to templates that exist, passing only parameters they declare and every one they require", () => {
        for (const file of FILES) {
            for (const { template } of templateUses(loadYaml(file)))
                assert.ok(existsSync(templateFile(template, file)), `${projectPath(file)} -> ${template}`);
        }
        // Expanding checks the parameters of every use, nested ones included.
        for (const kind of KINDS) assert.ok(steps(EXPANDED[kind]).length > 0);
    });

    it("triggers each example on main, for its app and its chart or manifests, and not on pull requests", () => {
        const helm = loadYaml(HELM_EXAMPLE);
        assert.deepEqual(helm.trigger.paths.include, ["front/*"], "front/ holds the app and its chart");
        const kustomize = loadYaml(KUSTOMIZE_EXAMPLE);
        assert.deepEqual(kustomize.trigger.paths, {
            include: ["app/*", "deploy/*"],
            exclude: ["deploy/prod/*"],
        });
        for (const d of [helm, kustomize]) {
            assert.deepEqual(d.trigger.branches.include, ["main"]);
            assert.equal(d.trigger.batch, true, "one run at a time: versions reach staging in order");
            assert.equal(d.pr, "none");
        }
    });

    it("reads the templates from the platform repository through the github service connection", () => {
        for (const file of Object.values(EXAMPLES)) {
            assert.deepEqual(loadYaml(file).resources.repositories, [
                {
                    repository: "platform",
                    type: "github",
                    name: PLATFORM_REPOSITORY,
                    endpoint: SERVICE_CONNECTIONS.github,
                    ref: "refs/heads/main",
                },
            ]);
        }
    });

    it("promotes Kustomize apps into the branch a prod stack requires them to follow", () => {
        const prodBranch = (
            loadYaml(templateFile("ci-kustomize-stages-template.yml", KUSTOMIZE_STAGES)).parameters as Doc[]
        ).find((p) => p.name === "prodBranch");
        assert.equal(prodBranch?.default, PROMOTION_BRANCH);
    });

    it("links each example to its team's variable group before the shared variables", () => {
        for (const file of Object.values(EXAMPLES)) {
            const [group, vars, ...rest] = loadYaml(file).variables;
            assert.match(group.group, /^dev-team\d$/);
            assert.equal(vars.template, "pipelines/templates/ci-vars-template.yml@platform");
            assert.deepEqual(rest, []);
        }
    });

    it("gives each example's stages the team its variable group names: the CI connections it may use", () => {
        for (const kind of KINDS) {
            const pipeline = loadYaml(EXAMPLES[kind]);
            assert.equal(pipeline.variables[0].group, EXAMPLE_TEAMS[kind]);
            assert.deepEqual(pipeline.stages[0].parameters, { team: EXAMPLE_TEAMS[kind] });
        }
    });

    it("versions each run once, with a semver whose patch the pipeline counts", () => {
        const vars = loadYaml(templateFile("ci-vars-template.yml", HELM_STAGES)).variables as Doc[];
        const value = (n: string) => vars.find((v) => v.name === n)?.value;
        assert.equal(value("versionPatch"), "$[counter(variables['versionMajorMinor'], 0)]");
        assert.equal(value("buildVersion"), "$(versionMajorMinor).$(versionPatch)");
    });

    for (const kind of KINDS) {
        it(`${kind}: builds on main only, then verifies in a deployment job on staging, then promotes in one on prod`, () => {
            const { stages } = EXPANDED[kind];
            assert.deepEqual(
                stages.map((s: Doc) => [s.stage, s.dependsOn, onlyJob(s).environment]),
                [
                    ["build", undefined, undefined],
                    ["verify", "build", "staging"],
                    ["promote", ["build", "verify"], "prod"],
                ],
            );
            assert.equal(
                stages[0].condition,
                "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))",
            );
            assert.ok(onlyJob(stages[0]).job, "the build is a plain job");
            for (const s of stages.slice(1)) {
                assert.equal(s.condition, undefined, `${s.stage}: runs when the stage before succeeded`);
                assert.ok(onlyJob(s).strategy.runOnce.deploy.steps.length > 0);
            }
        });

        it(`${kind}: acts as the team's staging CI identity to build and verify, its prod CI identity to promote`, () => {
            const team = EXAMPLE_TEAMS[kind];
            const expected = {
                build: SERVICE_CONNECTIONS.azure("staging", team),
                verify: SERVICE_CONNECTIONS.azure("staging", team),
                promote: SERVICE_CONNECTIONS.azure("prod", team),
            };
            for (const [name, connection] of Object.entries(expected)) {
                const used = steps(stage(EXPANDED[kind], name))
                    .filter((s) => s.task === "AzureCLI@2")
                    .map((s) => s.inputs.azureSubscription);
                assert.ok(used.length > 0, `${kind} ${name} uses Azure`);
                assert.deepEqual(new Set(used), new Set([connection]), `${kind} ${name}`);
            }
        });

        it(`${kind}: maps into verify and promote only outputs earlier stages set, and every release variable their steps read`, () => {
            const { stages } = EXPANDED[kind];
            stages.slice(1).forEach((s: Doc, i: number) => {
                const job = onlyJob(s);
                for (const [name, value] of Object.entries(job.variables as Record<string, string>)) {
                    const [, from, , step, output] = STAGE_OUTPUT.exec(value) ?? [];
                    assert.ok(step, `${s.stage}.${name}: ${value}`);
                    const earlier = stages.slice(0, i + 1).find((x: Doc) => x.stage === from);
                    assert.ok(earlier, `${s.stage}.${name}: no earlier stage ${from}`);
                    const setter = steps(earlier).find((b) => b.name === step);
                    assert.ok(setter, `${s.stage}.${name}: stage ${from} has no step named ${step}`);
                    assert.ok(
                        scriptOf(setter).includes(`##vso[task.setvariable variable=${output};isOutput=true]`),
                        `${s.stage}.${name}: step ${step} sets no output ${output}`,
                    );
                }
                for (const [, used] of JSON.stringify(steps(job)).matchAll(/\$\((release\w+)\)/g))
                    assert.ok(
                        used in job.variables,
                        `${s.stage} reads $(${used}), which its job does not map`,
                    );
            });
        });

        it(`${kind}: records the image digest of the build (release.json and an output variable)`, () => {
            const build = steps(stage(EXPANDED[kind], "build"));
            const publish = build.filter((s) => s.task === "PublishPipelineArtifact@1").map((s) => s.inputs);
            assert.ok(
                publish.some((i) => i.artifact === "release" && i.targetPath === "$(releaseDirectory)"),
            );
            const image = build.find((s) => s.name === "image")!;
            assert.match(scriptOf(image), /"\$RELEASE_DIR\/release\.json"/);
            assert.equal(image.env.RELEASE_DIR, "$(releaseDirectory)");
        });
    }

    it("keeps no GitHub credential in any clone: every checkout of the templates and examples has persistCredentials off", () => {
        const checkouts: Doc[] = [];
        const walk = (node: unknown): void => {
            if (Array.isArray(node)) node.forEach(walk);
            else if (node && typeof node === "object") {
                if ("checkout" in node) checkouts.push(node as Doc);
                Object.values(node).forEach(walk);
            }
        };
        FILES.forEach((f) => walk(loadYaml(f)));
        assert.ok(checkouts.length > 0);
        for (const c of checkouts) assert.equal(c.persistCredentials, false, JSON.stringify(c));
    });

    it("uses only known tasks, each with its required inputs", () => {
        const required: Record<string, string[]> = {
            "AzureCLI@2": ["azureSubscription", "scriptType", "scriptLocation", "inlineScript"],
            "HelmInstaller@1": ["helmVersionToInstall"],
            "KubeloginInstaller@0": [],
            "Bash@3": ["targetType", "script"],
            "PublishPipelineArtifact@1": ["targetPath", "artifact"],
        };
        for (const file of FILES) {
            for (const t of steps(loadYaml(file)).filter((s) => s.task)) {
                assert.ok(required[t.task], `${projectPath(file)}: unexpected task ${t.task}`);
                for (const input of required[t.task])
                    assert.ok(t.inputs?.[input] !== undefined, `${t.task} ${t.displayName}: ${input}`);
                if (t.task === "AzureCLI@2") assert.equal(t.inputs.scriptType, "bash");
            }
        }
    });

    it("reads only variables of the team's group, the shared variables, the build's outputs or Azure Pipelines'", () => {
        const shared = (loadYaml(templateFile("ci-vars-template.yml", HELM_STAGES)).variables as Doc[]).map(
            (v) => v.name as string,
        );
        const known = new Set([...TEAM_VARIABLES, ...shared, ...releaseVariables(), ...PREDEFINED_VARIABLES]);
        // Scripts are bash, where `$(mktemp)` is a command substitution: the next test keeps them macro-free.
        const withoutScripts = (_: string, v: unknown) =>
            v && typeof v === "object" && !Array.isArray(v)
                ? Object.fromEntries(
                      Object.entries(v).filter(([k]) => !["script", "inlineScript", "bash"].includes(k)),
                  )
                : v;
        for (const file of FILES) {
            const text = JSON.stringify(loadYaml(file), withoutScripts);
            for (const [, name] of text.matchAll(/\$\(([A-Za-z_][\w.]*)\)/g))
                assert.ok(known.has(name), `${projectPath(file)}: $(${name}) is defined nowhere`);
        }
    });

    it("gives scripts every variable through env:, with no $(macro) in a script and nothing read that env: does not map", () => {
        const macros = new Set([...TEAM_VARIABLES, ...PREDEFINED_VARIABLES, ...releaseVariables()]);
        for (const kind of KINDS) {
            for (const s of scriptSteps(EXPANDED[kind])) {
                const where = `${originOf(s)}: ${s.displayName}`;
                const script = scriptOf(s);
                for (const [, name] of script.matchAll(/\$\(([\w.]+)\)/g))
                    assert.ok(!macros.has(name) && !/^[a-z]+[A-Z]/.test(name), `${where}: macro $(${name})`);
                // The shell's own variables are lowercase (or assigned before use, as KUBECONFIG);
                // every UPPERCASE one a script reads must come from its env: mapping.
                const assigned = new Set([...script.matchAll(/^\s*([A-Z_]+)=/gm)].map((m) => m[1]));
                for (const [, name] of script.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
                    if (name === "SECONDS" || assigned.has(name)) continue;
                    assert.ok(name in (s.env ?? {}), `${where}: reads $${name}, which env: does not map`);
                }
            }
        }
    });

    it("maps secrets only into the steps that need them, never echoes them and never puts them on a command line", () => {
        for (const kind of KINDS) {
            for (const s of steps(EXPANDED[kind])) {
                const where = `${originOf(s)}: ${s.displayName}`;
                const script = scriptOf(s);
                const secrets = Object.entries((s.env ?? {}) as Record<string, string>)
                    .filter(([, v]) => SECRET_VARIABLES.some((secret) => v === `$(${secret})`))
                    .map(([k]) => k);
                assert.doesNotMatch(
                    script,
                    /set -x|--password(?!-stdin)|docker login/,
                    `${where}: traced or on a command line`,
                );
                for (const name of secrets) {
                    const uses = script.split("\n").filter((l) => l.includes(`$${name}`));
                    assert.ok(uses.length > 0, `${where}: maps ${name} and does not use it`);
                    for (const line of uses) {
                        // git's credential helper prints the token to git, which asked for it: that
                        // is the one place it is printed, and never to the log.
                        if (
                            /^\s*helper='!f\(\) \{ echo username=[\w-]+; echo "password=\$\w+"; \}; f'$/.test(
                                line,
                            )
                        )
                            continue;
                        assert.doesNotMatch(line, /\b(echo|printf)\b/, `${where}: ${name} echoed`);
                        // Otherwise a secret reaches a command only on its stdin (curl --config -,
                        // helm --password-stdin): a here-string.
                        assert.match(line, /<<< "/, `${where}: ${name} in ${line.trim()}`);
                    }
                }
            }
        }
    });
});
