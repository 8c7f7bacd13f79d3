// `npm run plan -- --stack <name>`: what `pulumi preview` would show for a new stack, offline.
// `npm run plan -- --stack <name> --diff <git-ref>`: only what changes between that ref and the working tree.
// `npm run plan -- --stack <name> --json`: the planned registrations as JSON (what a diff compares).
// `npm run plan -- --help`: the options, the stacks and the exit codes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planDiff } from "./diff";
import { runProgram } from "./run";
import { PROJECT_DIR, stacksOf, unknownStackMessage } from "./stackConfig";
import { OptionSpec, UsageError, optionsHelp, optionsNpmTook, parseCommandLine, runCommand } from "./cli";
import { componentGraph, mermaid, plugins, renderCapacity, renderPlan } from "./planView";
import { toPlanJson } from "./planJson";

export const OPTIONS: readonly OptionSpec[] = [
    { name: "stack", alias: "s", value: "<stack>", description: "the stack to plan (default staging)" },
    {
        name: "diff",
        value: "<git-ref>",
        description: "print only what changes between the ref and the working tree",
    },
    {
        name: "exit-code",
        description: "with --diff: exit 2 when something changes (as git diff --exit-code)",
    },
    { name: "json", description: "print the planned registrations as JSON (what a diff compares)" },
    { name: "project", value: "<dir>", description: "plan another checkout (what --diff does for the ref)" },
];

/** `npm run plan -- --exit-code` says "changes" with this code, as `git diff --exit-code` does. */
export const EXIT_CHANGES = 2;

interface Arguments {
    readonly stack: string;
    readonly diff?: string;
    readonly exitCode: boolean;
    readonly json: boolean;
    readonly projectDir: string;
    readonly help: boolean;
}

export function usage(stacks: readonly string[]): string {
    return [
        "Usage: npm run plan -- [--stack <stack>] [--diff <git-ref> [--exit-code]] [--json]",
        "",
        "What `pulumi preview` would show for a new stack, offline: no cloud, no Pulumi CLI, no credentials.",
        "",
        "Options:",
        optionsHelp(OPTIONS),
        "",
        `Stacks (Pulumi.<stack>.yaml): ${stacks.join(", ")}`,
        "",
        "Exit codes: 0 planned (with --diff --exit-code: no changes), 2 changes (--diff --exit-code only),",
        "1 an error (a usage mistake, invalid config, a failed plan).",
        "",
        "Arguments go after `--`: `npm run plan --stack prod` hands --stack to npm, not to the plan.",
    ].join("\n");
}

/**
 * The plan's arguments, or a usage error: an unknown option or stack (with the closest one and the
 * list), a stack given as a word or where npm takes it (`npm run plan prod`, `npm run plan --stack prod`).
 */
export function parseArguments(
    argv: readonly string[],
    stacks: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
): Arguments {
    const { options, positionals } = parseCommandLine(argv, OPTIONS);
    const help = options.help === true;
    const taken = optionsNpmTook(OPTIONS, env);
    if (!help && taken.length > 0) {
        // npm keeps `--stack` and passes `prod` on as a word of its own.
        const words = [...positionals];
        const given = taken
            .map((o) => {
                const takesValue = OPTIONS.find((s) => s.name === o.name)?.value;
                const value = o.value === "true" ? (takesValue ? words.shift() : undefined) : o.value;
                return value === undefined ? `--${o.name}` : `--${o.name} ${value}`;
            })
            .join(" ");
        throw new UsageError(
            `npm took ${given} for itself (an option before \`--\` is npm's): run npm run plan -- ${given}`,
        );
    }
    if (positionals.length > 0) {
        const [word] = positionals;
        const asStack = stacks.includes(word)
            ? `; to plan stack ${word}: npm run plan -- --stack ${word}`
            : "";
        throw new UsageError(`unexpected argument "${word}"${asStack} (the plan takes options only)`);
    }
    const stack = typeof options.stack === "string" ? options.stack : "staging";
    if (!help && !stacks.includes(stack)) throw new UsageError(unknownStackMessage(stack, stacks));
    const diff = typeof options.diff === "string" ? options.diff : undefined;
    if (options["exit-code"] && !diff)
        throw new UsageError("--exit-code compares: give it with --diff <git-ref>");
    return {
        stack,
        diff,
        exitCode: options["exit-code"] === true,
        json: options.json === true,
        projectDir: typeof options.project === "string" ? options.project : PROJECT_DIR,
        help,
    };
}

async function main(): Promise<number> {
    const projectDir = projectOption(process.argv) ?? PROJECT_DIR;
    const stacks = stacksOf(projectDir);
    const args = parseArguments(process.argv.slice(2), stacks);
    if (args.help) {
        process.stdout.write(`${usage(stacks)}\n`);
        return 0;
    }
    if (args.diff) {
        const diff = await planDiff(args.stack, args.diff, PROJECT_DIR);
        process.stdout.write(diff.text);
        return args.exitCode && diff.changed ? EXIT_CHANGES : 0;
    }
    const run = await runProgram(args.stack, {}, undefined, { preview: true, projectDir: args.projectDir });
    if (args.json) {
        process.stdout.write(JSON.stringify(toPlanJson(run)));
        return 0;
    }
    const project = run.config.project;
    const out: string[] = [
        `Previewing update (${args.stack}), offline: the program under Pulumi mocks in preview mode, no cloud.`,
        `Plugins: ${plugins(run).join(", ")}`,
        "",
        renderPlan(run, { stackName: `${project}-${args.stack}`, width: process.stdout.columns }),
    ];
    const capacity = renderCapacity(run);
    if (capacity) out.push(capacity);

    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const byType = new Map<string, number>();
    for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    out.push(`Cloud resources by type (${custom.length}):`);
    for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
        out.push(`  ${String(n).padStart(4)}  ${type}`);
    }

    const diagram = mermaid(componentGraph(run));
    const outDir = join(PROJECT_DIR, "out");
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `plan-${args.stack}.mmd`);
    writeFileSync(file, diagram);
    out.push("", `Components and their dependencies (Mermaid, also written to ${file}):`, "", diagram);
    process.stdout.write(out.join("\n"));
    return 0;
}

/** `--project <dir>` before the rest is parsed: the stacks to check the others against are its. */
function projectOption(argv: readonly string[]): string | undefined {
    const at = argv.indexOf("--project");
    return at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith("--project="))?.slice("--project=".length);
}

if (require.main === module) runCommand(main, "npm run plan");
