// `npm run gen`: rewrites Pulumi.yaml's config block and the configuration reference (docs/reference/configuration.md) from
// the key table (src/config/keys.ts), and the README's diagram from the offline plan of the fixture instance
// (test/fixtures/instance: the product's shape, not this organisation's teams).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram } from "../offline/run";
import { ALERTS_DOC, alertTable, withAlertTable } from "./alerts";
import { stackDiagram, withDiagram } from "./diagram";
import { FLUX_LINES_DOC, withFluxLines } from "./fluxLines";
import { pulumiYaml, pulumiYamlHead, readmeWithReference } from "./generate";

const root = join(__dirname, "..", "..");
const update = (file: string, make: (text: string) => string) => {
    const path = join(root, file);
    const before = readFileSync(path, "utf8");
    const after = make(before);
    if (after !== before) writeFileSync(path, after);
    console.log(`${file}: ${after === before ? "up to date" : "regenerated"}`);
};
update("Pulumi.yaml", (text) => pulumiYaml(pulumiYamlHead(text)));
update("docs/reference/configuration.md", readmeWithReference);
update(FLUX_LINES_DOC, (text) => withFluxLines(text));

const instanceDir = join(root, "test", "fixtures", "instance");
void (async () => {
    const staging = await runProgram("staging", {}, undefined, { instanceDir });
    const delivery = await runProgram("delivery", {}, undefined, { instanceDir });
    const diagram = stackDiagram({ stack: "staging", run: staging }, delivery);
    update("README.md", (text) => withDiagram(text, diagram));
    update(ALERTS_DOC, (text) => withAlertTable(text, alertTable(staging)));
})();
