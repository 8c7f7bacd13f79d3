import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runTool } from "../support/tool";
import { parseArguments } from "../../tools/offline/plan";

const STACKS = ["delivery", "prod", "staging"];
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseArguments(argv, STACKS, env);

/** `npm run plan -- <args>` as a user runs it (npm's own --stack cleared). */
const plan = (args: string[]) => runTool("plan", args, { npm_config_stack: "" });

describe("npm run plan's command line", () => {
    it("plans staging when no stack is given", () => {
        assert.equal(parse([]).stack, "staging");
    });

    it("takes --stack <name>, --stack=<name> and -s <name>", () => {
        for (const argv of [["--stack", "prod"], ["--stack=prod"], ["-s", "prod"]])
            assert.equal(parse(argv).stack, "prod", argv.join(" "));
    });

    it("refuses an unknown option with the closest one and the list", () => {
        assert.throws(
            () => parse(["--stak", "prod"]),
            /^UsageError: unknown option --stak; did you mean --stack\? Options: --stack, --diff, --exit-code, --json, --project, --help$/,
        );
    });

    it("refuses an unknown stack with the closest one and the stacks there are", () => {
        assert.throws(
            () => parse(["--stack", "prd"]),
            /no stack "prd" \(no Pulumi\.prd\.yaml\); did you mean "prod"\? Stacks: delivery, prod, staging/,
        );
    });

    it("catches a stack given as a word (`npm run plan prod`), saying the command that plans it", () => {
        assert.throws(
            () => parse(["prod"]),
            /unexpected argument "prod"; to plan stack prod: npm run plan -- --stack prod/,
        );
    });

    it("catches a stack npm took for itself (`npm run plan --stack prod`, without `--`)", () => {
        assert.throws(
            () => parse(["prod"], { npm_config_stack: "true" }),
            /npm took --stack prod for itself .*: run npm run plan -- --stack prod/,
        );
    });

    it("refuses --diff without a git ref", () => {
        assert.throws(() => parse(["--diff"]), /--diff needs a value: --diff <git-ref>/);
    });

    it("refuses --exit-code without --diff, which is what it compares", () => {
        assert.throws(() => parse(["--exit-code"]), /--exit-code compares: give it with --diff <git-ref>/);
    });

    it("--help and -h print the usage, the stacks and the exit codes, and exit 0", () => {
        for (const flag of ["--help", "-h"]) {
            const r = plan([flag]);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /^Usage: npm run plan -- \[--stack <stack>\]/);
            assert.match(r.stdout, /^Stacks \(Pulumi\.<stack>\.yaml\): \S/m);
            assert.match(
                r.stdout,
                /^Exit codes: 0 planned .* 2 changes \(--diff --exit-code only\),\n1 an error/m,
            );
        }
    });

    it("exits 1 on a usage mistake, printing the mistake and where the help is, without a stack trace", () => {
        const r = plan(["--stack", "nope"]);
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^no stack "nope" \(no Pulumi\.nope\.yaml\)\. Stacks: .*\n\(npm run plan -- --help for usage\)\n$/,
        );
        assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
});
