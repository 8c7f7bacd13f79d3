// A team's guardrails (Pod Security level, access role, quota, limits, load balancers, egress) live
// in a file of their own, `<teams>/guardrails/<team file's name>`, which CODEOWNERS gives to the platform
// team: a team approves its own team file (apps, flows, hosts, promotions) but cannot raise its own
// fences. The file is optional; without it the defaults hold. The program reads both as one team.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ConfigReader } from "../../src/config/reader";
import { closest } from "../../src/config/suggest";
import { readYamlFile } from "../../src/config/yamlFile";
import { reportSchemaProblems } from "./schemaProblems";
import { GUARDRAIL_PROPERTIES, guardrailsFileSchema } from "./teamSchema";

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** Team keys only the platform team sets (in the guardrails file), at the top or per environment. */
export const GUARDRAIL_KEYS = Object.keys(
    GUARDRAIL_PROPERTIES,
) as readonly (keyof typeof GUARDRAIL_PROPERTIES)[];

/** The folder of the guardrails files, inside the teams' folder. */
export const GUARDRAILS_DIRECTORY = "guardrails";

/**
 * Where the guardrails of the team file `file` (relative to the project) are: the same file name
 * under `<dir>/guardrails/`. Keyed by the path, which only the platform team can create (CODEOWNERS
 * `*`), not by the `name` inside, which the team edits; a guardrails file no team file matches
 * (a renamed team file) is refused (`orphanGuardrails`).
 */
export function guardrailsFileOf(file: string): string {
    return join(dirname(file), GUARDRAILS_DIRECTORY, basename(file));
}

/** Guardrails files of `directory` (relative to `projectDir`) that no team file matches. */
export function orphanGuardrails(
    projectDir: string,
    directory: string,
    teamFiles: readonly string[],
): string[] {
    const dir = join(projectDir, directory, GUARDRAILS_DIRECTORY);
    if (!existsSync(dir)) return [];
    const teams = new Set(teamFiles.map((f) => basename(f)));
    return readdirSync(dir)
        .filter((f) => !teams.has(f)) // dev-team1.yml too: it would be neither applied nor refused
        .sort()
        .map((f) => join(directory, GUARDRAILS_DIRECTORY, f));
}

const isGuardrail = (key: string) => (GUARDRAIL_KEYS as readonly string[]).includes(key);

/** Splits raw team data into what the team's file holds and what its guardrails file holds. */
export function splitGuardrails(raw: Raw): { team: Raw; guardrails: Raw } {
    const pick = (o: Raw, guard: boolean) =>
        Object.fromEntries(Object.entries(o).filter(([k]) => isGuardrail(k) === guard));
    const sections = isObject(raw.environments) ? raw.environments : {};
    const split = (guard: boolean) =>
        Object.fromEntries(
            Object.entries(sections)
                .map(([env, s]) => [env, isObject(s) ? pick(s, guard) : s] as const)
                .filter(([, s]) => !isObject(s) || Object.keys(s).length > 0),
        );
    const team = {
        ...pick(raw, false),
        ...(raw.environments === undefined ? {} : { environments: split(false) }),
    };
    const guardEnvironments = split(true);
    const guardrails = {
        ...pick(raw, true),
        ...(Object.keys(guardEnvironments).length ? { environments: guardEnvironments } : {}),
    };
    return { team, guardrails };
}

const GUARDRAILS_FILE_SCHEMA = guardrailsFileSchema();

/**
 * What a team file is told of a guardrail key in it (its schema has none): where it is set instead.
 * Any other unknown key gets the schema's "did you mean".
 */
export function guardrailInTeamFile(file: string) {
    return (parent: readonly string[], key: string, known: readonly string[]): string | undefined => {
        if (parent.length !== 0 && !(parent.length === 2 && parent[0] === "environments")) return undefined;
        const where = `set by the platform team in ${guardrailsFileOf(file)}`;
        if (isGuardrail(key)) return `${where} (a team cannot change its own guardrails)`;
        const near = closest(key, [...known, ...GUARDRAIL_KEYS]);
        return near !== undefined && isGuardrail(near)
            ? `no such key; did you mean "${near}"? (${where})`
            : undefined;
    };
}

/** An egress key the schema lacks on purpose, and why. */
function explainGuardrailKey(parent: readonly string[], key: string): string | undefined {
    return key === "host" && parent[parent.length - 2] === "egress"
        ? "nothing: host names need FQDN network policies (Cilium's DNS proxy, which AKS offers only with Advanced Container Networking Services, not enabled on this platform; Calico has none); declare the service's IPv4 CIDR instead"
        : undefined;
}

/**
 * The team file's data with its guardrails file's merged in (top level and per environment), the
 * guardrails file checked against its schema (`withCounts`: counts as numbers).
 */
export function withGuardrails(
    r: Pick<ConfigReader, "problem">,
    file: string,
    team: Raw,
    projectDir: string,
): Raw {
    const guardFile = guardrailsFileOf(file);
    const path = join(projectDir, guardFile);
    if (!existsSync(path)) return team;
    const written = readYamlFile(path, guardFile);
    const guard = reportSchemaProblems(r, guardFile, GUARDRAILS_FILE_SCHEMA, written, explainGuardrailKey);
    if (!isObject(guard)) return team;
    const sections = (o: Raw) => (isObject(o.environments) ? o.environments : {});
    const environments = { ...sections(team) };
    for (const [env, s] of Object.entries(sections(guard)))
        environments[env] = {
            ...(isObject(environments[env]) ? environments[env] : {}),
            ...(isObject(s) ? s : {}),
        };
    const top = Object.fromEntries(Object.entries(guard).filter(([k]) => k !== "environments"));
    return { ...team, ...top, ...(Object.keys(environments).length ? { environments } : {}) };
}

/**
 * A reader whose problems about guardrail keys name the guardrails file, where they are set: the
 * team file and its guardrails are validated as one team, but each problem names the file to fix.
 */
export function guardrailReporter<R extends Pick<ConfigReader, "problem">>(r: R, file: string): R {
    const guardFile = guardrailsFileOf(file);
    const own = new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\.((?:environments\\.[a-z0-9-]+\\.)?(?:${GUARDRAIL_KEYS.join("|")}))(?=$|[.[])`,
    );
    return Object.assign(Object.create(r) as R, {
        problem: (key: string, value: unknown, allowed: string) =>
            r.problem(key.replace(own, `${guardFile}:.$1`), value, allowed),
    });
}
