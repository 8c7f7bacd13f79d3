// `npm run plan -- --stack <name>`: what `pulumi preview` would show for a new stack, offline.
// `npm run plan -- --stack <name> --diff <git-ref>`: only what changes between that ref and the working tree.
// `npm run plan -- --stack <name> --json`: the planned registrations as JSON (what a diff compares).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planDiff } from "./diff";
import { runProgram } from "./run";
import { PROJECT_DIR } from "./stackConfig";
import { componentGraph, mermaid, plugins, renderCapacity, renderPlan } from "./planView";
import { toPlanJson } from "./planJson";

interface Arguments {
    readonly stack: string;
    readonly diff?: string;
    readonly json: boolean;
    readonly projectDir: string;
}

/** `--name value` or `--name=value`. */
function option(argv: readonly string[], ...names: string[]): string | undefined {
    for (let i = 0; i < argv.length; i++) {
        for (const name of names) {
            if (argv[i] === name) return argv[i + 1];
            if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
        }
    }
    return undefined;
}

export function parseArguments(argv: readonly string[]): Arguments {
    const diff = option(argv, "--diff");
    if (argv.includes("--diff") && (!diff || diff.startsWith("-")))
        throw new UsageError("--diff needs a git ref: --diff origin/main");
    return {
        stack: option(argv, "--stack", "-s") ?? "staging",
        diff,
        json: argv.includes("--json"),
        projectDir: option(argv, "--project") ?? PROJECT_DIR,
    };
}

class UsageError extends Error {
    override readonly name = "UsageError";
}

async function main(): Promise<void> {
    const args = parseArguments(process.argv.slice(2));
    if (args.diff) {
        process.stdout.write(await planDiff(args.stack, args.diff, PROJECT_DIR));
        return;
    }
    const run = await runProgram(args.stack, {}, undefined, { preview: true, projectDir: args.projectDir });
    if (args.json) {
        process.stdout.write(JSON.stringify(toPlanJson(run)));
        return;
    }
    const project = run.config.project;
    const out: string[] = [
        `Previewing update (${args.stack}), offline: the program under Pulumi mocks in preview mode, no cloud.`,
        `Plugins: ${plugins(run).join(", ")}`,
        "",
        renderPlan(run, { stackName: `${project}-${args.stack}` }),
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
}

if (require.main === module) {
    // `npm run plan | head` closes the pipe early: that is not an error of the plan.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") process.exit(0);
        throw e;
    });
    main().catch((e: Error) => {
        const known = e.name === "ConfigError" || e.name === "UsageError" || e.name === "DiffError";
        console.error(
            known
                ? e.message
                : `${e.stack ?? e.message}\n(run with GITOPS_PLAN_STACKS=1 for the program's full stack trace)`,
        );
        process.exit(1);
    });
}
