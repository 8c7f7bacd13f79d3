// A team's guardrails (Pod Security level, access role, quota, limits, load balancers, egress) live
// in a file of their own, `<teams>/guardrails/<team file's name>`, which CODEOWNERS gives to the platform
// team: a team approves its own team file (apps, flows, hosts, promotions) but cannot raise its own
// fences. The file is optional; without it the defaults hold. The program reads both as one team.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ConfigReader } from "../../src/config/reader";
import { unknownKeyAllowed } from "../../src/config/suggest";
import { readYamlFile } from "../../src/config/yamlFile";
import { GUARDRAIL_PROPERTIES } from "./teamSchema";

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

/**
 * The team file's data with its guardrails file's merged in (top level and per environment). A
 * guardrail key in the team file, or any other key in the guardrails file, is a problem.
 */
export function withGuardrails(
    r: Pick<ConfigReader, "problem">,
    file: string,
    team: Raw,
    projectDir: string,
): Raw {
    const guardFile = guardrailsFileOf(file);
    refuseGuardrailsIn(r, file, guardFile, team);
    const path = join(projectDir, guardFile);
    if (!existsSync(path)) return team;
    const guard = readYamlFile(path, guardFile);
    if (!isObject(guard)) {
        r.problem(`${guardFile}:`, guard, `an object of ${GUARDRAIL_KEYS.join(", ")} and environments`);
        return team;
    }
    checkGuardrailKeys(r, guardFile, guard);
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

function refuseGuardrailsIn(
    r: Pick<ConfigReader, "problem">,
    file: string,
    guardFile: string,
    team: Raw,
): void {
    const refuse = (at: string, key: string, value: unknown) =>
        r.problem(
            `${file}:.${at}${key}`,
            value,
            `set by the platform team in ${guardFile} (a team cannot change its own guardrails)`,
        );
    for (const key of Object.keys(team).filter(isGuardrail)) refuse("", key, team[key]);
    for (const [env, s] of Object.entries(isObject(team.environments) ? team.environments : {}))
        if (isObject(s))
            for (const key of Object.keys(s).filter(isGuardrail)) refuse(`environments.${env}.`, key, s[key]);
}

function checkGuardrailKeys(r: Pick<ConfigReader, "problem">, guardFile: string, guard: Raw): void {
    for (const key of Object.keys(guard))
        if (key !== "environments" && !isGuardrail(key))
            r.problem(
                `${guardFile}:.${key}`,
                guard[key],
                unknownKeyAllowed(key, [...GUARDRAIL_KEYS, "environments"]),
            );
    for (const [env, s] of Object.entries(isObject(guard.environments) ? guard.environments : {}))
        for (const key of Object.keys(isObject(s) ? s : {}).filter((k) => !isGuardrail(k)))
            r.problem(
                `${guardFile}:.environments.${env}.${key}`,
                (s as Raw)[key],
                unknownKeyAllowed(key, GUARDRAIL_KEYS),
            );
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
