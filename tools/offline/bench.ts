// `npm run bench`: how long the plan takes, as a ratio to a floor measured in the same run, and how it
// grows with the number of teams. Not a test (timings depend on the machine); prints a table.
//
// - The floor: a plain `node` process that only imports the SDK modules the program imports (every bare
//   module specifier in index.ts, src/ and components/). Nothing the plan does can be faster than that.
// - The plan: the `plan` script of package.json (the command `npm run plan` runs, without npm's own
//   start-up), for the prod stack, output discarded. Floor and plan alternate, several rounds; medians.
// - Sizes: the staging stack with 2, 20, 100 and 300 generated teams, each planned (preview mode, plan
//   text rendered) in a fresh process: process wall and CPU time and their ratio to the floor, the
//   run's own CPU time and what each team adds to it, peak RSS, and the longest dependency chain (the
//   critical path a real `pulumi up` walks).
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { renderPlan } from "./planView";
import { runProgram, type RegisteredResource } from "./run";
import { PROJECT_DIR } from "./stackConfig";

const SIZES = [2, 20, 100, 300];
const STACK = "staging";
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
/** `count` valid tenants, alternating a Helm team (back + front, front -> back) and a Kustomize team. */
export function generatedTenants(count: number): unknown[] {
    return Array.from({ length: count }, (_, i) => {
        const name = `bench-team${i + 1}`;
        return i % 2 === 0
            ? {
                  name,
                  delivery: "helm",
                  apps: [
                      { name: "back", repository: `bench/${name}`, version: ">=0.1.0 <1.0.0", port: 8080 },
                      {
                          name: "front",
                          repository: `bench/${name}`,
                          version: ">=0.1.0 <1.0.0",
                          web: true,
                          port: 8080,
                          dependsOn: ["back"],
                      },
                  ],
                  flows: [{ from: "front", to: "back", port: 8080 }],
              }
            : {
                  name,
                  delivery: "kustomize",
                  apps: [{ name: "app", repository: `bench/${name}`, web: true, port: 8080 }],
                  git: { url: `https://github.com/bench/${name}`, branch: "main", path: "./deploy" },
              };
    });
}

/**
 * User pools that hold `count` teams at the default quota (4 CPU, 8Gi, 30 pods): three per
 * Standard_D16ds_v5 node (15.74 CPU, 61.7Gi, 110 pods allocatable). The capacity check refuses
 * more teams than the stack's own pools hold, and the bench measures teams, not that refusal.
 */
export function userPoolsFor(count: number): unknown[] {
    return [
        {
            name: "apps",
            vmSize: "Standard_D16ds_v5",
            minCount: 1,
            maxCount: Math.max(1, Math.ceil(count / 3)),
        },
    ];
}

export interface CriticalPath {
    /** Resources on the longest chain, first to last. */
    readonly chain: readonly RegisteredResource[];
}

/** The URN of a provider reference (`<urn>::<id>`), or "" for the default provider. */
function providerUrn(reference: string): string {
    const at = reference.lastIndexOf("::");
    return at > 0 ? reference.slice(0, at) : "";
}

/**
 * The longest chain of resources where each one waits for the previous: edges are a resource's parent,
 * its dependencies and its explicit provider (a Kubernetes object waits for the provider, which waits
 * for the cluster), which is what the engine waits for before creating it.
 */
export function criticalPath(resources: readonly RegisteredResource[]): CriticalPath {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const memo = new Map<string, string[]>();
    const longest = (urn: string, visiting: Set<string>): string[] => {
        const known = memo.get(urn);
        if (known) return known;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        const r = byUrn.get(urn)!;
        let best: string[] = [];
        for (const before of new Set([r.parent, ...r.dependencies, providerUrn(r.provider)])) {
            if (!before || !byUrn.has(before)) continue; // the stack itself, or a provider
            const path = longest(before, visiting);
            if (path.length > best.length) best = path;
        }
        visiting.delete(urn);
        const path = [...best, urn];
        memo.set(urn, path);
        return path;
    };
    let chain: string[] = [];
    for (const r of resources) {
        const path = longest(r.urn, new Set());
        if (path.length > chain.length) chain = path;
    }
    return { chain: chain.map((u) => byUrn.get(u)!) };
}

interface Figures {
    tenants: number;
    runMs: number;
    runCpuMs: number;
    resources: number;
    customResources: number;
    peakRssMb: number;
    peakHeapMb: number;
    chainLength: number;
    chainCustom: number;
    chain: string[];
}

/** One measured plan of `tenants` generated teams, in this process (the parent starts one per size). */
async function measure(tenants: number): Promise<Figures> {
    let peakHeap = 0;
    const sample = () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed));
    const timer = setInterval(sample, 5);
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const result = await runProgram(
        STACK,
        {
            "gitops-platform:tenants": generatedTenants(tenants),
            "gitops-platform:userPools": userPoolsFor(tenants),
        },
        undefined,
        { preview: true },
    );
    renderPlan(result, { stackName: `${result.config.project}-${STACK}` });
    const runMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    clearInterval(timer);
    sample();
    const { chain } = criticalPath(result.resources);
    return {
        tenants,
        runMs,
        runCpuMs: (used.user + used.system) / 1000,
        resources: result.resources.length,
        customResources: result.resources.filter((r) => r.custom).length,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        peakHeapMb: peakHeap / 2 ** 20,
        chainLength: chain.length,
        chainCustom: chain.filter((r) => r.custom).length,
        chain: chain.map((r) => `${r.type.split(":").slice(1).join(":")} ${r.name}`),
    };
}

/** Bare module specifiers (`@pulumi/azure-native/storage`, `yaml`) imported by the program's own files. */
export function programImports(root: string = PROJECT_DIR): string[] {
    const files = (dir: string): string[] =>
        readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
            e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
        );
    const found = new Set<string>();
    for (const file of ["index.ts", ...files("stack"), ...files("src"), ...files("components")]) {
        // Comments do not import anything.
        const source = readFileSync(join(root, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
        for (const m of source.matchAll(/(?:from\s+|require\(\s*|import\(\s*)"([^".][^"]*)"/g)) {
            if (!m[1].startsWith("node:")) found.add(m[1]);
        }
    }
    return [...found].sort().filter((specifier) => {
        try {
            require.resolve(specifier, { paths: [root] });
            return true;
        } catch {
            return false;
        }
    });
}

interface Timing {
    /** From spawn to exit. */
    readonly wallMs: number;
    /** User and system CPU of the process itself (not of the machine's other work). */
    readonly cpuMs: number;
}

const CPU_REPORT = join(__dirname, "cpuReport.js");

/** Wall and CPU time of a command (a node process), in ms; throws if it fails. */
function timed(command: string, args: readonly string[], options: { shell?: boolean } = {}): Timing {
    const env = {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require=${CPU_REPORT}`.trim(),
    };
    const started = process.hrtime.bigint();
    const child = spawnSync(command, args, {
        cwd: PROJECT_DIR,
        env,
        stdio: ["ignore", "ignore", "pipe"],
        shell: options.shell,
        maxBuffer: 64 * 2 ** 20,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (child.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${child.stderr}`);
    return { wallMs, cpuMs: cpuOf(child.stderr.toString()) };
}

function cpuOf(stderr: string): number {
    const m = /gitops-bench-cpu-ms ([\d.]+)/.exec(stderr);
    if (!m) throw new Error(`no CPU time reported:\n${stderr}`);
    return Number(m[1]);
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The command of an npm script, as npm would run it in a shell. */
function script(name: string): string {
    const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
    };
    return pkg.scripts[name];
}

/** The `node` options of the plan script (flags and `-r` hook), for the per-size processes. */
function planNodeOptions(): string[] {
    const words = script("plan").split(/\s+/);
    return words.slice(
        1,
        words.findIndex((w) => w.endsWith(".ts")),
    );
}

function runIsolated(tenants: number): { figures: Figures; process: Timing } {
    const env = {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require=${CPU_REPORT}`.trim(),
    };
    const started = process.hrtime.bigint();
    const child = spawnSync(
        process.execPath,
        [...planNodeOptions(), __filename, "--tenants", String(tenants)],
        {
            cwd: PROJECT_DIR,
            env,
            encoding: "utf8",
            maxBuffer: 64 * 2 ** 20,
        },
    );
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const line = child.stdout.split("\n").find((l) => l.startsWith("{"));
    if (child.status !== 0 || !line) throw new Error(`bench for ${tenants} tenants failed:\n${child.stderr}`);
    return { figures: JSON.parse(line) as Figures, process: { wallMs, cpuMs: cpuOf(child.stderr) } };
}

async function main(): Promise<void> {
    const at = process.argv.indexOf("--tenants");
    if (at > 0) {
        console.log(JSON.stringify(await measure(Number(process.argv[at + 1]))));
        return;
    }
    const floor = planAgainstFloor();
    teamSizes(floor);
}

/** The floor and the prod plan, alternated, as a table; returns the floor's medians. */
function planAgainstFloor(): Timing {
    const imports = programImports();
    const floorScript = `for (const m of ${JSON.stringify(imports)}) require(m);`;
    const plan = `${script("plan")} --stack prod`;
    console.log(
        `Floor: plain \`node\` importing the ${imports.length} SDK modules the program imports (${imports.join(", ")}).`,
    );
    console.log(
        `Plan: \`${plan}\` (the plan script, without npm's start-up). ${ROUNDS} alternating rounds, medians.\n`,
    );
    // One untimed round first: the transpile cache is warm for every timed one.
    timed(process.execPath, ["-e", floorScript]);
    timed(plan, [], { shell: true });
    const floors: Timing[] = [];
    const plans: Timing[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        floors.push(timed(process.execPath, ["-e", floorScript]));
        plans.push(timed(plan, [], { shell: true }));
    }
    const floor = { wallMs: median(floors.map((t) => t.wallMs)), cpuMs: median(floors.map((t) => t.cpuMs)) };
    const row = (label: string, t: readonly Timing[]) => {
        const wall = median(t.map((x) => x.wallMs));
        const cpu = median(t.map((x) => x.cpuMs));
        return {
            "": label,
            "wall (ms)": Math.round(wall),
            "wall × floor": +(wall / floor.wallMs).toFixed(2),
            "CPU (ms)": Math.round(cpu),
            "CPU × floor": +(cpu / floor.cpuMs).toFixed(2),
        };
    };
    console.table([row("floor: plain node, SDK imports", floors), row("plan --stack prod", plans)]);
    return floor;
}

/** The staging plan at each of SIZES generated teams, one fresh process each, as a table. */
function teamSizes(floor: Timing): void {
    console.log(
        `\nStack ${STACK} with generated teams, one fresh process per size (preview run and plan text, as the plan does).\n`,
    );
    const rows = SIZES.map((n) => ({ n, ...runIsolated(n) }));
    const base = rows[0];
    console.table(
        rows.map(({ n, figures: f, process: p }) => ({
            teams: n,
            resources: f.resources,
            "wall (ms)": Math.round(p.wallMs),
            "wall × floor": +(p.wallMs / floor.wallMs).toFixed(2),
            "CPU (ms)": Math.round(p.cpuMs),
            "CPU × floor": +(p.cpuMs / floor.cpuMs).toFixed(2),
            "run CPU (ms)": Math.round(f.runCpuMs),
            "CPU ms per team":
                n === base.n ? "" : +((f.runCpuMs - base.figures.runCpuMs) / (n - base.n)).toFixed(1),
            "peak RSS (MB)": Math.round(f.peakRssMb),
            "peak heap (MB)": Math.round(f.peakHeapMb),
            "longest chain": `${f.chainLength} (${f.chainCustom} custom)`,
        })),
    );
    const last = rows[rows.length - 1].figures;
    console.log(`\nLongest dependency chain at ${last.tenants} teams:\n  ${last.chain.join("\n  -> ")}`);
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
