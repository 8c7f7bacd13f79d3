// ChartMuseum itself (built from its Go module by `npm run e2e:toolchain`), started with the settings
// the program gives the official chart (components/charts/manifests.ts `chartMuseumValues().env.open`),
// so the push check under test is the deployed one. Only what ties it to Azure or to a Pod moves:
//   STORAGE=microsoft, STORAGE_MICROSOFT_CONTAINER, the storage key Secret -> local storage in the run folder
//   AUTH_CERT_PATH (the chart mounts the public-key Secret at /var/keys)     -> the key file this run wrote
//   PORT (the container's 8080)                                             -> a free port, LISTEN_HOST 127.0.0.1
// Every other setting (BEARER_AUTH, AUTH_REALM, AUTH_SERVICE, AUTH_ANONYMOUS_GET, ALLOW_OVERWRITE,
// DISABLE_DELETE, DEPTH, ...) is passed as the program wrote it; a storage the e2e cannot place fails.
import * as path from "node:path";
import { chartMuseumValues } from "../../components/charts/manifests";
import { CHARTMUSEUM_BEARER_AUTH } from "../../components/charts/pushTokens";
import { binary } from "../toolchain/cache";
import { E2eError, freePort, startProcess, waitFor } from "../cluster/processes";

/** Settings that place ChartMuseum in Azure or in its Pod: replaced by `localEnv`, never passed on. */
const AZURE_PLACEMENT = ["STORAGE", "STORAGE_MICROSOFT_CONTAINER"];

/** The environment the program gives ChartMuseum's container (the chart's `env.open`), as strings. */
export function programChartMuseumEnv(): Record<string, string> {
    const values = chartMuseumValues({
        config: {
            chartVersion: "e2e",
            exposure: { kind: "gateway", host: "charts.e2e.test", tlsCertificateUri: "" },
        },
        containerName: "charts",
        credentialsSecretName: "chartmuseum-storage",
        publicKeySecretName: CHARTMUSEUM_BEARER_AUTH.publicKeySecret,
        publicKeyChecksum: "e2e",
        dnsLabel: "e2e",
    });
    const open = (values.env as { open: Record<string, unknown> }).open;
    // The chart renders each value with `quote`: booleans and numbers reach the container as strings.
    return Object.fromEntries(Object.entries(open).map(([k, v]) => [k, String(v)]));
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
        AUTH_CERT_PATH: at.publicKeyPath,
        PORT: String(at.port),
        LISTEN_HOST: "127.0.0.1",
    };
}

/** Starts ChartMuseum on a free port with the program's settings; resolves once /health answers. */
export async function startChartMuseum(
    runDir: string,
    name: string,
    at: { storageDir: string; publicKeyPath: string },
): Promise<{ url: string }> {
    const port = await freePort();
    const env = localChartMuseumEnv(programChartMuseumEnv(), { ...at, port });
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
