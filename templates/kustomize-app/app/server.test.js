// @ts-check
// The app's own tests, run by the Dockerfile's test stage (`node --test`) and by `npm test`.
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const { once } = require("node:events");
const { join } = require("node:path");
const { after, before, describe, it } = require("node:test");
const { start, stop } = require("./server.js");

describe("server", () => {
    /** @type {import("node:http").Server} */
    let server;
    let base = "";
    before(async () => {
        server = await start(0, "127.0.0.1");
        const address = /** @type {import("node:net").AddressInfo} */ (server.address());
        base = `http://127.0.0.1:${address.port}`;
    });
    after(() => stop(server));

    it("answers GET /healthz with 200", async () => {
        const res = await fetch(`${base}/healthz`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "ok\n");
    });

    it("answers GET / with 200 and a body", async () => {
        const res = await fetch(`${base}/`);
        assert.equal(res.status, 200);
        assert.match(await res.text(), /^hello from /);
    });

    it("answers an unknown path with 404", async () => {
        assert.equal((await fetch(`${base}/nope`)).status, 404);
    });

    it("refuses other methods than GET and HEAD with 405", async () => {
        const res = await fetch(`${base}/`, { method: "POST" });
        assert.equal(res.status, 405);
        assert.equal(res.headers.get("allow"), "GET, HEAD");
    });
});

describe("process", () => {
    it("listens on $PORT and exits 0 on SIGTERM", async () => {
        const child = spawn(process.execPath, [join(__dirname, "server.js")], {
            env: { ...process.env, PORT: "0" },
            stdio: ["ignore", "pipe", "inherit"],
        });
        const [line] = await once(child.stdout, "data");
        const { msg, port } = JSON.parse(String(line).split("\n")[0]);
        assert.equal(msg, "listening");
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
        child.kill("SIGTERM");
        const [code] = await once(child, "exit");
        assert.equal(code, 0);
    });
});
