import * as fs from "node:fs";
import * as path from "node:path";
import { attempts, impersonation, mismatch } from "./attacks";
import { kubectl, startControlPlane } from "./cluster/controlPlane";
import { installFluxCrds } from "./cluster/flux";
import { stopAll } from "./cluster/processes";
import { changedOnly, platformStack } from "./platform";

(async () => {
    const runDir = "/tmp/e2e-scratch";
    await stopAll(runDir).catch(() => {});
    fs.rmSync(runDir, { recursive: true, force: true });
    try {
        const cp = await startControlPlane(runDir);
        console.log("cp up", cp.kubernetesVersion);
        try { installFluxCrds(cp); } catch (e) { console.log("no flux crds:", (e as Error).message); }
        fs.cpSync(path.join(__dirname, "fixture", "tenants"), path.join(runDir, "tenants"), { recursive: true });
        const charts = "http://127.0.0.1:18080";
        const stack = await platformStack(cp, path.join(runDir, "tenants"), { chartRepositoryUrl: charts, fleetUrl: "http://127.0.0.1:18174/fleet.git" });
        let t = Date.now();
        const r1 = await stack.up({ onOutput: (l) => fs.appendFileSync(runDir + "/up.log", l) });
        console.log("up1", (Date.now() - t) / 1000, JSON.stringify(r1.summary.resourceChanges));
        t = Date.now();
        const r2 = await stack.up({ onOutput: (l) => fs.appendFileSync(runDir + "/up.log", l) });
        console.log("up2", (Date.now() - t) / 1000, JSON.stringify(changedOnly(r2.summary.resourceChanges)));
        for (const a of attempts(charts)) {
            let outcome;
            try { kubectl(cp, [...impersonation(a.as), ...a.args, "--dry-run=server"], a.manifest ? JSON.stringify(a.manifest) : undefined); outcome = { ok: true, message: "" }; }
            catch (e) { outcome = { ok: false, message: (e as Error).message }; }
            const m = mismatch(a.verdict, outcome);
            console.log(m ? "FAIL" : "ok  ", a.name, m ?? "");
        }
        if (process.argv.includes("--destroy")) {
            t = Date.now();
            await stack.destroy({ onOutput: (l) => fs.appendFileSync(runDir + "/up.log", l) });
            console.log("destroy", (Date.now() - t) / 1000);
        }
    } catch (e) {
        console.error("ERR", (e as Error).message.slice(0, 3000));
    }
    if (!process.argv.includes("--keep")) await stopAll(runDir);
})();
