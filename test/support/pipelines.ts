// The Azure Pipelines side of the delivery loop, as tests read it: the contract with the delivery
// stack (service connections, environments, the team variable group), a template expander for the
// subset of template syntax the platform's templates use, the schema validator, and the inline
// scripts of every step.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parse } from "yaml";

export const PROJECT_DIR = join(__dirname, "..", "..");
export const PIPELINES_DIR = join(PROJECT_DIR, "pipelines");
export const TEMPLATES_DIR = join(PIPELINES_DIR, "templates");
export const PIPELINE_SCHEMA = join(PROJECT_DIR, "..", "shared", "schemas", "azure-pipelines.schema.json");

export type Doc = Record<string, any>;

// ---- The contract with the delivery stack (Pulumi side) ------------------------------------------

/** Azure DevOps environments, in promotion order: builds go to the first. */
export const ENVIRONMENTS = ["staging", "prod"] as const;

/** Service connections of the one Azure DevOps project, by what they are for. */
export const SERVICE_CONNECTIONS = {
    /** Reads the app repositories and the platform repository (`resources.repositories: platform`). */
    github: "github",
    /**
     * A team's CI identity in an environment: writes the team's repositories of that environment's
     * registry (and, in prod, reads them in staging's), no other team's.
     */
    azure: (environment: (typeof ENVIRONMENTS)[number], team: string) => `azure-${environment}-${team}`,
} as const;

/** The platform repository, whose templates are `resources.repositories: platform`. */
export const PLATFORM_REPOSITORY = "one-kubernetes/gitops-platform";

const PER_ENVIRONMENT = [
    "registryName",
    "registryLoginServer",
    "resourceGroup",
    "clusterName",
    "chartRepositoryUrl",
    "chartRepositoryToken",
] as const;

/** Every variable of a team's variable group (named after the team). */
export const TEAM_VARIABLES: readonly string[] = [
    "teamName",
    "chartRepositoryKind",
    "platformRepository",
    "teamFile",
    "promotionToken",
    ...ENVIRONMENTS.flatMap((e) => PER_ENVIRONMENT.map((v) => `${e}.${v}`)),
];

/** The secret ones, which Azure Pipelines gives a script only through an explicit `env:` mapping. */
export const SECRET_VARIABLES: readonly string[] = [
    "promotionToken",
    ...ENVIRONMENTS.map((e) => `${e}.chartRepositoryToken`),
];

/** Azure Pipelines' own variables the templates read. */
export const PREDEFINED_VARIABLES: readonly string[] = [
    "Agent.TempDirectory",
    "Build.ArtifactStagingDirectory",
    "Build.BuildId",
    "Build.Repository.Name",
    "Build.SourceBranch",
    "Build.SourceVersion",
    "System.CollectionUri",
    "System.TeamProject",
];

// ---- Files ---------------------------------------------------------------------------------------

export const read = (path: string) => readFileSync(path, "utf8");
export const loadYaml = (path: string) => parse(read(path)) as Doc;

export function yamlFiles(dir: string): string[] {
    return readdirSync(dir)
        .flatMap((f) => {
            const path = join(dir, f);
            return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(f) ? [path] : [];
        })
        .sort();
}

export const projectPath = (path: string) => relative(PROJECT_DIR, path);

/** `pipelines/templates/x.yml@platform` from an app repository, or `x.yml` relative to a template. */
export function templateFile(ref: string, from: string): string {
    if (ref.endsWith("@platform")) {
        const match = /^pipelines\/templates\/([\w.-]+\.yml)@platform$/.exec(ref);
        assert.ok(
            match,
            `${ref}: a template of the platform repository, pipelines/templates/<file>@platform`,
        );
        return join(TEMPLATES_DIR, match[1]);
    }
    return join(dirname(from), ref);
}

// ---- Template expressions, as far as the platform's templates use them ----------------------------

/** Evaluates a compile-time expression (`coalesce`, `format`, `parameters.x`, '...' literals). */
export function expression(source: string, parameters: Doc): string {
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
export function resolve(node: unknown, parameters: Doc, variables: Record<string, string> = {}): any {
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

export const declaredParameters = (template: Doc) =>
    ((template.parameters ?? []) as Doc[]).map((p) => p.name as string);
export const requiredParameters = (template: Doc) =>
    ((template.parameters ?? []) as Doc[]).filter((p) => !("default" in p)).map((p) => p.name as string);

/** A template's parameters: its defaults, overridden by what is passed; refuses undeclared ones. */
export function withDefaults(template: Doc, passed: Doc, file = "template"): Doc {
    for (const name of Object.keys(passed))
        assert.ok(declaredParameters(template).includes(name), `${file} declares no parameter ${name}`);
    for (const name of requiredParameters(template))
        assert.ok(name in passed, `${file} requires the parameter ${name}`);
    return {
        ...Object.fromEntries(((template.parameters ?? []) as Doc[]).map((p) => [p.name, p.default])),
        ...passed,
    };
}

/** Every `{ template, parameters }` of a document, wherever it is nested. */
export function templateUses(node: unknown): { template: string; parameters: Doc }[] {
    if (Array.isArray(node)) return node.flatMap(templateUses);
    if (!node || typeof node !== "object") return [];
    const n = node as Doc;
    const own =
        typeof n.template === "string"
            ? [{ template: n.template as string, parameters: (n.parameters ?? {}) as Doc }]
            : [];
    return [...own, ...Object.values(n).flatMap(templateUses)];
}

/** The template file each expanded step, job or stage comes from. */
const ORIGIN = new WeakMap<object, string>();
export const originOf = (node: Doc) => ORIGIN.get(node) ?? "?";

const isTemplateUse = (n: unknown): n is { template: string; parameters?: Doc } =>
    !!n &&
    typeof n === "object" &&
    typeof (n as Doc).template === "string" &&
    Object.keys(n).every((k) => k === "template" || k === "parameters");

function expandNode(node: unknown, file: string, parameters: Doc): any {
    if (typeof node === "string") return resolve(node, parameters);
    if (Array.isArray(node))
        return node.flatMap((item) => {
            if (!isTemplateUse(item)) return [expandNode(item, file, parameters)];
            const target = templateFile(item.template, file);
            const template = loadYaml(target);
            const passed = resolve(item.parameters ?? {}, parameters);
            const body = template.stages ?? template.jobs ?? template.steps ?? template.variables;
            return expandNode(body, target, withDefaults(template, passed, projectPath(target)));
        });
    if (node && typeof node === "object") {
        const expanded = Object.fromEntries(
            Object.entries(node).map(([k, v]) => [k, expandNode(v, file, parameters)]),
        );
        ORIGIN.set(expanded, projectPath(file));
        return expanded;
    }
    return node;
}

/**
 * A pipeline or template with every template use replaced by what it expands to and every `${{ }}`
 * evaluated; `$(macros)` and `$[ runtime expressions ]` are left for the run.
 */
export function expand(file: string, passed: Doc = {}): Doc {
    const doc = loadYaml(file);
    const parameters = doc.parameters ? withDefaults(doc, passed, projectPath(file)) : passed;
    const rest = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== "parameters"));
    return expandNode(rest, file, parameters);
}

/** Every step of a document, whatever nests it (stages, jobs, deployment strategies). */
export function steps(node: unknown): Doc[] {
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

/** The stages of an expanded pipeline, by name. */
export function stage(pipeline: Doc, name: string): Doc {
    const found = (pipeline.stages as Doc[]).find((s) => s.stage === name);
    assert.ok(found, `no stage ${name}`);
    return found;
}

/** The one job of a stage (a job or a deployment job). */
export function onlyJob(s: Doc): Doc {
    assert.equal(s.jobs.length, 1, `stage ${s.stage}: one job`);
    return s.jobs[0];
}

/** The inline script of a Bash@3 or AzureCLI@2 task or of a `bash:`/`script:` step; "" if none. */
export const scriptOf = (s: Doc): string =>
    s.inputs?.script ?? s.inputs?.inlineScript ?? s.bash ?? s.script ?? "";

/** Every step with an inline script in `node`. */
export const scriptSteps = (node: unknown) => steps(node).filter((s) => scriptOf(s) !== "");

/** The one step of `node` whose script matches `pattern`. */
export function stepRunning(node: unknown, pattern: RegExp): Doc {
    const found = scriptSteps(node).filter((s) => pattern.test(scriptOf(s)));
    assert.equal(found.length, 1, `one step runs ${pattern}, found ${found.length}`);
    return found[0];
}

// ---- Schema --------------------------------------------------------------------------------------

type SchemaValidators = { pipeline: ValidateFunction; definition: (name: string) => ValidateFunction };
let schemaValidators: SchemaValidators | null | undefined;

/** Validators of the Azure Pipelines schema (../shared/schemas), or null when it is not there. */
export function pipelineSchema(): SchemaValidators | null {
    if (schemaValidators !== undefined) return schemaValidators;
    if (!existsSync(PIPELINE_SCHEMA)) return (schemaValidators = null);
    const schema = JSON.parse(read(PIPELINE_SCHEMA));
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#", "Ajv's default draft");
    // The schema carries editor hints (ignoreCase, firstProperty, doNotSuggest...) Ajv must ignore,
    // and patterns written for JavaScript's non-unicode RegExp (`\/` escapes). Without code
    // optimisation and ref inlining, the 1.6 MB schema compiles 3x faster; what it accepts is the same.
    const ajv = new Ajv({
        strict: false,
        allErrors: false,
        unicodeRegExp: false,
        inlineRefs: false,
        code: { optimize: false },
    });
    ajv.addSchema(schema);
    schemaValidators = {
        pipeline: ajv.getSchema(schema.$id)!,
        definition: (name) => ajv.getSchema(`${schema.$id}#/definitions/${name}`)!,
    };
    return schemaValidators;
}

/** Parses a file as Azure Pipelines reads it: every scalar a string (YAML's failsafe schema). */
export const asPipelines = (path: string) => parse(read(path), { schema: "failsafe" }) as Doc;
