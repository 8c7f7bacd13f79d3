import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FLUX_LINES_DOC, fluxLinesTable, withFluxLines } from "../../tools/gen/fluxLines";

describe("the table of vetted Flux lines", () => {
    test("is the one FLUX_CHART_LINES draws (npm run gen)", () => {
        const doc = readFileSync(join(__dirname, "..", "..", FLUX_LINES_DOC), "utf8");
        assert.equal(withFluxLines(doc), doc, `${FLUX_LINES_DOC} is stale: run \`npm run gen\``);
    });

    test("shows a line added to FLUX_CHART_LINES", () => {
        const table = fluxLinesTable({ "2.20": { flux: "2.10", minimumKubernetes: "1.35" } });
        assert.match(table, /^\| 2\.20\.x \| 2\.10 \| 1\.35 \|$/m);
    });
});
