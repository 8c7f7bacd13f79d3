// `npm run e2e`: the in-cluster platform on real engines. Starts a Kubernetes control plane on
// 127.0.0.1 (e2e/cluster), runs the real `pulumi up` of a cluster stack with the fixture's teams
// (e2e/platform.ts), plays every attack of e2e/attacks.ts on the real API server, removes a team,
// destroys the platform and applies it again; then stops everything it started, by recorded PID.
//
// `npm run e2e -- --keep` stops after the attacks and leaves the control plane running with the
// platform applied, printing the KUBECONFIG and whom to impersonate; `npm run e2e:stop` ends it.
import { Stack } from "@pulumi/pulumi/automation";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { ATTEMPTS, OTHER, TEAM, deployment, impersonation, mismatch } from "./attacks";
import { ControlPlane, kubectl, startControlPlane } from "./cluster/controlPlane";
import { installFluxCrds } from "./cluster/flux";
import { stopAll } from "./cluster/processes";
import { Changes, REGISTRY, changedOnly, platformStack } from "./platform";
import { Report, runDirectory } from "./report";

const FLAGS = ["--keep", "--help"];
const args = process.argv.slice(2);
const keep = args.includes("--keep");

const report = new Report();
let cp: ControlPlane;
let stack: Stack;
const teams = () => path.join(cp.runDir, "tenants");

/** A flag the e2e does not know, or a missing toolchain, is one line and exit 1, before anything starts. */
function preflight(): void {
    for (const a of args) {
        if (!FLAGS.includes(a)) {
            console.error(`e2e: unknown flag ${a}; allowed: ${FLAGS.join(", ")}`);
            process.exit(1);
        }
    }
    if (args.includes("--help")) {
        console.log("usage: npm run e2e [-- --keep]    (npm run e2e:stop ends a kept control plane)");
        process.exit(0);
    }
}

async function up(label: string): Promise<Changes> {
    const started = Date.now();
    const result = await stack.up({ onOutput: (line) => report.log(line) });
    report.seconds(label, (Date.now() - started) / 1000);
    return result.summary.resourceChanges ?? {};
}

/** What a kubectl call as `args` answered: admitted, or the refusal's message. */
function attempt(flags: string[], manifest?: object): { ok: boolean; message: string } {
    try {
        kubectl(cp, [...flags, "--dry-run=server"], manifest ? JSON.stringify(manifest) : undefined);
        return { ok: true, message: "" };
    } catch (e) {
        return { ok: false, message: (e as Error).message };
    }
}

function namespaces(): string[] {
    return kubectl(cp, ["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"]).split(" ");
}

preflight();

describe("the in-cluster platform on a real API server", { concurrency: false }, () => {
    before(async () => {
        const runDir = runDirectory();
        await stopAll(runDir);
        fs.rmSync(runDir, { recursive: true, force: true });
        const started = Date.now();
        cp = await startControlPlane(runDir);
        report.seconds("control plane start", (Date.now() - started) / 1000);
        installFluxCrds(cp);
        fs.cpSync(path.join(__dirname, "fixture", "tenants"), teams(), { recursive: true });
        stack = await platformStack(cp, teams());
    });

    after(async () => {
        if (keep && cp) return report.kept(cp, [TEAM, OTHER]);
        if (cp) await stopAll(cp.runDir);
        report.print();
    });

    test("the first up converges: CRD-backed objects and their waits in one run", async () => {
        const changes = await up("first up");
        assert.ok(
            (changes.create ?? 0) > 40,
            `expected the platform created, got ${JSON.stringify(changes)}`,
        );
        for (const ns of ["flux-system", TEAM, OTHER])
            assert.ok(namespaces().includes(ns), `namespace ${ns} missing`);
    });

    test("a second up changes nothing", async () => {
        assert.deepEqual(changedOnly(await up("no-change up")), {});
    });

    test("pulumi preview --expect-no-changes passes", async () => {
        const result = await stack.preview({ expectNoChanges: true });
        assert.deepEqual(changedOnly(result.changeSummary), {});
    });

    describe("as a team, the real API server", () => {
        for (const a of ATTEMPTS) {
            test(a.name, () => {
                const flags = [...impersonation(a.as), ...a.args];
                const problem = mismatch(a.verdict, attempt(flags, a.manifest));
                assert.equal(problem, undefined, problem);
            });
        }
    });

    test("a Deployment of the team's own image becomes Available on the fake node", () => {
        const d = deployment(TEAM, "smoke", `${REGISTRY}/${TEAM}/api:0.1.0`);
        kubectl(
            cp,
            [...impersonation({ kind: "reconciler", team: TEAM }), "create", "-f", "-"],
            JSON.stringify(d),
        );
        kubectl(cp, ["wait", "-n", TEAM, "--for=condition=Available", "--timeout=120s", "deployment/smoke"]);
    });

    if (keep) return;

    test("removing a team's file removes its tenant without hanging", async () => {
        fs.rmSync(path.join(teams(), `${OTHER}.yaml`));
        const changes = await up("up removing a team");
        assert.ok((changes.delete ?? 0) > 0, `expected deletions, got ${JSON.stringify(changes)}`);
        assert.ok(!namespaces().includes(OTHER), `namespace ${OTHER} still exists`);
    });

    test("pulumi destroy removes the whole platform without hanging", async () => {
        const started = Date.now();
        await stack.destroy({ onOutput: (line) => report.log(line) });
        report.seconds("destroy", (Date.now() - started) / 1000);
        const left = namespaces().filter((ns) => ["flux-system", TEAM, OTHER].includes(ns));
        assert.deepEqual(left, []);
        const policies = kubectl(cp, ["get", "validatingadmissionpolicies", "-o", "name"]).trim();
        assert.equal(policies, "");
    });

    test("a new up after the destroy converges again", async () => {
        fs.cpSync(path.join(__dirname, "fixture", "tenants"), teams(), { recursive: true });
        const changes = await up("up after destroy");
        assert.ok((changes.create ?? 0) > 40, JSON.stringify(changes));
        await stack.destroy({ onOutput: (line) => report.log(line) });
    });
});
