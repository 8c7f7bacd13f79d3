// The verify hop, run: the verify job's script, with a stand-in kubectl whose answers change from
// poll to poll (the old version first, then the new one), a tiny time limit and poll interval, and
// Flux objects that are valid helm-controller v2 / kustomize-controller v1 objects.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
    BUILT_COMMIT,
    HELM_EXAMPLE,
    HELM_STAGES,
    KUSTOMIZE_EXAMPLE,
    KUSTOMIZE_STAGES,
    OCI_CHART_DIGEST,
    type ReleaseState,
    helmRelease,
    kustomization,
    runVariables,
    stagesOf,
} from "../support/delivery";
import { type Doc, SERVICE_CONNECTIONS, onlyJob, scriptSteps, stage } from "../support/pipelines";
import { type Run, Sandbox, errors } from "../support/sandbox";
import { validateObject } from "../support/schemas";

// The limits a test gives verify: one that a passing wait never reaches (it ends when staging is
// ready), and a tiny one for the time-outs, so that no test waits more than about a second.
const NEVER_REACHED = 30;
const TINY = 1;
const POLL_SECONDS = 0.05;

let sandbox: Sandbox;
beforeEach(() => (sandbox = new Sandbox()));
afterEach(() => sandbox.dispose());

function verifyStep(stagesTemplate: string, timeoutSeconds = NEVER_REACHED): Doc {
    const stages = stagesOf(stagesTemplate, {
        verifyTimeoutSeconds: timeoutSeconds,
        verifyPollSeconds: POLL_SECONDS,
    });
    const [step, ...others] = scriptSteps(onlyJob(stage({ stages }, "verify")));
    assert.deepEqual(others, [], "one script step");
    assert.equal(step.inputs.azureSubscription, SERVICE_CONNECTIONS.azure("staging", "dev-team1"));
    return step;
}

async function answers(kind: string, objects: Doc[]): Promise<void> {
    for (const o of objects) await validateObject(o as Doc & { apiVersion: string; kind: string });
    sandbox.kubectlGets(kind, objects);
}

function timed(run: () => Run): Run & { seconds: number } {
    const start = process.hrtime.bigint();
    const result = run();
    return { ...result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

describe("verify (Helm app front of dev-team1)", () => {
    const VERSION = "0.4.7";
    const variables = () =>
        runVariables(sandbox, HELM_EXAMPLE, "dev-team1", "chartmuseum", { releaseVersion: VERSION });
    const states = (...s: ReleaseState[]) => answers("helmrelease", s.map(helmRelease));

    it("reads staging as the team's CI identity: AKS credentials, then kubelogin in azurecli mode", async () => {
        await states({ chartVersion: VERSION });
        assert.equal(sandbox.run(verifyStep(HELM_STAGES), variables()).status, 0);
        const [getCredentials] = sandbox.calls("az");
        assert.deepEqual(getCredentials.slice(0, 6), [
            "aks",
            "get-credentials",
            "--resource-group",
            "rg-gitops-staging",
            "--name",
            "aks-gitops-staging",
        ]);
        assert.deepEqual(sandbox.calls("kubelogin"), [["convert-kubeconfig", "--login", "azurecli"]]);
    });

    it("waits until the HelmRelease runs the built version with its Helm tests passed", async () => {
        await states(
            { chartVersion: "0.4.6" },
            { chartVersion: "0.4.6", lastAttemptedRevision: VERSION, ready: "Unknown" },
            { chartVersion: VERSION, status: "pending-upgrade", test: null, ready: "Unknown" },
            { chartVersion: VERSION, test: "Running", ready: "Unknown" },
            { chartVersion: VERSION },
        );
        const run = sandbox.run(verifyStep(HELM_STAGES), variables());
        assert.equal(run.status, 0, run.stdout);
        const gets = sandbox.calls("kubectl");
        assert.equal(gets.length, 5, "one read per state, up to the ready one");
        assert.deepEqual(gets[0], [
            "get",
            "helmrelease",
            "front",
            "--namespace",
            "dev-team1",
            "--output",
            "json",
        ]);
        assert.match(
            run.stdout,
            /Staging runs front 0\.4\.7 \(HelmRelease dev-team1\/front Ready, Helm tests passed\)/,
        );
    });

    describe("with an OCI chart (acr-oci)", () => {
        const ociVariables = () =>
            runVariables(sandbox, HELM_EXAMPLE, "dev-team1", "acr-oci", {
                releaseVersion: VERSION,
                releaseChartDigest: OCI_CHART_DIGEST,
            });

        it("takes helm-controller's <version>+<digest prefix> for the version the build pushed", async () => {
            await states({ chartVersion: VERSION, ociDigest: OCI_CHART_DIGEST });
            const run = sandbox.run(verifyStep(HELM_STAGES), ociVariables());
            assert.equal(run.status, 0, run.stdout);
        });

        it("fails at once when staging runs the version from another artifact than the build pushed", async () => {
            const other = `sha256:${"9d".repeat(32)}`;
            await states({ chartVersion: VERSION, ociDigest: other });
            const run = sandbox.run(verifyStep(HELM_STAGES), ociVariables());
            assert.equal(run.status, 1);
            assert.deepEqual(errors(run), [
                `HelmRelease dev-team1/front at front 0.4.7: staging runs front 0.4.7+9d9d9d9d9d9d (${other}), not the chart this build pushed, ${OCI_CHART_DIGEST}`,
            ]);
        });
    });

    it("fails at once when helm-controller already rolled back the version whose Helm tests failed", async () => {
        // The shape the real helm-controller (v1.6.2 and v1.6.4, e2e/run.ts) left: a rollback snapshot to 0.4.6, with
        // no test hooks, on top of 0.4.7's, superseded, whose test failed.
        const failed = helmRelease({
            chartVersion: VERSION,
            status: "superseded",
            test: "Failed",
            ready: "False",
        });
        const [tested, before] = failed.status.history;
        const rolledBack = { ...before };
        delete rolledBack.testHooks;
        failed.status.history = [
            { ...rolledBack, version: 6, status: "deployed", action: "rollback" },
            tested,
            before,
        ];
        await answers("helmrelease", [failed]);
        const run = sandbox.run(verifyStep(HELM_STAGES), variables());
        assert.equal(run.status, 1, run.stdout);
        assert.deepEqual(errors(run), [
            "HelmRelease dev-team1/front at front 0.4.7: Helm tests failed: front-test-connection; rolled back to front 0.4.6",
        ]);
    });

    it("succeeds again when run again after it succeeded", async () => {
        await states({ chartVersion: VERSION });
        assert.equal(sandbox.run(verifyStep(HELM_STAGES), variables()).status, 0);
        assert.equal(sandbox.run(verifyStep(HELM_STAGES), variables()).status, 0);
    });

    it("a re-run after a time-out verifies what staging runs by then", async () => {
        await states({ chartVersion: "0.4.6" });
        assert.equal(sandbox.run(verifyStep(HELM_STAGES, TINY), variables()).status, 1);
        await states({ chartVersion: VERSION });
        assert.equal(sandbox.run(verifyStep(HELM_STAGES, TINY), variables()).status, 0);
    });

    it("does not take a Ready HelmRelease whose tests have not run as verified", async () => {
        await states({ chartVersion: VERSION, test: null });
        const run = sandbox.run(verifyStep(HELM_STAGES, TINY), variables());
        assert.equal(run.status, 1);
        assert.match(errors(run)[0], /Helm tests not run yet/);
    });

    it("fails with a clear message when staging does not run the version within the time limit", async () => {
        await states({ chartVersion: "0.4.6" });
        const run = timed(() => sandbox.run(verifyStep(HELM_STAGES, TINY), variables()));
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            "Timed out after 1s waiting for staging to run front 0.4.7 with its Helm tests passed; " +
                "last seen, HelmRelease dev-team1/front: it runs front 0.4.6 (deployed)",
        ]);
        assert.ok(run.seconds < 3, `took ${run.seconds}s`);
    });

    it("fails at once, naming the test, when the version's Helm tests failed", async () => {
        await states({ chartVersion: VERSION, test: "Failed", ready: "False" });
        const run = sandbox.run(verifyStep(HELM_STAGES), variables());
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            "HelmRelease dev-team1/front at front 0.4.7: Helm tests failed: front-test-connection",
        ]);
        assert.equal(sandbox.calls("kubectl").length, 1);
    });

    it("keeps waiting through a kubectl error, and reports it when time runs out", async () => {
        sandbox.kubectlGets("helmrelease", ['error: helmreleases "front" is forbidden']);
        const run = sandbox.run(verifyStep(HELM_STAGES, TINY), variables());
        assert.equal(run.status, 1);
        assert.match(
            errors(run)[0],
            /last seen, HelmRelease dev-team1\/front: kubectl: error: .* forbidden$/,
        );
    });
});

describe("verify (Kustomize app of dev-team2)", () => {
    const BUMP = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
    const IMAGE = "acrgitopsstaging.azurecr.io/dev-team2/app:1.2.7";
    const PREVIOUS_IMAGE = "acrgitopsstaging.azurecr.io/dev-team2/app:1.2.6";
    const variables = () =>
        runVariables(sandbox, KUSTOMIZE_EXAMPLE, "dev-team2", "chartmuseum", {
            releaseVersion: "1.2.7",
            releaseCommit: BUMP,
        });

    it("waits until the Kustomization applied the bump commit, then for the Deployment's rollout", async () => {
        await answers("kustomization", [
            kustomization(BUILT_COMMIT),
            kustomization(BUMP, "Unknown"),
            kustomization(BUMP),
        ]);
        // The older commit's Deployment runs the previous version; the bump's, the built one.
        sandbox.kubectlGets("deployment", [PREVIOUS_IMAGE, IMAGE]);
        const run = sandbox.run(verifyStep(KUSTOMIZE_STAGES), variables());
        assert.equal(run.status, 0, run.stdout + run.stderr);
        const calls = sandbox.calls("kubectl");
        assert.deepEqual(
            calls.map((c) => c.slice(0, 3)),
            [
                ["get", "kustomization", "dev-team2"],
                ["get", "deployment", "app"],
                ["get", "kustomization", "dev-team2"],
                ["get", "kustomization", "dev-team2"],
                ["rollout", "status", "deployment/app"],
                ["get", "deployment", "app"],
            ],
        );
        assert.match(calls[4].join(" "), /--namespace dev-team2 --timeout \d+s$/);
        assert.match(run.stdout, /Staging runs acrgitopsstaging\.azurecr\.io\/dev-team2\/app:1\.2\.7/);
        assert.match(
            run.stdout,
            new RegExp(`##vso\\[task\\.setvariable variable=commit;isOutput=true\\]${BUMP}$`, "m"),
        );
    });

    it("takes a later commit staging applied (a push to main after the bump) when its Deployment runs the built image", async () => {
        const LATER = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
        await answers("kustomization", [kustomization(LATER)]);
        sandbox.kubectlGets("deployment", [IMAGE]);
        const run = sandbox.run(verifyStep(KUSTOMIZE_STAGES), variables());
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.match(
            run.stdout,
            new RegExp(`applied main@sha1:${LATER}, a later commit than ${BUMP}, which still runs`),
        );
        const output = new RegExp(
            `##vso\\[task\\.setvariable variable=commit;isOutput=true\\]${LATER}$`,
            "m",
        );
        assert.match(run.stdout, output, "promote takes the commit staging applied");
    });

    it("fails with a clear message when staging does not apply the commit within the time limit", async () => {
        await answers("kustomization", [kustomization(BUILT_COMMIT)]);
        sandbox.kubectlGets("deployment", [PREVIOUS_IMAGE]);
        const run = timed(() => sandbox.run(verifyStep(KUSTOMIZE_STAGES, TINY), variables()));
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            `Timed out after 1s waiting for staging to run ${IMAGE} from commit ${BUMP}; ` +
                `last seen, Kustomization dev-team2/dev-team2: it applied main@sha1:${BUILT_COMMIT} (its Deployment runs ${PREVIOUS_IMAGE})`,
        ]);
        assert.ok(run.seconds < 3, `took ${run.seconds}s`);
    });

    it("succeeds again when run again after it succeeded", async () => {
        await answers("kustomization", [kustomization(BUMP)]);
        sandbox.kubectlGets("deployment", [IMAGE]);
        for (const attempt of [1, 2]) {
            const run = sandbox.run(verifyStep(KUSTOMIZE_STAGES), variables());
            assert.equal(run.status, 0, `attempt ${attempt}: ${run.stdout}${run.stderr}`);
        }
    });

    it("fails when the Deployment does not roll out", async () => {
        await answers("kustomization", [kustomization(BUMP)]);
        sandbox.answer("rollout-status", "1");
        const run = sandbox.run(verifyStep(KUSTOMIZE_STAGES), variables());
        assert.equal(run.status, 1);
        assert.match(errors(run)[0], /last seen, Deployment dev-team2\/app not rolled out$/);
    });

    it("fails when the rolled-out Deployment runs another image than the built one", async () => {
        await answers("kustomization", [kustomization(BUMP)]);
        sandbox.kubectlGets("deployment", ["acrgitopsstaging.azurecr.io/dev-team2/app:1.2.6"]);
        const run = sandbox.run(verifyStep(KUSTOMIZE_STAGES), variables());
        assert.equal(run.status, 1);
        assert.match(errors(run)[0], /^Deployment dev-team2\/app runs .*app:1\.2\.6, not .*app:1\.2\.7/);
    });
});
