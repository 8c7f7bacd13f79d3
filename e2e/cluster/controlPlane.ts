// A real Kubernetes control plane on 127.0.0.1, from the binaries e2e/toolchain built: etcd, the API
// server (RBAC, the default admission plugins, ValidatingAdmissionPolicy and PodSecurity among them,
// a service-account issuer), the controller manager (service accounts, namespaces' deletion, garbage
// collection, Deployments), the scheduler, and kwok with one fake node, so pods are scheduled and
// become Ready without a kubelet (their containers never run).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { assetFiles, binary } from "../toolchain/cache";
import { E2eError, assertRunning, freePort, startProcess, waitFor } from "./processes";

/**
 * The API server refuses a loopback --advertise-address (the `kubernetes` Service's endpoint). This
 * address from TEST-NET-1 (RFC 5737, never routed) is only written into that Endpoints object: the
 * e2e runs no pod that would connect to it.
 */
const ADVERTISE_ADDRESS = "192.0.2.1";
const SERVICE_CIDR = "10.96.0.0/16";
export const FAKE_NODE = "kwok-node-0";

/** What a started control plane hands to the tests. */
export interface ControlPlane {
    readonly runDir: string;
    /** cluster-admin (system:masters): what the e2e itself, and Pulumi, act as. */
    readonly kubeconfig: string;
    readonly server: string;
    readonly kubernetesVersion: string;
}

function openssl(args: string[], cwd: string): void {
    try {
        execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
        throw new E2eError(`openssl ${args[0]} failed (is openssl installed?): ${String(e).split("\n")[0]}`);
    }
}

/** A throwaway CA, the API server's serving certificate, an admin client certificate, the SA key pair. */
function certificates(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3", "-subj", "/CN=e2e-ca"],
        dir,
    );
    const sign = (name: string, subject: string, ext: string) => {
        fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
        openssl(["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
        openssl(
            [
                "x509",
                "-req",
                "-in",
                `${name}.csr`,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
            ].concat(["-out", `${name}.crt`, "-days", "3", "-extfile", `${name}.ext`]),
            dir,
        );
    };
    sign(
        "apiserver",
        "/CN=kube-apiserver",
        "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
    );
    sign("admin", "/O=system:masters/CN=e2e-admin", "extendedKeyUsage=clientAuth\n");
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
    openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
}

function writeKubeconfig(file: string, server: string, pki: string): void {
    const abs = (f: string) => path.join(pki, f);
    fs.writeFileSync(
        file,
        [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            `- name: e2e\n  cluster:\n    server: ${server}\n    certificate-authority: ${abs("ca.crt")}`,
            "users:",
            `- name: e2e-admin\n  user:\n    client-certificate: ${abs("admin.crt")}\n    client-key: ${abs("admin.key")}`,
            "contexts:",
            "- name: e2e\n  context:\n    cluster: e2e\n    user: e2e-admin",
            "current-context: e2e",
            "",
        ].join("\n"),
    );
}

/** GET `path` of the API server as the admin; resolves with the status code and body. */
export function apiGet(cp: Pick<ControlPlane, "runDir" | "server">, urlPath: string) {
    const pki = path.join(cp.runDir, "pki");
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.get(
            `${cp.server}${urlPath}`,
            {
                ca: fs.readFileSync(path.join(pki, "ca.crt")),
                cert: fs.readFileSync(path.join(pki, "admin.crt")),
                key: fs.readFileSync(path.join(pki, "admin.key")),
                timeout: 5000,
            },
            (res) => {
                let body = "";
                res.on("data", (d) => (body += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("no answer in 5 s")));
        req.on("error", reject);
    });
}

async function startEtcd(runDir: string): Promise<string> {
    const [client, peer] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${client}`;
    const p = startProcess(runDir, "etcd", binary("etcd"), [
        "--name=e2e",
        `--data-dir=${path.join(runDir, "etcd")}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=e2e=http://127.0.0.1:${peer}`,
        // A throwaway store: fsync buys nothing and costs seconds on a small disk.
        "--unsafe-no-fsync",
    ]);
    await waitFor(
        "etcd",
        async () => {
            const r = await fetch(`${url}/health`);
            return r.ok && ((await r.json()) as { health?: string }).health === "true";
        },
        { timeoutMs: 30_000, process: p },
    );
    return url;
}

async function startApiServer(runDir: string, etcd: string): Promise<ControlPlane> {
    const pki = path.join(runDir, "pki");
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const p = startProcess(runDir, "kube-apiserver", binary("kube-apiserver"), [
        `--etcd-servers=${etcd}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
        `--advertise-address=${ADVERTISE_ADDRESS}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--client-ca-file=${pki}/ca.crt`,
        `--tls-cert-file=${pki}/apiserver.crt`,
        `--tls-private-key-file=${pki}/apiserver.key`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki}/sa.pub`,
        `--service-account-signing-key-file=${pki}/sa.key`,
        "--authorization-mode=RBAC",
        "--allow-privileged=true",
        "--profiling=false",
    ]);
    const kubeconfig = path.join(runDir, "admin.kubeconfig");
    writeKubeconfig(kubeconfig, server, pki);
    const cp = { runDir, kubeconfig, server, kubernetesVersion: "" };
    await waitFor("kube-apiserver /readyz", async () => (await apiGet(cp, "/readyz")).status === 200, {
        timeoutMs: 120_000,
        process: p,
    });
    const version = JSON.parse((await apiGet(cp, "/version")).body).gitVersion as string;
    if (!/^v\d+\.\d+\.\d+/.test(version) || version.startsWith("v0.0.0")) {
        throw new E2eError(
            `kube-apiserver reports version ${version}: rebuild it with \`npm run e2e:toolchain -- --only kubernetes --force\``,
        );
    }
    return { ...cp, kubernetesVersion: version.replace(/^v/, "").replace(/[-+].*$/, "") };
}

/** What the controller manager and the scheduler both take: the admin's kubeconfig, a loopback port, no election. */
async function componentFlags(cp: ControlPlane): Promise<string[]> {
    return [
        `--kubeconfig=${cp.kubeconfig}`,
        `--authentication-kubeconfig=${cp.kubeconfig}`,
        `--authorization-kubeconfig=${cp.kubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${await freePort()}`,
        "--leader-elect=false",
    ];
}

async function startControllers(cp: ControlPlane): Promise<void> {
    const pki = path.join(cp.runDir, "pki");
    const manager = startProcess(cp.runDir, "kube-controller-manager", binary("kube-controller-manager"), [
        ...(await componentFlags(cp)),
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki}/sa.key`,
        `--root-ca-file=${pki}/ca.crt`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle",
    ]);
    const scheduler = startProcess(
        cp.runDir,
        "kube-scheduler",
        binary("kube-scheduler"),
        await componentFlags(cp),
    );
    const stages = path.join(cp.runDir, "kwok-stages.yaml");
    const stageFiles = assetFiles("kwok", "stages");
    if (stageFiles.length === 0)
        throw new E2eError("kwok's stages are missing: run `npm run e2e:toolchain -- --only kwok --force`");
    // kwok's own stages, then the e2e's: a Helm test pod completes (kwok-helm-test.yaml).
    const files = [...stageFiles, path.join(__dirname, "kwok-helm-test.yaml")];
    fs.writeFileSync(stages, files.map((f) => fs.readFileSync(f, "utf8")).join("\n---\n"));
    const kwok = startProcess(cp.runDir, "kwok", binary("kwok"), [
        `--kubeconfig=${cp.kubeconfig}`,
        `--config=${stages}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--cidr=10.244.0.0/16",
        "--node-ip=10.245.0.1",
    ]);
    await waitFor(
        "the default ServiceAccount of namespace default (controller manager)",
        async () => (await apiGet(cp, "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
        { timeoutMs: 120_000, process: manager },
    );
    for (const p of [scheduler, kwok]) assertRunning(p);
}

/**
 * The fake node kwok keeps Ready: room for every team's quota. The API server's TaintNodesByCondition
 * admission gives a new node the `not-ready` taint, which the node lifecycle controller would lift
 * once the node reports Ready; that controller is off here (kwok sends no heartbeats), so the e2e
 * lifts it.
 */
function fakeNode(cp: ControlPlane): void {
    kubectl(
        cp,
        ["apply", "-f", "-"],
        JSON.stringify({
            apiVersion: "v1",
            kind: "Node",
            metadata: {
                name: FAKE_NODE,
                annotations: { "kwok.x-k8s.io/node": "fake" },
                labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
            },
            status: {
                allocatable: { cpu: "64", memory: "256Gi", pods: "500", "ephemeral-storage": "1Ti" },
                capacity: { cpu: "64", memory: "256Gi", pods: "500", "ephemeral-storage": "1Ti" },
            },
        }),
    );
    kubectl(cp, ["taint", "node", FAKE_NODE, "node.kubernetes.io/not-ready:NoSchedule-"]);
}

/** kubectl as the admin (or, with `as`, impersonating someone); returns stdout, throws E2eError with stderr. */
export function kubectl(cp: Pick<ControlPlane, "kubeconfig">, args: string[], input?: string): string {
    try {
        return execFileSync(binary("kubectl"), [`--kubeconfig=${cp.kubeconfig}`, ...args], {
            input,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
            // Longer than any `kubectl wait` the e2e asks for; a hung call fails instead of hanging the run.
            timeout: 600_000,
        });
    } catch (e) {
        const err = e as { stderr?: string };
        throw new E2eError(`kubectl ${args.join(" ")}: ${(err.stderr ?? String(e)).trim()}`);
    }
}

/** Starts the whole control plane in `runDir` (which must not hold a running one). */
export async function startControlPlane(runDir: string): Promise<ControlPlane> {
    fs.mkdirSync(runDir, { recursive: true });
    certificates(path.join(runDir, "pki"));
    const etcd = await startEtcd(runDir);
    const cp = await startApiServer(runDir, etcd);
    await startControllers(cp);
    fakeNode(cp);
    return cp;
}
