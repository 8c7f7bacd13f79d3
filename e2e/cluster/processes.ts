// The e2e's own processes: started detached with their output in the run folder, recorded by PID in
// pids.json the moment they start, and stopped by that record (a later `npm run e2e:stop` too).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** One clear line for the user (what failed and how to fix it); no stack trace. */
export class E2eError extends Error {}

interface Recorded {
    readonly name: string;
    readonly pid: number;
    readonly log: string;
}

function pidsFile(runDir: string): string {
    return path.join(runDir, "pids.json");
}

function recorded(runDir: string): Recorded[] {
    const file = pidsFile(runDir);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
}

/** Starts `binary args` in its own process group, its output in `<runDir>/logs/<name>.log`. */
export function startProcess(
    runDir: string,
    name: string,
    binary: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
): Recorded {
    if (!fs.existsSync(binary)) {
        throw new E2eError(
            `${name}: ${binary} is missing; build the toolchain with \`npm run e2e:toolchain\``,
        );
    }
    const log = path.join(runDir, "logs", `${name}.log`);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    const out = fs.openSync(log, "a");
    const child = spawn(binary, args, {
        detached: true,
        stdio: ["ignore", out, out],
        env: { ...process.env, ...env },
    });
    fs.closeSync(out);
    if (child.pid === undefined) throw new E2eError(`${name}: ${binary} could not start`);
    child.unref();
    const entry = { name, pid: child.pid, log };
    fs.writeFileSync(pidsFile(runDir), JSON.stringify([...recorded(runDir), entry], null, 2));
    return entry;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Fails with the process's last log lines when it has died (a port in use, a bad flag). */
export function assertRunning(p: Recorded): void {
    if (alive(p.pid)) return;
    const lines = fs.existsSync(p.log) ? fs.readFileSync(p.log, "utf8").trim().split("\n").slice(-8) : [];
    throw new E2eError(`${p.name} (pid ${p.pid}) died; last lines of ${p.log}:\n${lines.join("\n")}`);
}

/** Stops every recorded process, newest first (SIGTERM, then SIGKILL), and forgets them. */
export async function stopAll(runDir: string): Promise<string[]> {
    const stopped = await stopProcesses(recorded(runDir));
    fs.rmSync(pidsFile(runDir), { force: true });
    return stopped;
}

/** Stops the recorded processes named `names` (what a kubelet does when their Pods go), and forgets them. */
export async function stopNamed(runDir: string, names: readonly string[]): Promise<string[]> {
    const all = recorded(runDir);
    const stopped = await stopProcesses(all.filter((p) => names.includes(p.name)));
    const kept = all.filter((p) => !names.includes(p.name));
    fs.writeFileSync(pidsFile(runDir), JSON.stringify(kept, null, 2));
    return stopped;
}

async function stopProcesses(processes: readonly Recorded[]): Promise<string[]> {
    const stopped: string[] = [];
    for (const p of [...processes].reverse()) {
        if (!alive(p.pid)) continue;
        signal(p.pid, "SIGTERM");
        const deadline = Date.now() + 10_000;
        while (alive(p.pid) && Date.now() < deadline) await sleep(100);
        if (alive(p.pid)) signal(p.pid, "SIGKILL");
        stopped.push(p.name);
    }
    return stopped;
}

/** The whole process group (the Go binaries start no children, but a wrapper might). */
function signal(pid: number, sig: NodeJS.Signals): void {
    try {
        process.kill(-pid, sig);
    } catch {
        try {
            process.kill(pid, sig);
        } catch {
            // Gone between the check and the signal.
        }
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A free port on 127.0.0.1, asked of the kernel. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`, or at once if `p` dies. */
export async function waitFor(
    what: string,
    check: () => Promise<boolean>,
    opts: { timeoutMs: number; process?: Recorded },
): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    while (Date.now() < deadline) {
        if (opts.process) assertRunning(opts.process);
        if (await check().catch(() => false)) return;
        await sleep(250);
    }
    throw new E2eError(`${what}: not ready after ${opts.timeoutMs / 1000} s`);
}
