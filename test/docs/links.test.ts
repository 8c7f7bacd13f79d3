// The README is the front page and docs/ holds each reader's pages: every link between them must land.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";

const ROOT = resolve(__dirname, "..", "..");

function pages(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? pages(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : [],
    );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-");
}

function anchors(file: string): Set<string> {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

/** Relative links of a page (not http, not mailto), as [file, anchor]. */
function links(file: string): { target: string; anchor?: string }[] {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1])
        .filter((href) => !/^[a-z]+:/.test(href))
        .map((href) => {
            const [path, anchor] = href.split("#");
            return { target: path ? resolve(dirname(file), path) : file, anchor };
        });
}

const ALL = [join(ROOT, "README.md"), ...pages(join(ROOT, "docs"))];

describe("the docs' links", () => {
    test("the slug of a heading is GitHub's", () => {
        assert.equal(slug("Rights of the CI identities"), "rights-of-the-ci-identities");
        assert.equal(slug("5. From CI"), "5-from-ci");
        assert.equal(
            slug("Platform (`components/platform/`, `gitops:platform:Platform`)"),
            "platform-componentsplatform-gitopsplatformplatform",
        );
    });

    for (const page of ALL) {
        test(`${relative(ROOT, page)}: every relative link lands on a file and heading that exist`, () => {
            const broken = links(page)
                .filter(
                    ({ target, anchor }) =>
                        !existsSync(target) ||
                        (anchor && target.endsWith(".md") && !anchors(target).has(anchor)),
                )
                .map(({ target, anchor }) => `${relative(ROOT, target)}${anchor ? `#${anchor}` : ""}`);
            assert.deepEqual(broken, []);
        });
    }

    test("the README stays a front page (at most 200 lines)", () => {
        assert.ok(readFileSync(join(ROOT, "README.md"), "utf8").split("\n").length <= 200);
    });
});
