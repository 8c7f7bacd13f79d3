// `npm run validate`: the organisation's instance of the platform (its stack files, team files and
// CODEOWNERS), checked as a pull request's CI checks it: every stack planned offline (every team file
// read and validated by every stack, every environment's capacity), every secret a stack needs
// committed, and CODEOWNERS giving each team its own file and the platform team every guardrails file.
// The product's tests never read the instance; this is what does.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { CONFIG_KEYS, KeyDeclaration } from "../../src/config/keys";
import { GUARDRAILS_DIRECTORY } from "../../components/tenants/guardrails";
import { OptionSpec, UsageError, optionsHelp, parseCommandLine, runCommand } from "./cli";
import { CODEOWNERS_FILE } from "./instance";
import { renderCapacity } from "./planView";
import { runProgram } from "./run";
import { PROJECT_DIR, resolveStackConfig, stackFileOf, stacksOf } from "./stackConfig";
import { readYamlFile } from "./yamlFile";

/** One check's outcome: a line when it holds, or its problems (each a whole message). */
export interface CheckResult {
    readonly check: string;
    readonly problems: readonly string[];
    readonly summary?: string;
    /** Not checked, and why (a stack whose referenced stacks did not plan). */
    readonly skipped?: string;
}

/** A team file of the instance and the team it declares. */
export interface TeamFileEntry {
    /** Relative to the instance: `tenants/dev-team1.yaml`. */
    readonly file: string;
    readonly team: string;
}

/** Every team folder the stacks read, relative to the instance (`tenants`). */
function teamDirectories(instanceDir: string, projectDir: string): string[] {
    const dirs = new Set<string>();
    for (const stack of stacksOf(instanceDir)) {
        const config = resolveStackConfig(stack, {}, projectDir, instanceDir);
        const dir = config.values[`${config.project}:teamsDirectory`];
        if (dir !== undefined) dirs.add(relative(instanceDir, join(projectDir, dir)) || ".");
    }
    return [...dirs].sort();
}

/** The team files of a team folder (every file but the guardrails folder) and the `name` each declares. */
export function teamFilesOf(instanceDir: string, directory: string): TeamFileEntry[] {
    const dir = join(instanceDir, directory);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort()
        .map((name) => {
            let declared: unknown;
            try {
                declared = (readYamlFile(join(dir, name)) as { name?: unknown } | null)?.name;
            } catch {
                // the plan reports a file that does not parse, with its line
            }
            return {
                file: `${directory}/${name}`,
                team: typeof declared === "string" ? declared : name.replace(/\.ya?ml$/, ""),
            };
        });
}

/** CODEOWNERS rules, in order: a pattern and its owners. */
export function codeownersRules(text: string): { pattern: string; owners: string[] }[] {
    return text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split(/\s+/))
        .map(([pattern, ...owners]) => ({ pattern, owners }));
}

/** The owners GitHub asks for a path (relative to the repository): the last matching rule wins. */
export function ownersOf(rules: ReturnType<typeof codeownersRules>, path: string): string[] {
    const matching = rules.filter(
        ({ pattern }) =>
            pattern === "*" ||
            pattern === `/${path}` ||
            (pattern.endsWith("/") && `/${path}`.startsWith(pattern)),
    );
    return matching.at(-1)?.owners ?? [];
}

/**
 * Each team file approved by its own team alone (`@<org>/<team>`, the organisation of the platform
 * team's `*` rule): the team then approves its own promotions; each guardrails file by the platform
 * team alone: a team cannot raise its own quota.
 */
export function checkCodeowners(text: string | undefined, teams: readonly TeamFileEntry[]): string[] {
    if (text === undefined)
        return [
            `${CODEOWNERS_FILE}: got no file; allowed: a CODEOWNERS file (see README, "Onboarding a team")`,
        ];
    const rules = codeownersRules(text);
    const platform = rules.filter((r) => r.pattern === "*").at(-1)?.owners ?? [];
    const org = /^@([^/]+)\//.exec(platform[0] ?? "")?.[1];
    if (!org)
        return [
            `${CODEOWNERS_FILE}: *: got ${JSON.stringify(platform.join(" "))}; allowed: the platform team's GitHub team (\`* @<org>/platform-team\`), owner of everything no other line names`,
        ];
    const problems: string[] = [];
    for (const { file, team } of teams) {
        const path = file;
        const guardrails = path.split("/").slice(-2, -1)[0] === GUARDRAILS_DIRECTORY;
        const want = guardrails ? platform : [`@${org}/${team}`];
        const got = ownersOf(rules, path);
        if (got.join(" ") === want.join(" ")) continue;
        problems.push(
            guardrails
                ? `${CODEOWNERS_FILE}: /${path}: got ${got.join(" ") || "no owner"}; allowed: ${platform.join(" ")} alone (a team cannot approve its own guardrails): keep /${path.slice(0, path.lastIndexOf("/") + 1)} the platform team's, after every team's line`
                : `${CODEOWNERS_FILE}: /${path}: got ${got.join(" ") || "no owner"}; allowed: ${want[0]} (the team approves its own promotions): add the line "/${path} ${want[0]}" before the guardrails line`,
        );
    }
    return problems;
}

/** `pulumi config set` of a required secret, as the stack file should hold it (one per team for a per-team key). */
function setSecretCommand(stack: string, key: string, team?: string): string {
    return team === undefined
        ? `pulumi config set -s ${stack} --secret ${key} <value>`
        : `pulumi config set -s ${stack} --secret --path '${key}.${team}' <token>`;
}

/**
 * Every secret the stack's role requires, committed in its stack file as ciphertext (per team for a
 * per-team secret): CI decrypts what is committed, and the offline plan fills in what is not.
 */
export function checkCommittedSecrets(
    instanceDir: string,
    stack: string,
    role: string,
    project: string,
    teams: readonly string[],
): string[] {
    const file = `Pulumi.${stack}.yaml`;
    const config = ((
        readYamlFile(stackFileOf(instanceDir, stack)) as { config?: Record<string, unknown> } | null
    )?.config ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    const isCiphertext = (v: unknown) =>
        typeof v === "object" && v !== null && Object.keys(v).join() === "secure";
    for (const [key, decl] of Object.entries(CONFIG_KEYS) as [string, KeyDeclaration][]) {
        const stacks = decl.stacks ?? "environment";
        if (!decl.secret || decl.optional || (stacks !== role && stacks !== "all")) continue;
        const value = config[`${project}:${key}`] ?? config[key];
        if (!decl.perTeam) {
            if (!isCiphertext(value))
                problems.push(
                    `${file}: ${key}: got ${value === undefined ? "nothing" : "a value that is not ciphertext"}; allowed: a secret, committed encrypted: ${setSecretCommand(stack, key)}`,
                );
            continue;
        }
        const leaves = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
        for (const team of teams.filter((t) => !isCiphertext(leaves[t])))
            problems.push(
                `${file}: ${key}.${team}: got nothing; allowed: team ${team}'s secret, committed encrypted: ${setSecretCommand(stack, key, team)}`,
            );
    }
    return problems;
}

/** Plans `stack` offline, as the pull request's plan does: its problems, or a summary line. */
async function planStack(stack: string, projectDir: string, instanceDir: string): Promise<CheckResult> {
    try {
        const run = await runProgram(stack, {}, undefined, { preview: true, projectDir, instanceDir });
        const total = run.resources.filter((r) => r.custom).length;
        const capacity = renderCapacity(run)
            .split("\n")
            .find((l) => l.trim().startsWith("all teams"))
            ?.trim();
        return {
            check: `${stack}: planned offline`,
            problems: [],
            summary: `${total} cloud resources${capacity ? `; capacity ${capacity}` : ""}`,
        };
    } catch (e) {
        const error = e as Error;
        if (error.name !== "ConfigError" && error.name !== "UsageError") throw e;
        return { check: `${stack}: planned offline`, problems: [error.message] };
    }
}

/**
 * Environments first: a delivery stack reads their outputs, so it is planned only when they plan
 * (one mistake in a team file is then reported once, by the environments).
 */
async function planStacks(
    roles: ReadonlyMap<string, string>,
    projectDir: string,
    instanceDir: string,
): Promise<CheckResult[]> {
    const stacks = [...roles.keys()];
    const results: CheckResult[] = [];
    for (const stack of stacks.filter((s) => roles.get(s) !== "delivery"))
        results.push(await planStack(stack, projectDir, instanceDir));
    const failed = results.filter((r) => r.problems.length > 0).map((r) => r.check.split(":")[0]);
    for (const stack of stacks.filter((s) => roles.get(s) === "delivery"))
        results.push(
            failed.length === 0
                ? await planStack(stack, projectDir, instanceDir)
                : {
                      check: `${stack}: not planned`,
                      problems: [],
                      skipped: `it reads the outputs of ${failed.join(", ")}, which must plan first`,
                  },
        );
    return results;
}

/**
 * Every stack reads every team file, so one mistake in a team file fails each environment's plan the
 * same way: it is listed once, under the first stack, and the others say so.
 */
export function withoutRepeats(results: readonly CheckResult[]): CheckResult[] {
    const seen = new Map<string, string>();
    return results.map((r) => {
        const stack = r.check.split(":")[0];
        const problems = r.problems.map((message) => {
            const lines = message.split("\n");
            const repeats = lines.filter((l) => l.startsWith("  - ") && seen.has(l));
            for (const l of lines) if (l.startsWith("  - ") && !seen.has(l)) seen.set(l, stack);
            if (repeats.length === 0) return message;
            const where = [...new Set(repeats.map((l) => seen.get(l)))].join(", ");
            const kept = lines.filter((l) => !repeats.includes(l));
            const same = repeats.length === 1 ? "the same problem" : `the same ${repeats.length} problems`;
            return [...kept, `  - ${same} as ${where}, above`].join("\n");
        });
        return { ...r, problems };
    });
}

/** Every check of the instance at `instanceDir` (the program of `projectDir` plans its stacks). */
export async function validateInstance(
    instanceDir: string,
    projectDir: string = instanceDir,
): Promise<CheckResult[]> {
    const stacks = stacksOf(instanceDir);
    if (stacks.length === 0)
        return [
            {
                check: "stacks",
                problems: [`${instanceDir}: got no Pulumi.<stack>.yaml; allowed: at least one stack file`],
            },
        ];
    const roles = new Map(
        stacks.map((stack) => {
            const config = resolveStackConfig(stack, {}, projectDir, instanceDir);
            return [stack, config.values[`${config.project}:stackRole`] ?? "environment"] as const;
        }),
    );
    const results = withoutRepeats(await planStacks(roles, projectDir, instanceDir));

    const directories = teamDirectories(instanceDir, projectDir);
    const teamFiles = directories.flatMap((d) => teamFilesOf(instanceDir, d));
    const guardrailsFiles = directories.flatMap((d) =>
        teamFilesOf(instanceDir, `${d}/${GUARDRAILS_DIRECTORY}`),
    );
    const codeowners = join(instanceDir, CODEOWNERS_FILE);
    results.push({
        check: `${CODEOWNERS_FILE}: each team file its team's, each guardrails file the platform team's`,
        problems: checkCodeowners(existsSync(codeowners) ? readFileSync(codeowners, "utf8") : undefined, [
            ...teamFiles,
            ...guardrailsFiles,
        ]),
        summary: `${teamFiles.length} team files, ${guardrailsFiles.length} guardrails files`,
    });

    const teams = [...new Set(teamFiles.map((t) => t.team))].sort();
    const project = resolveStackConfig(stacks[0], {}, projectDir, instanceDir).project;
    const secrets = stacks.flatMap((stack) =>
        checkCommittedSecrets(instanceDir, stack, roles.get(stack)!, project, teams),
    );
    results.push({
        check: "secrets: every secret a stack needs committed encrypted (promotion tokens: one per team)",
        problems: secrets,
    });
    return results;
}

/** The report `npm run validate` prints: a line per check that holds, every problem of the others. */
export function renderValidation(results: readonly CheckResult[]): string {
    const lines: string[] = [];
    for (const r of results) {
        if (r.skipped) lines.push(`- ${r.check}: ${r.skipped}`);
        else if (r.problems.length === 0) lines.push(`✓ ${r.check}${r.summary ? ` (${r.summary})` : ""}`);
        else {
            lines.push(`✗ ${r.check}`);
            for (const p of r.problems) lines.push(...p.split("\n").map((l) => `    ${l}`));
        }
    }
    const failed = results.filter((r) => r.problems.length > 0).length;
    lines.push(
        "",
        failed === 0
            ? "The instance is valid."
            : `${failed} of ${results.length} checks failed: fix what each problem names, then run npm run validate again.`,
    );
    return lines.join("\n") + "\n";
}

const OPTIONS: readonly OptionSpec[] = [];

async function main(): Promise<number> {
    const { options, positionals } = parseCommandLine(process.argv.slice(2), OPTIONS);
    if (options.help) {
        process.stdout.write(
            [
                "Usage: npm run validate",
                "",
                "Checks this repository's instance: every stack (Pulumi.<stack>.yaml) planned offline, every team",
                "file valid, each environment's capacity, every secret a stack needs committed, CODEOWNERS.",
                "",
                "Options:",
                optionsHelp(OPTIONS),
                "",
                "Exit codes: 0 valid, 1 a problem (each named with its file, key, value and what is allowed).",
                "",
            ].join("\n"),
        );
        return 0;
    }
    if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}" (npm run validate checks every stack)`);
    const results = await validateInstance(PROJECT_DIR);
    process.stdout.write(renderValidation(results));
    return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

if (require.main === module) runCommand(main, "npm run validate");
