import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ROOT } from "../support/checkout";

type Step = {
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
};
const preview = () =>
    parse(readFileSync(join(ROOT, ".github", "workflows", "pull-request.yml"), "utf8")).jobs.preview as {
        steps: Step[];
    };
const isDiff = (s: Step) => !!s.run?.includes("npm run --silent plan -- --stack") && s.run.includes("--diff");
const diffStep = () => preview().steps.find(isDiff);

describe("the pull request's offline plan diff", () => {
    it("plans each stack of the matrix against the pull request's base commit", () => {
        const step = diffStep();
        assert.ok(step, "a step runs npm run plan -- --diff");
        assert.equal(step.env?.STACK, "${{ matrix.stack }}");
        assert.equal(step.env?.BASE_SHA, "${{ github.event.pull_request.base.sha }}");
        assert.match(step.run!, /--stack "\$STACK" --diff "\$BASE_SHA"/);
    });

    it("checks out the whole history, so the base commit can be planned", () => {
        const checkout = preview().steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
        assert.equal(checkout.with?.["fetch-depth"], 0);
    });

    it("comes after pulumi preview, which installs the dependencies", () => {
        const steps = preview().steps;
        assert.ok(steps.findIndex(isDiff) > steps.findIndex((s) => s.uses === "./.github/actions/pulumi"));
    });

    it("posts the diff as one comment per stack, updated on each push", () => {
        const post = preview().steps.find((s) => s.env?.GH_TOKEN && s.run?.includes("offline-plan-diff:"))!;
        assert.match(post.run!, /--method PATCH/);
        assert.match(post.run!, /--method POST/);
        assert.equal(post.env?.GH_TOKEN, "${{ github.token }}");
    });
});
