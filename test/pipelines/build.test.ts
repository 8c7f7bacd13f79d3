// The build hop, run: the build job's inline scripts, in order, with stand-in az, docker, helm and
// curl, and real git against a local bare repository. One push to main builds one image and one
// chart, once, into staging, and records the digest.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
    BUILT_COMMIT,
    type ChartRepositoryKind,
    DIGEST,
    HELM_EXAMPLE,
    OLD_DIGEST,
    HELM_STAGES,
    KUSTOMIZE_EXAMPLE,
    KUSTOMIZE_STAGES,
    OCI_CHART_DIGEST,
    TOKEN,
    kustomizeAppRepository,
    runVariables,
    sha256,
    stagesOf,
} from "../support/delivery";
import { chartMuseumPushPath } from "../../components/charts/manifests";
import { type Doc, onlyJob, scriptSteps, stage } from "../support/pipelines";
import { type Run, Sandbox, errors } from "../support/sandbox";

let sandbox: Sandbox;
beforeEach(() => {
    sandbox = new Sandbox();
    sandbox.answer("image-digest", `${DIGEST}\n`);
    sandbox.answer("chart-digest", `${OCI_CHART_DIGEST}\n`);
});
afterEach(() => sandbox.dispose());

/** Runs the build job's script steps in order, as the agent would, until one fails. */
function attemptBuild(stagesTemplate: string, variables: Record<string, string>): { runs: Run[]; out: Doc } {
    return sandbox.runJob(onlyJob(stage({ stages: stagesOf(stagesTemplate) }, "build")), variables);
}

/** Runs the build job's script steps in order, every one of which must succeed. */
function runBuild(stagesTemplate: string, variables: Record<string, string>): { runs: Run[]; out: Doc } {
    const result = attemptBuild(stagesTemplate, variables);
    for (const run of result.runs) assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    return result;
}

const STAGING_CHARTMUSEUM = "^https://charts\\.staging\\.gitops\\.example\\.com/";

/** dev-team1's repository as the agent checked it out: front/ with its Dockerfile and chart. */
function helmCheckout(): void {
    mkdirSync(join(sandbox.work, "front", "charts", "front"), { recursive: true });
    writeFileSync(join(sandbox.work, "front", "Dockerfile"), "FROM scratch\n");
    writeFileSync(
        join(sandbox.work, "front", "charts", "front", "Chart.yaml"),
        "apiVersion: v2\nname: front\nversion: 0.0.0\n",
    );
}

const helmVariables = (kind: ChartRepositoryKind) => runVariables(sandbox, HELM_EXAMPLE, "dev-team1", kind);
const release = (variables: Record<string, string>) =>
    JSON.parse(
        readFileSync(join(variables["Build.ArtifactStagingDirectory"], "release", "release.json"), "utf8"),
    );

describe("build (Helm app front of dev-team1)", () => {
    beforeEach(() => {
        helmCheckout();
        sandbox.curlRoutes([
            { method: "POST", pattern: STAGING_CHARTMUSEUM, status: "chartmuseum" },
            { method: "GET", pattern: STAGING_CHARTMUSEUM, status: "chartmuseum" },
        ]);
    });

    it("builds the image once and pushes it once, to staging's registry, as <team>/<app>:<version>", () => {
        runBuild(HELM_STAGES, helmVariables("chartmuseum"));
        assert.deepEqual(sandbox.calls("docker"), [
            [
                "build",
                "--file",
                "front/Dockerfile",
                "--tag",
                "acrgitopsstaging.azurecr.io/dev-team1/front:0.4.7",
                "--label",
                "org.opencontainers.image.version=0.4.7",
                "--label",
                `org.opencontainers.image.revision=${BUILT_COMMIT}`,
                "front",
            ],
            ["push", "acrgitopsstaging.azurecr.io/dev-team1/front:0.4.7"],
        ]);
        assert.ok(
            sandbox
                .calls("az")
                .some((c) => c.join(" ") === "acr login --name acrgitopsstaging --only-show-errors"),
        );
    });

    it("packages the chart at the build version and pushes it once, to staging's ChartMuseum", () => {
        const variables = helmVariables("chartmuseum");
        runBuild(HELM_STAGES, variables);
        const pkg = join(variables["Build.ArtifactStagingDirectory"], "chart", "front-0.4.7.tgz");
        assert.deepEqual(
            sandbox.calls("helm").find((c) => c[0] === "package"),
            [
                "package",
                "front/charts/front",
                "--version",
                "0.4.7",
                "--app-version",
                "0.4.7",
                "--destination",
                pkg.replace(/\/front-0\.4\.7\.tgz$/, ""),
            ],
        );
        const pushes = sandbox.calls("curl");
        assert.equal(pushes.length, 1);
        assert.deepEqual(pushes[0].slice(-3), [
            "--data-binary",
            `@${pkg}`,
            `https://charts.staging.gitops.example.com${chartMuseumPushPath("dev-team1")}`,
        ]);
        assert.deepEqual(sandbox.chartMuseumFiles(), ["front-0.4.7.tgz"]);
        // The team's push token reaches curl as a bearer header on stdin, never its command line.
        assert.deepEqual(sandbox.curlConfig(), [
            `header = "Authorization: Bearer staging-chart-token-of-dev-team1"\n`,
        ]);
        assert.ok(!JSON.stringify(sandbox.calls()).includes("staging-chart-token"));
    });

    it("pushes the chart once to staging's registry as OCI, logging helm in with a token on stdin", () => {
        runBuild(HELM_STAGES, helmVariables("acr-oci"));
        const pushes = sandbox.calls("helm").filter((c) => c[0] === "push");
        assert.equal(pushes.length, 1);
        assert.equal(pushes[0][2], "oci://acrgitopsstaging.azurecr.io/dev-team1/helm");
        assert.equal(
            readFileSync(join(sandbox.state, "helm-registry-password"), "utf8"),
            "stand-in-acr-token\n",
        );
        assert.equal(sandbox.calls("curl").length, 0);
    });

    it("touches nothing of prod", () => {
        runBuild(HELM_STAGES, helmVariables("chartmuseum"));
        assert.doesNotMatch(JSON.stringify(sandbox.calls()), /prod/);
    });

    it("records version, image digest and chart digest as output variables and in release.json", () => {
        const variables = helmVariables("chartmuseum");
        const { out } = runBuild(HELM_STAGES, variables);
        const chartDigest = sha256(
            readFileSync(join(variables["Build.ArtifactStagingDirectory"], "chart", "front-0.4.7.tgz")),
        );
        assert.deepEqual(out, {
            "image.version": "0.4.7",
            "image.digest": DIGEST,
            "chart.digest": chartDigest,
        });
        assert.deepEqual(release(variables), {
            team: "dev-team1",
            app: "front",
            version: "0.4.7",
            digest: DIGEST,
            image: "acrgitopsstaging.azurecr.io/dev-team1/front:0.4.7",
            chart: { name: "front", repositoryKind: "chartmuseum", digest: chartDigest },
        });
    });

    it("records the digest of the OCI chart as staging's registry has it", () => {
        const { out } = runBuild(HELM_STAGES, helmVariables("acr-oci"));
        assert.equal(out["chart.digest"], OCI_CHART_DIGEST);
    });

    for (const kind of ["chartmuseum", "acr-oci"] as const) {
        it(`a re-run of the whole build (${kind}) pushes nothing twice and records the same version and digests`, () => {
            const variables = helmVariables(kind);
            const first = runBuild(HELM_STAGES, variables).out;
            const again = runBuild(HELM_STAGES, variables).out;
            assert.deepEqual(again, first);
            assert.equal(sandbox.calls("docker").filter((c) => c[0] === "push").length, 1);
            assert.equal(
                sandbox.calls("helm").filter((c) => c[0] === "push").length,
                kind === "acr-oci" ? 1 : 0,
            );
            assert.equal(release(variables).chart.digest, first["chart.digest"]);
        });
    }

    it("a re-run of the chart push that ChartMuseum answers 409 keeps the chart pushed before", () => {
        const variables = helmVariables("chartmuseum");
        runBuild(HELM_STAGES, variables);
        const pushed = readFileSync(join(sandbox.state, "chartmuseum", "front-0.4.7.tgz"));
        const { runs } = runBuild(HELM_STAGES, variables);
        assert.match(
            runs.at(-1)!.stdout,
            /staging's ChartMuseum already has front 0\.4\.7, pushed by this run: reusing it/,
        );
        assert.deepEqual(
            readFileSync(join(variables["Build.ArtifactStagingDirectory"], "chart", "front-0.4.7.tgz")),
            pushed,
        );
    });

    it("a re-run after the chart push failed half-way reuses the image and pushes the chart once", () => {
        const variables = helmVariables("chartmuseum");
        sandbox.curlRoutes([{ method: "POST", pattern: STAGING_CHARTMUSEUM, status: 503 }]);
        const failed = attemptBuild(HELM_STAGES, variables);
        assert.equal(failed.runs.at(-1)!.status, 1);
        assert.match(errors(failed.runs.at(-1)!)[0], /staging's ChartMuseum answered HTTP 503/);
        sandbox.curlRoutes([
            { method: "POST", pattern: STAGING_CHARTMUSEUM, status: "chartmuseum" },
            { method: "GET", pattern: STAGING_CHARTMUSEUM, status: "chartmuseum" },
        ]);
        const { out } = runBuild(HELM_STAGES, variables);
        assert.equal(out["image.digest"], DIGEST);
        assert.equal(sandbox.calls("docker").filter((c) => c[0] === "push").length, 1);
        assert.deepEqual(sandbox.chartMuseumFiles(), ["front-0.4.7.tgz"]);
    });

    it("refuses a chart version ChartMuseum already has with other content", () => {
        const variables = helmVariables("chartmuseum");
        runBuild(HELM_STAGES, variables);
        writeFileSync(
            join(sandbox.work, "front", "charts", "front", "Chart.yaml"),
            "apiVersion: v2\nname: front\nversion: 0.0.0\ndescription: changed since\n",
        );
        const { runs } = attemptBuild(HELM_STAGES, variables);
        assert.equal(runs.at(-1)!.status, 1);
        assert.deepEqual(errors(runs.at(-1)!), [
            "staging's ChartMuseum already has front 0.4.7 with other content: a version is pushed once",
        ]);
    });

    it("refuses to reuse an image of the build's tag that another commit built", () => {
        sandbox.inRegistry("acrgitopsstaging", "dev-team1/front:0.4.7", OLD_DIGEST);
        sandbox.answer(
            "acr/acrgitopsstaging/dev-team1/front:0.4.7.revision",
            "0000000000000000000000000000000000000000\n",
        );
        const { runs } = attemptBuild(HELM_STAGES, helmVariables("chartmuseum"));
        assert.equal(runs[0].status, 1);
        assert.deepEqual(errors(runs[0]), [
            `acrgitopsstaging.azurecr.io/dev-team1/front:0.4.7 exists at ${OLD_DIGEST}, built from commit 0000000000000000000000000000000000000000, not this run's ${BUILT_COMMIT}: a version is pushed once`,
        ]);
        assert.deepEqual(
            sandbox.calls("docker").filter((c) => c[0] === "push"),
            [],
        );
    });

    it("refuses a chart whose Chart.yaml is not named after the chart the platform deploys", () => {
        writeFileSync(join(sandbox.work, "front", "charts", "front", "Chart.yaml"), "name: frontend\n");
        const build = onlyJob(stage({ stages: stagesOf(HELM_STAGES) }, "build"));
        const pack = scriptSteps(build).find((s) => /helm package/.test(s.inputs.script))!;
        const run = sandbox.run(pack, helmVariables("chartmuseum"));
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            "front/charts/front/Chart.yaml must be named front (the chartName of the pipeline)",
        ]);
    });
});

describe("build (Kustomize app of dev-team2)", () => {
    const REPOSITORY = "one-kubernetes/dev-team2";
    const variables = () => runVariables(sandbox, KUSTOMIZE_EXAMPLE, "dev-team2");

    beforeEach(() => {
        sandbox.remote(REPOSITORY, kustomizeAppRepository());
        sandbox.checkout(REPOSITORY);
    });

    const remoteGit = (...args: string[]) => sandbox.git(join(sandbox.remotes, `${REPOSITORY}.git`), ...args);

    it("pushes the image once to staging's registry", () => {
        runBuild(KUSTOMIZE_STAGES, variables());
        assert.deepEqual(
            sandbox.calls("docker").map((c) => c.slice(0, 2)),
            [
                ["build", "--file"],
                ["push", "acrgitopsstaging.azurecr.io/dev-team2/app:1.2.7"],
            ],
        );
    });

    it("commits the staging bump on main with an explicit identity and [skip ci], changing only the image tag", () => {
        runBuild(KUSTOMIZE_STAGES, variables());
        assert.equal(
            remoteGit("log", "-1", "--format=%an <%ae>%n%s", "main"),
            [
                "Azure Pipelines <azure-pipelines@users.noreply.github.com>",
                "ci: dev-team2/app 1.2.7 to staging [skip ci]",
            ].join("\n"),
        );
        assert.equal(remoteGit("diff", "--name-only", "main~1", "main"), "deploy/staging/kustomization.yaml");
        const diff = remoteGit("diff", "--unified=0", "main~1", "main").split("\n");
        assert.deepEqual(
            diff.filter((l) => /^[-+] /.test(l)),
            ["-    newTag: 0.1.0", '+    newTag: "1.2.7"'],
        );
    });

    it("publishes the bump commit, which verify waits for, as the output variable bump.commit", () => {
        const v = variables();
        const { out } = runBuild(KUSTOMIZE_STAGES, v);
        assert.equal(out["bump.commit"], remoteGit("rev-parse", "main"));
        assert.equal(out["image.digest"], DIGEST);
        assert.equal(release(v).stagingCommit, out["bump.commit"]);
    });

    it("bumps on top of what main has when it pushes, keeping a developer's commit pushed meanwhile", () => {
        sandbox.pushToMain(REPOSITORY, { "app/server.js": "// a newer change\n" });
        runBuild(KUSTOMIZE_STAGES, variables());
        assert.equal(
            remoteGit("log", "--format=%s", "-2", "main"),
            ["ci: dev-team2/app 1.2.7 to staging [skip ci]", "a developer's change"].join("\n"),
        );
    });

    it("a re-run of the whole build finds nothing to commit and records main's bump commit again", () => {
        const v = variables();
        const first = runBuild(KUSTOMIZE_STAGES, v).out;
        const again = runBuild(KUSTOMIZE_STAGES, v).out;
        assert.deepEqual(again, first);
        assert.equal(
            remoteGit("log", "--format=%s", "-2", "main"),
            ["ci: dev-team2/app 1.2.7 to staging [skip ci]", "seed"].join("\n"),
        );
        assert.equal(sandbox.calls("docker").filter((c) => c[0] === "push").length, 1);
    });

    it("a re-run after the agent died between the image and the bump pushes the image once and bumps once", () => {
        const v = variables();
        const [image] = scriptSteps(onlyJob(stage({ stages: stagesOf(KUSTOMIZE_STAGES) }, "build")));
        assert.equal(sandbox.run(image, v).status, 0);
        const { out } = runBuild(KUSTOMIZE_STAGES, v);
        assert.equal(out["image.digest"], DIGEST);
        assert.equal(sandbox.calls("docker").filter((c) => c[0] === "push").length, 1);
        assert.equal(
            remoteGit("log", "--format=%s", "-1", "main"),
            "ci: dev-team2/app 1.2.7 to staging [skip ci]",
        );
    });

    it("never puts the promotion token on a command line", () => {
        runBuild(KUSTOMIZE_STAGES, variables());
        assert.ok(!JSON.stringify(sandbox.calls()).includes(TOKEN));
    });
});
