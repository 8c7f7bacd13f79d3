// `npm run e2e:toolchain`: builds the real engines the e2e runs from their Go modules, once, into a
// cache outside the work tree (e2e/toolchain/cache.ts), each tool keyed by its module, version and
// build recipe: a second run rebuilds only what changed.
//
// Every module is downloaded by `go mod download` (checked against the Go checksum database), copied
// out of the read-only module cache and built as its own main module. Directory `replace` lines
// (`=> ../sdk`, `=> ./staging/src/k8s.io/api`) point at folders a module zip never holds, so they are
// dropped and the published module is required instead; the other `replace` lines stay as upstream
// wrote them. That is why `go install module@version`, which refuses any `replace`, is not used.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot, Tool, toolBinDir, toolStamp, toolchain } from "./cache";

const args = process.argv.slice(2);
const known = ["--only", "--force", "--check", "--help"];

function fail(message: string): never {
    throw new ToolchainError(message);
}

/** One clear line for the user; no stack trace. */
class ToolchainError extends Error {}

function report(e: unknown): never {
    console.error(`e2e toolchain: ${e instanceof ToolchainError ? e.message : String(e)}`);
    process.exit(1);
}

function run(
    cmd: string,
    argv: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; log?: string } = {},
) {
    const r = spawnSync(cmd, argv, {
        cwd: opts.cwd,
        env: { ...process.env, GOWORK: "off", ...opts.env },
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    if (opts.log)
        fs.appendFileSync(opts.log, `$ ${cmd} ${argv.join(" ")}\n${r.stdout ?? ""}${r.stderr ?? ""}\n`);
    if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
    return r;
}

function checkGo(): void {
    const r = spawnSync("go", ["version"], { encoding: "utf8" });
    if (r.error) fail(`no Go found on PATH; install Go ${toolchain.go} or later (https://go.dev/dl)`);
    const m = /go(\d+)\.(\d+)/.exec(r.stdout);
    const [wantMajor, wantMinor] = toolchain.go.split(".").map(Number);
    if (!m || Number(m[1]) < wantMajor || (Number(m[1]) === wantMajor && Number(m[2]) < wantMinor)) {
        fail(`${r.stdout.trim()} is older than Go ${toolchain.go}, which these modules need`);
    }
}

/** Downloads module@version (checksum-verified) and returns its read-only source folder. */
function download(tool: Tool, log: string): string {
    const r = run("go", ["mod", "download", "-json", `${tool.module}@${tool.version}`], { log });
    const info = r.stdout ? JSON.parse(r.stdout) : {};
    if (r.status !== 0 || info.Error) {
        const why = String(info.Error ?? r.stderr).split("\n")[0];
        fail(
            `${tool.module}@${tool.version} could not be downloaded (${why}); pick a version the Go module proxy serves in e2e/toolchain/versions.json`,
        );
    }
    return info.Dir;
}

/** go.mod edits that make a module buildable on its own: see the header. */
function standalone(tool: Tool, src: string, log: string): void {
    const edit = JSON.parse(run("go", ["mod", "edit", "-json"], { cwd: src }).stdout);
    const flags: string[] = [];
    for (const r of edit.Replace ?? []) {
        if (r.New.Version !== undefined) continue;
        flags.push(`-dropreplace=${r.Old.Path}`);
        const req = (edit.Require ?? []).find((q: { Path: string }) => q.Path === r.Old.Path);
        if (req && /^v0\.0\.0(-|$)/.test(req.Version)) {
            if (!tool.stagingVersion)
                fail(
                    `${tool.name}: ${r.Old.Path} is required at ${req.Version} and replaced by a folder; set stagingVersion`,
                );
            flags.push(`-require=${r.Old.Path}@${tool.stagingVersion}`);
        }
    }
    if (flags.length) run("go", ["mod", "edit", ...flags], { cwd: src, log });
}

function ldflags(tool: Tool): string {
    switch (tool.ldflags) {
        case undefined:
            return "-s -w";
        case "kubernetes": {
            const [major, minor] = tool.version.replace(/^v/, "").split(".");
            const vars = {
                gitVersion: tool.version,
                gitMajor: major,
                gitMinor: minor,
                gitTreeState: "clean",
            };
            const pkgs = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"];
            const x = pkgs.flatMap((p) => Object.entries(vars).map(([k, v]) => `-X ${p}.${k}=${v}`));
            return ["-s -w", ...x].join(" ");
        }
        case "pulumi":
            return `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${tool.version}`;
        case "pulumi-kubernetes":
            return `-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${tool.providerVersion}`;
    }
}

/** The provider embeds its schema, generated from the committed schema.json before `go build`. */
function generate(tool: Tool, src: string, log: string): void {
    if (tool.generate !== "pulumi-kubernetes-schema") return;
    const dir = path.join(src, "cmd", "pulumi-resource-kubernetes");
    const r = run("go", ["run", "-mod=mod", "generate.go"], {
        cwd: dir,
        env: { VERSION: tool.providerVersion },
        log,
    });
    if (r.status !== 0) fail(`${tool.name}: generating schema-embed.json failed; see ${log}`);
}

/** Built from the current recipe, every binary in place. */
function isFresh(tool: Tool): boolean {
    const done = path.join(toolBinDir(tool), "..", "stamp");
    const binaries = Object.keys(tool.packages).map((b) => path.join(toolBinDir(tool), b));
    return (
        fs.existsSync(done) &&
        fs.readFileSync(done, "utf8") === toolStamp(tool) &&
        binaries.every((b) => fs.existsSync(b))
    );
}

/** `--check`: which tools are missing or stale, without building. */
function check(): void {
    const stale = toolchain.tools.filter((t) => !isFresh(t)).map((t) => `${t.name} ${t.version}`);
    if (stale.length === 0) return void console.log(`e2e toolchain: ready in ${cacheRoot()}`);
    console.log(
        `e2e toolchain: not built in ${cacheRoot()}: ${stale.join(", ")} (npm run e2e:toolchain builds them)`,
    );
    process.exit(3);
}

async function build(tool: Tool, index: number, total: number): Promise<void> {
    const stamp = toolStamp(tool);
    const done = path.join(toolBinDir(tool), "..", "stamp");
    const fresh = isFresh(tool);
    const label = `[${index}/${total}] ${tool.name} ${tool.version}`;
    if (fresh && !args.includes("--force")) return void console.log(`${label}: cached`);
    const home = path.join(toolBinDir(tool), "..");
    const log = path.join(home, "build.log");
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(toolBinDir(tool), { recursive: true });
    const started = Date.now();
    console.log(`${label}: downloading ${tool.module}`);
    const src = path.join(home, "src");
    fs.cpSync(download(tool, log), src, { recursive: true });
    run("chmod", ["-R", "u+w", src]);
    standalone(tool, src, log);
    generate(tool, src, log);
    const bins = Object.keys(tool.packages);
    if (bins.length) console.log(`${label}: building ${bins.join(", ")} (log: ${log})`);
    for (const [bin, pkg] of Object.entries(tool.packages)) {
        await goBuild(tool, { bin, pkg, src, log, label });
    }
    copyAssets(tool, src, home);
    fs.rmSync(src, { recursive: true, force: true });
    fs.writeFileSync(done, stamp);
    console.log(`${label}: built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * `go build -v` of one package, printing a line a minute with the packages compiled so far (a cold
 * kube-apiserver is about 2,000 of them), so a long build is seen to move.
 */
function goBuild(
    tool: Tool,
    b: { bin: string; pkg: string; src: string; log: string; label: string },
): Promise<void> {
    const out = path.join(toolBinDir(tool), b.bin);
    const argv = ["build", "-v", "-mod=mod", "-trimpath", "-ldflags", ldflags(tool), "-o", out, b.pkg];
    fs.appendFileSync(b.log, `$ go ${argv.join(" ")}\n`);
    const child = spawn("go", argv, {
        cwd: b.src,
        env: { ...process.env, GOWORK: "off", CGO_ENABLED: "0" },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let packages = 0;
    child.stderr.on("data", (d: Buffer) => {
        const text = d.toString("utf8");
        stderr += text;
        packages += text.split("\n").filter((l) => /^[\w.-]+(\/[\w.~-]+)*$/.test(l.trim())).length;
        fs.appendFileSync(b.log, text);
    });
    const started = Date.now();
    const beat = setInterval(() => {
        const minutes = Math.round((Date.now() - started) / 60_000);
        console.log(`${b.label}: still building ${b.bin}, ${packages} packages compiled (${minutes} min)`);
    }, 60_000);
    return new Promise((resolve, reject) => {
        child.on("error", (e) => reject(new ToolchainError(`go could not start: ${e.message}`)));
        child.on("close", (code) => {
            clearInterval(beat);
            if (code === 0) return resolve();
            reject(
                new ToolchainError(
                    `${tool.name}: go build ${b.pkg} failed (last lines of ${b.log}):\n${tail(stderr)}`,
                ),
            );
        });
    });
}

/** The module's YAML the e2e applies (kwok's stages, Flux's CRDs), as the module version ships them. */
function copyAssets(tool: Tool, src: string, home: string): void {
    for (const [asset, dirs] of Object.entries(tool.assets ?? {})) {
        const out = path.join(home, asset);
        fs.mkdirSync(out, { recursive: true });
        for (const dir of dirs) {
            const files = fs
                .readdirSync(path.join(src, dir))
                .filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
            if (files.length === 0) fail(`${tool.name}: no YAML in ${dir} of ${tool.module}@${tool.version}`);
            for (const f of files)
                fs.copyFileSync(path.join(src, dir, f), path.join(out, `${path.basename(dir)}-${f}`));
        }
    }
}

function tail(text: string): string {
    return text.trim().split("\n").slice(-12).join("\n");
}

async function main(): Promise<void> {
    for (const a of args) {
        if (a.startsWith("-") && !known.includes(a)) fail(`unknown flag ${a}; allowed: ${known.join(", ")}`);
    }
    if (args.includes("--help")) {
        console.log("usage: npm run e2e:toolchain [-- --only <tool>[,<tool>]] [--force] [--check]");
        console.log(
            "  --check  build nothing; exit 0 when every tool is built from its current recipe, 3 otherwise",
        );
        console.log(`tools: ${toolchain.tools.map((t) => t.name).join(", ")}`);
        return;
    }
    if (args.includes("--check")) return void check();
    checkGo();
    const i = args.indexOf("--only");
    const only = i >= 0 ? (args[i + 1] ?? "").split(",") : undefined;
    for (const name of only ?? []) {
        if (!toolchain.tools.some((t) => t.name === name)) {
            fail(`--only ${name}: no such tool; tools: ${toolchain.tools.map((t) => t.name).join(", ")}`);
        }
    }
    const tools = toolchain.tools.filter((t) => !only || only.includes(t.name));
    console.log(`e2e toolchain: cache ${cacheRoot()}`);
    const started = Date.now();
    const failed: string[] = [];
    for (const [n, t] of tools.entries()) {
        try {
            await build(t, n + 1, tools.length);
        } catch (e) {
            if (!(e instanceof ToolchainError)) throw e;
            console.error(`e2e toolchain: ${e.message}`);
            failed.push(t.name);
        }
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    if (failed.length) fail(`${failed.length} tool(s) not built: ${failed.join(", ")} (${seconds} s)`);
    console.log(`e2e toolchain: ready in ${seconds} s`);
}

main().catch(report);
