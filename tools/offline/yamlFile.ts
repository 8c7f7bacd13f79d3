import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseYaml } from "../../src/config/yamlFile";

/** Beside the transpiled files (tools/offline/register.js); a diff's checkout reaches it through its node_modules link. */
const CACHE_DIR = join(__dirname, "..", "..", "node_modules", ".cache", "gitops-plan");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const YAML_VERSION = (require("yaml/package.json") as { version: string }).version;

/**
 * A YAML file's value, as `parse` returns it. Parsing Pulumi.yaml is a tenth of a plan (the parser is
 * cold in a fresh process), so the value is kept as JSON under a hash of the parser's version and the
 * file's content: an edited file is parsed again, never served stale. A file whose value JSON cannot
 * carry (`.inf`, `.nan`) is simply not kept; one that does not parse throws naming the file, line and column.
 */
export function readYamlFile(file: string): unknown {
    const text = readFileSync(file, "utf8");
    const key = createHash("sha1").update(`yaml ${YAML_VERSION}\0`).update(text).digest("hex");
    const cached = join(CACHE_DIR, `${key}.json`);
    try {
        return JSON.parse(readFileSync(cached, "utf8"));
    } catch {
        // not kept yet
    }
    const value = parseYaml(text, basename(file));
    const json = JSON.stringify(value);
    if (json !== undefined && isDeepStrictEqual(JSON.parse(json), value)) {
        try {
            mkdirSync(CACHE_DIR, { recursive: true });
            const temp = `${cached}.${process.pid}.tmp`;
            writeFileSync(temp, json);
            renameSync(temp, cached);
        } catch {
            // a read-only checkout plans without the cache
        }
    }
    return value;
}
