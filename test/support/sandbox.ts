// Runs a pipeline step's inline script offline, as an agent would: bash in a working directory,
// with the step's `env:` resolved from the variables a test gives, and stand-ins for az, docker,
// helm, kubectl, kubelogin and curl (test/support/standins/) first on PATH. git is the real one,
// recorded, with https://github.com/ rewritten to local bare repositories.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
    copyFileSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    readdirSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Doc, scriptOf, scriptSteps } from "./pipelines";

const STANDINS = join(__dirname, "standins");
const REAL_GIT = execFileSync("bash", ["-c", "command -v git"], { encoding: "utf8" }).trim();
const IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com"];

export interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export class Sandbox {
    readonly root = mkdtempSync(join(tmpdir(), "pipeline-"));
    readonly bin = join(this.root, "bin");
    readonly state = join(this.root, "state");
    readonly remotes = join(this.root, "remotes");
    /** The agent's working directory (the checkout of the app repository, when a test makes one). */
    readonly work = join(this.root, "work");
    private readonly log = join(this.root, "calls.log");
    private runs = 0;

    constructor() {
        for (const dir of [this.bin, this.state, this.remotes, this.work, join(this.root, "home"), this.tmp])
            mkdirSync(dir, { recursive: true });
        for (const file of readdirSync(STANDINS)) copyFileSync(join(STANDINS, file), join(this.bin, file));
        writeFileSync(this.log, "");
        writeFileSync(
            join(this.root, "gitconfig"),
            [
                `[url "file://${this.remotes}/"]`,
                "\tinsteadOf = https://github.com/",
                '[protocol "file"]',
                "\tallow = always",
                "[init]",
                "\tdefaultBranch = main",
                "[advice]",
                "\tdetachedHead = false",
            ].join("\n") + "\n",
        );
    }

    get tmp() {
        return join(this.root, "tmp");
    }

    /** The environment every command of the sandbox runs with: nothing of the test process. */
    private baseEnv(): Record<string, string> {
        return {
            PATH: `${this.bin}:/usr/local/bin:/usr/bin:/bin`,
            HOME: join(this.root, "home"),
            TMPDIR: this.tmp,
            LANG: "C.UTF-8",
            GIT_CONFIG_GLOBAL: join(this.root, "gitconfig"),
            GIT_CONFIG_NOSYSTEM: "1",
            GIT_TERMINAL_PROMPT: "0",
            STUB_LOG: this.log,
            STUB_LIB: join(this.bin, "lib.sh"),
            STUB_STATE: this.state,
            STUB_REAL_GIT: REAL_GIT,
        };
    }

    /** Writes a canned answer file under the stand-ins' state directory. */
    answer(path: string, content: string): string {
        const file = join(this.state, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
        return file;
    }

    /** Queues the answers of `kubectl get <kind>`, in order (the last one repeats), replacing any before. */
    kubectlGets(kind: string, answers: unknown[]): void {
        rmSync(join(this.state, `kubectl-get-${kind}`), { recursive: true, force: true });
        rmSync(join(this.state, `kubectl-get-${kind}.calls`), { force: true });
        answers.forEach((a, i) =>
            this.answer(`kubectl-get-${kind}/${i + 1}`, typeof a === "string" ? a : JSON.stringify(a)),
        );
    }

    /** An image or chart present in a registry (the stand-in `az acr repository show` finds it). */
    inRegistry(registryName: string, reference: string, digest: string): void {
        this.answer(`acr/${registryName}/${reference}`, `${digest}\n`);
    }

    /** The digest a registry holds for `repository:tag`, or undefined. */
    registryDigest(registryName: string, reference: string): string | undefined {
        try {
            return readFileSync(join(this.state, "acr", registryName, reference), "utf8").trim();
        } catch {
            return undefined;
        }
    }

    /**
     * curl's answers: each URL matching `pattern` (a regex) with `method` gets `status` and `body`;
     * status `chartmuseum` answers as a ChartMuseum that keeps what is pushed (standins/curl).
     */
    curlRoutes(
        routes: { method: string; pattern: string; status?: number | "chartmuseum"; body?: string }[],
    ): void {
        const lines = routes.map((r, i) => {
            const body = this.answer(`curl-bodies/${i}`, r.body ?? "");
            return [r.method, r.pattern, String(r.status ?? 200), body].join("\t");
        });
        this.answer("curl-routes", lines.join("\n") + "\n");
    }

    /** The files the stand-in ChartMuseum keeps, by name. */
    chartMuseumFiles(): string[] {
        try {
            return readdirSync(join(this.state, "chartmuseum")).sort();
        } catch {
            return [];
        }
    }

    /** What scripts fed curl on stdin (`--config -`), one block per call. */
    curlConfig(): string[] {
        try {
            return readFileSync(join(this.state, "curl-config"), "utf8").split("--\n").slice(0, -1);
        } catch {
            return [];
        }
    }

    /** Every command the stand-ins saw, as argv arrays, in order. */
    calls(command?: string): string[][] {
        const all = readFileSync(this.log, "utf8")
            .split("\x1e")
            .filter((c) => c !== "")
            .map((c) => c.split("\x1f"));
        return command ? all.filter((c) => c[0] === command).map((c) => c.slice(1)) : all;
    }

    /** Runs git with the sandbox's configuration (not recorded). */
    git(cwd: string, ...args: string[]): string {
        return execFileSync(REAL_GIT, args, { cwd, env: this.baseEnv(), encoding: "utf8" }).trim();
    }

    /**
     * A bare repository for `https://github.com/<owner>/<name>.git` holding `files` in one commit on
     * main; returns its path.
     */
    remote(repository: string, files: Record<string, string>): string {
        const bare = join(this.remotes, `${repository}.git`);
        mkdirSync(bare, { recursive: true });
        this.git(bare, "init", "--quiet", "--bare");
        const seed = mkdtempSync(join(this.tmp, "seed-"));
        this.git(seed, "init", "--quiet");
        for (const [path, content] of Object.entries(files)) {
            mkdirSync(dirname(join(seed, path)), { recursive: true });
            writeFileSync(join(seed, path), content);
        }
        this.git(seed, "add", ".");
        this.git(seed, ...IDENTITY, "commit", "--quiet", "--message", "seed");
        this.git(seed, "push", "--quiet", bare, "HEAD:refs/heads/main");
        rmSync(seed, { recursive: true, force: true });
        return bare;
    }

    /** Pushes a commit changing `files` to main of a remote, as a developer would meanwhile. */
    pushToMain(repository: string, files: Record<string, string>, message = "a developer's change"): void {
        const clone = mkdtempSync(join(this.tmp, "dev-"));
        this.git(clone, "clone", "--quiet", `https://github.com/${repository}.git`, ".");
        for (const [path, content] of Object.entries(files)) writeFileSync(join(clone, path), content);
        this.git(clone, "add", ".");
        this.git(clone, ...IDENTITY, "commit", "--quiet", "--message", message);
        this.git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main");
    }

    /** The agent's checkout: `work` as a clone of the repository at main (detached, as Azure Pipelines does). */
    checkout(repository: string): void {
        this.git(this.work, "clone", "--quiet", `https://github.com/${repository}.git`, ".");
        this.git(this.work, "checkout", "--quiet", "--detach");
    }

    /**
     * Runs a step's inline script with bash in `work`, its env resolved from `variables` (an
     * undefined macro stays literal, as Azure Pipelines leaves it) and nothing else of the test's
     * environment.
     */
    run(step: Doc, variables: Record<string, string>, timeoutMs = 20_000): Run {
        const script = scriptOf(step);
        assert.ok(script, `${step.displayName}: no inline script`);
        const env: Record<string, string> = {};
        for (const [name, value] of Object.entries((step.env ?? {}) as Record<string, unknown>))
            env[name] = expandMacros(String(value), variables);
        const file = join(this.root, `step-${++this.runs}.sh`);
        writeFileSync(file, script);
        const result = spawnSync("bash", ["--noprofile", "--norc", file], {
            cwd: this.work,
            env: { ...this.baseEnv(), ...env },
            encoding: "utf8",
            timeout: timeoutMs,
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    /**
     * Runs `job`'s script steps in order, as the agent would, until one fails; the output variables
     * of each, as `<step name>.<variable>`.
     */
    runJob(job: Doc, variables: Record<string, string>, timeoutMs?: number): { runs: Run[]; out: Doc } {
        const runs: Run[] = [];
        const out: Doc = {};
        for (const step of scriptSteps(job)) {
            const run = this.run(step, variables, timeoutMs);
            runs.push(run);
            if (run.status !== 0) break;
            for (const [k, v] of Object.entries(outputs(run))) out[`${step.name}.${k}`] = v;
        }
        return { runs, out };
    }

    dispose(): void {
        rmSync(this.root, { recursive: true, force: true });
    }
}

/** `$(name)` macros expanded from `variables`, recursively (a variable's value may hold macros). */
export function expandMacros(value: string, variables: Record<string, string>): string {
    let current = value;
    for (let i = 0; i < 10; i++) {
        const next = current.replace(/\$\(([\w.]+)\)/g, (m, name) => variables[name] ?? m);
        if (next === current) return next;
        current = next;
    }
    throw new Error(`macros of ${value} do not settle`);
}

/** The output variables a run set (`##vso[task.setvariable variable=x;isOutput=true]value`). */
export function outputs(run: Run): Record<string, string> {
    return Object.fromEntries(
        [...run.stdout.matchAll(/^##vso\[task\.setvariable variable=(\w+);isOutput=true\](.*)$/gm)].map(
            (m) => [m[1], m[2]],
        ),
    );
}

/** The error messages a run logged (`##vso[task.logissue type=error]...`). */
export const errors = (run: Run) =>
    [...run.stdout.matchAll(/^##vso\[task\.logissue type=error\](.*)$/gm)].map((m) => m[1]);
