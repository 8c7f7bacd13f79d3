// The delivery loop's pipeline scripts themselves, run as an agent runs them against the e2e's
// cluster and servers: the inline scripts of pipelines/templates, expanded and run by the tests'
// Sandbox (test/support), with the real helm, kubectl, curl, git and jq. Stand-ins only where Azure
// or GitHub answers: `az` (the tests' stand-in, whose `aks get-credentials` here writes a kubeconfig
// of the team's CI identity on this cluster), kubelogin, the GitHub API (e2e/servers/githubApi.ts)
// and, since no container engine runs here, the image's docker build/push and ORAS copy (the tests'
// stand-ins): the image hop is simulated, the chart hop is real end to end.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { verifierRoleBinding } from "../components/tenants/manifests";
import type { TenantConfig } from "../components/tenants/config";
import {
    HELM_EXAMPLE,
    HELM_STAGES,
    KUSTOMIZE_EXAMPLE,
    KUSTOMIZE_STAGES,
    runVariables,
    stagesOf,
} from "../test/support/delivery";
import { type Doc, TEMPLATES_DIR, expand, onlyJob, stage } from "../test/support/pipelines";
import { Run, Sandbox } from "../test/support/sandbox";
import { ControlPlane, kubectl } from "./cluster/controlPlane";
import { E2eError, freePort, waitFor } from "./cluster/processes";
import { DeliveryServers, copyKitChart, platformSigning, startServer } from "./delivery";
import { startChartMuseums } from "./servers/chartMuseum";
import { binary } from "./toolchain/cache";

/** The platform repository on the e2e's git server, as `https://github.com/<it>.git` reaches it. */
export const PLATFORM_REPOSITORY = "e2e/gitops-platform";
/** The Azure AD object id the team's staging CI identity would have; kubectl impersonates it. */
const VERIFIER = "00000000-0000-0000-0000-00000000c1c1";
/** Annotation the e2e's kwok stage fails a Helm test pod for (e2e/cluster/kwok-helm-test.yaml). */
const FAILING_TEST = "e2e.gitops-platform/helm-test";
const STAGE_TIMEOUT_MS = 300_000;

/** What the pipelines talk to besides staging: prod's chart repository and the GitHub stand-in. */
export interface PipelineWorld {
    /** Prod's read instance (what prod's Flux would read). */
    readonly prodChartRepositoryUrl: string;
    /** Prod's push instance, the pipelines' `prod.chartRepositoryUrl`. */
    readonly prodChartPushUrl: string;
    /** The team's prod push token, signed by prod's own key. */
    readonly prodTokens: Record<string, string>;
    readonly githubPort: number;
    readonly githubState: string;
    readonly gitPort: number;
}

/** A self-signed certificate (key and cert in `dir`) for `subjectAltName`, which clients are told to trust. */
export function selfSignedCertificate(dir: string, subjectAltName: string): { cert: string; key: string } {
    fs.mkdirSync(dir, { recursive: true });
    const [cert, key] = [path.join(dir, "tls.crt"), path.join(dir, "tls.key")];
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=e2e",
            "-addext",
            `subjectAltName=${subjectAltName}`,
            "-keyout",
            key,
            "-out",
            cert,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    return { cert, key };
}

/** Prod's chart repository (ChartMuseum's read and push instances, with its own signing key) and the GitHub stand-in. */
export async function startPipelineWorld(
    cp: ControlPlane,
    servers: DeliveryServers,
    team: string,
): Promise<PipelineWorld> {
    const charts = path.join(cp.runDir, "charts-prod");
    fs.mkdirSync(charts, { recursive: true });
    // Prod's ChartMuseum has a signing key of its own: the team's prod token, never its staging one.
    const prodSigning = platformSigning(path.join(cp.runDir, "chartmuseum-prod-keys"), [team]);
    const prodChartMuseums = startChartMuseums(cp.runDir, "chartmuseum-prod", {
        storageDir: charts,
        publicKeyPath: prodSigning.publicKeyPath,
    });
    const githubState = path.join(cp.runDir, "github");
    selfSignedCertificate(githubState, "DNS:api.github.com");
    const githubPort = await freePort();
    const github = startServer(cp.runDir, "github-api", "githubApi.ts", [
        servers.gitRoot,
        String(githubPort),
        githubState,
    ]);
    const prod = await prodChartMuseums;
    const prodTokens = prodSigning.tokens;
    await waitFor("GitHub API stand-in", () => listening(githubPort), {
        timeoutMs: 30_000,
        process: github,
    });
    const gitPort = Number(new URL(servers.fleetUrl).port);
    return {
        prodChartRepositoryUrl: prod.readUrl,
        prodChartPushUrl: prod.pushUrl,
        prodTokens,
        githubPort,
        githubState,
        gitPort,
    };
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => resolve(!!socket.end()));
        socket.once("error", () => resolve(false));
    });
}

/** The platform repository on the git server with the team files of `teamsDirectory` at tenants/. */
export function seedPlatformRepository(servers: DeliveryServers, teamsDirectory: string): string {
    const bare = path.join(servers.gitRoot, "github", `${PLATFORM_REPOSITORY}.git`);
    const work = fs.mkdtempSync(path.join(servers.gitRoot, "platform-work-"));
    const git = (args: string[], cwd = work) =>
        execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.test", ...args], { cwd });
    git(["init", "-q", "--bare", "-b", "main", bare], servers.gitRoot);
    git(["init", "-q", "-b", "main"]);
    fs.cpSync(teamsDirectory, path.join(work, "tenants"), { recursive: true });
    git(["add", "-A"]);
    git(["commit", "-q", "-m", "The platform's team files"]);
    git(["push", "-q", bare, "main"]);
    fs.rmSync(work, { recursive: true, force: true });
    return bare;
}

/** A team file as the platform repository's main has it now. */
export function platformFile(servers: DeliveryServers, file: string): string {
    const bare = path.join(servers.gitRoot, "github", `${PLATFORM_REPOSITORY}.git`);
    return execFileSync("git", ["-C", bare, "show", `main:${file}`], { encoding: "utf8" });
}

/** Binds the verifier's identity as the program does where builds land (verifierRoleBinding). */
export function bindVerifier(cp: ControlPlane, team: string): string {
    const binding = verifierRoleBinding({ name: team } as TenantConfig, VERIFIER);
    kubectl(cp, ["apply", "-f", "-"], JSON.stringify(binding));
    const admin = fs.readFileSync(cp.kubeconfig, "utf8");
    // The admin's client certificate, impersonating the CI identity: RBAC decides as for that user.
    return admin.replace(/(\n(\s+)client-key: .*)/, `$1\n$2as: ${VERIFIER}`);
}

/** `az` of the tests, except `aks get-credentials`, which writes the verifier's kubeconfig here. */
const AZ = `#!/usr/bin/env bash
set -euo pipefail
. "$STUB_LIB"
if [[ "\${1:-} \${2:-}" == "aks get-credentials" ]]; then
  record az "$@"
  cp "$STUB_STATE/e2e-kubeconfig" "$(option --file "$@")"
  exit 0
fi
# A registry the e2e runs (its host in $STUB_STATE/e2e-registries/<name>): the digest it serves.
if [[ "\${1:-} \${2:-} \${3:-}" == "acr repository show" && -f "$STUB_STATE/e2e-registries/$(option --name "$@")" ]]; then
  record az "$@"
  host=$(cat "$STUB_STATE/e2e-registries/$(option --name "$@")")
  image=$(option --image "$@")
  digest=$(curl --silent --fail --head --cacert "$STUB_STATE/e2e-ca.crt" \
    --header "Accept: application/vnd.oci.image.manifest.v1+json" "https://$host/v2/\${image%:*}/manifests/\${image##*:}" \
    | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p') || true
  [[ -n $digest ]] || { echo "ERROR: manifest unknown: $image" >&2; exit 1; }
  echo "$digest"
  exit 0
fi
exec "$(dirname "$0")/az-standin" "$@"
`;

/** A real tool, trusting the e2e's registries' certificate once the agent has it. */
const realTool = (tool: string) => `#!/usr/bin/env bash
if [[ -f "$STUB_STATE/e2e-ca.crt" ]]; then export SSL_CERT_FILE="$STUB_STATE/e2e-ca.crt"; fi
exec "${binary(tool)}" "$@"
`;

/**
 * Runs `body` with the real oras in place of the tests' stand-in, which comes back after (the image
 * hop keeps the stand-in).
 */
export function withRealOras<T>(sandbox: Sandbox, body: () => T): T {
    const file = path.join(sandbox.bin, "oras");
    const standIn = fs.readFileSync(file);
    fs.writeFileSync(file, realTool("oras"), { mode: 0o755 });
    try {
        return body();
    } finally {
        fs.writeFileSync(file, standIn, { mode: 0o755 });
    }
}

/** Registries the agent's az reads digests from, by registry name, and the certificate they serve. */
export function agentRegistries(sandbox: Sandbox, cert: string, registries: Record<string, string>): void {
    sandbox.answer("e2e-ca.crt", fs.readFileSync(cert, "utf8"));
    for (const [name, host] of Object.entries(registries)) sandbox.answer(`e2e-registries/${name}`, host);
}

/** The tests' Sandbox made an agent of this cluster: real helm, kubectl, curl and git remotes. */
export function pipelineAgent(cp: ControlPlane, world: PipelineWorld, team: string): Sandbox {
    const sandbox = new Sandbox();
    fs.rmSync(path.join(sandbox.bin, "kubectl"));
    fs.symlinkSync(binary("kubectl"), path.join(sandbox.bin, "kubectl"));
    fs.writeFileSync(path.join(sandbox.bin, "helm"), realTool("helm"), { mode: 0o755 });
    fs.rmSync(path.join(sandbox.bin, "curl"));
    fs.renameSync(path.join(sandbox.bin, "az"), path.join(sandbox.bin, "az-standin"));
    fs.writeFileSync(path.join(sandbox.bin, "az"), AZ, { mode: 0o755 });
    sandbox.answer("e2e-kubeconfig", bindVerifier(cp, team));
    // https://github.com/<repository>.git is the git server's github/<repository>.git.
    fs.writeFileSync(
        path.join(sandbox.root, "gitconfig"),
        `[url "http://127.0.0.1:${world.gitPort}/github/"]\n\tinsteadOf = https://github.com/\n[init]\n\tdefaultBranch = main\n`,
    );
    fs.writeFileSync(
        path.join(sandbox.root, "home", ".curlrc"),
        `connect-to = "api.github.com:443:127.0.0.1:${world.githubPort}"\ncacert = "${path.join(world.githubState, "tls.crt")}"\n`,
    );
    return sandbox;
}

/** ci-vars-template.yml's variables for `app`, with the counter at `version`'s patch. */
function sharedVariables(app: string, version: string): Record<string, string> {
    const shared = expand(path.join(TEMPLATES_DIR, "ci-vars-template.yml"), {
        appName: app,
        appDirectory: app,
        versionMajorMinor: version.replace(/\.\d+$/, ""),
    }).variables as Doc[];
    return {
        ...Object.fromEntries(shared.map((v) => [v.name, v.value])),
        versionPatch: version.split(".")[2],
    };
}

/** The team's variable group and this run's variables, for app `app` at MAJOR.MINOR.PATCH. */
export function runVariablesOf(
    sandbox: Sandbox,
    servers: DeliveryServers,
    world: PipelineWorld,
    t: { team: string; app: string; version: string; commit: string },
): Record<string, string> {
    return {
        ...runVariables(sandbox, HELM_EXAMPLE, t.team),
        ...sharedVariables(t.app, t.version),
        teamName: t.team,
        chartRepositoryKind: "chartmuseum",
        platformRepository: PLATFORM_REPOSITORY,
        teamFile: `tenants/${t.team}.yaml`,
        promotionToken: "e2e-stand-in-promotion-token",
        "Build.SourceVersion": t.commit,
        // The pipelines reach the push instance, as through the Gateway; Flux reads the read instance.
        "staging.chartRepositoryUrl": servers.chartPushUrl,
        "staging.chartRepositoryToken": servers.tokens[t.team],
        "prod.chartRepositoryUrl": world.prodChartPushUrl,
        "prod.chartRepositoryToken": world.prodTokens[t.team],
    };
}

/** The app's checkout: its Dockerfile and the kit's chart at <app>/charts/<app>, its test failing if asked. */
export function checkout(sandbox: Sandbox, app: string, failingTest = false): void {
    const dir = path.join(sandbox.work, app);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
    const chart = path.join(dir, "charts", app);
    copyKitChart(chart, app);
    if (!failingTest) return;
    const test = path.join(chart, "templates", "tests", "test-connection.yaml");
    const text = fs.readFileSync(test, "utf8");
    fs.writeFileSync(
        test,
        text.replace("    helm.sh/hook: test\n", `    helm.sh/hook: test\n    ${FAILING_TEST}: fail\n`),
    );
}

type Delivery = "helm" | "kustomize";
type JobName = "build" | "verify" | "promote";

/** One job of an app's pipeline, as the team's stages template (of its delivery kind) expands it. */
export function job(name: JobName, delivery: Delivery = "helm", team = "shop"): Doc {
    const template = delivery === "helm" ? HELM_STAGES : KUSTOMIZE_STAGES;
    const stages = stagesOf(template, { team, verifyTimeoutSeconds: 240, verifyPollSeconds: 2 });
    return onlyJob(stage({ stages }, name));
}

/** Runs a job's steps; the failing step's output when one fails. */
export function runJob(
    sandbox: Sandbox,
    name: JobName,
    variables: Record<string, string>,
    delivery: Delivery = "helm",
): { ok: boolean; out: Doc; last: Run } {
    const team = variables.teamName;
    const { runs, out } = sandbox.runJob(job(name, delivery, team), variables, STAGE_TIMEOUT_MS);
    const last = runs[runs.length - 1];
    return { ok: runs.every((r) => r.status === 0), out, last };
}

/** The build's outputs, mapped as the stages template maps them into verify and promote. */
export function releaseVariables(out: Doc): Record<string, string> {
    return {
        releaseVersion: out["image.version"],
        releaseDigest: out["image.digest"],
        releaseChartDigest: out["chart.digest"],
    };
}

/** Every call the GitHub stand-in answered. */
export function githubCalls(world: PipelineWorld): Doc[] {
    const file = path.join(world.githubState, "calls.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Doc);
}

/** Presses the pull request's merge button (PUT .../pulls/<n>/merge), as its reviewer would. */
export function mergePullRequest(world: PipelineWorld, url: string, repository = PLATFORM_REPOSITORY): void {
    const number = url.split("/").pop();
    const answer = execFileSync(
        "curl",
        [
            "--fail",
            "--silent",
            "--show-error",
            "--request",
            "PUT",
            "--header",
            "Authorization: Bearer e2e-reviewer",
            "--connect-to",
            `api.github.com:443:127.0.0.1:${world.githubPort}`,
            "--cacert",
            path.join(world.githubState, "tls.crt"),
            `https://api.github.com/repos/${repository}/pulls/${number}/merge`,
        ],
        { encoding: "utf8" },
    );
    if (!JSON.parse(answer).merged) throw new E2eError(`merging ${url}: ${answer}`);
}

/**
 * The Kustomize team's repository as `https://github.com/e2e/<team>.git` (the one Flux reads), a
 * `prod` branch made once from main as the team would, and the agent's checkout of main.
 */
export function kustomizeCheckout(sandbox: Sandbox, servers: DeliveryServers, team: string): void {
    const link = path.join(servers.gitRoot, "github", "e2e", `${team}.git`);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(servers.gitRoot, `${team}.git`), link);
    execFileSync("git", ["-C", link, "branch", "-f", "prod", "main"]);
    sandbox.checkout(`e2e/${team}`);
}

/**
 * The Kustomize app's run variables: the images in the e2e's registry (which the cluster's admission
 * admits), named after its first label as the tests' docker and az stand-ins name registries.
 */
export function kustomizeVariables(
    sandbox: Sandbox,
    t: { team: string; app: string; version: string; registry: string },
): Record<string, string> {
    const registryName = t.registry.split(".")[0];
    return {
        ...runVariables(sandbox, KUSTOMIZE_EXAMPLE, t.team),
        ...sharedVariables(t.app, t.version),
        teamName: t.team,
        promotionToken: "e2e-stand-in-promotion-token",
        "Build.Repository.Name": `e2e/${t.team}`,
        "staging.registryName": registryName,
        "staging.registryLoginServer": t.registry,
        "prod.registryName": registryName,
        "prod.registryLoginServer": t.registry,
    };
}
