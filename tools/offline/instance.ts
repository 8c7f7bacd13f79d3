// The repository is two things: the product (the program, its tooling, its tests) and an
// organisation's instance of it (its stack files, its team files, who approves them). `npm run
// validate` checks the instance; the product's tests run on a fixture instance and never read this one.
import { relative, sep } from "node:path";
import { TEAMS_DIRECTORY } from "./teamFiles";

/** Who approves what in the instance (GitHub's place for it). */
export const CODEOWNERS_FILE = ".github/CODEOWNERS";

/** True for a path (relative to the repository) that belongs to the instance, not to the product. */
export function isInstancePath(path: string): boolean {
    const p = path.split(sep).join("/");
    return (
        p === TEAMS_DIRECTORY ||
        p.startsWith(`${TEAMS_DIRECTORY}/`) ||
        /^Pulumi\.[^/]+\.yaml$/.test(p) ||
        p === CODEOWNERS_FILE
    );
}

/** True for an absolute path inside `root`'s instance. */
export function inInstance(root: string, absolute: string): boolean {
    const p = relative(root, absolute);
    return p !== "" && !p.startsWith("..") && isInstancePath(p);
}
