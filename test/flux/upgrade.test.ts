// Changing the Flux line on a running stack is a planned step: what the plan's diff shows for it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diffPlans } from "../../tools/offline/diff";
import { toPlanJson } from "../../tools/offline/planJson";
import { previewRun } from "../support/program";

describe("a Flux upgrade in the plan", () => {
    test("a new chart version updates the two Flux charts in place, and nothing of the teams", async () => {
        const before = toPlanJson(await previewRun("staging"));
        const after = toPlanJson(
            await previewRun("staging", { "gitops-platform:fluxChartVersion": "2.19.1" }),
        );
        const changes = diffPlans(before, after);
        assert.deepEqual(
            changes.map((c) => ({ op: c.op, type: c.type, name: c.name, changes: c.changes })),
            ["crds", "controllers"].map((part) => ({
                op: "update",
                type: "kubernetes:helm.sh/v4:Chart",
                name: `gitops-platform-staging-flux-${part}`,
                changes: [{ path: "version", before: "2.19.0", after: "2.19.1", replaces: false }],
            })),
        );
    });
});
