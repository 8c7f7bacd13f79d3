// `node -r ./tools/offline/register.js file.ts`: runs the project's TypeScript under plain node.
//
// Only `.ts` files are hooked (the ~1,100 `.js` modules of the SDKs load natively, unhooked). Each
// file is transpiled with esbuild (the compiler tsx uses, with this repository's tsconfig options)
// and the result is kept in node_modules/.cache/gitops-plan/ under a hash of the compiler version,
// its options, the file's name and its content: an edited file gets a new entry, so the output is
// never stale, and an unchanged file costs one read and one hash. Type checking stays with
// `tsc --noEmit`. Source maps are inline; `--enable-source-maps` (the tests) maps stack traces back
// to the .ts lines, the plan leaves it off (node would then map every stack the SDK captures).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");
const CACHE_DIR =
    process.env.GITOPS_PLAN_CACHE_DIR || path.join(ROOT, "node_modules", ".cache", "gitops-plan");
/** Entries not written for this long are removed, now and then, when a new one is written. */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** tsconfig's options that change emitted JavaScript, handed to esbuild as tsx does. */
function compilerOptions() {
    const { compilerOptions: o = {} } = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
    const keep = [
        "target",
        "useDefineForClassFields",
        "experimentalDecorators",
        "verbatimModuleSyntax",
        "preserveValueImports",
        "importsNotUsedAsValues",
        "jsx",
    ];
    return Object.fromEntries(keep.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

const esbuildVersion = require(require.resolve("esbuild/package.json", { paths: [ROOT] })).version;
const options = {
    loader: "ts",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    sourcemap: "inline",
    tsconfigRaw: { compilerOptions: compilerOptions() },
};
const salt = `${esbuildVersion}\0${JSON.stringify(options)}\0`;

let esbuild;
let cacheDirReady = false;

/**
 * The JavaScript for one TypeScript file, from the cache or freshly transpiled. The source map names
 * the file relative to itself, so the same file in another checkout (a diff's ref) shares the entry.
 */
function transpile(filename, source) {
    const base = path.basename(filename);
    const key = crypto.createHash("sha1").update(salt).update(base).update("\0").update(source).digest("hex");
    const cached = path.join(CACHE_DIR, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // not cached yet
    }
    esbuild ??= require(require.resolve("esbuild", { paths: [ROOT] }));
    const { code } = esbuild.transformSync(source, { ...options, sourcefile: base });
    if (!cacheDirReady) {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        cacheDirReady = true;
        if (Math.random() < 0.05) prune();
    }
    // Written aside then renamed: parallel processes never read half a file.
    const temp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temp, code);
    fs.renameSync(temp, cached);
    return code;
}

function prune() {
    const now = Date.now();
    for (const name of fs.readdirSync(CACHE_DIR)) {
        const file = path.join(CACHE_DIR, name);
        try {
            if (now - fs.statSync(file).mtimeMs > MAX_AGE_MS) fs.rmSync(file, { force: true });
        } catch {
            // another process pruned it
        }
    }
}

require.extensions[".ts"] = function loadTypeScript(module, filename) {
    module._compile(transpile(filename, fs.readFileSync(filename, "utf8")), filename);
};

// A process a product test started: it may not read the repository's instance either (tools/test/instanceGuard.ts).
if (process.env.GITOPS_REFUSE_INSTANCE_READS) {
    require(path.join(__dirname, "..", "test", "instanceGuard.ts")).refuseInstanceReads(
        process.env.GITOPS_REFUSE_INSTANCE_READS,
    );
}

module.exports = { transpile, CACHE_DIR };
