// The promote hop, run: the promote job's scripts, in order, with stand-in az and curl (registries,
// ChartMuseum, the GitHub API) and real git against local bare copies of the platform repository
// (holding a team file) and of the Kustomize app's repository. Promote copies what staging verified
// by digest, then opens one pull request that changes only the prod pin.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parse } from "yaml";
import { chartMuseumArchivesPath, chartMuseumPushPath } from "../../components/charts/manifests";
import {
    type ChartRepositoryKind,
    DIGEST,
    HELM_EXAMPLE,
    HELM_STAGES,
    KUSTOMIZE_EXAMPLE,
    KUSTOMIZE_STAGES,
    OCI_CHART_DIGEST,
    OLD_DIGEST,
    TOKEN,
    kustomizeAppRepository,
    pipelineVariables,
    runVariables,
    sha256,
    stagesOf,
} from "../support/delivery";
import {
    type Doc,
    PLATFORM_REPOSITORY,
    SERVICE_CONNECTIONS,
    onlyJob,
    scriptSteps,
    stage,
} from "../support/pipelines";
import { type Run, Sandbox, errors } from "../support/sandbox";
import { FIXTURE_INSTANCE } from "../support/instance";

const TEAM_FILE = "tenants/dev-team1.yaml";
// The fixture instance's team file: promote edits it in a local copy of the platform repository.
const TEAM_FILE_FIXTURE = readFileSync(join(FIXTURE_INSTANCE, TEAM_FILE), "utf8");
/** front's prod line as the team file has it (prod comes after staging). */
const FRONT_PROD_LINE = TEAM_FILE_FIXTURE.split("\n")
    .filter((l) => /^ {6}front: \{/.test(l))
    .pop()!;
const PULL_REQUEST = "https://github.com/one-kubernetes/gitops-platform/pull/42";

let sandbox: Sandbox;
beforeEach(() => (sandbox = new Sandbox()));
afterEach(() => sandbox.dispose());

function promoteSteps(stagesTemplate: string): Doc[] {
    const steps = scriptSteps(onlyJob(stage({ stages: stagesOf(stagesTemplate) }, "promote")));
    for (const s of steps.filter((s) => s.task === "AzureCLI@2"))
        assert.equal(
            s.inputs.azureSubscription,
            SERVICE_CONNECTIONS.azure("prod", "dev-team1"),
            s.displayName,
        );
    return steps;
}

/** Runs the promote job's script steps in order; stops at the first that fails and returns it. */
function runPromote(stagesTemplate: string, variables: Record<string, string>): Run {
    let last: Run | undefined;
    for (const step of promoteSteps(stagesTemplate)) {
        last = sandbox.run(step, variables);
        if (last.status !== 0) return last;
    }
    return last!;
}

const ok = (run: Run) => assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);

/** What ORAS copied, as [source, target] pairs. */
const copies = () =>
    sandbox
        .calls("oras")
        .filter((c) => c[0] === "copy")
        .map((c) => c.slice(1));

/** The ORAS version the shared variables pin. */
const ORAS_VERSION = pipelineVariables(HELM_EXAMPLE).orasVersion;

/** GitHub's API, as the stand-in curl answers it: no open pull request yet, then the created one. */
function github(
    repository: string,
    open: { html_url: string }[] = [],
): { method: string; pattern: string; status?: number; body?: string }[] {
    const api = `^https://api\\.github\\.com/repos/${repository.replace(/[./]/g, (c) => `\\${c}`)}/pulls`;
    return [
        { method: "GET", pattern: `${api}\\?state=open&head=`, body: JSON.stringify(open) },
        {
            method: "POST",
            pattern: `${api}$`,
            status: 201,
            body: JSON.stringify({
                number: 42,
                html_url: PULL_REQUEST.replace(PLATFORM_REPOSITORY, repository),
            }),
        },
    ];
}

/** The requests the stand-in curl got for the GitHub API: [method, url, body]. */
function githubRequests(): { method: string; url: string; body?: Doc }[] {
    return sandbox
        .calls("curl")
        .filter((c) => c.some((a) => a.startsWith("https://api.github.com/")))
        .map((c) => {
            const data = c.indexOf("--data");
            return {
                method: c.includes("POST") ? "POST" : "GET",
                url: c.find((a) => a.startsWith("https://api.github.com/"))!,
                ...(data >= 0 ? { body: JSON.parse(c[data + 1]) } : {}),
            };
        });
}

describe("promote (Helm app front of dev-team1)", () => {
    const VERSION = "0.4.7";
    const CHART = "chart front 0.4.7\n";
    const BRANCH = "promote/dev-team1-front-0.4.7";
    const platform = () => join(sandbox.remotes, `${PLATFORM_REPOSITORY}.git`);
    const variables = (kind: ChartRepositoryKind = "chartmuseum") =>
        runVariables(sandbox, HELM_EXAMPLE, "dev-team1", kind, {
            releaseVersion: VERSION,
            releaseDigest: DIGEST,
            releaseChartDigest: kind === "chartmuseum" ? sha256(CHART) : OCI_CHART_DIGEST,
        });

    beforeEach(() => {
        sandbox.inRegistry("acrgitopsstaging", "dev-team1/front:0.4.7", DIGEST);
        sandbox.inRegistry("acrgitopsstaging", "dev-team1/helm/front:0.4.7", OCI_CHART_DIGEST);
        sandbox.remote(PLATFORM_REPOSITORY, { [TEAM_FILE]: TEAM_FILE_FIXTURE, "README.md": "# platform\n" });
        sandbox.curlRoutes([
            {
                method: "GET",
                pattern:
                    "^https://charts\\.staging\\.gitops\\.example\\.com/dev-team1/charts/front-0\\.4\\.7\\.tgz$",
                body: CHART,
            },
            {
                method: "GET",
                pattern: "^https://charts\\.prod\\.gitops\\.example\\.com/dev-team1/charts/",
                status: 404,
            },
            {
                method: "POST",
                pattern: "^https://charts\\.prod\\.gitops\\.example\\.com/api/dev-team1/charts$",
                status: 201,
            },
            ...github(PLATFORM_REPOSITORY),
        ]);
    });

    it("copies the image into prod's registry by digest with ORAS, never rebuilding it", () => {
        ok(runPromote(HELM_STAGES, variables()));
        assert.deepEqual(copies(), [
            [
                `acrgitopsstaging.azurecr.io/dev-team1/front@${DIGEST}`,
                "acrgitopsprod.azurecr.io/dev-team1/front:0.4.7",
            ],
        ]);
        assert.deepEqual(sandbox.calls("docker"), []);
        assert.equal(sandbox.registryDigest("acrgitopsprod", "dev-team1/front:0.4.7"), DIGEST);
    });

    it("installs the pinned ORAS with go install (checksum-verified), and uses no registry-wide import", () => {
        ok(runPromote(HELM_STAGES, variables()));
        assert.deepEqual(sandbox.calls("go"), [["install", `oras.land/oras/cmd/oras@${ORAS_VERSION}`]]);
        assert.deepEqual(
            sandbox.calls("az").filter((c) => c[1] === "import"),
            [],
        );
    });

    it("logs ORAS in to both registries with a token on stdin, as the team's prod connection", () => {
        ok(runPromote(HELM_STAGES, variables()));
        const logins = sandbox.calls("oras").filter((c) => c[0] === "login");
        assert.deepEqual(
            logins.map((c) => c[1]),
            ["acrgitopsstaging.azurecr.io", "acrgitopsprod.azurecr.io"],
        );
        for (const login of logins)
            assert.ok(!login.includes("stand-in-acr-token"), "no token on the command line");
    });

    it("copies the chart staging ran, checked against the build's digest, into prod's ChartMuseum", () => {
        ok(runPromote(HELM_STAGES, variables()));
        const charts = sandbox
            .calls("curl")
            .map((c) => c.find((a) => a.startsWith("https://charts.")))
            .filter(Boolean);
        assert.deepEqual(charts, [
            `https://charts.staging.gitops.example.com${chartMuseumArchivesPath("dev-team1")}/front-0.4.7.tgz`,
            `https://charts.prod.gitops.example.com${chartMuseumArchivesPath("dev-team1")}/front-0.4.7.tgz`,
            `https://charts.prod.gitops.example.com${chartMuseumPushPath("dev-team1")}`,
        ]);
        const [, , pushed] = sandbox.curlConfig();
        assert.equal(pushed, `header = "Authorization: Bearer prod-chart-token-of-dev-team1"\n`);
        assert.ok(!JSON.stringify(sandbox.calls()).includes("prod-chart-token"));
    });

    it("refuses to promote a chart staging serves with another digest than the build pushed", () => {
        const run = runPromote(HELM_STAGES, { ...variables(), releaseChartDigest: OLD_DIGEST });
        assert.equal(run.status, 1);
        assert.match(
            errors(run)[0],
            /^staging serves front 0\.4\.7 as sha256:\w+, not the sha256:0a0a.* the build pushed$/,
        );
        assert.equal(githubRequests().length, 0, "no pull request");
    });

    it("copies an OCI chart into prod's registry by digest", () => {
        ok(runPromote(HELM_STAGES, variables("acr-oci")));
        assert.deepEqual(copies()[1], [
            `acrgitopsstaging.azurecr.io/dev-team1/helm/front@${OCI_CHART_DIGEST}`,
            "acrgitopsprod.azurecr.io/dev-team1/helm/front:0.4.7",
        ]);
        assert.equal(sandbox.registryDigest("acrgitopsprod", "dev-team1/helm/front:0.4.7"), OCI_CHART_DIGEST);
    });
    it("opens exactly one pull request on the platform repository, from promote/<team>-<app>-<version>", () => {
        ok(runPromote(HELM_STAGES, variables()));
        const requests = githubRequests();
        assert.deepEqual(
            requests.map((r) => [r.method, r.url]),
            [
                [
                    "GET",
                    `https://api.github.com/repos/${PLATFORM_REPOSITORY}/pulls?state=open&head=one-kubernetes:${BRANCH}`,
                ],
                ["POST", `https://api.github.com/repos/${PLATFORM_REPOSITORY}/pulls`],
            ],
        );
        const { title, head, base, body } = requests[1].body!;
        assert.deepEqual(
            { title, head, base },
            { title: "Promote dev-team1/front 0.4.7 to prod", head: BRANCH, base: "main" },
        );
        assert.match(body, /changes only the prod pin of front in tenants\/dev-team1\.yaml/);
        assert.match(body, new RegExp(`acrgitopsprod\\.azurecr\\.io/dev-team1/front@${DIGEST}`));
    });

    it("changes only front's prod line of the team file, to the version and digest staging verified", () => {
        ok(runPromote(HELM_STAGES, variables()));
        assert.equal(sandbox.git(platform(), "diff", "--numstat", "main", BRANCH), `1\t1\t${TEAM_FILE}`);
        const diff = sandbox.git(platform(), "diff", "--unified=0", "main", BRANCH).split("\n");
        assert.deepEqual(
            diff.filter((l) => /^[-+] /.test(l)),
            [`-${FRONT_PROD_LINE}`, `+      front: { version: "0.4.7", digest: "${DIGEST}" }`],
        );
        const before = parse(TEAM_FILE_FIXTURE);
        const after = parse(sandbox.git(platform(), "show", `${BRANCH}:${TEAM_FILE}`));
        before.environments.prod.apps.front = { version: VERSION, digest: DIGEST };
        assert.deepEqual(after, before, "as YAML, only environments.prod.apps.front changed");
    });

    it("turns a new app's pending prod line into its first pin", () => {
        sandbox.pushToMain(PLATFORM_REPOSITORY, {
            [TEAM_FILE]: TEAM_FILE_FIXTURE.replace(FRONT_PROD_LINE, "      front: { pending: true }"),
        });
        ok(runPromote(HELM_STAGES, variables()));
        const after = parse(sandbox.git(platform(), "show", `${BRANCH}:${TEAM_FILE}`));
        assert.deepEqual(after.environments.prod.apps.front, { version: VERSION, digest: DIGEST });
    });

    it("keeps a comment at the end of the app's prod line", () => {
        sandbox.pushToMain(PLATFORM_REPOSITORY, {
            [TEAM_FILE]: TEAM_FILE_FIXTURE.replace(FRONT_PROD_LINE, `${FRONT_PROD_LINE} # the web front`),
        });
        ok(runPromote(HELM_STAGES, variables()));
        assert.match(
            sandbox.git(platform(), "show", `${BRANCH}:${TEAM_FILE}`),
            new RegExp(`^ {6}front: \\{ version: "0\\.4\\.7", digest: "${DIGEST}" \\} # the web front$`, "m"),
        );
    });

    it("commits the pin as Azure Pipelines, and pushes with the token never on a command line", () => {
        ok(runPromote(HELM_STAGES, variables()));
        assert.equal(
            sandbox.git(platform(), "log", "-1", "--format=%an <%ae>|%s", BRANCH),
            "Azure Pipelines <azure-pipelines@users.noreply.github.com>|Promote dev-team1/front 0.4.7 to prod",
        );
        assert.ok(!JSON.stringify(sandbox.calls()).includes(TOKEN), "the token is in no argv");
        // Every curl call reads a header on stdin; the GitHub API's are those not carrying a chart token.
        const api = sandbox.curlConfig().filter((c) => !c.includes("-chart-token-of-"));
        assert.deepEqual(api, [
            `header = "Authorization: Bearer ${TOKEN}"\n`,
            `header = "Authorization: Bearer ${TOKEN}"\n`,
        ]);
    });

    it("fails clearly, pushing nothing, when the team file has no prod line for the app", () => {
        sandbox.pushToMain(PLATFORM_REPOSITORY, {
            [TEAM_FILE]: TEAM_FILE_FIXTURE.replace(`${FRONT_PROD_LINE}\n`, ""),
        });
        const run = runPromote(HELM_STAGES, variables());
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            `${PLATFORM_REPOSITORY} ${TEAM_FILE}: no line front: { ... } under environments.prod.apps to pin; add the app's prod pin there once`,
        ]);
        assert.equal(sandbox.git(platform(), "branch", "--list", BRANCH), "");
        assert.equal(githubRequests().length, 0);
    });

    it("fails clearly when the app's prod pin is not one flow-style line", () => {
        sandbox.pushToMain(PLATFORM_REPOSITORY, {
            [TEAM_FILE]: TEAM_FILE_FIXTURE.replace(
                FRONT_PROD_LINE,
                '      front:\n        version: "0.4.0"\n        digest: "sha256:0a"',
            ),
        });
        const run = runPromote(HELM_STAGES, variables());
        assert.equal(run.status, 1);
        assert.match(
            errors(run)[0],
            /environments\.prod\.apps\.front must be one line, front: \{ version: "\.\.\.", digest: "\.\.\." \}$/,
        );
    });

    it("opens no second pull request when the run is re-run and one is already open", () => {
        sandbox.curlRoutes([
            { method: "GET", pattern: "^https://charts\\.staging\\.gitops\\.example\\.com/", body: CHART },
            {
                method: "GET",
                pattern: "^https://charts\\.prod\\.gitops\\.example\\.com/dev-team1/charts/",
                body: CHART,
            },
            ...github(PLATFORM_REPOSITORY, [{ html_url: PULL_REQUEST }]),
        ]);
        sandbox.inRegistry("acrgitopsprod", "dev-team1/front:0.4.7", DIGEST);
        const run = runPromote(HELM_STAGES, variables());
        ok(run);
        assert.deepEqual(
            githubRequests().map((r) => r.method),
            ["GET"],
        );
        assert.equal(copies().length, 0, "already in prod");
        assert.match(run.stdout, /The pull request is already open: https:\/\/github\.com\/.*\/pull\/42/);
    });

    describe("run again", () => {
        /** The promotion run again, later (git dates have one-second steps), with its pull request open. */
        const runAgain = () => {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
            sandbox.curlRoutes([
                {
                    method: "GET",
                    pattern: "^https://charts\\.staging\\.gitops\\.example\\.com/",
                    body: CHART,
                },
                { method: "GET", pattern: "^https://charts\\.prod\\.gitops\\.example\\.com/", body: CHART },
                ...github(PLATFORM_REPOSITORY, [{ html_url: PULL_REQUEST }]),
            ]);
            return runPromote(HELM_STAGES, variables());
        };

        it("makes the same commit: its dates are its parent's, not the run's", () => {
            ok(runPromote(HELM_STAGES, variables()));
            const once = sandbox.git(platform(), "rev-parse", BRANCH);
            sandbox.git(platform(), "update-ref", "-d", `refs/heads/${BRANCH}`);
            ok(runAgain());
            assert.equal(sandbox.git(platform(), "rev-parse", BRANCH), once);
        });

        it("keeps the branch when main moved meanwhile but the team file did not", () => {
            ok(runPromote(HELM_STAGES, variables()));
            const once = sandbox.git(platform(), "rev-parse", BRANCH);
            sandbox.pushToMain(PLATFORM_REPOSITORY, { "README.md": "# platform, edited\n" });
            const run = runAgain();
            ok(run);
            assert.equal(sandbox.git(platform(), "rev-parse", BRANCH), once);
            assert.match(run.stdout, /promote\/dev-team1-front-0\.4\.7 already pins front 0\.4\.7/);
        });

        /** Staging serves the chart, prod has none yet and answers its upload with `status`. */
        const chartCopy = (status: number) => [
            { method: "GET", pattern: "^https://charts\\.staging\\.gitops\\.example\\.com/", body: CHART },
            { method: "GET", pattern: "^https://charts\\.prod\\.gitops\\.example\\.com/", status: 404 },
            { method: "POST", pattern: "^https://charts\\.prod\\.gitops\\.example\\.com/", status },
        ];

        it("after a failure half-way (the chart copy), copies the chart and opens the pull request", () => {
            sandbox.curlRoutes(chartCopy(503));
            assert.equal(runPromote(HELM_STAGES, variables()).status, 22);
            assert.equal(sandbox.git(platform(), "branch", "--list", BRANCH), "");
            sandbox.curlRoutes([...chartCopy(201), ...github(PLATFORM_REPOSITORY)]);
            ok(runPromote(HELM_STAGES, variables()));
            assert.equal(copies().length, 1, "the image was copied once, by the first run");
            assert.notEqual(sandbox.git(platform(), "rev-parse", BRANCH), "");
        });
    });

    it("refuses to overwrite a version prod's registry has with another digest", () => {
        sandbox.inRegistry("acrgitopsprod", "dev-team1/front:0.4.7", OLD_DIGEST);
        const run = runPromote(HELM_STAGES, variables());
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            `prod's registry has dev-team1/front:0.4.7 at ${OLD_DIGEST}, not ${DIGEST}: a prod version is never overwritten`,
        ]);
    });
});

describe("promote (Kustomize app of dev-team2)", () => {
    const REPOSITORY = "one-kubernetes/dev-team2";
    const BRANCH = "promote/dev-team2-app-1.2.7";
    const FILE = "deploy/prod/kustomization.yaml";
    const BASE = "deploy/base/deployment.yaml";
    const RECORD = "deploy/prod/.promoted-from";
    const NEXT_DIGEST = `sha256:${"b".repeat(64)}`;
    /** Merges a promotion pull request on GitHub: a merge commit, or a squash of its changes. */
    const merge = (branch: string, style: "merge" | "squash") => {
        const parents = style === "merge" ? ["-p", "prod", "-p", branch] : ["-p", "prod"];
        const tree = `${branch}^{tree}`;
        const commit = sandbox
            .git(
                remote(),
                "-c",
                "user.name=GitHub",
                "-c",
                "user.email=noreply@github.com",
                "commit-tree",
                tree,
                ...parents,
                "-m",
                `${style} ${branch}`,
            )
            .trim();
        sandbox.git(remote(), "update-ref", "refs/heads/prod", commit);
    };
    const remote = () => join(sandbox.remotes, `${REPOSITORY}.git`);
    const head = () => sandbox.git(remote(), "rev-parse", "main").trim();
    /** The app repository with its prod branch, and the build's bump commit on main (what staging verified). */
    const appRepository = (prodLoginServer?: string) => {
        sandbox.remote(REPOSITORY, kustomizeAppRepository(prodLoginServer));
        sandbox.git(remote(), "branch", "prod", "main");
        sandbox.pushToMain(
            REPOSITORY,
            { "deploy/staging/kustomization.yaml": "# bumped to 1.2.7\n" },
            "bump",
        );
        return head();
    };
    const variables = (commit: string) =>
        runVariables(sandbox, KUSTOMIZE_EXAMPLE, "dev-team2", "chartmuseum", {
            releaseVersion: "1.2.7",
            releaseDigest: DIGEST,
            releaseCommit: commit,
        });

    beforeEach(() => {
        sandbox.inRegistry("acrgitopsstaging", "dev-team2/app:1.2.7", DIGEST);
        sandbox.curlRoutes(github(REPOSITORY));
    });

    it("copies the image into prod's registry by digest", () => {
        ok(runPromote(KUSTOMIZE_STAGES, variables(appRepository())));
        assert.deepEqual(copies(), [
            [
                `acrgitopsstaging.azurecr.io/dev-team2/app@${DIGEST}`,
                "acrgitopsprod.azurecr.io/dev-team2/app:1.2.7",
            ],
        ]);
    });

    it("opens one pull request into the prod branch: the verified commit's tree, deploy/prod's digest line and its record", () => {
        const verified = appRepository();
        ok(runPromote(KUSTOMIZE_STAGES, variables(verified)));
        assert.deepEqual(
            githubRequests().map((r) => [r.method, r.body?.head, r.body?.base]),
            [
                ["GET", undefined, undefined],
                ["POST", BRANCH, "prod"],
            ],
        );
        const diff = sandbox.git(remote(), "diff", "--unified=0", verified, BRANCH).split("\n");
        assert.deepEqual(
            diff.filter((l) => /^[-+][^-+]/.test(l)),
            [`+${verified}`, `-    digest: sha256:${"0".repeat(64)}`, `+    digest: ${DIGEST}`],
        );
        assert.equal(sandbox.git(remote(), "show", `${BRANCH}:${RECORD}`).trim(), verified);
    });

    it("promotes again after the first pull request was squash-merged: no conflict, only what changed since", () => {
        const first = appRepository();
        ok(runPromote(KUSTOMIZE_STAGES, variables(first)));
        merge(BRANCH, "squash");
        sandbox.pushToMain(
            REPOSITORY,
            { "deploy/staging/kustomization.yaml": "# bumped to 1.2.8\n" },
            "bump 1.2.8",
        );
        const second = head();
        sandbox.inRegistry("acrgitopsstaging", "dev-team2/app:1.2.8", NEXT_DIGEST);
        ok(
            runPromote(KUSTOMIZE_STAGES, {
                ...variables(second),
                releaseVersion: "1.2.8",
                releaseDigest: NEXT_DIGEST,
            }),
        );
        const next = "promote/dev-team2-app-1.2.8";
        assert.deepEqual(
            sandbox.git(remote(), "diff", "--name-only", "prod", next).trim().split("\n").sort(),
            ["deploy/prod/.promoted-from", FILE, "deploy/staging/kustomization.yaml"],
        );
        assert.match(sandbox.git(remote(), "show", `${next}:${FILE}`), new RegExp(`digest: ${NEXT_DIGEST}`));
    });

    it("takes a deploy/prod change made on main to prod with the next promotion, the image lines set", () => {
        sandbox.remote(REPOSITORY, kustomizeAppRepository());
        sandbox.git(remote(), "branch", "prod", "main");
        const overlay = sandbox.git(remote(), "show", `main:${FILE}`).replace(/count: \d+/, "count: 4");
        sandbox.pushToMain(REPOSITORY, { [FILE]: overlay }, "prod runs 4 replicas");
        const verified = head();
        ok(runPromote(KUSTOMIZE_STAGES, variables(verified)));
        const promoted = parse(sandbox.git(remote(), "show", `${BRANCH}:${FILE}`));
        assert.equal(promoted.replicas[0].count, 4);
        assert.equal(promoted.images[0].digest, DIGEST);
    });

    it("refuses when prod runs a commit the app repository no longer has (main rewritten)", () => {
        appRepository();
        const prodWithRecord = sandbox.git(remote(), "rev-parse", "prod").trim();
        const clone = join(sandbox.tmp, "rewrite");
        sandbox.git(sandbox.tmp, "clone", "--quiet", remote(), clone);
        sandbox.git(clone, "checkout", "--quiet", "prod");
        writeFileSync(join(clone, RECORD), `${"f".repeat(40)}\n`);
        sandbox.git(clone, "add", ".");
        sandbox.git(
            clone,
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "--quiet",
            "-m",
            "record",
        );
        sandbox.git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/prod");
        assert.notEqual(sandbox.git(remote(), "rev-parse", "prod").trim(), prodWithRecord);
        const run = runPromote(KUSTOMIZE_STAGES, variables(head()));
        assert.equal(run.status, 1);
        assert.match(errors(run)[0], /^prod runs f{40}, which one-kubernetes\/dev-team2 no longer has/);
    });

    it("refuses to promote an older verified commit than the one prod already runs", () => {
        const first = appRepository();
        sandbox.pushToMain(
            REPOSITORY,
            { "deploy/staging/kustomization.yaml": "# bumped to 1.2.8\n" },
            "bump 1.2.8",
        );
        const second = head();
        ok(
            runPromote(KUSTOMIZE_STAGES, {
                ...variables(second),
                releaseVersion: "1.2.8",
                releaseDigest: NEXT_DIGEST,
            }),
        );
        merge("promote/dev-team2-app-1.2.8", "merge");
        const run = runPromote(KUSTOMIZE_STAGES, variables(first));
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            `prod already runs ${second}, a later verified commit than this run's ${first}: nothing older is promoted`,
        ]);
    });

    it("makes the same commit when the same promotion runs again, so the open pull request keeps its approvals", () => {
        const verified = appRepository();
        ok(runPromote(KUSTOMIZE_STAGES, variables(verified)));
        const once = sandbox.git(remote(), "rev-parse", BRANCH).trim();
        ok(runPromote(KUSTOMIZE_STAGES, variables(verified)));
        assert.equal(sandbox.git(remote(), "rev-parse", BRANCH).trim(), once);
    });

    it("after a failure half-way (GitHub refused the pull request), a re-run opens it on the same commit", () => {
        const verified = appRepository();
        const api = github(REPOSITORY);
        sandbox.curlRoutes([api[0], { ...api[1], status: 503 }]);
        assert.equal(runPromote(KUSTOMIZE_STAGES, variables(verified)).status, 22);
        const pushed = sandbox.git(remote(), "rev-parse", BRANCH).trim();
        sandbox.curlRoutes(api);
        ok(runPromote(KUSTOMIZE_STAGES, variables(verified)));
        assert.equal(sandbox.git(remote(), "rev-parse", BRANCH).trim(), pushed);
        assert.equal(githubRequests().filter((r) => r.method === "POST").length, 2);
    });

    it("takes to prod only what staging verified: a deploy/base change pushed to main afterwards stays out", () => {
        const verified = appRepository();
        sandbox.pushToMain(REPOSITORY, { [BASE]: "# not verified anywhere\n" }, "a later base change");
        ok(runPromote(KUSTOMIZE_STAGES, variables(verified)));
        assert.equal(
            sandbox.git(remote(), "show", `${BRANCH}:${BASE}`),
            sandbox.git(remote(), "show", `${verified}:${BASE}`),
        );
        assert.equal(
            sandbox.git(remote(), "rev-parse", "prod").trim(),
            sandbox.git(remote(), "rev-parse", `${verified}~1`).trim(),
            "prod itself moves only by the pull request",
        );
    });

    it("refuses an app repository without a prod branch, saying how to create it", () => {
        sandbox.remote(REPOSITORY, kustomizeAppRepository());
        const run = runPromote(KUSTOMIZE_STAGES, variables(head()));
        assert.equal(run.status, 1);
        assert.deepEqual(errors(run), [
            `${REPOSITORY} has no branch prod, which Flux applies to prod: create it once from the commit staging verified (git push origin ${head()}:refs/heads/prod) and protect it`,
        ]);
        assert.equal(githubRequests().length, 0);
    });

    it("marks the promotion [skip azp], so its merge starts no build of the app's pipeline", () => {
        ok(runPromote(KUSTOMIZE_STAGES, variables(appRepository())));
        const [, create] = githubRequests();
        assert.equal(create.body!.title, "Promote dev-team2/app 1.2.7 to prod [skip azp]");
        assert.equal(
            sandbox.git(remote(), "log", "-1", "--format=%s", BRANCH).trim(),
            "Promote dev-team2/app 1.2.7 to prod [skip azp]",
        );
        assert.match(
            sandbox.git(remote(), "log", "-1", "--format=%B", BRANCH),
            new RegExp(`Promoted-From: ${head()}`),
        );
    });

    it("points a placeholder newName at prod's registry in the same pull request, the first time", () => {
        ok(runPromote(KUSTOMIZE_STAGES, variables(appRepository("prod-registry.azurecr.io"))));
        const overlay = parse(sandbox.git(remote(), "show", `${BRANCH}:${FILE}`));
        assert.deepEqual(overlay.images, [
            { name: "app", newName: "acrgitopsprod.azurecr.io/dev-team2/app", digest: DIGEST },
        ]);
    });
});
