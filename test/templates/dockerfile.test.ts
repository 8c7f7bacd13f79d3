// The kits' Dockerfile (identical in both kits, see app.test.ts): multi-stage on an exact base tag,
// tests run during the build, a numeric non-root user, port 8080, and a context of only the app.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { APP_PORT, HELM_KIT, read } from "../support/kits";

interface Instruction {
    readonly keyword: string;
    readonly args: string;
}

/** Dockerfile instructions, comments dropped and continuation lines joined. */
function instructions(source: string): Instruction[] {
    return source
        .replace(/\\\r?\n/g, " ")
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => {
            const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(l)!;
            return { keyword: keyword.toUpperCase(), args };
        });
}

const DOCKERFILE = instructions(read(join(HELM_KIT, "Dockerfile")));

interface Stage {
    readonly image: string;
    readonly name?: string;
    readonly instructions: Instruction[];
}

/** The build stages, each from its FROM to the next. */
const STAGES: Stage[] = DOCKERFILE.reduce<Stage[]>((stages, i) => {
    if (i.keyword === "FROM") {
        const [, image, name] = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args)!;
        return [...stages, { image, name, instructions: [] }];
    }
    assert.ok(stages.length > 0, `${i.keyword} before the first FROM`);
    stages[stages.length - 1].instructions.push(i);
    return stages;
}, []);
/** The shipped stage: the last one. */
const RUNTIME = STAGES[STAGES.length - 1].instructions;

describe("the kits' Dockerfile", () => {
    it("has at least two stages", () => {
        assert.ok(STAGES.length >= 2, `${STAGES.length} FROM`);
    });

    it("pins every base image to an exact tag: no latest, no untagged image, no build argument", () => {
        const stages = new Set(STAGES.map((f) => f.name).filter(Boolean));
        for (const { image } of STAGES) {
            if (stages.has(image)) continue;
            assert.doesNotMatch(image, /\$/, `${image}: a build argument can swap the base image`);
            const tag = /^[^@]+?:([^/:@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
            assert.ok(tag, `${image} has no tag`);
            assert.notEqual(tag, "latest", image);
            assert.match(tag, /^\d+\.\d+\.\d+/, `${image}: the tag names an exact version`);
        }
    });

    it("ships a stage that copies from the test stage, so the build cannot skip the tests", () => {
        const testStage = STAGES.find((s) =>
            s.instructions.some((i) => i.keyword === "RUN" && /node --test|npm test/.test(i.args)),
        );
        assert.ok(testStage?.name, "a named stage runs the tests");
        assert.notEqual(testStage, STAGES[STAGES.length - 1], "the tests do not run in the shipped stage");
        assert.ok(
            RUNTIME.some((i) => i.keyword === "COPY" && i.args.includes(`--from=${testStage.name}`)),
            `the last stage copies from ${testStage.name}`,
        );
    });

    it("runs as a numeric non-root USER in the shipped stage", () => {
        const users = RUNTIME.filter((i) => i.keyword === "USER");
        assert.equal(users.length, 1);
        const [user, group] = users[0].args.split(":");
        assert.match(user, /^\d+$/, "numeric, so Kubernetes can verify runAsNonRoot");
        assert.notEqual(Number(user), 0);
        if (group !== undefined) assert.notEqual(Number(group), 0);
    });

    it(`exposes ${APP_PORT}`, () => {
        assert.deepEqual(
            RUNTIME.filter((i) => i.keyword === "EXPOSE").map((i) => i.args),
            [String(APP_PORT)],
        );
    });

    it("starts node in the exec form, so the app itself receives SIGTERM", () => {
        const [cmd] = RUNTIME.filter((i) => i.keyword === "CMD" || i.keyword === "ENTRYPOINT");
        assert.deepEqual(JSON.parse(cmd.args), ["node", "app/server.js"]);
    });

    it("runs no command in the shipped stage and leaves the copied files owned by root, so the app cannot change its code", () => {
        assert.deepEqual(
            RUNTIME.filter((i) => ["RUN", "ADD", "VOLUME"].includes(i.keyword)),
            [],
        );
        assert.deepEqual(
            RUNTIME.filter((i) => i.keyword === "COPY" && /--chown|--chmod/.test(i.args)),
            [],
        );
    });

    it("sends only package.json and app/ to the build (the .dockerignore excludes everything else)", () => {
        const ignore = read(join(HELM_KIT, ".dockerignore"))
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith("#"));
        assert.equal(ignore[0], "*");
        assert.ok(ignore.includes("!package.json") && ignore.includes("!app/"), ignore.join(" "));
    });
});
