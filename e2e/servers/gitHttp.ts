// A git server over smart HTTP on 127.0.0.1 (Flux accepts http, https and ssh URLs only): git's own
// `git http-backend` CGI behind a tiny HTTP front. Every repository under the root is readable
// without credentials (as a GitRepository without secretRef reads it) and writable by the e2e.
//
//   node -r ./tools/offline/register.js e2e/servers/gitHttp.ts <root> <port>
import { execFileSync, spawn } from "node:child_process";
import * as path from "node:path";
import * as http from "node:http";

const [root, port] = process.argv.slice(2);
if (!root || !port) {
    console.error("usage: gitHttp.ts <root> <port>");
    process.exit(2);
}

/** git's own CGI, wherever this git keeps its helpers (`git --exec-path`). */
const BACKEND = path.join(
    execFileSync("git", ["--exec-path"], { encoding: "utf8" }).trim(),
    "git-http-backend",
);

http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const cgi = spawn(BACKEND, [], {
        env: {
            GIT_PROJECT_ROOT: root,
            GIT_HTTP_EXPORT_ALL: "1",
            // Pushes need an authenticated user in CGI terms; the e2e is the only writer.
            REMOTE_USER: "e2e",
            REQUEST_METHOD: req.method ?? "GET",
            PATH_INFO: decodeURIComponent(url.pathname),
            QUERY_STRING: url.search.replace(/^\?/, ""),
            CONTENT_TYPE: req.headers["content-type"] ?? "",
            HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
            GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        },
    });
    cgi.on("error", (e) => {
        res.writeHead(502);
        res.end(`git-http-backend: ${e.message}`);
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
        if (headersSent) return void res.write(chunk);
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        let status = 200;
        for (const line of head.subarray(0, end).toString("utf8").split("\r\n")) {
            const [name, ...rest] = line.split(":");
            const value = rest.join(":").trim();
            if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
            else res.setHeader(name, value);
        }
        res.writeHead(status);
        headersSent = true;
        res.write(head.subarray(end + 4));
    });
    cgi.on("close", () => res.end());
    cgi.stderr.on("data", (d) => process.stderr.write(d));
}).listen(Number(port), "127.0.0.1", () => console.log(`git over http on 127.0.0.1:${port}, root ${root}`));
