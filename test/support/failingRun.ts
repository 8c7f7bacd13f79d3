// Runs the program in a child process and reports how it failed: for errors the program raises while
// resources are being created (a ResourceError in an apply), which the engine turns into a failed
// update but which, under mocks, leave the run's outputs pending and its promises dangling.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const CHILD = join(__dirname, "failingRunChild.ts");

/**
 * The error message of a run of `stack` with `overrides` that fails, or undefined when it succeeds;
 * `aks` changes what the fake AKS reports (FAKE_AKS in tools/offline/cloud.ts).
 */
export async function failureOf(
    stack: string,
    overrides: Record<string, unknown> = {},
    aks: { defaultVersion?: string } = {},
): Promise<string | undefined> {
    try {
        await promisify(execFile)(
            process.execPath,
            ["--import", "tsx", CHILD, stack, JSON.stringify(overrides), JSON.stringify(aks)],
            { timeout: 120_000 },
        );
        return undefined;
    } catch (e) {
        const error = e as { stderr?: string; code?: number };
        if (error.code !== 3) throw e;
        return error.stderr ?? "";
    }
}
