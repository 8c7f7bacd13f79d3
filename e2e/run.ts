// `npm run e2e`: the in-cluster platform on real engines. Starts a Kubernetes control plane on
// 127.0.0.1 (e2e/cluster), a chart repository and a git server (e2e/delivery.ts), runs the real
// `pulumi up` of a cluster stack with the fixture's teams (e2e/platform.ts), plays every attack of
// e2e/attacks.ts on the real API server, runs real Flux against what `up` applied, removes a team,
// destroys the platform and applies it again; then stops everything it started, by recorded PID.
//
// `npm run e2e -- --keep` stops after the attacks and Flux's first reconciliation, leaving the
// control plane running with the platform applied; `npm run e2e:stop` ends it.
import { Stack } from "@pulumi/pulumi/automation";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
    OTHER,
    OWN_HOST,
    TEAM,
    Verdict,
    attempts,
    deployment,
    impersonation,
    mismatch,
    route,
} from "./attacks";
import { ControlPlane, kubectl, startControlPlane } from "./cluster/controlPlane";
import {
    FLUX_CONTROLLERS,
    fluxChartFolder,
    installFlux,
    publishFluxChart,
    startFlux,
    startFluxFromDeployments,
} from "./cluster/flux";
import { installGatewayApi } from "./cluster/gatewayApi";
import { stopAll, stopNamed } from "./cluster/processes";
import { DeliveryServers, publishKitChart, seedKustomizeApp, startDeliveryServers } from "./delivery";
import { Changes, REGISTRY, STACK, changedOnly, platformStack } from "./platform";
import { renderKit } from "./kit";
import { chartMuseumTests } from "./chartMuseumChecks";
import { applyOciTeam, ociTeamObjects, startRegistry } from "./oci";
import { Report, runDirectory } from "./report";
import {
    PipelineWorld,
    agentRegistries,
    bindVerifier,
    checkout,
    githubCalls,
    mergePullRequest,
    pipelineAgent,
    platformFile,
    releaseVariables,
    job,
    kustomizeCheckout,
    kustomizeVariables,
    runJob,
    runVariablesOf,
    seedPlatformRepository,
    selfSignedCertificate,
    startPipelineWorld,
    withRealOras,
} from "./pipelines";
import { Sandbox, errors, outputs } from "../test/support/sandbox";
import { scriptOf, scriptSteps } from "../test/support/pipelines";
import { parse } from "yaml";
import { execFileSync } from "node:child_process";
import { HELM_REPOSITORY_NAME } from "../components/tenants/delivery/helm";
import { LOCKDOWN_ARGS } from "../components/flux/manifests";
import { ISOLATION_ANNOTATION_PREFIX, ISOLATION_KEYS } from "../components/tenants/admissionPolicies";

const FLAGS = ["--keep", "--help"];
const args = process.argv.slice(2);
const keep = args.includes("--keep");

const report = new Report();
let cp: ControlPlane;
let servers: DeliveryServers;
let stack: Stack;
const teams = () => path.join(cp.runDir, "tenants");
/** The Helm team's apps and the chart version each is first published at. */
const HELM_APPS = ["api", "web"];
/** The Kustomize team's repository in test/fixtures/e2e/tenants, replaced by the git server's. */
const FIXTURE_GIT_URL = "https://127.0.0.1:1/blog.git";
let kustomizeRepository = FIXTURE_GIT_URL;
const FIRST_VERSION = "0.1.0";
/** The host the team's file moves to, and the route the team leaves on its old host. */
const MOVED_HOST = "www.shop.staging.example.test";
const LEFT_ROUTE = "left";
/**
 * The flux2 chart the program installs (GITOPS_E2E_FLUX_CHART, fluxInstall: chart), or undefined: the
 * e2e installs Flux and starts it with fluxChartValues' flags (fluxInstall: external).
 */
let fluxChart: string | undefined;
const FROM_DEPLOYMENTS_ONLY = "needs GITOPS_E2E_FLUX_CHART (the flux2 chart at the pinned version)";

/** A flag the e2e does not know is one line and exit 1, before anything starts. */
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
    try {
        fluxChart = fluxChartFolder();
    } catch (e) {
        console.error(`e2e: ${(e as Error).message}`);
        process.exit(1);
    }
}

async function up(label: string): Promise<Changes> {
    const started = Date.now();
    const result = await stack.up({ onOutput: (line) => report.log(line) });
    report.seconds(label, (Date.now() - started) / 1000);
    return result.summary.resourceChanges ?? {};
}

/** What a kubectl call as `args` answered: admitted, or the refusal's message. */
function attempt(flags: string[], manifest?: object, text?: string): { ok: boolean; message: string } {
    // A read has nothing to dry-run; a write is judged by authorization and admission, never stored.
    const write = !flags.includes("get");
    try {
        kubectl(
            cp,
            [...flags, ...(write ? ["--dry-run=server"] : [])],
            manifest ? JSON.stringify(manifest) : text,
        );
        return { ok: true, message: "" };
    } catch (e) {
        return { ok: false, message: (e as Error).message };
    }
}

/** The fixture's team files, the Kustomize team's repository pointed at the e2e's git server. */
function copyFixtureTeams(): void {
    fs.cpSync(path.join(__dirname, "..", "test", "fixtures", "e2e", "tenants"), teams(), { recursive: true });
    const file = path.join(teams(), `${OTHER}.yaml`);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(FIXTURE_GIT_URL, kustomizeRepository));
}

function namespaces(): string[] {
    return kubectl(cp, ["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"]).split(" ");
}

/** Waits for a Flux object's Ready condition, failing with its last message. */
function waitReady(kind: string, namespace: string, name: string, timeout = "180s"): void {
    try {
        kubectl(cp, [
            "wait",
            "-n",
            namespace,
            "--for=condition=Ready",
            `--timeout=${timeout}`,
            `${kind}/${name}`,
        ]);
    } catch (e) {
        const status = kubectl(cp, [
            "get",
            "-n",
            namespace,
            `${kind}/${name}`,
            "-o",
            "jsonpath={.status.conditions}",
        ]);
        throw new Error(`${kind} ${namespace}/${name} not Ready: ${status} (${(e as Error).message})`);
    }
}

/** `flux reconcile`: asks the controllers to reconcile now instead of at the next interval. */
function requestReconcile(kind: string, namespace: string, name: string): void {
    kubectl(cp, [
        "annotate",
        "--overwrite",
        "-n",
        namespace,
        `${kind}/${name}`,
        `reconcile.fluxcd.io/requestedAt=${Date.now()}`,
    ]);
}

/** One isolation setting of a tenant namespace, as its annotation holds it. */
function isolationSetting(namespace: string, key: (typeof ISOLATION_KEYS)[number]): string {
    const annotation = `${ISOLATION_ANNOTATION_PREFIX}${key}`.replace(/\./g, "\\.");
    return kubectl(cp, [
        "get",
        "namespace",
        namespace,
        "-o",
        `jsonpath={.metadata.annotations.${annotation}}`,
    ]);
}

/** Fails with the mismatch when an outcome is not the verdict (a refusal by the wrong mechanism included). */
function expect(verdict: Verdict, outcome: { ok: boolean; message: string }): void {
    const problem = mismatch(verdict, outcome);
    assert.equal(problem, undefined, problem);
}

function releasedVersion(app: string): string {
    return kubectl(cp, [
        "get",
        "-n",
        TEAM,
        `helmrelease/${app}`,
        "-o",
        "jsonpath={.status.history[0].chartVersion}",
    ]);
}

preflight();

// Interrupted (Ctrl-C, CI's timeout): stop what this run started before going.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        console.error(`e2e: ${signal}, stopping what this run started`);
        void stopAll(runDirectory()).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
}

describe("the in-cluster platform on real engines", { concurrency: false }, () => {
    before(async () => {
        const runDir = runDirectory();
        await stopAll(runDir);
        fs.rmSync(runDir, { recursive: true, force: true });
        const started = Date.now();
        cp = await startControlPlane(runDir);
        report.seconds("control plane start", (Date.now() - started) / 1000);
        if (!fluxChart) installFlux(cp);
        installGatewayApi(cp);
        if (!fluxChart) {
            const fluxStarted = Date.now();
            await startFlux(cp);
            report.seconds("Flux controllers start", (Date.now() - fluxStarted) / 1000);
        }
        servers = await startDeliveryServers(cp, STACK, [TEAM, OTHER]);
        for (const app of HELM_APPS) await publishKitChart(servers, TEAM, app, FIRST_VERSION, runDir);
        kustomizeRepository = seedKustomizeApp(servers, {
            team: OTHER,
            app: "app",
            image: `${REGISTRY}/${OTHER}/app:${FIRST_VERSION}`,
        });
        copyFixtureTeams();
        const fluxChartRepositoryUrl = fluxChart ? publishFluxChart(fluxChart, servers) : undefined;
        stack = await platformStack(cp, teams(), { ...servers, fluxChartRepositoryUrl });
    });

    after(async () => {
        if (keep && cp) return report.kept(cp, [TEAM, OTHER]);
        // Also after a start-up that failed half-way: whatever was recorded is stopped.
        await stopAll(runDirectory());
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

    test(
        "Flux's controllers run with the args and env of the Deployments the program's flux2 chart applied, its lockdown flags among them",
        { skip: !fluxChart && FROM_DEPLOYMENTS_ONLY },
        async () => {
            await startFromDeployments();
        },
    );

    test("a second up changes nothing", async () => {
        assert.deepEqual(changedOnly(await up("no-change up")), {});
    });

    test("pulumi preview --expect-no-changes passes", async () => {
        const result = await stack.preview({ expectNoChanges: true });
        assert.deepEqual(changedOnly(result.changeSummary), {});
    });

    describe("as a team, ChartMuseum's own push check (ChartMuseum itself, with the program's settings)", () => {
        chartMuseumTests(() => servers, {
            team: TEAM,
            other: OTHER,
            chart: { name: HELM_APPS[0], version: FIRST_VERSION },
        });
    });

    describe("as a team, the real API server", () => {
        // Named now; built once the chart repository's address is known.
        attempts("<charts>").forEach(({ name }, i) => {
            test(name, () => {
                const a = attempts(servers.chartRepositoryUrl)[i];
                const flags = [...impersonation(a.as), ...a.args];
                const problem = mismatch(a.verdict, attempt(flags, a.manifest));
                assert.equal(problem, undefined, problem);
            });
        });
    });

    test("a Deployment of the team's own image becomes Available on the fake node", () => {
        const d = deployment(TEAM, "smoke", `${REGISTRY}/${TEAM}/api:0.1.0`);
        kubectl(
            cp,
            [...impersonation({ kind: "reconciler", team: TEAM }), "create", "-f", "-"],
            JSON.stringify(d),
        );
        kubectl(cp, ["wait", "-n", TEAM, "--for=condition=Available", "--timeout=120s", "deployment/smoke"]);
        kubectl(cp, ["delete", "-n", TEAM, "deployment/smoke", "--wait=true"]);
    });

    describe("real Flux on what up applied", () => {
        test("Flux syncs the fleet the stack points it at (flux-system Kustomization Ready)", () => {
            waitReady("kustomization", "flux-system", "flux-system");
        });

        test("helm-controller releases each app of the Helm team as its reconciler, tests included, at the version pushed", () => {
            const started = Date.now();
            for (const app of HELM_APPS) waitReady("helmrelease", TEAM, app, "300s");
            for (const app of HELM_APPS) assert.equal(releasedVersion(app), FIRST_VERSION);
            const testStatus = kubectl(cp, [
                "get",
                "-n",
                TEAM,
                "helmrelease/api",
                "-o",
                "jsonpath={.status.history[0].testHooks}",
            ]);
            assert.match(testStatus, /"phase":"Succeeded"/, `the Helm test did not pass: ${testStatus}`);
            report.seconds("releases Ready (first install)", (Date.now() - started) / 1000);
        });

        test("kustomize-controller applies the Kustomize kit's staging overlay from git as the team's reconciler", () => {
            const started = Date.now();
            waitReady("kustomization", OTHER, OTHER, "180s");
            kubectl(cp, [
                "wait",
                "-n",
                OTHER,
                "--for=condition=Available",
                "--timeout=120s",
                "deployment/app",
            ]);
            report.seconds("Kustomize app Available", (Date.now() - started) / 1000);
        });

        test("a chart pushed within the team's range reaches Ready at that version", async () => {
            const started = Date.now();
            await publishKitChart(servers, TEAM, "web", "0.2.0", cp.runDir);
            requestReconcile("helmrepository", TEAM, HELM_REPOSITORY_NAME);
            const deadline = Date.now() + 240_000;
            while (releasedVersion("web") !== "0.2.0" && Date.now() < deadline)
                await new Promise((r) => setTimeout(r, 1000));
            waitReady("helmrelease", TEAM, "web");
            assert.equal(releasedVersion("web"), "0.2.0");
            report.seconds("chart push to release Ready", (Date.now() - started) / 1000);
        });

        test("helm template of the Helm kit with the HelmRelease's values renders objects the team's admission admits as its reconciler", () => {
            const values = kubectl(cp, [
                "get",
                "-n",
                TEAM,
                "helmrelease/web",
                "-o",
                "jsonpath={.spec.values}",
            ]);
            const rendered = renderKit(cp.runDir, "web", TEAM, values);
            const kinds = [...rendered.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort();
            for (const kind of ["Deployment", "Pod", "Service"])
                assert.ok(kinds.includes(kind), kinds.join());
            const verdict = attempt(
                [...impersonation({ kind: "reconciler", team: TEAM }), "apply", "-n", TEAM, "-f", "-"],
                undefined,
                rendered,
            );
            assert.equal(verdict.message, "");
        });

        test("an up after Flux reconciled changes nothing (status and finalizers are Flux's)", async () => {
            assert.deepEqual(changedOnly(await up("up after Flux")), {});
        });
    });

    if (keep) return;

    test("attack: a route left on the team's old host after one up moved its hosts: relabelled (admitted), its spec changed on the old host (refused), a route for the new host admitted, deleted without hanging", async () => {
        const file = path.join(teams(), `${TEAM}.yaml`);
        const declared = fs.readFileSync(file, "utf8");
        const moved = declared.replace(`hosts: [${OWN_HOST}]`, `hosts: [${MOVED_HOST}]`);
        assert.notEqual(moved, declared, `${file} declares no staging hosts [${OWN_HOST}]`);
        const as = impersonation({ kind: "reconciler", team: TEAM });
        const left = ["-n", TEAM, `httproute/${LEFT_ROUTE}`];
        const respec = { spec: { rules: [{ backendRefs: [{ name: "web", port: 8081 }] }] } };
        const patch = ["patch", ...left, "--type=merge", "-p", JSON.stringify(respec)];
        kubectl(cp, [...as, "create", "-f", "-"], JSON.stringify(route(LEFT_ROUTE)));
        // The same change is the team's to make while the host is still its own.
        expect({ by: "admitted" }, attempt([...as, ...patch]));
        fs.writeFileSync(file, moved);
        try {
            await up("up moving the team's hosts");
            assert.equal(isolationSetting(TEAM, "hosts"), MOVED_HOST);
            expect({ by: "admitted" }, attempt([...as, "label", ...left, "note=kept"]));
            expect({ by: "policy", name: "tenant-routes" }, attempt([...as, ...patch]));
            const onMoved = route("moved", (s) => {
                s.hostnames = [MOVED_HOST];
                s.parentRefs[0].sectionName = MOVED_HOST;
            });
            expect({ by: "admitted" }, attempt([...as, "create", "-f", "-"], onMoved));
            kubectl(cp, [...as, "delete", ...left, "--wait=true", "--timeout=120s"]);
        } finally {
            fs.writeFileSync(file, declared);
            try {
                kubectl(cp, ["delete", ...left, "--ignore-not-found", "--timeout=120s"]);
            } finally {
                await up("up restoring the team's hosts");
            }
        }
        assert.equal(isolationSetting(TEAM, "hosts"), OWN_HOST);
    });

    describe("the apps' pipeline scripts on this cluster (stand-ins: az, kubelogin, the image, GitHub's API)", () => {
        pipelineTests();
    });

    test("removing the Helm team's file uninstalls its releases and removes its tenant without hanging", async () => {
        fs.rmSync(path.join(teams(), `${TEAM}.yaml`));
        fs.rmSync(path.join(teams(), "guardrails", `${TEAM}.yaml`), { force: true });
        const changes = await up("up removing a team");
        assert.ok((changes.delete ?? 0) > 0, `expected deletions, got ${JSON.stringify(changes)}`);
        assert.ok(!namespaces().includes(TEAM), `namespace ${TEAM} still exists`);
    });

    test("pulumi destroy removes the whole platform without hanging, and leaves the Flux it did not install (fluxInstall: external) or takes its own (chart)", async () => {
        // The acr-oci team's objects are the e2e's, not the stack's: removed while Flux still runs to
        // finalize them (with fluxInstall: chart the destroy takes Flux's RBAC, then waits on its CRDs).
        kubectl(cp, ["delete", "namespace", `${TEAM}-oci`, "--ignore-not-found", "--timeout=180s"]);
        const started = Date.now();
        await stack.destroy({ onOutput: (line) => report.log(line) });
        report.seconds("destroy", (Date.now() - started) / 1000);
        assert.deepEqual(
            namespaces().filter((ns) => [TEAM, OTHER].includes(ns)),
            [],
        );
        // The platform's policies go; the Gateway API CRDs' own (safe-upgrades) were never the platform's.
        assert.equal(
            kubectl(cp, [
                "get",
                "validatingadmissionpolicies",
                "-l",
                "app.kubernetes.io/managed-by=pulumi",
                "-o",
                "name",
            ]).trim(),
            "",
        );
        await fluxAfterDestroy();
    });

    test("a new up after the destroy converges again", async () => {
        copyFixtureTeams();
        const changes = await up("up after destroy");
        assert.ok((changes.create ?? 0) > 40, JSON.stringify(changes));
        if (fluxChart) await startFromDeployments();
        await stack.destroy({ onOutput: (line) => report.log(line) });
    });
});

/**
 * After a destroy: with fluxInstall external, flux-system keeps the Flux someone else installed but
 * nothing of the platform's; with chart, flux-system and Flux's CRDs are gone, and so are the
 * controllers' processes (a kubelet stops the Pods of deleted Deployments).
 */
async function fluxAfterDestroy(): Promise<void> {
    if (fluxChart) {
        assert.ok(!namespaces().includes("flux-system"), "flux-system (the stack's own) is left");
        const crds = kubectl(cp, ["get", "crds", "-o", "name"]);
        assert.doesNotMatch(crds, /toolkit\.fluxcd\.io/);
        await stopNamed(cp.runDir, FLUX_CONTROLLERS);
        return;
    }
    const platformInFluxSystem = kubectl(cp, [
        "get",
        "gitrepositories,kustomizations,networkpolicies",
        "-n",
        "flux-system",
        "-o",
        "name",
    ]);
    assert.equal(platformInFluxSystem.trim(), "");
    assert.ok(
        namespaces().includes("flux-system"),
        "flux-system (installed by flux install, not by the stack) was deleted",
    );
}

/**
 * Starts Flux from the Deployments the chart applied (as a kubelet would start their Pods), logs each
 * translation, and checks the running command lines carry the platform's lockdown flags.
 */
async function startFromDeployments(): Promise<void> {
    const started = Date.now();
    const lines = await startFluxFromDeployments(cp);
    report.seconds("Flux controllers start (from their Deployments)", (Date.now() - started) / 1000);
    const lockdown = {
        "source-controller": LOCKDOWN_ARGS.sourceController,
        "kustomize-controller": LOCKDOWN_ARGS.kustomizeController,
        "helm-controller": LOCKDOWN_ARGS.helmController,
        "notification-controller": LOCKDOWN_ARGS.notificationController,
    };
    for (const controller of FLUX_CONTROLLERS) {
        report.log(
            `${controller} as ${lines[controller].serviceAccount}: ${lines[controller].translated.join("; ")}\n`,
        );
        for (const flag of lockdown[controller])
            assert.ok(lines[controller].args.includes(flag), `${controller} runs without ${flag}`);
    }
}

/** The chart versions of `app` a chart repository's index lists for `team`, with their digests. */
function indexed(url: string, team: string, app: string): Record<string, string> {
    // curl, not fetch: a pooled connection the server closed while a step blocked this process fails.
    const index = parse(
        execFileSync("curl", ["--fail", "--silent", "--show-error", `${url}/${team}/index.yaml`], {
            encoding: "utf8",
        }),
    );
    const entries = (index.entries?.[app] ?? []) as { version: string; digest: string }[];
    return Object.fromEntries(entries.map((e) => [e.version, `sha256:${e.digest}`]));
}

/** A HelmRepository the Helm team writes itself (not the platform's), on `url`. */
const OWN_SOURCE = "own";
function ownSource(url: string) {
    return {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "HelmRepository",
        metadata: { name: OWN_SOURCE, namespace: TEAM },
        spec: { interval: "10m", url },
    };
}

/** The paths a ChartMuseum this run started (`logs/<name>.log`) served with 200 since `since` (ISO). */
function servedSince(name: string, since: string): string[] {
    const lines = fs.readFileSync(path.join(cp.runDir, "logs", `${name}.log`), "utf8").split("\n");
    return lines
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { T?: string; path?: string; method?: string; statusCode?: number })
        .filter((e) => e.T && e.T >= since && e.method === "GET" && e.statusCode === 200)
        .map((e) => e.path ?? "");
}

/** The image the Helm team's app's Deployment runs. */
function runningImage(app: string): string {
    return kubectl(cp, [
        "get",
        "deployments",
        "-n",
        TEAM,
        "-l",
        `app.kubernetes.io/name=${app}`,
        "-o",
        "jsonpath={.items[0].spec.template.spec.containers[0].image}",
    ]);
}

/** The image a Deployment runs, or "" while it does not exist. */
function deploymentImage(namespace: string, name: string): string {
    try {
        return kubectl(cp, [
            "get",
            "deployment",
            name,
            "-n",
            namespace,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ]);
    } catch {
        return "";
    }
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
}

/** The digest the Kustomize team's promotion pinned in its prod branch (set by kustomizePipelineTests). */
let kustomizeDigest = "";

/** The Kustomize team's build, verify and promote jobs, on its repository on the git server. */
function kustomizePipelineTests(world: () => PipelineWorld): void {
    const VERSION = "1.2.7";
    let agent: Sandbox;
    let variables: Record<string, string>;
    let build: Record<string, string>;
    let verified: string;
    const mainCommits = () =>
        execFileSync(
            "git",
            ["-C", path.join(servers.gitRoot, `${OTHER}.git`), "rev-list", "--count", "main"],
            {
                encoding: "utf8",
            },
        ).trim();

    before(() => {
        agent = pipelineAgent(cp, world(), OTHER);
        kustomizeCheckout(agent, servers, OTHER);
        variables = kustomizeVariables(agent, {
            team: OTHER,
            app: "app",
            version: VERSION,
            registry: REGISTRY,
        });
        agent.answer("image-digest", `sha256:${"b2".repeat(32)}\n`);
    });
    after(() => agent?.dispose());

    test("kustomize build: one bump commit on main of the team's repository, and a re-run commits nothing", () => {
        const before = Number(mainCommits());
        const first = runJob(agent, "build", variables, "kustomize");
        assert.ok(first.ok, first.last.stdout + first.last.stderr);
        const again = runJob(agent, "build", variables, "kustomize");
        assert.ok(again.ok, again.last.stdout + again.last.stderr);
        assert.equal(Number(mainCommits()), before + 1);
        assert.equal(again.out["bump.commit"], first.out["bump.commit"]);
        build = first.out;
    });

    test("kustomize verify sees kustomize-controller apply the bump commit and the Deployment run the built image", () => {
        requestReconcile("gitrepository", OTHER, OTHER);
        const verify = runJob(
            agent,
            "verify",
            { ...variables, releaseVersion: build["image.version"], releaseCommit: build["bump.commit"] },
            "kustomize",
        );
        assert.ok(verify.ok, verify.last.stdout + verify.last.stderr);
        assert.equal(deploymentImage(OTHER, "app"), `${REGISTRY}/${OTHER}/app:${VERSION}`);
        verified = verify.out["verify.commit"];
    });

    test("kustomize promote opens one pull request into the prod branch pinning the digest, and a re-run opens none", () => {
        const release = {
            releaseVersion: build["image.version"],
            releaseDigest: build["image.digest"],
            releaseCommit: verified,
        };
        let url = "";
        for (const attempt of [1, 2]) {
            const promote = runJob(agent, "promote", { ...variables, ...release }, "kustomize");
            assert.ok(promote.ok, `run ${attempt}: ${promote.last.stdout}${promote.last.stderr}`);
            url = promote.out["pullRequest.url"];
        }
        const opened = githubCalls(world()).filter(
            (c) => c.method === "POST" && c.path.includes(`/${OTHER}/`),
        );
        assert.equal(opened.length, 1, JSON.stringify(githubCalls(world())));
        assert.equal(opened[0].body.base, "prod");
        mergePullRequest(world(), url, `e2e/${OTHER}`);
        const overlay = execFileSync(
            "git",
            ["-C", path.join(servers.gitRoot, `${OTHER}.git`), "show", "prod:deploy/prod/kustomization.yaml"],
            { encoding: "utf8" },
        );
        assert.match(overlay, new RegExp(`digest: ${build["image.digest"]}`));
        kustomizeDigest = build["image.digest"];
    });
}

/** The build, verify and promote jobs of the Helm team's app `api`, then the pin's merge, in order. */
function pipelineTests(): void {
    const VERSION = "0.3.0";
    let agent: Sandbox;
    let world: PipelineWorld;
    let variables: Record<string, string>;
    let built: Record<string, string>;
    let pullRequest: string;
    const stagingIndex = () => indexed(servers.chartRepositoryUrl, TEAM, "api");

    before(async () => {
        world = await startPipelineWorld(cp, servers, TEAM);
        seedPlatformRepository(servers, teams());
        agent = pipelineAgent(cp, world, TEAM);
        checkout(agent, "api");
        variables = runVariablesOf(agent, servers, world, {
            team: TEAM,
            app: "api",
            version: VERSION,
            commit: "5ca1ab1e".repeat(5),
        });
        agent.answer("image-digest", `sha256:${"a1".repeat(32)}\n`);
    });
    after(() => agent?.dispose());

    test("build: a failure half-way, its re-run and a re-run after success push the chart once", async () => {
        const [image, pack, push] = scriptSteps(job("build"));
        for (const step of [image, pack]) assert.equal(agent.run(step, variables).status, 0);
        fs.rmSync(path.join(variables["Build.ArtifactStagingDirectory"], "release", "release.json"));
        assert.notEqual(agent.run(push, variables).status, 0, "the push step should fail after pushing");
        const pushed = stagingIndex()[VERSION];
        assert.ok(pushed, "the failed step pushed nothing");
        const rerun = runJob(agent, "build", variables);
        assert.ok(rerun.ok, rerun.last.stdout + rerun.last.stderr);
        assert.equal(rerun.out["chart.digest"], pushed);
        const again = runJob(agent, "build", variables);
        assert.ok(again.ok, again.last.stdout + again.last.stderr);
        assert.deepEqual(again.out, rerun.out);
        assert.equal(stagingIndex()[VERSION], pushed);
        built = releaseVariables(rerun.out);
    });

    test("verify sees the version it built on the real HelmRelease, Helm test passed, and finishes", () => {
        const started = Date.now();
        requestReconcile("helmrepository", TEAM, HELM_REPOSITORY_NAME);
        const verify = runJob(agent, "verify", { ...variables, ...built });
        assert.ok(verify.ok, verify.last.stdout + verify.last.stderr);
        assert.match(verify.last.stdout, new RegExp(`Staging runs api ${VERSION.replace(/\./g, "\\.")}`));
        report.seconds("pipeline: chart push to verify passed", (Date.now() - started) / 1000);
    });

    test("verify fails clearly when the Helm test of the version it built fails", async () => {
        const failing = { ...variables, ...variablesOf("web", "0.4.0") };
        checkout(agent, "web", true);
        const build = runJob(agent, "build", failing);
        assert.ok(build.ok, build.last.stdout + build.last.stderr);
        requestReconcile("helmrepository", TEAM, HELM_REPOSITORY_NAME);
        // Verify polls every 10 s in a pipeline: by then helm-controller has long rolled back.
        const history = () =>
            JSON.parse(
                kubectl(cp, ["get", "-n", TEAM, "helmrelease/web", "-o", "jsonpath={.status.history}"]) ||
                    "[]",
            );
        const deadline = Date.now() + 240_000;
        while (!/^0\.4\.0/.test(history()[1]?.chartVersion ?? "") && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 1000));
        report.log(`web's status.history after its Helm test failed: ${JSON.stringify(history())}`);
        const verify = runJob(agent, "verify", { ...failing, ...releaseVariables(build.out) });
        assert.equal(verify.ok, false);
        assert.deepEqual(errors(verify.last).length, 1, verify.last.stdout);
        assert.match(errors(verify.last)[0], /Helm tests failed: web-test-connection/);
    });

    test("acr-oci: build pushes the chart once with helm push, the program's OCIRepository releases it, verify sees <version>+<digest12>, promote copies it by digest", async () => {
        const team = `${TEAM}-oci`;
        const tls = selfSignedCertificate(path.join(cp.runDir, "registry-tls"), "IP:127.0.0.1");
        const staging = await startRegistry(cp, "registry-staging", tls);
        const prod = await startRegistry(cp, "registry-prod", tls);
        agentRegistries(agent, tls.cert, { e2eocistaging: staging, e2eociprod: prod });
        const oci = {
            ...variables,
            teamName: team,
            chartRepositoryKind: "acr-oci",
            "staging.registryName": "e2eocistaging",
            "staging.registryLoginServer": staging,
            "staging.chartRepositoryUrl": `oci://${staging}/${team}/helm`,
            "prod.registryName": "e2eociprod",
            "prod.registryLoginServer": prod,
            "prod.chartRepositoryUrl": `oci://${prod}/${team}/helm`,
        };
        // The build's chart steps, twice: the image hop is the stand-ins'.
        const [, pack, push] = scriptSteps(job("build"));
        const digests = [1, 2].map(() => {
            assert.equal(agent.run(pack, oci).status, 0);
            const run = agent.run(push, oci);
            assert.equal(run.status, 0, run.stdout + run.stderr);
            return outputs(run).digest;
        });
        assert.equal(digests[1], digests[0]);
        const digest = digests[0];
        applyOciTeam(cp, ociTeamObjects(team, "api", staging, REGISTRY, tls.cert));
        bindVerifier(cp, team);
        waitReady("helmrelease", team, "api", "240s");
        const history = kubectl(cp, [
            "get",
            "-n",
            team,
            "helmrelease/api",
            "-o",
            "jsonpath={.status.history[0]}",
        ]);
        report.log(`an OCI chart's status.history[0]: ${history}`);
        assert.equal(JSON.parse(history).chartVersion, `${VERSION}+${digest.slice("sha256:".length, 19)}`);
        const release = { releaseVersion: VERSION, releaseChartDigest: digest };
        const verify = runJob(agent, "verify", { ...oci, ...release });
        assert.ok(verify.ok, verify.last.stdout + verify.last.stderr);
        // Promote's chart copy, twice, with the real oras between the two registries.
        const copy = scriptSteps(job("promote")).find((step) => /oras copy "\$source"/.test(scriptOf(step)))!;
        for (const attempt of [1, 2]) {
            const run = withRealOras(agent, () => agent.run(copy, { ...oci, ...release }));
            assert.equal(run.status, 0, `run ${attempt}: ${run.stdout}${run.stderr}`);
        }
        const inProd = execFileSync(
            path.join(agent.bin, "az"),
            ["acr", "repository", "show", "--name", "e2eociprod", "--image", `${team}/helm/api:${VERSION}`],
            {
                encoding: "utf8",
                env: {
                    ...process.env,
                    STUB_STATE: agent.state,
                    STUB_LIB: path.join(agent.bin, "lib.sh"),
                    STUB_LOG: "/dev/null",
                },
            },
        ).trim();
        assert.equal(inProd, digest);
    });

    test("promote copies the chart by digest into prod's repository and opens one pin pull request, and a re-run opens none", async () => {
        for (const attempt of [1, 2]) {
            const promote = runJob(agent, "promote", { ...variables, ...built });
            assert.ok(promote.ok, `run ${attempt}: ${promote.last.stdout}${promote.last.stderr}`);
            pullRequest = promote.out["pullRequest.url"];
        }
        const prod = indexed(world.prodChartRepositoryUrl, TEAM, "api");
        assert.deepEqual(prod, { [VERSION]: built.releaseChartDigest });
        const opened = githubCalls(world).filter((c) => c.method === "POST");
        assert.equal(opened.length, 1, JSON.stringify(githubCalls(world)));
        assert.equal(opened[0].body.head, `promote/${TEAM}-api-${VERSION}`);
        assert.match(pullRequest, /\/pull\/1$/);
    });

    kustomizePipelineTests(() => world);

    test("the team's reconciler writes a HelmRepository of its own on its staging charts, and source-controller adds its finalizer", () => {
        kubectl(
            cp,
            [...impersonation({ kind: "reconciler", team: TEAM }), "create", "-f", "-"],
            JSON.stringify(ownSource(`${servers.chartRepositoryUrl}/${TEAM}`)),
        );
        kubectl(cp, [
            "wait",
            "-n",
            TEAM,
            "--for=jsonpath={.metadata.finalizers[0]}=finalizers.fluxcd.io",
            "--timeout=120s",
            `helmrepository/${OWN_SOURCE}`,
        ]);
    });

    test("once the promotions' pull requests are merged and applied, prod runs exactly the image digests staging verified, the Helm app at that chart version, read from prod's own chart repository after one up", async () => {
        const started = Date.now();
        const since = new Date().toISOString();
        mergePullRequest(world, pullRequest);
        // The deploy workflow: the merged team file, `pulumi up` of prod.
        fs.writeFileSync(path.join(teams(), `${TEAM}.yaml`), platformFile(servers, `tenants/${TEAM}.yaml`));
        // web's earlier promotion: prod's team file pins web at the version staging started with.
        const prodCharts = {
            ...servers,
            chartRepositoryUrl: world.prodChartRepositoryUrl,
            chartPushUrl: world.prodChartPushUrl,
            tokens: world.prodTokens,
        };
        await publishKitChart(prodCharts, TEAM, "web", FIRST_VERSION, cp.runDir);
        // The prod cluster here is this cluster, its stack switched to prod and to prod's chart
        // repository in one up: the namespace's charts prefix moves and the HelmRepository follows.
        await stack.setAllConfig({
            "gitops-platform:clusterEnvironment": { value: "prod" },
            "gitops-platform:chartRepositoryUrl": { value: world.prodChartRepositoryUrl },
        });
        try {
            await up("up of the merged pin (prod, its own charts)");
            const source = kubectl(cp, [
                "get",
                "-n",
                TEAM,
                `helmrepository/${HELM_REPOSITORY_NAME}`,
                "-o",
                "jsonpath={.spec.url}",
            ]);
            assert.equal(source, `${world.prodChartRepositoryUrl}/${TEAM}`);
            const image = `${REGISTRY}/${TEAM}/api@${built.releaseDigest}`;
            await until(() => runningImage("api") === image, 240_000);
            waitReady("helmrelease", TEAM, "api");
            assert.equal(runningImage("api"), image);
            assert.equal(releasedVersion("api"), VERSION);
            report.seconds("promotion merge to prod running the digest", (Date.now() - started) / 1000);
            await until(() => releasedVersion("web") === FIRST_VERSION, 180_000);
            waitReady("helmrelease", TEAM, "web");
            assert.equal(releasedVersion("web"), FIRST_VERSION);
            // Only source-controller reads prod's repository after `since`: the index and both charts.
            const served = servedSince("chartmuseum-prod", since);
            const charts = [`api-${VERSION}`, `web-${FIRST_VERSION}`].map((c) => `/${TEAM}/charts/${c}.tgz`);
            for (const file of [`/${TEAM}/index.yaml`, ...charts])
                assert.ok(
                    served.includes(file),
                    `prod's ChartMuseum did not serve ${file}: ${served.join(", ")}`,
                );
            // The Kustomize team's promotion, merged into its prod branch above: prod's overlay applied.
            const app = `${REGISTRY}/${OTHER}/app@${kustomizeDigest}`;
            await until(() => deploymentImage(OTHER, "app") === app, 180_000);
            assert.equal(deploymentImage(OTHER, "app"), app);
        } finally {
            await stack.setAllConfig({
                "gitops-platform:clusterEnvironment": { value: "staging" },
                "gitops-platform:chartRepositoryUrl": { value: servers.chartRepositoryUrl },
            });
        }
    });

    test("attack: the team's own source left on staging's charts after prod moved its prefix: relabelled (admitted), re-pointed at another team's charts (refused), deleted without hanging", () => {
        // The cluster is still as the promotion's up left it (prod's charts prefix): the config that
        // test restores takes effect only at the next up.
        const as = impersonation({ kind: "reconciler", team: TEAM });
        const target = ["-n", TEAM, `helmrepository/${OWN_SOURCE}`];
        assert.equal(attempt([...as, "label", ...target, "note=kept"]).message, "");
        const borrowed = JSON.stringify({ spec: { url: `${world.prodChartRepositoryUrl}/${OTHER}` } });
        const problem = mismatch(
            { by: "policy", name: "tenant-chart-sources" },
            attempt([...as, "patch", ...target, "--type=merge", "-p", borrowed]),
        );
        assert.equal(problem, undefined, problem);
        kubectl(cp, [...as, "delete", ...target, "--wait=true", "--timeout=120s"]);
    });

    /** The run variables of another app of the team, at `version`. */
    function variablesOf(app: string, version: string): Record<string, string> {
        return runVariablesOf(agent, servers, world, {
            team: TEAM,
            app,
            version,
            commit: "b0a710ad".repeat(5),
        });
    }
}
