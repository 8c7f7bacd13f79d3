// `npm run layers`: the layout rule, checked. The program is four floors, each importing only from
// the floors below it:
//
//   index.ts               the composition (reads top-down: platform → identities → charts → …)
//   stack/                 the config composition root: reads every step's keys, checks them together
//   components/<step>/     one step each; another step only through its index.ts (its public surface)
//   src/                   what steps share: naming, vocabulary types, the key table; imports no step
//
// Tooling (tools/, e2e/, test/, policy/) may import any floor; no floor imports tooling. The steps'
// own graph has no cycle, so any step can be read, tested and changed without the ones above it.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
/** The floors of the program, lowest first; a file may import its own floor and the ones below. */
const FLOORS = ["src", "components", "stack", "index.ts"] as const;
type Floor = (typeof FLOORS)[number];

/** The floor of a project file, or undefined for tooling (tools/, e2e/, test/, policy/). */
function floorOf(file: string): Floor | undefined {
    if (file === "index.ts") return "index.ts";
    return FLOORS.find((f) => f !== "index.ts" && file.startsWith(`${f}/`));
}

/** The step (components/<step>/) a file belongs to. */
function stepOf(file: string): string | undefined {
    return file.startsWith("components/") ? file.split("/")[1] : undefined;
}

/** Relative module specifiers a file imports (comments stripped), resolved to project paths without extension. */
export function relativeImports(file: string, source: string): string[] {
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const found = [
        ...code.matchAll(/(?:from\s+|import\s+|import\(\s*|require\(\s*)(["'])(\.\.?\/.*?)\1/g),
    ].map((m) => m[2]);
    return found.map((spec) => normalize(join(dirname(file), spec)).replace(/\.(ts|js)$/, ""));
}

/** Why `file` may not import `target` (both project paths), or undefined when it may. */
export function violation(file: string, target: string): string | undefined {
    const from = floorOf(file);
    if (from === undefined) return undefined;
    const to = floorOf(target) ?? floorOf(`${target}.ts`);
    if (to === undefined) return `${from} imports tooling (${target})`;
    if (FLOORS.indexOf(to) > FLOORS.indexOf(from)) return `${from} imports ${to}, a floor above it`;
    const step = stepOf(target);
    const isIndex = target === `components/${step}` || target === `components/${step}/index`;
    if (step !== undefined && step !== stepOf(file) && !isIndex)
        return `imports the internals of the ${step} step (import "components/${step}", its index.ts)`;
    return undefined;
}

/** Steps that import each other, directly or around a loop: each cycle as `a → b → a`. */
export function stepCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
    const cycles: string[] = [];
    const visit = (step: string, path: string[]) => {
        for (const next of edges.get(step) ?? []) {
            if (next === path[0]) cycles.push([...path, next].join(" → "));
            else if (!path.includes(next) && next > path[0]) visit(next, [...path, next]);
        }
    };
    for (const step of [...edges.keys()].sort()) visit(step, [step]);
    return cycles;
}

/** Every `.ts` file of the program's floors, as project paths. */
function programFiles(dir = ""): string[] {
    if (dir === "")
        return ["index.ts", ...FLOORS.filter((f) => f !== "index.ts").flatMap((f) => programFiles(f))];
    return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? programFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
}

/** Every breach of the layout rule in the checkout at ROOT: `file: imports target (why)`, and step cycles. */
export function layoutProblems(files: readonly string[] = programFiles()): string[] {
    const problems: string[] = [];
    const edges = new Map<string, Set<string>>();
    for (const file of files) {
        for (const target of relativeImports(file, readFileSync(join(ROOT, file), "utf8"))) {
            const why = violation(file, target);
            if (why) problems.push(`${file}: imports ${relative(".", target)} (${why})`);
            const [a, b] = [stepOf(file), stepOf(target)];
            if (a && b && a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
        }
    }
    return [...problems, ...stepCycles(edges).map((c) => `steps import each other: ${c}`)];
}

if (require.main === module) {
    const problems = layoutProblems();
    for (const p of problems) console.error(p);
    console.log(problems.length === 0 ? "layout: every import points to its own floor or one below" : "");
    process.exitCode = problems.length === 0 ? 0 : 1;
}
