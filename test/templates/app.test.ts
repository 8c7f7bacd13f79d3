// The kits' app: started in-process on a free local port, it answers its probes and its root, and
// stops; run as a process it exits cleanly on SIGTERM; both kits ship the same app, whose own tests
// (which the Dockerfile's test stage runs) pass.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HELM_KIT, KITS, KUSTOMIZE_KIT, read } from "../support/kits";

interface AppModule {
    start(port?: number, host?: string): Promise<Server>;
    stop(server: Server, timeoutMs?: number): Promise<void>;
}

const SERVER = join(HELM_KIT, "app", "server.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the kit's app is CommonJS JavaScript
const app = require(SERVER) as AppModule;

describe("the kits' app, in-process on port 0", () => {
    let server: Server;
    let base = "";
    before(async () => {
        server = await app.start(0, "127.0.0.1");
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => app.stop(server));

    it("listens on a free port when asked for port 0", () => {
        assert.ok((server.address() as AddressInfo).port > 0);
    });

    it("answers GET /healthz with 200", async () => {
        const res = await fetch(`${base}/healthz`);
        assert.equal(res.status, 200);
        await res.body?.cancel();
    });

    it("answers GET / with 200 and a body", async () => {
        const res = await fetch(`${base}/`);
        assert.equal(res.status, 200);
        assert.ok((await res.text()).length > 0);
    });

    it("answers HEAD /healthz with 200 and no body", async () => {
        const res = await fetch(`${base}/healthz`, { method: "HEAD" });
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "");
    });

    it("answers an unknown path with 404", async () => {
        const res = await fetch(`${base}/missing`);
        assert.equal(res.status, 404);
        await res.body?.cancel();
    });
});

describe("the kits' app, as the container runs it", () => {
    it("stops accepting connections and closes after stop()", async () => {
        const server = await app.start(0, "127.0.0.1");
        const { port } = server.address() as AddressInfo;
        await app.stop(server);
        assert.equal(server.listening, false);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    });

    it("listens on $PORT and exits with code 0 on SIGTERM", async () => {
        const child = spawn(process.execPath, [SERVER], {
            env: { ...process.env, PORT: "0" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        try {
            const [chunk] = await once(child.stdout, "data");
            const started = JSON.parse(String(chunk).split("\n")[0]);
            assert.equal(started.msg, "listening");
            assert.equal((await fetch(`http://127.0.0.1:${started.port}/healthz`)).status, 200);
            child.kill("SIGTERM");
            const [code, signal] = await once(child, "exit");
            assert.deepEqual({ code, signal }, { code: 0, signal: null });
        } finally {
            if (child.exitCode === null) child.kill("SIGKILL");
        }
    });

    it("uses no filesystem API, so it runs on a read-only root filesystem", () => {
        const source = read(SERVER);
        assert.doesNotMatch(source, /require\("node:fs"\)|require\("fs"\)|writeFile|mkdir|createWriteStream/);
    });
});

describe("the two kits' copies of the app", () => {
    for (const file of [
        "app/server.js",
        "app/server.test.js",
        "package.json",
        "Dockerfile",
        ".dockerignore",
        ".gitignore",
    ]) {
        it(`are byte-identical: ${file}`, () => {
            assert.equal(read(join(KUSTOMIZE_KIT, file)), read(join(HELM_KIT, file)));
        });
    }

    it("declare no dependency, so the image needs no npm install", () => {
        for (const kit of Object.values(KITS)) {
            const pkg = JSON.parse(read(join(kit, "package.json")));
            assert.equal(pkg.dependencies, undefined, kit);
            assert.equal(pkg.devDependencies, undefined, kit);
        }
    });
});

// The kit's own tests, which the Dockerfile's test stage runs (a failure there fails the team's first
// build): loaded into this run, so they count here too.
describe("the kit's own app tests (app/server.test.js)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the kit's own node:test file
    require(join(HELM_KIT, "app", "server.test.js"));
});
