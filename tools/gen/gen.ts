// `npm run gen`: rewrites Pulumi.yaml's config block and the configuration reference (docs/reference/configuration.md) from
// the key table (src/config/keys.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
