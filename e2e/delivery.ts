// What Azure and GitHub provide to Flux, stood up on 127.0.0.1 for the e2e: ChartMuseum itself, its read
// and push instances on one storage folder with the program's settings (e2e/servers/chartMuseum.ts), a git server over smart HTTP holding the fleet
// (e2e/servers/gitHttp.ts), and a team's chart built from the Helm starter kit with the helm built
// here, packaged and pushed as the pipeline does (helm lint --strict, helm package, POST
// /api/<team>/charts with the team's token as a bearer header).
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { clusterKustomizationYaml } from "../components/flux/manifests";
import { chartMuseumPublicKeySecret } from "../components/charts/manifests";
import { CHARTMUSEUM_BEARER_AUTH, signChartPushToken } from "../components/charts/pushTokens";
import { binary } from "./toolchain/cache";
import { ControlPlane } from "./cluster/controlPlane";
import { E2eError, freePort, startProcess, waitFor } from "./cluster/processes";
import { startChartMuseums } from "./servers/chartMuseum";

const ROOT = path.resolve(__dirname, "..");
const REGISTER = path.join(ROOT, "tools", "offline", "register.js");
const KIT_CHART = path.join(ROOT, "templates", "helm-app", "chart");
const KUSTOMIZE_KIT = path.join(ROOT, "templates", "kustomize-app", "deploy");

export interface DeliveryServers {
    /** The read instance's base URL, what Flux reads (a team's repository is <url>/<team>). */
    readonly chartRepositoryUrl: string;
    /** The push instance's base URL, what CI pushes to and reads its archives from with its token. */
    readonly chartPushUrl: string;
    /** Both instances' local storage: a team's charts are <folder>/<team>/<chart>-<version>.tgz. */
    readonly chartStorageDir: string;
    /** The public key ChartMuseum checks push tokens with (its AUTH_CERT_PATH). */
    readonly chartPublicKeyPath: string;
    /** The fleet repository's URL, as Flux clones it. */
    readonly fleetUrl: string;
    readonly gitRoot: string;
    /** Each team's push token, as the program signs it (components/charts/pushTokens.ts). */
    readonly tokens: Record<string, string>;
}

function git(args: string[], cwd?: string): string {
    return execFileSync("git", args, {
        cwd,
        encoding: "utf8",
        env: {
            ...process.env,
            GIT_AUTHOR_NAME: "e2e",
            GIT_AUTHOR_EMAIL: "e2e@example.test",
            GIT_COMMITTER_NAME: "e2e",
            GIT_COMMITTER_EMAIL: "e2e@example.test",
        },
    });
}

/** Starts the chart repository and the git server; seeds the fleet with the stack's cluster folder. */
export async function startDeliveryServers(
    cp: ControlPlane,
    stack: string,
    teams: string[],
): Promise<DeliveryServers> {
    const charts = path.join(cp.runDir, "charts");
    const gitRoot = path.join(cp.runDir, "git");
    fs.mkdirSync(charts, { recursive: true });
    fs.mkdirSync(gitRoot, { recursive: true });
    const signing = platformSigning(path.join(cp.runDir, "chartmuseum-keys"), teams);
    const chartMuseums = startChartMuseums(cp.runDir, "chartmuseum", {
        storageDir: charts,
        publicKeyPath: signing.publicKeyPath,
    });
    const gitPort = await freePort();
    const gitServer = startServer(cp.runDir, "git-server", "gitHttp.ts", [gitRoot, String(gitPort)]);
    await waitFor("git server", async () => (await fetch(`http://127.0.0.1:${gitPort}/`)).status > 0, {
        timeoutMs: 30_000,
        process: gitServer,
    });
    const { readUrl, pushUrl } = await chartMuseums;
    seedFleet(gitRoot, stack);
    return {
        chartRepositoryUrl: readUrl,
        chartPushUrl: pushUrl,
        chartStorageDir: charts,
        chartPublicKeyPath: signing.publicKeyPath,
        fleetUrl: `http://127.0.0.1:${gitPort}/fleet.git`,
        gitRoot,
        tokens: signing.tokens,
    };
}

/**
 * What the ChartMuseum component does, in the form it does it, for a ChartMuseum this run starts: an
 * RSA 3072 key in the formats of the tls provider's PrivateKey (PKCS#1 private, PKIX public), the
 * public half written in `keyDir` from the program's Secret builder (where ChartMuseum's AUTH_CERT_PATH
 * points), and each team's token signed by the program's own function. (A cluster stack runs no
 * ChartMuseum, and the e2e's toolchain has no tls provider, so the key is made here, not by `up`.)
 */
export function platformSigning(
    keyDir: string,
    teams: string[],
): { publicKeyPath: string; tokens: Record<string, string> } {
    const pair = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const privateKeyPem = pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    const secret = chartMuseumPublicKeySecret("chartmuseum", publicKeyPem);
    const file = CHARTMUSEUM_BEARER_AUTH.publicKeyFile;
    const publicKeyPath = path.join(keyDir, file);
    fs.mkdirSync(keyDir, { recursive: true });
    fs.writeFileSync(publicKeyPath, String((secret.stringData as Record<string, string>)[file]));
    return {
        publicKeyPath,
        tokens: Object.fromEntries(teams.map((t) => [t, signChartPushToken(privateKeyPem, t)])),
    };
}

/** e2e/servers/<script> <args>, run by this node with the project's TypeScript hook. */
export function startServer(runDir: string, name: string, script: string, args: string[]) {
    return startProcess(runDir, name, process.execPath, [
        "-r",
        REGISTER,
        path.join(__dirname, "servers", script),
        ...args,
    ]);
}

/** fleet.git with the cluster folder Pulumi seeds on GitHub for an environment. */
function seedFleet(gitRoot: string, stack: string): void {
    const bare = path.join(gitRoot, "fleet.git");
    git(["init", "-q", "--bare", "-b", "main", bare]);
    const work = fs.mkdtempSync(path.join(gitRoot, "fleet-work-"));
    git(["init", "-q", "-b", "main", work]);
    const folder = `clusters/${stack}`;
    fs.mkdirSync(path.join(work, folder), { recursive: true });
    fs.writeFileSync(path.join(work, folder, "kustomization.yaml"), clusterKustomizationYaml(stack, folder));
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", `Add ${folder}`], work);
    git(["push", "-q", bare, "main"], work);
    fs.rmSync(work, { recursive: true, force: true });
}

/** The starter kit's chart at `chartDir`, renamed to the app (what a team does when it copies the kit). */
export function copyKitChart(chartDir: string, app: string): void {
    fs.cpSync(KIT_CHART, chartDir, { recursive: true });
    const chartFile = path.join(chartDir, "Chart.yaml");
    fs.writeFileSync(chartFile, stringify({ ...parse(fs.readFileSync(chartFile, "utf8")), name: app }));
}

/**
 * The starter kit's chart, renamed to the app (what a team does when it copies the kit), linted,
 * packaged at `version` and pushed to the team's repository on the push instance with its token.
 */
export async function publishKitChart(
    servers: DeliveryServers,
    team: string,
    app: string,
    version: string,
    runDir: string,
): Promise<string> {
    const work = fs.mkdtempSync(path.join(runDir, `chart-${app}-`));
    const chartDir = path.join(work, app);
    copyKitChart(chartDir, app);
    const helm = (args: string[]) =>
        execFileSync(binary("helm"), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    helm(["lint", chartDir, "--strict"]);
    helm(["package", chartDir, "--version", version, "--app-version", version, "--destination", work]);
    const tgz = path.join(work, `${app}-${version}.tgz`);
    const response = await fetch(`${servers.chartPushUrl}/api/${team}/charts`, {
        method: "POST",
        body: fs.readFileSync(tgz),
        headers: { authorization: `Bearer ${servers.tokens[team]}` },
    });
    if (response.status !== 201)
        throw new E2eError(
            `pushing ${app}-${version} for ${team}: HTTP ${response.status} ${await response.text()}`,
        );
    return tgz;
}

/**
 * `<team>.git` on the git server with the Kustomize kit's `deploy/` as a team makes it its own: its
 * name, its app, and the image the pipeline's bump would write (`<registry>/<team>/<app>:<version>`).
 * Returns the repository's URL.
 */
export function seedKustomizeApp(
    servers: DeliveryServers,
    t: { team: string; app: string; image: string },
): string {
    const bare = path.join(servers.gitRoot, `${t.team}.git`);
    git(["init", "-q", "--bare", "-b", "main", bare]);
    const work = fs.mkdtempSync(path.join(servers.gitRoot, `${t.team}-work-`));
    git(["init", "-q", "-b", "main", work]);
    fs.cpSync(KUSTOMIZE_KIT, path.join(work, "deploy"), { recursive: true });
    for (const file of fs.readdirSync(path.join(work, "deploy"), { recursive: true, encoding: "utf8" })) {
        const full = path.join(work, "deploy", file);
        if (!fs.statSync(full).isFile()) continue;
        const text = fs
            .readFileSync(full, "utf8")
            .replace(/newName: .*\/my-team\/my-app/g, `newName: ${t.image.replace(/:[^:/]+$/, "")}`);
        fs.writeFileSync(
            full,
            text
                .replace(/my-team/g, t.team)
                .replace(/my-app/g, t.app)
                .replace(/newTag: .*/g, `newTag: ${t.image.split(":").pop()}`),
        );
    }
    git(["add", "-A"], work);
    git(["commit", "-q", "-m", "The Kustomize kit's deploy/, as the team's"], work);
    git(["push", "-q", bare, "main"], work);
    fs.rmSync(work, { recursive: true, force: true });
    return `${servers.fleetUrl.replace(/\/fleet\.git$/, "")}/${t.team}.git`;
}
