// ChartMuseum's own checks, played by the teams against the real ChartMuseums the e2e runs with the
// program's settings (e2e/servers/chartMuseum.ts): the push instance CI reaches (every request needs
// the team's token) and the read instance Flux reads (no API at all); and the product tests' model of
// those checks (test/support/chartMuseumAuth.ts) held to each instance request by request.
import * as assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { test } from "node:test";
import { signChartPushToken } from "../components/charts/pushTokens";
import {
    ChartMuseumAuthOptions,
    chartMuseumAuthOptions,
    chartMuseumAuthorize,
} from "../test/support/chartMuseumAuth";
import { DeliveryServers } from "./delivery";
import { programChartMuseumEnv } from "./servers/chartMuseum";

interface Reply {
    readonly status: number;
    readonly body: string;
}

/**
 * One request, on a connection of its own (no pool): a pooled socket the server closes while the
 * sync kubectl waits of other tests block the event loop would fail the next push with "other side closed".
 */
function call(url: string, method: string, authorization?: string, body?: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const headers = authorization ? { authorization } : {};
        const request = http.request(url, { method, headers, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (c: Buffer) => chunks.push(c));
            response.on("end", () =>
                resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
            );
        });
        request.on("error", reject);
        request.end(body ?? (method === "POST" ? "not a chart: refused before it is read" : undefined));
    });
}

/** A token for `team` in the platform's format, signed by a key that is not the platform's. */
function forgedToken(team: string): string {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    return signChartPushToken(other.export({ type: "pkcs1", format: "pem" }).toString(), team);
}

/** What ChartMuseum did with a request before its handler: refused it, found no route, or let it through. */
function outcome(method: string, reply: Reply): "refused" | "no route" | "passed" {
    if (reply.status === 401) return "refused";
    // A HEAD answer has no body; the requests name what exists, so a 404 there is the router's.
    if (reply.status === 404 && method === "HEAD") return "no route";
    // The router's own 404 (rootHandler); a handler's 404 names what it did not find.
    if (reply.status === 404 && JSON.parse(reply.body || "{}").error === "not found") return "no route";
    return "passed";
}

/** The requests the model is held to: every route kind of DEPTH 1, on the team's and on another repository. */
function requestsOn(
    team: string,
    other: string,
    chart: { name: string; version: string },
): [string, string][] {
    const archive = `${chart.name}-${chart.version}.tgz`;
    return [
        ["GET", "/health"],
        ["GET", "/info"],
        ["GET", "/"],
        ["GET", `/${team}`],
        ["GET", `/${team}/index.yaml`],
        ["HEAD", `/${team}/index.yaml`],
        ["GET", `/${team}/charts/${archive}`],
        ["GET", `/api/${team}/charts`],
        ["GET", `/api/${team}/charts/${chart.name}`],
        ["HEAD", `/api/${team}/charts/${chart.name}`],
        ["GET", `/api/${team}/charts/${chart.name}/${chart.version}`],
        ["GET", `/api/${team}/charts/${chart.name}/${chart.version}/values`],
        ["POST", `/api/${team}/charts`],
        ["POST", `/api/${team}/prov`],
        ["POST", `/api/${other}/charts`],
        ["DELETE", `/api/${team}/charts/${chart.name}/${chart.version}`],
        ["PUT", `/api/${team}/charts`],
        ["POST", `/api/${team}/nested/charts`],
        ["GET", `/${team}/nested/index.yaml`],
    ];
}

/** A request to one instance: a path, a method, and the team whose token it carries (none: anonymous). */
type Send = (path: string, method?: string, token?: string) => Promise<Reply>;

/** The attacks and the model check; `servers` is read when the tests run (after the e2e's `before`). */
export function chartMuseumTests(
    servers: () => DeliveryServers,
    t: { team: string; other: string; chart: { name: string; version: string } },
): void {
    const bearer = (token?: string) => token && `Bearer ${token}`;
    const on =
        (url: () => string): Send =>
        (path, method = "GET", token) =>
            call(`${url()}${path}`, method, bearer(token));
    const push = on(() => servers().chartPushUrl);
    const read = on(() => servers().chartRepositoryUrl);
    const token = (team: string) => servers().tokens[team];
    const archive = `/${t.team}/charts/${t.chart.name}-${t.chart.version}.tgz`;
    const upload = `/api/${t.team}/charts`;
    pushInstanceTests(push, token, t, archive);
    test("attack: a published version is not overwritten with ?force, even by the team's own token (DISABLE_FORCE_OVERWRITE)", async () => {
        const file = path.join(servers().chartStorageDir, t.team, `${t.chart.name}-${t.chart.version}.tgz`);
        const url = `${servers().chartPushUrl}${upload}?force`;
        const reply = await call(url, "POST", `Bearer ${token(t.team)}`, fs.readFileSync(file));
        assert.equal(reply.status, 409, reply.body);
    });
    test("attack: an upload to the read instance finds no route, even with the team's own token (DISABLE_API)", async () => {
        for (const who of [undefined, t.team]) {
            const reply = await read(upload, "POST", who && token(who));
            assert.equal(outcome("POST", reply), "no route", `${reply.status} ${reply.body}`);
        }
    });
    test("the read instance serves Flux's reads without a token: the team's index and archive", async () => {
        const index = await read(`/${t.team}/index.yaml`);
        assert.equal(index.status, 200);
        assert.match(index.body, new RegExp(`${t.chart.name}:`));
        assert.equal((await read(archive)).status, 200);
    });
    test("the product tests' model of the check refuses, and finds no route for, exactly what each instance does", async () => {
        const publicKeyPem = fs.readFileSync(servers().chartPublicKeyPath, "utf8");
        const disagreements: string[] = [];
        for (const [role, send] of [
            ["push", push],
            ["read", read],
        ] as const) {
            const options = chartMuseumAuthOptions(programChartMuseumEnv(role), publicKeyPem);
            disagreements.push(...(await modelDisagreements(role, send, options, token, t)));
        }
        assert.deepEqual(disagreements, []);
    });
}

/** The push instance's own checks, played by the teams: every request needs the right token. */
function pushInstanceTests(
    push: Send,
    token: (team: string) => string,
    t: { team: string; other: string; chart: { name: string; version: string } },
    archive: string,
): void {
    const upload = `/api/${t.team}/charts`;
    test("attack: the other team's token is refused on the team's repository", async () => {
        assert.equal((await push(upload, "POST", token(t.other))).status, 401);
    });
    test("attack: deleting a team's chart is refused to every token, its own included (no delete route)", async () => {
        for (const who of [t.other, t.team])
            assert.equal(
                (await push(`${upload}/${t.chart.name}/${t.chart.version}`, "DELETE", token(who))).status,
                404,
            );
    });
    test("attack: a token for the team signed by another key is refused", async () => {
        assert.equal((await push(upload, "POST", forgedToken(t.team))).status, 401);
    });
    test("attack: a push without a token is refused", async () => {
        assert.equal((await push(upload, "POST")).status, 401);
    });
    test("attack: the team's archive and index are refused without a token on the push instance (what the Gateway exposes)", async () => {
        for (const path of [archive, `/${t.team}/index.yaml`])
            assert.equal((await push(path)).status, 401, path);
    });
    test("attack: the other team's token cannot read the team's archive; the team's own can (a re-run build, promotion)", async () => {
        assert.equal((await push(archive, "GET", token(t.other))).status, 401);
        assert.equal((await push(archive, "GET", token(t.team))).status, 200);
    });
}

/** Each request of `requestsOn`, with each kind of token, where `send`'s instance and the model differ. */
async function modelDisagreements(
    role: string,
    send: Send,
    options: ChartMuseumAuthOptions,
    token: (team: string) => string,
    t: { team: string; other: string; chart: { name: string; version: string } },
): Promise<string[]> {
    const tokens = {
        none: undefined,
        own: token(t.team),
        other: token(t.other),
        forged: forgedToken(t.team),
    };
    const disagreements: string[] = [];
    for (const [method, path] of requestsOn(t.team, t.other, t.chart)) {
        for (const [who, bearer] of Object.entries(tokens)) {
            const real = outcome(method, await send(path, method, bearer));
            const decision = chartMuseumAuthorize(options, method, path, bearer && `Bearer ${bearer}`);
            const model = decision.allowed ? "passed" : decision.status === 401 ? "refused" : "no route";
            if (real !== model)
                disagreements.push(
                    `${role}: ${method} ${path} (${who} token): ChartMuseum ${real}, model ${model}`,
                );
        }
    }
    return disagreements;
}
