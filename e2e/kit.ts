// The Helm starter kit rendered by the real helm (`helm template`, as helm-controller renders it:
// hooks and tests included) with the values the platform's HelmRelease gives it, so every object can
// be put to the team's admission as the reconciler that would apply it.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyKitChart } from "./delivery";
import { binary } from "./toolchain/cache";

/** `helm template <app>` of the kit, in `namespace`, with `values` (the HelmRelease's spec.values). */
export function renderKit(runDir: string, app: string, namespace: string, values: string): string {
    const work = fs.mkdtempSync(path.join(runDir, `template-${app}-`));
    const chart = path.join(work, app);
    copyKitChart(chart, app);
    const valuesFile = path.join(work, "values.json");
    fs.writeFileSync(valuesFile, values);
    return execFileSync(
        binary("helm"),
        ["template", app, chart, "--namespace", namespace, "--values", valuesFile],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
}
