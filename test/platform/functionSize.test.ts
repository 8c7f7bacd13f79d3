import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { PROJECT_DIR } from "../../src/offline/stackConfig";

/** The style's limit: a longer function is split into named steps. */
const MAX_LINES = 60;
const FILES = [
    ...readdirSync(join(PROJECT_DIR, "components", "platform")).map((f) => join("components", "platform", f)),
    ...readdirSync(join(PROJECT_DIR, "components", "identities")).map((f) =>
        join("components", "identities", f),
    ),
    join("components", "flux", "flux.ts"),
    join("components", "flux", "config.ts"),
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

describe("the platform, identities and Flux steps", () => {
    it(`have no function over ${MAX_LINES} lines`, () => {
        assert.deepEqual(FILES.filter((f) => f.endsWith(".ts")).flatMap(longFunctions), []);
    });
});
