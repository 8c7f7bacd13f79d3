// `npm run bench`: runs the real program under mocks for 2, 20 and 100 generated tenants and prints, per
// size, the wall time, the number of registered resources, the peak memory and the longest dependency
// chain (the critical path a real `pulumi up` must walk, one resource after another). Not a test.
import { spawnSync } from "node:child_process";
import { runProgram, type RegisteredResource } from "./run";

const SIZES = [2, 20, 100];
const STACK = "staging";

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
    wallMs: number;
    resources: number;
    customResources: number;
    peakRssMb: number;
    peakHeapMb: number;
    chainLength: number;
    chainCustom: number;
    chain: string[];
}

/** One measured run, in this process (the parent runs each size in a fresh process). */
async function measure(tenants: number): Promise<Figures> {
    let peakHeap = 0;
    const sample = () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed));
    const timer = setInterval(sample, 5);
    const started = process.hrtime.bigint();
    const result = await runProgram(STACK, { "gitops-platform:tenants": generatedTenants(tenants) });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearInterval(timer);
    sample();
    const { chain } = criticalPath(result.resources);
    return {
        tenants,
        wallMs,
        resources: result.resources.length,
        customResources: result.resources.filter((r) => r.custom).length,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        peakHeapMb: peakHeap / 2 ** 20,
        chainLength: chain.length,
        chainCustom: chain.filter((r) => r.custom).length,
        chain: chain.map((r) => `${r.type.split(":").slice(1).join(":")} ${r.name}`),
    };
}

function runIsolated(tenants: number): Figures {
    const child = spawnSync(
        process.execPath,
        [...process.execArgv, __filename, "--tenants", String(tenants)],
        {
            encoding: "utf8",
            maxBuffer: 64 * 2 ** 20,
        },
    );
    const line = child.stdout.split("\n").find((l) => l.startsWith("{"));
    if (child.status !== 0 || !line) throw new Error(`bench for ${tenants} tenants failed:\n${child.stderr}`);
    return JSON.parse(line) as Figures;
}

async function main(): Promise<void> {
    const at = process.argv.indexOf("--tenants");
    if (at > 0) {
        console.log(JSON.stringify(await measure(Number(process.argv[at + 1]))));
        return;
    }
    console.log(`Offline run of stack ${STACK} under mocks, one fresh process per size.\n`);
    const rows = SIZES.map(runIsolated);
    const table = rows.map((f) => ({
        tenants: f.tenants,
        "wall (ms)": Math.round(f.wallMs),
        resources: f.resources,
        "custom resources": f.customResources,
        "peak RSS (MB)": Math.round(f.peakRssMb),
        "peak heap (MB)": Math.round(f.peakHeapMb),
        "longest chain": `${f.chainLength} (${f.chainCustom} custom)`,
    }));
    console.table(table);
    const last = rows[rows.length - 1];
    console.log(`\nLongest dependency chain at ${last.tenants} tenants:\n  ${last.chain.join("\n  -> ")}`);
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
