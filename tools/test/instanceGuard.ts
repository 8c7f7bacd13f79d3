// The product's tests never read the repository's own instance (its team files, stack files,
// CODEOWNERS): adding or removing a team must not change which test passes. A shard installs this
// refusal in itself, and sets GITOPS_REFUSE_INSTANCE_READS so that every process a test starts
// (npm run validate, team, plan, each run through tools/offline/register.js) refuses the same reads.
import { relative, resolve } from "node:path";
import { inInstance } from "../offline/instance";

/** Set to the repository's root in a test process: its children refuse to read that root's instance. */
export const INSTANCE_GUARD_ENV = "GITOPS_REFUSE_INSTANCE_READS";

/** Paths the `fs` functions below are given first (a source, a directory, a file). */
const FS_READS = [
    "readFileSync",
    "readdirSync",
    "existsSync",
    "statSync",
    "lstatSync",
    "openSync",
    "copyFileSync",
    "cpSync",
    "readFile",
    "readdir",
] as const;

/** Makes every read of the repository's instance in this process throw, naming the fixture to use. */
export function refuseInstanceReads(root: string): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("node:fs") as Record<string, any>;
    const refuse = (path: unknown) => {
        if ((typeof path === "string" || path instanceof URL) && inInstance(root, resolve(String(path))))
            throw new Error(
                `${relative(root, String(path))}: a product test read the repository's own instance; use test/fixtures/instance/ (FIXTURE_INSTANCE), and leave the instance to npm run validate`,
            );
    };
    for (const name of FS_READS) {
        const original = fs[name] as (...a: unknown[]) => unknown;
        fs[name] = Object.assign(function (this: unknown, ...args: unknown[]) {
            refuse(args[0]);
            return original.apply(this, args);
        }, original);
    }
    for (const name of ["readFile", "readdir", "stat"] as const) {
        const original = fs.promises[name] as (...a: unknown[]) => unknown;
        fs.promises[name] = function (this: unknown, ...args: unknown[]) {
            refuse(args[0]);
            return original.apply(this, args);
        };
    }
}
