// A stand-in for ChartMuseum in multitenant mode (DEPTH 1), whose Go module the proxy does not serve:
// the same API the platform and the pipelines use, on 127.0.0.1.
//   GET  /<team>/index.yaml            the team's repository index (what Flux's HelmRepository reads)
//   GET  /<team>/charts/<name>-<v>.tgz a chart
//   POST /api/<team>/charts            upload a packaged chart (body: the .tgz, as `curl --data-binary`);
//                                      409 when that version exists (ChartMuseum without overwrite)
// Every request passes ChartMuseum's own bearer-auth check first (./chartMuseumAuth.ts, written from
// its sources), configured as the platform configures ChartMuseum (components/charts/manifests.ts:
// BEARER_AUTH, AUTH_ANONYMOUS_GET, DISABLE_DELETE) and with the public key the platform gives it, read
// from <root>/public-key.pem on each request: a push needs a token the platform's key signed granting
// `push` on that team's repository; reads are anonymous.
//
//   node -r ./tools/offline/register.js e2e/servers/chartRepository.ts <root> <port>
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse, stringify } from "yaml";
import { chartMuseumAuthorize } from "./chartMuseumAuth";
import { CHARTMUSEUM_BEARER_AUTH } from "../../components/charts/pushTokens";

const [root, port] = process.argv.slice(2);
if (!root || !port) {
    console.error("usage: chartRepository.ts <root> <port>");
    process.exit(2);
}

/** Chart.yaml of a packaged chart: the first `<dir>/Chart.yaml` entry of the tar inside the gzip. */
function chartYaml(tgz: Buffer): Record<string, string> {
    const tar = gunzipSync(tgz);
    for (let at = 0; at + 512 <= tar.length;) {
        const name = tar
            .subarray(at, at + 100)
            .toString("utf8")
            .replace(/\0.*$/s, "");
        const size = parseInt(
            tar
                .subarray(at + 124, at + 136)
                .toString("utf8")
                .replace(/\0.*$/s, "")
                .trim() || "0",
            8,
        );
        if (!name) break;
        if (/^[^/]+\/Chart\.yaml$/.test(name))
            return parse(tar.subarray(at + 512, at + 512 + size).toString("utf8"));
        at += 512 + Math.ceil(size / 512) * 512;
    }
    throw new Error("no Chart.yaml in the package");
}

function index(team: string): string {
    const dir = path.join(root, team, "charts");
    const entries: Record<string, object[]> = {};
    for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
        const tgz = fs.readFileSync(path.join(dir, file));
        const chart = chartYaml(tgz);
        (entries[chart.name] ??= []).unshift({
            ...chart,
            urls: [`charts/${file}`],
            digest: createHash("sha256").update(tgz).digest("hex"),
            created: fs.statSync(path.join(dir, file)).mtime.toISOString(),
        });
    }
    return stringify({ apiVersion: "v1", entries, generated: new Date().toISOString() });
}

/** ChartMuseum's check of one request, with the platform's settings and the platform's public key. */
function decide(method: string, url: string, authorization: string | undefined) {
    return chartMuseumAuthorize(
        {
            publicKeyPem: fs.readFileSync(path.join(root, CHARTMUSEUM_BEARER_AUTH.publicKeyFile), "utf8"),
            anonymousGet: true,
            disableDelete: true,
            realm: CHARTMUSEUM_BEARER_AUTH.realm,
            service: CHARTMUSEUM_BEARER_AUTH.service,
        },
        method,
        url,
        authorization,
    );
}

function upload(team: string, body: Buffer, res: http.ServerResponse): void {
    const chart = chartYaml(body);
    const file = path.join(root, team, "charts", `${chart.name}-${chart.version}.tgz`);
    if (fs.existsSync(file)) return send(res, 409, { error: "file already exists" });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body);
    send(res, 201, { saved: true });
}

function send(res: http.ServerResponse, status: number, body: object | string | Buffer): void {
    const isJson = !(typeof body === "string" || Buffer.isBuffer(body));
    res.writeHead(status, { "content-type": isJson ? "application/json" : "application/octet-stream" });
    res.end(isJson ? JSON.stringify(body) : body);
}

const TEAM = "[a-z0-9][a-z0-9-]*";

http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
        try {
            const url = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
            const decision = decide(req.method ?? "GET", url, req.headers.authorization);
            if (!decision.allowed) {
                if (decision.wwwAuthenticate) res.setHeader("www-authenticate", decision.wwwAuthenticate);
                return send(res, decision.status, {
                    error: decision.status === 401 ? "unauthorized" : "not found",
                });
            }
            const post = new RegExp(`^/api/(${TEAM})/charts$`).exec(url);
            const get = new RegExp(`^/(${TEAM})/(index\\.yaml|charts/[^/]+\\.tgz)$`).exec(url);
            if (req.method === "POST" && post) return upload(post[1], Buffer.concat(chunks), res);
            if (req.method === "GET" && get?.[2] === "index.yaml") return send(res, 200, index(get[1]));
            const file = get && path.join(root, get[1], get[2]);
            if (req.method === "GET" && file && fs.existsSync(file))
                return send(res, 200, fs.readFileSync(file));
            send(res, 404, { error: "not found" });
        } catch (e) {
            send(res, 500, { error: String(e) });
        }
    });
}).listen(Number(port), "127.0.0.1", () =>
    console.log(`chart repository on 127.0.0.1:${port}, root ${root}`),
);
