import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ALERTS_DOC, alertTable, withAlertTable } from "../../tools/gen/alerts";
import { run } from "../support/program";

describe("the alert rules table", () => {
    test("is the one the offline plan registers (npm run gen)", async () => {
        const doc = readFileSync(join(__dirname, "..", "..", ALERTS_DOC), "utf8");
        assert.equal(
            withAlertTable(doc, alertTable(await run("staging"))),
            doc,
            `${ALERTS_DOC} is stale: run \`npm run gen\``,
        );
    });

    test("shows a changed threshold", async () => {
        const table = alertTable(await run("staging", { alertNodeCpuPercent: 70 }));
        assert.match(table, /\| `node-cpu` \| metric `node_cpu_usage_percentage` \| [^|]*above 70%/);
    });
});
