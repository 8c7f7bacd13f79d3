// One file per team (`tenants/<team>.yaml`), read by every stack: what the team is, and per
// environment what differs there (staging's version ranges, prod's pins). Onboarding a team is one file.
import { readdirSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { ConfigReader } from "../../src/config/reader";

/** Where problems go: the config reader, or a test that only wants the merged teams. */
type Problems = Pick<ConfigReader, "problem">;
import { unknownKeyAllowed } from "../../src/config/suggest";
import { readYamlFile } from "../../src/config/yamlFile";
import { guardrailInTeamFile, orphanGuardrails, withGuardrails } from "./guardrails";
import { reportSchemaProblems } from "./schemaProblems";
import { GUARDRAIL_ENVIRONMENT_PROPERTIES, TEAM_ENVIRONMENT_PROPERTIES, teamFileSchema } from "./teamSchema";

const TEAM_FILE_SCHEMA = teamFileSchema();

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** What an environment's section of a team file (or of its guardrails file) may change, from their schemas. */
const SECTION_PROPERTIES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
    ...TEAM_ENVIRONMENT_PROPERTIES,
    ...GUARDRAIL_ENVIRONMENT_PROPERTIES,
};
const ENVIRONMENT_KEYS = Object.keys(SECTION_PROPERTIES);
/** What a helm app's release is per environment: a range in staging, a pin in prod. */
const RELEASE_FIELDS = ["version", "digest"] as const;
/**
 * How a section merges, by the schema's type: apps by name; an object (git, quota, limits) key by key;
 * anything else (hosts, egress, loadBalancers) replaced whole: each environment has its own ways in and out.
 */
const MERGED_KEYS = ENVIRONMENT_KEYS.filter((k) => k !== "apps" && SECTION_PROPERTIES[k].type === "object");
const REPLACED_KEYS = ENVIRONMENT_KEYS.filter((k) => k !== "apps" && !MERGED_KEYS.includes(k));

/** A team file, with its environment's section merged in: what `readTenant` validates. */
export interface TeamFile {
    /** The file, relative to the project (`tenants/dev-team1.yaml`): every problem names it. */
    readonly file: string;
    readonly raw: Raw;
    /** Where merged paths came from in the file (`apps[0].version` ← `environments.staging.apps.back.version`). */
    readonly origins: ReadonlyMap<string, string>;
}

/** Every `*.yaml` of `directory`, sorted, as the team `environment` sees it. */
export function readTeamFiles(
    r: ConfigReader,
    given: {
        readonly directory: string;
        readonly projectDir: string;
        readonly environment: string;
        readonly environments: readonly string[];
    },
): TeamFile[] {
    const directory = resolve(given.projectDir, given.directory);
    let listed: string[];
    try {
        listed = readdirSync(directory).sort();
    } catch {
        r.problem(
            "teamsDirectory",
            given.directory,
            "a folder of team files (<team>.yaml), relative to the project",
        );
        return [];
    }
    const names = listed.filter((n) => n.endsWith(".yaml"));
    // A team file named .yml would otherwise be neither read nor refused: the team silently absent.
    for (const name of listed.filter((n) => n.endsWith(".yml")))
        r.problem(
            `${relative(given.projectDir, join(directory, name))}:`,
            "<a .yml file>",
            `a team file named <team>.yaml: rename it ${name.slice(0, -".yml".length)}.yaml to be read`,
        );
    for (const orphan of orphanGuardrails(given.projectDir, relative(given.projectDir, directory), names))
        r.problem(
            `${orphan}:`,
            "<guardrails>",
            `guardrails of a team file ${basename(orphan)} beside it: a renamed or removed team file takes its guardrails file along`,
        );
    return names.map((name) => {
        const path = join(directory, name);
        const file = relative(given.projectDir, path);
        const written = readYamlFile(path, file);
        const raw = reportSchemaProblems(r, file, TEAM_FILE_SCHEMA, written, guardrailInTeamFile(file));
        if (!isObject(raw)) return { file, raw: {}, origins: new Map() };
        const team = withGuardrails(r, file, raw, given.projectDir);
        return {
            file,
            raw: forEnvironment(r, file, team, given.environment, given.environments),
            origins: environmentOrigins(team, given.environment),
        };
    });
}

/** The team file `raw` as `environment` sees it: `environments.<environment>` merged over the rest (apps by name, objects key by key). */
export function forEnvironment(
    r: Problems,
    file: string,
    raw: Raw,
    environment: string,
    environments: readonly string[],
): Raw {
    const { environments: sections, ...team } = raw;
    // Shapes are the schema's (checked as the file is read); which environments exist is the stack's.
    if (!isObject(sections)) return team;
    for (const [name, section] of Object.entries(sections)) {
        if (!environments.includes(name))
            r.problem(
                `${file}:.environments.${name}`,
                section,
                unknownKeyAllowed(name, environments).replace("no such key", "no such environment"),
            );
    }
    const section = sections[environment];
    return isObject(section) ? merge(r, `${file}:.environments.${environment}`, team, section) : team;
}

/**
 * Which paths of the merged team come from its `environments.<environment>` section, and from where
 * there: what lets a problem found in the merged team name the line to fix.
 */
export function environmentOrigins(raw: Raw, environment: string): Map<string, string> {
    const origins = new Map<string, string>();
    const sections = isObject(raw.environments) ? raw.environments : {};
    const at = `environments.${environment}`;
    // A release setting written nowhere is missing where each environment writes it.
    (Array.isArray(raw.apps) ? raw.apps : []).forEach((app, i) => {
        if (!isObject(app) || typeof app.name !== "string") return;
        for (const field of RELEASE_FIELDS)
            if (app[field] === undefined)
                origins.set(`apps[${i}].${field}`, `${at}.apps.${app.name}.${field}`);
    });
    const section = sections[environment];
    if (!isObject(section)) return origins;
    for (const key of [...MERGED_KEYS, ...REPLACED_KEYS]) {
        const value = section[key];
        if (value === undefined) continue;
        if (isObject(value) && MERGED_KEYS.includes(key))
            for (const sub of Object.keys(value)) origins.set(`${key}.${sub}`, `${at}.${key}.${sub}`);
        else origins.set(key, `${at}.${key}`);
    }
    const apps = Array.isArray(raw.apps) ? raw.apps : [];
    const byName = isObject(section.apps) ? section.apps : {};
    apps.forEach((app, i) => {
        const own = isObject(app) ? byName[String(app.name)] : undefined;
        if (isObject(own) && isObject(app))
            for (const field of Object.keys(own))
                origins.set(`apps[${i}].${field}`, `${at}.apps.${String(app.name)}.${field}`);
    });
    return origins;
}

/** A reader whose problems name the path of the file where the value was written (see environmentOrigins). */
export function originReporter<R extends Problems>(
    r: R,
    file: string,
    origins: ReadonlyMap<string, string>,
): R {
    const prefix = `${file}:.`;
    const rewrite = (key: string) => {
        if (!key.startsWith(prefix)) return key;
        const rest = key.slice(prefix.length);
        const from = [...origins.keys()]
            .filter((p) => rest === p || rest.startsWith(`${p}.`) || rest.startsWith(`${p}[`))
            .sort((a, b) => b.length - a.length)[0];
        return from === undefined ? key : `${prefix}${origins.get(from)}${rest.slice(from.length)}`;
    };
    return Object.assign(Object.create(r) as R, {
        problem: (key: string, value: unknown, allowed: string) => r.problem(rewrite(key), value, allowed),
    });
}

function merge(r: Problems, at: string, team: Raw, section: Raw): Raw {
    const merged: Raw = { ...team };
    for (const key of MERGED_KEYS) {
        if (section[key] === undefined) continue;
        merged[key] =
            isObject(team[key]) && isObject(section[key]) ? { ...team[key], ...section[key] } : section[key];
    }
    for (const key of REPLACED_KEYS) if (section[key] !== undefined) merged[key] = section[key];
    if (section.apps !== undefined) merged.apps = mergeApps(r, `${at}.apps`, team.apps, section.apps);
    return merged;
}

/** Each app's environment settings (`apps: { back: { version: "0.4.2" } }`) over the app of that name. */
function mergeApps(r: Problems, at: string, apps: unknown, byName: unknown): unknown {
    if (!isObject(byName)) return apps;
    const list = Array.isArray(apps) ? apps : [];
    const names = list.filter(isObject).map((a) => String(a.name));
    for (const name of Object.keys(byName)) {
        if (!names.includes(name))
            r.problem(
                `${at}.${name}`,
                byName[name],
                unknownKeyAllowed(name, names).replace("no such key", "no such app"),
            );
    }
    return list.map((app) =>
        isObject(app) && isObject(byName[String(app.name)])
            ? { ...app, ...(byName[String(app.name)] as Raw) }
            : app,
    );
}
