// `npm run team -- add <team> --kit helm|kustomize`: onboards a team in this instance: its team file
// from the kit's template, its guardrails file, its CODEOWNERS line; then says what is left to do in
// the same pull request (its promotion token, and what to change where the pools cannot hold the
// default quota), each exactly. `npm run team -- remove <team>` takes the same files away.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_QUOTA } from "../../components/tenants/config";
import { GUARDRAILS_DIRECTORY } from "../../components/tenants/guardrails";
import {
    Amounts,
    RESOURCES,
    Resource,
    capacityCheck,
    formatAmount,
} from "../../components/platform/capacity";
import { RESERVED_NAMESPACES } from "../../src/namespaces";
import { isDnsLabel } from "../../src/config/validators";
import { closest } from "../../src/config/suggest";
import { OptionSpec, UsageError, optionsHelp, parseCommandLine, runCommand } from "./cli";
import { CODEOWNERS_FILE } from "./instance";
import { registeredPools, registeredQuotas } from "./planView";
import { runProgram } from "./run";
import { PROJECT_DIR, resolveStackConfig, stacksOf } from "./stackConfig";
import { codeownersRules, teamFilesOf } from "./validate";

/** The starter kits a team starts from, and the team file template each keeps. */
export const KITS = { helm: "templates/helm-app", kustomize: "templates/kustomize-app" } as const;
export type Kit = keyof typeof KITS;
/** The guardrails file a new team gets: no guardrail set, so the defaults hold. */
const GUARDRAILS_TEMPLATE = "templates/guardrails.yaml";
/** The kits' placeholders (their READMEs): the team, its app and its repository. */
const PLACEHOLDERS = { team: "my-team", app: "my-app", repository: "contoso/my-app" } as const;
const DELIVERY_STACK_ROLE = "delivery";
const PROMOTION_TOKENS = "devopsPromotionTokens";

const OPTIONS: readonly OptionSpec[] = [
    {
        name: "kit",
        value: "helm|kustomize",
        description: "add: the starter kit the team's repository starts from",
    },
    {
        name: "app",
        value: "<name>",
        description: `add: the app's name (default the kit's, ${PLACEHOLDERS.app})`,
    },
    {
        name: "repository",
        value: "<owner/repo>",
        description: "add: the team's repository (default <githubOwner>/<team>)",
    },
];
const COMMANDS = ["add", "remove"] as const;

export function usage(): string {
    return [
        "Usage: npm run team -- add <team> --kit helm|kustomize [--app <name>] [--repository <owner/repo>]",
        "       npm run team -- remove <team>",
        "",
        "add writes tenants/<team>.yaml from the kit's template, tenants/guardrails/<team>.yaml and the",
        "team's CODEOWNERS line, then prints what is left to do in the same pull request (the promotion",
        "token; what to change where the pools cannot hold the default quota). remove takes them away.",
        "Then: npm run validate.",
        "",
        "Options:",
        optionsHelp(OPTIONS),
        "",
        "Exit codes: 0 done, 1 an error (nothing written).",
    ].join("\n");
}

/** Where the instance keeps what `team` touches. */
interface Instance {
    readonly dir: string;
    readonly projectDir: string;
    /** The team folder, relative to the instance (`tenants`). */
    readonly teams: string;
    readonly githubOwner?: string;
    readonly environments: readonly string[];
    readonly deliveryStacks: readonly string[];
}

function instanceOf(dir: string, projectDir: string): Instance {
    const environments: string[] = [];
    const deliveryStacks: string[] = [];
    let teams = "tenants";
    let githubOwner: string | undefined;
    for (const stack of stacksOf(dir)) {
        const config = resolveStackConfig(stack, {}, projectDir, dir);
        const value = (key: string) => config.values[`${config.project}:${key}`];
        const role = value("stackRole") ?? "environment";
        if (role === DELIVERY_STACK_ROLE) {
            deliveryStacks.push(stack);
            continue;
        }
        // A cluster stack (an existing cluster, the e2e's) plays an environment's section: no pools of its own.
        if (role === "cluster") continue;
        environments.push(stack);
        teams = value("teamsDirectory") ?? teams;
        githubOwner ||= value("githubOwner") || undefined;
    }
    return { dir, projectDir, teams, githubOwner, environments, deliveryStacks };
}

/** A team name the program will accept, not yet taken: else a usage error saying why. */
export function checkNewTeamName(name: string, taken: readonly string[]): void {
    if (!isDnsLabel(name))
        throw new UsageError(
            `team name "${name}": not a DNS label (lowercase letters, digits and '-', at most 63 characters): it is the team's namespace`,
        );
    if ((RESERVED_NAMESPACES as readonly string[]).includes(name) || name.startsWith("kube-"))
        throw new UsageError(
            `team name "${name}": a namespace reserved by the platform or Kubernetes (${RESERVED_NAMESPACES.join(", ")}, kube-*)`,
        );
    if (taken.includes(name)) throw new UsageError(`team name "${name}": a team of that name exists already`);
}

/** The team file of `kit` for `team`: the kit's template with its placeholders replaced. */
export function teamFileText(kit: Kit, team: string, app: string, repository: string): string {
    const template = readFileSync(join(PROJECT_DIR, KITS[kit], "team.yaml"), "utf8");
    return template
        .replaceAll(PLACEHOLDERS.repository, repository)
        .replaceAll(PLACEHOLDERS.team, team)
        .replaceAll(PLACEHOLDERS.app, app);
}

/**
 * CODEOWNERS with the team's line added after the other teams' (before the guardrails folder's line,
 * which must come later: GitHub applies the last matching pattern), aligned with them.
 */
export function withCodeownersLine(text: string, path: string, owner: string): string {
    const lines = text.replace(/\n$/, "").split("\n");
    const folder = path.slice(0, path.lastIndexOf("/") + 1);
    const isTeamLine = (l: string) =>
        l.startsWith(`/${folder}`) && !l.startsWith(`/${folder}${GUARDRAILS_DIRECTORY}/`);
    const lastTeam = lines.map(isTeamLine).lastIndexOf(true);
    const guardrails = lines.findIndex((l) => l.startsWith(`/${folder}${GUARDRAILS_DIRECTORY}/`));
    const at = lastTeam >= 0 ? lastTeam + 1 : guardrails >= 0 ? guardrails : lines.length;
    const column = lines.filter(isTeamLine).map((l) => l.search(/\s@/) + 1 || 0)[0] ?? 0;
    const pattern = `/${path}`;
    lines.splice(at, 0, `${pattern.padEnd(Math.max(column - 1, pattern.length))} ${owner}`);
    return lines.join("\n") + "\n";
}

/** CODEOWNERS without the line of `path`. */
export function withoutCodeownersLine(text: string, path: string): string {
    return text
        .split("\n")
        .filter((l) => l.trim().split(/\s+/)[0] !== `/${path}`)
        .join("\n");
}

/** The organisation of the platform team's `*` rule (`@one-kubernetes/platform-team`). */
function codeownersOrg(text: string): string {
    const platform =
        codeownersRules(text)
            .filter((r) => r.pattern === "*")
            .at(-1)?.owners[0] ?? "";
    const org = /^@([^/]+)\//.exec(platform)?.[1];
    if (!org)
        throw new UsageError(
            `${CODEOWNERS_FILE}: no "* @<org>/<platform-team>" line: the team's line is @<org>/<team>`,
        );
    return org;
}

/** What one environment's pools leave for a new team at the default quota, and what to change if they cannot hold it. */
export function capacityAdvice(
    environment: string,
    team: string,
    check: ReturnType<typeof capacityCheck>,
    guardrailsFile: string,
    userPoolsKey: string,
): string | undefined {
    const quota: Amounts = capacityCheck(
        [],
        [{ team, cpu: DEFAULT_QUOTA.cpu, memory: DEFAULT_QUOTA.memory, pods: DEFAULT_QUOTA.pods }],
    ).requested;
    const free = Object.fromEntries(
        RESOURCES.map((k) => [k, check.capacity[k] - check.requested[k]]),
    ) as Amounts;
    const short = RESOURCES.filter((k) => quota[k] > free[k]);
    if (short.length === 0 || check.pools.length === 0) return undefined;
    const [first] = check.pools;
    const extra = Math.max(...short.map((k) => Math.ceil((quota[k] - free[k]) / first.node[k])));
    const fits = short.map((k) => [k, fitting(k, free[k])] as const);
    const need = short
        .map(
            (k) =>
                `${k} ${formatAmount(k, check.requested[k] + quota[k])} of ${formatAmount(k, check.capacity[k])}`,
        )
        .join(", ");
    const lines = [
        `${environment}: its user pools cannot hold ${team} at the default quota: the teams would ask for ${need} (at maxCount). Change one:`,
        `  - Pulumi.${environment}.yaml, ${userPoolsKey}: pool ${first.pool.name} maxCount: ${first.pool.maxCount + extra} (instead of ${first.pool.maxCount})`,
    ];
    if (fits.every(([, v]) => v !== undefined))
        lines.push(
            `  - ${guardrailsFile}: environments.${environment}.quota: { ${fits.map(([k, v]) => `${k}: ${k === "pods" ? v : JSON.stringify(v)}`).join(", ")} }`,
        );
    return lines.join("\n");
}

/** The largest round amount of `resource` within `free` (`3.5` CPU, `4Gi`, `12` pods), if any. */
function fitting(resource: Resource, free: number): string | number | undefined {
    if (resource === "cpu") return free >= 100 ? String(Math.floor(free / 100) / 10) : undefined;
    if (resource === "pods") return free >= 1 ? Math.floor(free) : undefined;
    if (free >= 2 ** 30) return `${Math.floor(free / 2 ** 30)}Gi`;
    return free >= 64 * 2 ** 20 ? `${Math.floor(free / 2 ** 20)}Mi` : undefined;
}

/** What each environment's pools leave before the team is added, planned as the pull request's plan would plan it. */
async function capacityAdviceOf(instance: Instance, team: string, guardrailsFile: string): Promise<string[]> {
    const advice: string[] = [];
    for (const environment of instance.environments) {
        const run = await runProgram(environment, {}, undefined, {
            preview: true,
            projectDir: instance.projectDir,
            instanceDir: instance.dir,
        });
        const check = capacityCheck(registeredPools(run), registeredQuotas(run));
        const text = capacityAdvice(
            environment,
            team,
            check,
            guardrailsFile,
            `${run.config.project}:userPools`,
        );
        if (text) advice.push(text);
    }
    return advice;
}

/** `add`: writes the three files, returns what it did and what is left to do. */
export async function addTeam(
    instance: Instance,
    team: string,
    kit: Kit,
    options: { readonly app?: string; readonly repository?: string } = {},
): Promise<string> {
    const existing = teamFilesOf(instance.dir, instance.teams);
    checkNewTeamName(
        team,
        existing.flatMap((t) => [t.team, t.file.slice(t.file.lastIndexOf("/") + 1).replace(/\.ya?ml$/, "")]),
    );
    const app = options.app ?? PLACEHOLDERS.app;
    if (!isDnsLabel(app))
        throw new UsageError(`--app ${app}: not a DNS label (it names the app's pods and pipeline)`);
    const repository =
        options.repository ?? (instance.githubOwner ? `${instance.githubOwner}/${team}` : undefined);
    if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository))
        throw new UsageError(`--repository ${repository ?? ""}: the team's repository as <owner>/<repo>`);
    const codeownersPath = join(instance.dir, CODEOWNERS_FILE);
    const codeowners = existsSync(codeownersPath) ? readFileSync(codeownersPath, "utf8") : "";
    const org = codeownersOrg(codeowners);

    const teamFile = `${instance.teams}/${team}.yaml`;
    const guardrailsFile = `${instance.teams}/${GUARDRAILS_DIRECTORY}/${team}.yaml`;
    const advice = await capacityAdviceOf(instance, team, guardrailsFile);

    mkdirSync(join(instance.dir, instance.teams, GUARDRAILS_DIRECTORY), { recursive: true });
    writeFileSync(join(instance.dir, teamFile), teamFileText(kit, team, app, repository));
    const guardrails = readFileSync(join(PROJECT_DIR, GUARDRAILS_TEMPLATE), "utf8").replaceAll(
        PLACEHOLDERS.team,
        team,
    );
    writeFileSync(join(instance.dir, guardrailsFile), guardrails);
    const owner = `@${org}/${team}`;
    writeFileSync(codeownersPath, withCodeownersLine(codeowners, teamFile, owner));

    const todo = [
        ...instance.deliveryStacks.map(
            (stack) =>
                `The team's promotion token on the ${stack} stack (a GitHub token, see docs/team-lead/onboarding.md):\n  pulumi config set -s ${stack} --secret --path '${PROMOTION_TOKENS}.${team}' <token>`,
        ),
        ...advice,
    ];
    return [
        `Wrote ${teamFile} (from ${KITS[kit]}/team.yaml): the team's file, which it approves.`,
        `Wrote ${guardrailsFile}: its guardrails, the platform team's (none set: the defaults hold).`,
        `Added to ${CODEOWNERS_FILE}: /${teamFile} ${owner}`,
        "",
        "Left to do in the same pull request:",
        ...todo.map((t, i) => `${i + 1}. ${t.replace(/\n/g, "\n   ")}`),
        "",
        "Then: npm run validate",
    ].join("\n");
}

/** `remove`: takes the team's files and CODEOWNERS line away; says what is left to do. */
export function removeTeam(instance: Instance, team: string): string {
    const files = teamFilesOf(instance.dir, instance.teams).filter((t) => t.team === team);
    if (files.length === 0) {
        const teams = teamFilesOf(instance.dir, instance.teams).map((t) => t.team);
        const near = closest(team, teams);
        throw new UsageError(
            `no team "${team}"${near ? `; did you mean "${near}"?` : "."} Teams: ${teams.join(", ")}`,
        );
    }
    const done: string[] = [];
    const codeownersPath = join(instance.dir, CODEOWNERS_FILE);
    let codeowners = existsSync(codeownersPath) ? readFileSync(codeownersPath, "utf8") : "";
    for (const { file } of files) {
        const guardrails = `${instance.teams}/${GUARDRAILS_DIRECTORY}/${file.slice(file.lastIndexOf("/") + 1)}`;
        for (const f of [file, guardrails].filter((f) => existsSync(join(instance.dir, f)))) {
            rmSync(join(instance.dir, f));
            done.push(`Removed ${f}`);
        }
        codeowners = withoutCodeownersLine(codeowners, file);
        done.push(`Removed from ${CODEOWNERS_FILE}: /${file}`);
    }
    writeFileSync(codeownersPath, codeowners);
    return [
        ...done,
        "",
        "Left to do in the same pull request:",
        ...instance.deliveryStacks.map(
            (stack, i) =>
                `${i + 1}. The team's promotion token on the ${stack} stack:\n   pulumi config rm -s ${stack} --path '${PROMOTION_TOKENS}.${team}'`,
        ),
        "",
        "Then: npm run validate",
    ].join("\n");
}

async function main(): Promise<number> {
    const { options, positionals } = parseCommandLine(process.argv.slice(2), OPTIONS);
    if (options.help) {
        process.stdout.write(`${usage()}\n`);
        return 0;
    }
    const [command, team, ...rest] = positionals;
    if (!command) throw new UsageError(`a command: ${COMMANDS.join(" or ")}`);
    if (!(COMMANDS as readonly string[]).includes(command)) {
        const near = closest(command, COMMANDS);
        throw new UsageError(
            `unknown command "${command}"${near ? `; did you mean "${near}"?` : "."} Commands: ${COMMANDS.join(", ")}`,
        );
    }
    if (!team) throw new UsageError(`${command} needs a team name: npm run team -- ${command} <team>`);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (command === "remove") {
        for (const o of ["kit", "app", "repository"])
            if (options[o]) throw new UsageError(`--${o} is for add, not remove`);
        process.stdout.write(`${removeTeam(instanceOf(PROJECT_DIR, PROJECT_DIR), team)}\n`);
        return 0;
    }
    const kit = options.kit;
    if (typeof kit !== "string")
        throw new UsageError(`add needs the team's kit: --kit ${Object.keys(KITS).join("|")}`);
    if (!(kit in KITS)) {
        const near = closest(kit, Object.keys(KITS));
        throw new UsageError(
            `--kit ${kit}: no such kit${near ? `; did you mean "${near}"?` : "."} Kits: ${Object.keys(KITS).join(", ")}`,
        );
    }
    const text = await addTeam(instanceOf(PROJECT_DIR, PROJECT_DIR), team, kit as Kit, {
        app: typeof options.app === "string" ? options.app : undefined,
        repository: typeof options.repository === "string" ? options.repository : undefined,
    });
    process.stdout.write(`${text}\n`);
    return 0;
}

if (require.main === module) runCommand(main, "npm run team");
