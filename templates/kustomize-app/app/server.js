// @ts-check
// The starter kit's app: a dependency-free web server on node:http.
//   GET /         200, a short text body naming the app and its version
//   GET /healthz  200 "ok" (the liveness and readiness probes)
// Listens on $PORT (default 8080) and stops gracefully on SIGTERM/SIGINT: it stops accepting
// connections, lets requests in flight finish, and exits 0 (Kubernetes sends SIGTERM, then waits
// terminationGracePeriodSeconds before SIGKILL). It writes nothing to disk, so it runs on a
// read-only root filesystem. Replace the handler with your app; keep /healthz and the shutdown.
"use strict";

const http = require("node:http");

const APP_NAME = process.env.APP_NAME || "my-app";
const APP_VERSION = process.env.APP_VERSION || "dev";
/** How long in-flight requests get after SIGTERM before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function handle(req, res) {
    const path = new URL(req.url || "/", "http://localhost").pathname;
    const reply = (/** @type {number} */ status, /** @type {string} */ body, headers = {}) => {
        res.writeHead(status, {
            "content-type": "text/plain; charset=utf-8",
            "cache-control": "no-store",
            ...headers,
        });
        res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD")
        return reply(405, "method not allowed\n", { allow: "GET, HEAD" });
    if (path === "/healthz") return reply(200, "ok\n");
    if (path === "/") return reply(200, `hello from ${APP_NAME} ${APP_VERSION}\n`);
    return reply(404, "not found\n");
}

/** The HTTP server, not yet listening. */
function createServer() {
    const server = http.createServer(handle);
    // Shorter than the usual idle timeouts of load balancers, so they never reuse a closed socket.
    server.keepAliveTimeout = 5_000;
    return server;
}

/**
 * Starts the server on `port` (0: any free port; read it back from `server.address()`).
 * @param {number} [port]
 * @param {string} [host]
 * @returns {Promise<http.Server>}
 */
function start(port = Number(process.env.PORT || 8080), host) {
    const server = createServer();
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve(server);
        });
    });
}

/**
 * Stops accepting connections, closes idle keep-alive sockets and resolves once in-flight requests
 * are done (or after `timeoutMs`, closing whatever is left).
 * @param {http.Server} server
 * @param {number} [timeoutMs]
 * @returns {Promise<void>}
 */
function stop(server, timeoutMs = SHUTDOWN_TIMEOUT_MS) {
    return new Promise((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        timer.unref();
        server.close(() => {
            clearTimeout(timer);
            resolve();
        });
        server.closeIdleConnections();
    });
}

/** @param {Record<string, unknown>} fields */
function log(fields) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), app: APP_NAME, ...fields })}\n`);
}

if (require.main === module) {
    start().then(
        (server) => {
            const address = server.address();
            log({ msg: "listening", port: typeof address === "object" && address ? address.port : address });
            let stopping = false;
            for (const signal of /** @type {const} */ (["SIGTERM", "SIGINT"])) {
                process.on(signal, () => {
                    if (stopping) return;
                    stopping = true;
                    log({ msg: "stopping", signal });
                    stop(server).then(() => {
                        log({ msg: "stopped" });
                        process.exit(0);
                    });
                });
            }
        },
        (error) => {
            log({ msg: "cannot listen", error: String(error) });
            process.exit(1);
        },
    );
}

module.exports = { createServer, start, stop, handle };
