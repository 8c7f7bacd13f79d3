import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

// The hook `npm run plan` and `npm test` load with `-r`; loading it again returns the same module.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const register = require("../../tools/offline/register.js") as {
    transpile(filename: string, source: string): string;
    CACHE_DIR: string;
};

describe("the TypeScript hook", () => {
    const dir = mkdtempSync(join(tmpdir(), "gitops-register-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "edited.ts");

    it("compiles a file's current content: an edit is never served stale from the cache", () => {
        const first = register.transpile(file, "export const answer: number = 41;\n");
        const edited = register.transpile(file, "export const answer: number = 42;\n");
        assert.match(first, /answer = 41/);
        assert.match(edited, /answer = 42/);
    });

    it("serves an unchanged file from the cache", () => {
        const source = `export const stamp = ${JSON.stringify(dir)};\n`;
        register.transpile(file, source);
        const entries = readdirSync(register.CACHE_DIR).length;
        register.transpile(file, source);
        assert.equal(readdirSync(register.CACHE_DIR).length, entries);
    });

    it("strips types and emits CommonJS", () => {
        assert.match(
            register.transpile(file, "import { x } from './x';\nexport const y: string = x;\n"),
            /require\("\.\/x"\)/,
        );
    });
});
