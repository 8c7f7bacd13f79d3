// ChartMuseum itself (built from its Go module by `npm run e2e:toolchain`), started in either role
// (components/charts/manifests.ts `ChartMuseumRole`) with the environment the program's values give
// the official chart's container (`chartMuseumValues(role).env.open`, rendered as the chart renders
// it), so the checks under test are the deployed ones. Only what ties it to Azure or to a Pod moves:
//   STORAGE=microsoft, STORAGE_MICROSOFT_CONTAINER, the storage key Secret -> local storage (both roles share it)
//   AUTH_CERT_PATH (the chart mounts the public-key Secret at /var/keys)     -> the key file this run wrote
//   PORT (the container's 8080)                                             -> a free port, LISTEN_HOST 127.0.0.1
// Every other setting (BEARER_AUTH, DISABLE_API, AUTH_ANONYMOUS_GET, ALLOW_OVERWRITE, DEPTH, ...) is
// passed as the program wrote it; a storage the e2e cannot place fails.
import * as path from "node:path";
import { ChartMuseumRole, chartMuseumValues } from "../../components/charts/manifests";
import { CHARTMUSEUM_BEARER_AUTH } from "../../components/charts/pushTokens";
import { binary } from "../toolchain/cache";
import { E2eError, freePort, startProcess, waitFor } from "../cluster/processes";

/** Settings that place ChartMuseum in Azure or in its Pod: replaced by `localEnv`, never passed on. */
const AZURE_PLACEMENT = ["STORAGE", "STORAGE_MICROSOFT_CONTAINER", "AUTH_CERT_PATH"];

/** Where the chart points AUTH_CERT_PATH when `bearerAuth.secret.enabled` (its deployment template). */
const CHART_PUBLIC_KEY_PATH = "/var/keys/public-key.pem";

/**
 * The official chart's own `env.open` default that switches a route off (values.yaml of the pinned
 * chart): Helm merges the program's values over it, so a program that left it out would get no `/api`.
 */
const CHART_ENV_DEFAULTS: Record<string, unknown> = { DISABLE_API: true };

/** Helm's `empty`: the chart leaves such an `env.open` value out of the container's environment. */
function empty(value: unknown): boolean {
    return value === false || value === 0 || value === "" || value === null || value === undefined;
}

/** The environment the program gives a role's container, as the chart renders it: strings, empty ones left out. */
export function programChartMuseumEnv(role: ChartMuseumRole): Record<string, string> {
    const common = {
        config: {
            chartVersion: "e2e",
            exposure: { kind: "gateway", host: "charts.e2e.test", tlsCertificateUri: "" },
        },
        containerName: "charts",
        credentialsSecretName: "chartmuseum-storage",
        dnsLabel: "e2e",
    } as const;
    const values = chartMuseumValues(
        role === "push"
            ? {
                  ...common,
                  role,
                  publicKeySecretName: CHARTMUSEUM_BEARER_AUTH.publicKeySecret,
                  publicKeyChecksum: "e2e",
              }
            : { ...common, role },
    );
    const open = { ...CHART_ENV_DEFAULTS, ...(values.env as { open: Record<string, unknown> }).open };
    const mountsKey = (values.bearerAuth as { secret?: { enabled?: boolean } } | undefined)?.secret?.enabled;
    // The chart renders each value with `quote`: booleans and numbers reach the container as strings.
    return {
        ...Object.fromEntries(
            Object.entries(open)
                .filter(([, v]) => !empty(v))
                .map(([k, v]) => [k, String(v)]),
        ),
        ...(mountsKey ? { AUTH_CERT_PATH: CHART_PUBLIC_KEY_PATH } : {}),
    };
}

/** The program's settings with storage, key and address moved to this machine. */
export function localChartMuseumEnv(
    program: Record<string, string>,
    at: { storageDir: string; publicKeyPath: string; port: number },
): Record<string, string> {
    if (program.STORAGE !== "microsoft")
        throw new E2eError(
            `ChartMuseum: the program sets STORAGE=${program.STORAGE}; the e2e places only "microsoft" storage`,
        );
    const kept = Object.entries(program).filter(([k]) => !AZURE_PLACEMENT.includes(k));
    return {
        ...Object.fromEntries(kept),
        STORAGE: "local",
        STORAGE_LOCAL_ROOTDIR: at.storageDir,
        // Only where the chart mounts the key: the read instance never sees it.
        ...(program.AUTH_CERT_PATH ? { AUTH_CERT_PATH: at.publicKeyPath } : {}),
        PORT: String(at.port),
        LISTEN_HOST: "127.0.0.1",
    };
}

/** Starts ChartMuseum in `role` on a free port with the program's settings; resolves once /health answers. */
export async function startChartMuseum(
    runDir: string,
    name: string,
    role: ChartMuseumRole,
    at: { storageDir: string; publicKeyPath: string },
): Promise<{ url: string }> {
    const port = await freePort();
    const env = localChartMuseumEnv(programChartMuseumEnv(role), { ...at, port });
    const processEnv = Object.fromEntries(Object.keys(process.env).map((k) => [k, undefined]));
    const started = startProcess(runDir, name, binary("chartmuseum"), [], {
        ...processEnv,
        ...env,
        HOME: path.join(runDir, name),
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(name, async () => (await fetch(`${url}/health`)).ok, {
        timeoutMs: 30_000,
        process: started,
    });
    return { url };
}

/** Both roles on one storage folder, as the program runs them on one blob container. */
export async function startChartMuseums(
    runDir: string,
    name: string,
    at: { storageDir: string; publicKeyPath: string },
): Promise<{ readUrl: string; pushUrl: string }> {
    const [read, push] = await Promise.all([
        startChartMuseum(runDir, name, "read", at),
        startChartMuseum(runDir, `${name}-push`, "push", at),
    ]);
    return { readUrl: read.url, pushUrl: push.url };
}
