import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { PROJECT_DIR } from "../../tools/offline/stackConfig";

/** The style's limit: a longer function is split into named steps. */
const MAX_LINES = 60;
/** Every `.ts` file under `dir` (relative to the project), recursively. */
function tsFiles(dir: string): string[] {
    return readdirSync(join(PROJECT_DIR, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
}
/** The program and its tooling: index.ts, stack/, every component, src/ and tools/ (not the tests). */
const FILES = [
    "index.ts",
    ...tsFiles("stack"),
    ...tsFiles("components"),
    ...tsFiles("src"),
    ...tsFiles("tools"),
];

/** Every function, method and constructor of a file longer than MAX_LINES, as `file:line name (n lines)`. */
function longFunctions(file: string): string[] {
    const source = ts.createSourceFile(
        file,
        readFileSync(join(PROJECT_DIR, file), "utf8"),
        ts.ScriptTarget.Latest,
        true,
    );
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
            const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
            const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - start + 1;
            const name = ts.isConstructorDeclaration(node)
                ? "constructor"
                : (node.name?.getText(source) ?? "(anonymous)");
            if (lines > MAX_LINES) found.push(`${file}:${start + 1} ${name} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

describe("the program (index.ts, components/, src/)", () => {
    it(`have no function over ${MAX_LINES} lines`, () => {
        assert.deepEqual(FILES.flatMap(longFunctions), []);
    });
});
