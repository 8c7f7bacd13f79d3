// `npm run plan -- --stack <name>`: what `pulumi up` would create for a stack, offline.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OfflineRun, RegisteredResource, runProgram } from "./run";
import { PROJECT_DIR } from "./stackConfig";
import { componentGraph, mermaid, summarize } from "./planView";

function stackArgument(argv: readonly string[]): string {
    const i = argv.findIndex((a) => a === "--stack" || a === "-s");
    const inline = argv.find((a) => a.startsWith("--stack="));
    return inline?.split("=")[1] ?? (i >= 0 ? argv[i + 1] : undefined) ?? "staging";
}

function printTree(run: OfflineRun): void {
    const children = new Map<string, RegisteredResource[]>();
    for (const r of run.resources) {
        const siblings = children.get(r.parent) ?? [];
        siblings.push(r);
        children.set(r.parent, siblings);
    }
    const walk = (parent: string, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            const flags = [r.protect ? "protected" : "", r.version ? `plugin ${r.version}` : ""].filter(
                Boolean,
            );
            const settings = summarize(r);
            console.log(
                `${"  ".repeat(depth)}${r.custom ? "+" : "◆"} ${r.type}  ${r.name}` +
                    (flags.length ? `  [${flags.join(", ")}]` : "") +
                    (settings ? `\n${"  ".repeat(depth + 1)}  ${settings}` : ""),
            );
            walk(r.urn, depth + 1);
        }
    };
    walk("", 0);
}

async function main(): Promise<void> {
    const stack = stackArgument(process.argv.slice(2));
    const run = await runProgram(stack);
    console.log(`Plan for stack "${stack}" (offline: Pulumi mocks, no cloud). + resource  ◆ component\n`);
    printTree(run);

    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const byType = new Map<string, number>();
    for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    console.log(
        `\nResources: ${custom.length} to create (+ ${run.resources.length - custom.length} components and providers)`,
    );
    for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
        console.log(`  ${String(n).padStart(4)}  ${type}`);
    }

    console.log("\nStack outputs:");
    for (const key of Object.keys(run.outputs)) {
        const shown = run.secretOutputs.includes(key) ? "[secret]" : JSON.stringify(run.outputs[key]);
        console.log(`  ${key}: ${shown}`);
    }

    const diagram = mermaid(componentGraph(run));
    const outDir = join(PROJECT_DIR, "out");
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `plan-${stack}.mmd`);
    writeFileSync(file, diagram);
    console.log(`\nComponents and their dependencies (Mermaid, also written to ${file}):\n\n${diagram}`);
}

main().catch((e: Error) => {
    console.error(e.name === "ConfigError" ? e.message : (e.stack ?? e.message));
    process.exit(1);
});
