import { spawnSync } from "node:child_process";
import {
    copyFileSync,
    cpSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isInstancePath } from "../../tools/offline/instance";
import { FIXTURE_INSTANCE } from "./instance";

export const ROOT = resolve(__dirname, "..", "..");

/**
 * A throwaway copy of this checkout's product (its tracked and untracked files, as they are now) with
 * the fixture instance's stack and team files instead of the repository's own, committed in a git
 * repository of its own, with this checkout's node_modules: a test may edit it and plan or diff it,
 * never touching the real files.
 */
export class ScratchCheckout {
    readonly dir = mkdtempSync(join(tmpdir(), "gitops-plan-test-"));

    constructor() {
        const listed = git(ROOT, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
            .split("\0")
            .filter((file) => file && !isInstancePath(file));
        cpSync(FIXTURE_INSTANCE, this.dir, { recursive: true });
        for (const file of listed) {
            const to = join(this.dir, file);
            mkdirSync(dirname(to), { recursive: true });
            try {
                copyFileSync(join(ROOT, file), to);
            } catch {
                // deleted in the working tree but still in the index
            }
        }
        git(this.dir, ["init", "--quiet"]);
        writeFileSync(join(this.dir, ".git", "info", "exclude"), "node_modules\n");
        this.commit("scratch copy");
        symlinkSync(join(ROOT, "node_modules"), join(this.dir, "node_modules"), "dir");
    }

    read(file: string): string {
        return readFileSync(join(this.dir, file), "utf8");
    }

    write(file: string, text: string): void {
        writeFileSync(join(this.dir, file), text);
    }

    commit(message: string): void {
        git(this.dir, ["add", "--all"]);
        git(this.dir, [
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            message,
        ]);
    }

    /** `npm run plan -- <args>` in the copy (the plan script's node options, from this process's package.json). */
    plan(args: readonly string[]): { status: number; stdout: string; stderr: string } {
        return this.npm("plan", args);
    }

    /** `npm run <script> -- <args>` in the copy, run as its package.json script says (without npm). */
    npm(script: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
        const command = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts[
            script
        ] as string;
        const [, ...words] = command.split(/\s+/);
        const result = spawnSync(process.execPath, [...words, ...args], {
            cwd: this.dir,
            encoding: "utf8",
            maxBuffer: 64 * 2 ** 20,
        });
        return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

function git(cwd: string, args: string[]): string {
    const result = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
}
