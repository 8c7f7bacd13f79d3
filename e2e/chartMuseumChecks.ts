// ChartMuseum's own push check, played by the teams against the real ChartMuseum the e2e runs with the
// program's settings (e2e/servers/chartMuseum.ts), and the product tests' model of that check
// (test/support/chartMuseumAuth.ts) held to it request by request.
import * as assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { test } from "node:test";
import { CHARTMUSEUM_BEARER_AUTH, signChartPushToken } from "../components/charts/pushTokens";
import { chartMuseumAuthorize } from "../test/support/chartMuseumAuth";
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
function call(url: string, method: string, authorization?: string): Promise<Reply> {
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
        request.end(method === "POST" ? "not a chart: refused before it is read" : undefined);
    });
}

/** A token for `team` in the platform's format, signed by a key that is not the platform's. */
function forgedToken(team: string): string {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    return signChartPushToken(other.export({ type: "pkcs1", format: "pem" }).toString(), team);
}

/** What ChartMuseum did with a request before its handler: refused it, found no route, or let it through. */
function outcome(reply: Reply): "refused" | "no route" | "passed" {
    if (reply.status === 401) return "refused";
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

/** The attacks and the model check; `servers` is read when the tests run (after the e2e's `before`). */
export function chartMuseumTests(
    servers: () => DeliveryServers,
    t: { team: string; other: string; chart: { name: string; version: string } },
): void {
    const push = async (repo: string, authorization?: string, method = "POST", suffix = "") =>
        (await call(`${servers().chartRepositoryUrl}/api/${repo}/charts${suffix}`, method, authorization))
            .status;
    test("attack: the other team's token is refused on the team's repository", async () => {
        assert.equal(await push(t.team, `Bearer ${servers().tokens[t.other]}`), 401);
    });
    test("attack: deleting a team's chart is refused to every token, its own included (no delete route)", async () => {
        for (const who of [t.other, t.team])
            assert.equal(
                await push(
                    t.team,
                    `Bearer ${servers().tokens[who]}`,
                    "DELETE",
                    `/${t.chart.name}/${t.chart.version}`,
                ),
                404,
            );
    });
    test("attack: a token for the team signed by another key is refused", async () => {
        assert.equal(await push(t.team, `Bearer ${forgedToken(t.team)}`), 401);
    });
    test("attack: a push without a token is refused", async () => {
        assert.equal(await push(t.team), 401);
    });
    test("a read needs no token (Flux's HelmRepository reads anonymously)", async () => {
        const index = await call(`${servers().chartRepositoryUrl}/${t.team}/index.yaml`, "GET");
        assert.equal(index.status, 200);
        assert.match(index.body, new RegExp(`${t.chart.name}:`));
    });
    test("the product tests' model of the check refuses, and finds no route for, exactly what ChartMuseum does", async () => {
        const env = programChartMuseumEnv();
        const options = {
            publicKeyPem: fs.readFileSync(servers().chartPublicKeyPath, "utf8"),
            anonymousGet: env.AUTH_ANONYMOUS_GET === "true",
            disableDelete: env.DISABLE_DELETE === "true",
            realm: CHARTMUSEUM_BEARER_AUTH.realm,
            service: CHARTMUSEUM_BEARER_AUTH.service,
        };
        const tokens = {
            none: undefined,
            own: servers().tokens[t.team],
            other: servers().tokens[t.other],
            forged: forgedToken(t.team),
        };
        const disagreements: string[] = [];
        for (const [method, path] of requestsOn(t.team, t.other, t.chart)) {
            for (const [who, token] of Object.entries(tokens)) {
                const authorization = token && `Bearer ${token}`;
                const real = outcome(
                    await call(`${servers().chartRepositoryUrl}${path}`, method, authorization),
                );
                const decision = chartMuseumAuthorize(options, method, path, authorization);
                const model = decision.allowed ? "passed" : decision.status === 401 ? "refused" : "no route";
                if (real !== model)
                    disagreements.push(
                        `${method} ${path} (${who} token): ChartMuseum ${real}, model ${model}`,
                    );
            }
        }
        assert.deepEqual(disagreements, []);
    });
}
