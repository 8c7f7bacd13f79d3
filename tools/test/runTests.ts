// `npm test`: every test/**/*.test.ts, in a few processes (shards) instead of one per file.
//
// Most test files read the same plain staging and prod runs of the whole program (test/support/program.ts
// caches them per process), so one process per file ran them again and again, and loaded the SDKs each
// time. Here each shard loads everything once and runs its share of the files in one node:test run,
// sharing the cached runs; shards run in parallel, one per core. Files are dealt to shards by their
// cost, heaviest first: the time their tests took in the last run (node_modules/.cache/gitops-plan/
// test-costs.json), or, for a file never measured, the program runs it starts.
//
//   npm test                          all files but the flows (FLOW_TESTS), one shard per core (at most 2 unless TEST_SHARDS says)
//   npm run test:flows                the flows: what a user runs, run as whole processes
//   npm test -- test/flux             only the files under test/flux (or named files)
//   TEST_SHARDS=1 npm test            one process
//
// A test file must therefore not rely on having a process to itself: no process-wide state left behind
// (environment, Pulumi config outside a run, globals), and program runs only through test/support/program.ts.
//
// A shard refuses to read the repository's own instance (tenants/, Pulumi.<stack>.yaml, CODEOWNERS):
// the product's tests run on test/fixtures/instance/, so onboarding or removing a team changes no
// test's outcome; `npm run validate` checks the instance.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { INSTANCE_GUARD_ENV, refuseInstanceReads } from "./instanceGuard";

const ROOT = resolve(__dirname, "..", "..");
/** Time (ms) each test file's tests took in the last `npm test`: how the next run deals them to shards. */
const COSTS_FILE = join(ROOT, "node_modules", ".cache", "gitops-plan", "test-costs.json");
/**
 * Tests that run, as whole processes, what a user runs: the pipeline templates' scripts in bash with
 * git and stand-ins, the onboarding page's commands in a scratch copy of the repository, plan diffs of
 * git refs. Half of the suite's CPU: `npm run test:flows` runs them (CI runs it after `npm test`), and
 * `npm test` leaves them out so it stays under a minute on 2 cores.
 */
export const FLOW_TESTS = [
    "test/offline/diff.test.ts",
    "test/offline/onboarding.test.ts",
    "test/pipelines/build.test.ts",
    "test/pipelines/promote.test.ts",
    "test/pipelines/verify.test.ts",
] as const;

/** The files a run takes: the named paths; else every test but the flows (`--flows`: only the flows). */
export function selectedFiles(argv: readonly string[]): string[] {
    if (argv.includes("--flows")) return FLOW_TESTS.map((f) => join(ROOT, f));
    if (argv.length > 0) return argv.flatMap((a) => testFiles(resolve(a)));
    const flows = new Set<string>(FLOW_TESTS);
    return testFiles(join(ROOT, "test")).filter((f) => !flows.has(relative(ROOT, f)));
}

/** A program run, in ms, to weigh a file never measured by what it starts. */
const RUN_MS = 300;

/** Every `*.test.ts` under `dir`, sorted. */
export function testFiles(dir: string): string[] {
    if (statSync(dir).isFile()) return [dir];
    return readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
            e.isDirectory()
                ? testFiles(join(dir, e.name))
                : e.name.endsWith(".test.ts")
                  ? [join(dir, e.name)]
                  : [],
        )
        .sort();
}

/**
 * What a file costs, in program runs: each `run(stack, {overrides})`, `runWith(...)` or `runOnce(...)`
 * call site is one run of its own, a plan of a scratch checkout (`.plan([...])`) two; plain `run(stack)`
 * calls share the cached runs of their shard; files that start no program run cost a fraction.
 */
export function expectedCost(source: string): number {
    const count = (re: RegExp) => (source.match(re) ?? []).length;
    const ownRuns =
        count(/\b(run|previewRun)\([^()]*,/g) + count(/\b(runWith|runOnce)\(/g) + 2 * count(/\.plan\(\[/g);
    const sharedRuns = /\b(run|previewRun)\(\s*(\w+|"\w+")\s*\)/.test(source) ? 1 : 0;
    return ownRuns + sharedRuns + 0.2;
}

/** Files dealt to `count` shards, heaviest first, each to the lightest shard so far. */
export function shard(files: readonly { file: string; cost: number }[], count: number): string[][] {
    const shards = Array.from({ length: count }, () => ({ cost: 0, files: [] as string[] }));
    for (const f of [...files].sort((a, b) => b.cost - a.cost || a.file.localeCompare(b.file))) {
        const lightest = shards.reduce((a, b) => (b.cost < a.cost ? b : a));
        lightest.cost += f.cost;
        lightest.files.push(f.file);
    }
    // Within a shard, files run in path order: the output reads like the tree.
    return shards.map((s) => s.files.sort()).filter((s) => s.length > 0);
}

/** Measured costs (ms) of files, from the last run; empty when there is none. */
function measuredCosts(): Record<string, number> {
    try {
        return JSON.parse(readFileSync(COSTS_FILE, "utf8")) as Record<string, number>;
    } catch {
        return {};
    }
}

/**
 * In a shard: times each test (tests of a shard run one at a time, so its time is the shard's,
 * including the processes it waits for) and adds it to the file that declared it. node:test's `it`/`test` are wrapped while each file is loaded (files call them
 * through the module object); a test taking a `done` callback is left as it is.
 */
function timeTestsByFile(costs: Record<string, number>): (file: string) => void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeTest = require("node:test") as Record<string, any>;
    let current = "";
    for (const name of ["it", "test"]) {
        const original = nodeTest[name];
        const wrapped = function (this: unknown, ...args: unknown[]) {
            const at = args.findIndex((a) => typeof a === "function");
            const fn = args[at] as ((...a: unknown[]) => unknown) | undefined;
            if (fn && fn.length < 2) {
                const file = current;
                args[at] = async function (this: unknown, ...a: unknown[]) {
                    const started = performance.now();
                    try {
                        return await fn.apply(this, a);
                    } finally {
                        costs[file] = (costs[file] ?? 0) + performance.now() - started;
                    }
                };
            }
            return original.apply(this, args);
        };
        Object.assign(wrapped, original);
        nodeTest[name] = wrapped;
    }
    return (file) => (current = file);
}

interface Totals {
    [key: string]: number;
}

/** The `ℹ tests 12` summary lines of node:test's spec reporter. */
function totalsOf(output: string): Totals {
    const totals: Totals = {};
    for (const m of output.matchAll(/^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm))
        totals[m[1]] = Number(m[2]);
    return totals;
}

function runShard(
    files: readonly string[],
    live: boolean,
    costsOut: string,
): Promise<{ code: number; output: string }> {
    const args = [
        "--enable-source-maps",
        "--max-semi-space-size=64",
        "-r",
        join(ROOT, "tools", "offline", "register.js"),
        "--test-reporter=spec",
        __filename,
        "--files",
        ...files,
    ];
    return new Promise((done) => {
        const env = { ...process.env, GITOPS_TEST_COSTS_OUT: costsOut };
        const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        const take = (chunk: Buffer) => {
            output += chunk.toString();
            if (live) process.stdout.write(chunk);
        };
        child.stdout.on("data", take);
        child.stderr.on("data", take);
        child.on("close", (code) => done({ code: code ?? 1, output }));
    });
}

/** A shard: load every file; node:test then runs their tests one after another in this process. */
function runAsShard(files: readonly string[]): void {
    refuseInstanceReads(ROOT);
    // And in every process a test starts: tools/offline/register.js installs the same refusal.
    process.env[INSTANCE_GUARD_ENV] = ROOT;
    const costs: Record<string, number> = {};
    const loading = timeTestsByFile(costs);
    for (const file of files) {
        loading(file);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(resolve(ROOT, file));
    }
    process.on("exit", () => {
        const { user, system } = process.cpuUsage();
        process.stdout.write(`ℹ shard_cpu_ms ${Math.round((user + system) / 1000)}\n`);
        if (process.env.GITOPS_TEST_COSTS_OUT)
            writeFileSync(process.env.GITOPS_TEST_COSTS_OUT, JSON.stringify(costs));
    });
}

async function main(argv: readonly string[]): Promise<void> {
    const at = argv.indexOf("--files");
    if (at >= 0) return runAsShard(argv.slice(at + 1));
    const measured = measuredCosts();
    const files = selectedFiles(argv).map((file) => {
        const name = relative(ROOT, file);
        return { file: name, cost: measured[name] ?? expectedCost(readFileSync(file, "utf8")) * RUN_MS };
    });
    const count = Number(process.env.TEST_SHARDS) || Math.min(2, availableParallelism());
    const shards = shard(files, count);
    const started = Date.now();
    const scratch = join(tmpdir(), `gitops-test-costs-${process.pid}`);
    mkdirSync(scratch, { recursive: true });
    // The first shard streams; the others print when it is done, so their reports never interleave.
    const results = await Promise.all(shards.map((s, i) => runShard(s, i === 0, join(scratch, `${i}.json`))));
    // What each file cost this time deals the next run.
    const costs = { ...measured };
    for (let i = 0; i < shards.length; i++) {
        try {
            Object.assign(costs, JSON.parse(readFileSync(join(scratch, `${i}.json`), "utf8")));
        } catch {
            // a shard that crashed measured nothing
        }
    }
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(join(COSTS_FILE, ".."), { recursive: true });
    writeFileSync(COSTS_FILE, JSON.stringify(costs, null, 1));
    for (const r of results.slice(1)) process.stdout.write(r.output);
    const totals: Totals = {};
    for (const r of results)
        for (const [k, v] of Object.entries(totalsOf(r.output))) totals[k] = (totals[k] ?? 0) + v;
    const line = Object.entries(totals)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
    const cpu = results
        .map((r) => /^ℹ shard_cpu_ms (\d+)$/m.exec(r.output)?.[1])
        .map((ms) => (ms ? `${(Number(ms) / 1000).toFixed(1)} s` : "?"));
    console.log(
        `\n${files.length} files in ${shards.length} shards: ${line} (${((Date.now() - started) / 1000).toFixed(1)} s; CPU per shard ${cpu.join(", ")})`,
    );
    process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e) => {
        console.error(e);
        process.exitCode = 1;
    });
}
