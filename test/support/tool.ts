import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

/**
 * `npm run <script> -- <args>` of this checkout as a user runs it, without npm (`tools/offline/<tool>.ts`
 * under the project's TypeScript hook): its exit code and what it printed.
 */
export function runTool(
    tool: "plan" | "validate" | "team",
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(
        process.execPath,
        [
            "-r",
            join(ROOT, "tools", "offline", "register.js"),
            join(ROOT, "tools", "offline", `${tool}.ts`),
            ...args,
        ],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } },
    );
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
