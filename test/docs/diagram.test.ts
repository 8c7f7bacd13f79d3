import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DIAGRAM_MARKERS, stackDiagram, withDiagram } from "../../tools/gen/diagram";
import { run } from "../support/program";

const README = join(__dirname, "..", "..", "README.md");

describe("the README's diagram", () => {
    test("is the one the offline plan draws (npm run gen)", async () => {
        const diagram = stackDiagram({ stack: "staging", run: await run("staging") }, await run("delivery"));
        const readme = readFileSync(README, "utf8");
        assert.equal(withDiagram(readme, diagram), readme, "README.md's diagram is stale: run `npm run gen`");
    });

    test("draws each component kind once, tenants as one node", async () => {
        const diagram = stackDiagram({ stack: "staging", run: await run("staging") }, await run("delivery"));
        assert.equal(diagram.match(/env_Tenant\[/g)?.length, 1);
        assert.match(diagram, /env_Flux --> env_Tenant/);
        assert.match(diagram, /env -. "stack outputs \(StackReference\)" .-> delivery_DevOps/);
    });

    test("says where the markers are missing", () => {
        const { start, end } = DIAGRAM_MARKERS;
        assert.throws(
            () => withDiagram("# no diagram\n", "x"),
            new RegExp(`README.md: the markers ${start}`),
        );
        assert.equal(withDiagram(`a\n${start}\nold\n${end}\nb`, "new"), `a\n${start}\nnew\n${end}\nb`);
    });
});
