// ChartMuseum's bearer-auth check, as ChartMuseum v0.16.3 (the one the e2e builds and runs) does it,
// for the product tests that play attacks on mocks. `npm run e2e` holds it to the real ChartMuseum: the
// same requests, with each kind of token, must be refused (401) or unrouted (404) by both alike.
// - which route needs which action: helm/chartmuseum pkg/chartmuseum/server/multitenant/routes.go
//   (reads `pull`; POST /api/:repo/charts, POST /api/:repo/prov and, unless DISABLE_DELETE,
//   DELETE /api/:repo/charts/:name/:version `push`; /health none; with DISABLE_API no /api route at
//   all), with `:repo` the first path segment at DEPTH 1 (pkg/chartmuseum/router/match.go: `GET /<repo>`
//   and `GET /<repo>/` are the welcome page, `pull` on that repository, `GET /info` included);
// - the check itself: pkg/chartmuseum/router/router.go `rootHandler` (no check at all without
//   BEARER_AUTH or basic auth; 401 with WWW-Authenticate when refused), chartmuseum/auth v0.5.0
//   authorization.go `Authorize` (anonymous actions first: with AUTH_ANONYMOUS_GET that is `pull`;
//   then `authorizeBearerAuth`: the token after "bearer " (any case) must verify against the public
//   key, and the JMESPath access[?name=='<repo>' && type=='artifact-repository'].actions[] must
//   contain the action);
// - the verification: token.go `DecodeToken` is golang-jwt v3.2 `jwt.Parse` with the RSA public key
//   as the key, so only RS256/384/512 and PS256/384/512 verify (HMAC and `none` get a key-type
//   error), and MapClaims.Valid checks `exp`, `iat` and `nbf` only when present: no `exp` is required,
//   and `iss`/`aud` are not checked.
// The model evaluates that one JMESPath filter directly; it differs from go-jmespath only for a
// repository name holding a quote, which no team name can (and no path Flux reads names).
import { createPublicKey, verify, constants, type KeyObject } from "node:crypto";

export type ChartMuseumAction = "pull" | "push";

export interface ChartMuseumAuthOptions {
    /** BEARER_AUTH: without it (and without basic auth, which the platform never sets) nothing is checked. */
    readonly bearerAuth: boolean;
    /** The PEM ChartMuseum reads from AUTH_CERT_PATH (a PKIX public key or a certificate); needed with bearerAuth. */
    readonly publicKeyPem?: string;
    readonly anonymousGet: boolean;
    readonly disableDelete: boolean;
    /** DISABLE_API: no `/api/...` route at all. */
    readonly disableApi: boolean;
    readonly realm: string;
    readonly service: string;
    readonly accessEntryType?: string;
    /** Seconds since the epoch; defaults to now. */
    readonly now?: number;
}

/** What ChartMuseum answers before its handler runs: go on, or the status it stops with. */
export type Decision =
    | { readonly allowed: true; readonly repo: string; readonly action: ChartMuseumAction | "" }
    | { readonly allowed: false; readonly status: 401 | 404; readonly wwwAuthenticate?: string };

const TEAM_SEGMENT = "[^/]+";

/** The options a ChartMuseum started with `env` (the container's settings; absent means off) is modelled with. */
export function chartMuseumAuthOptions(
    env: Readonly<Record<string, unknown>>,
    publicKeyPem?: string,
): ChartMuseumAuthOptions {
    const on = (name: string) => String(env[name]) === "true";
    return {
        bearerAuth: on("BEARER_AUTH"),
        publicKeyPem,
        anonymousGet: on("AUTH_ANONYMOUS_GET"),
        disableDelete: on("DISABLE_DELETE"),
        disableApi: on("DISABLE_API"),
        realm: String(env.AUTH_REALM ?? ""),
        service: String(env.AUTH_SERVICE ?? ""),
    };
}

/** The route (routes.go, DEPTH 1) a request matches: its action and repository, or none (404). */
export function chartMuseumRoute(
    method: string,
    path: string,
    off: { disableDelete: boolean; disableApi: boolean },
): { action: ChartMuseumAction | ""; repo: string } | undefined {
    // match.go answers /health before anything else; `GET /info` at DEPTH 1 is the welcome page of a
    // repository named "info" (`GET /:repo/` comes first), so it needs `pull` like any repository read.
    if (method === "GET" && path === "/health") return { action: "", repo: "" };
    if (method === "GET" && path === "/") return { action: "pull", repo: "" };
    type Route = [string, string, ChartMuseumAction];
    const repository: Route[] = [
        ["GET", `/(${TEAM_SEGMENT})/?`, "pull"],
        ["GET", `/(${TEAM_SEGMENT})/index\\.yaml`, "pull"],
        ["HEAD", `/(${TEAM_SEGMENT})/index\\.yaml`, "pull"],
        ["GET", `/(${TEAM_SEGMENT})/charts/[^/]+`, "pull"],
    ];
    const api: Route[] = [
        ["GET", `/api/(${TEAM_SEGMENT})/charts(?:/[^/]+(?:/[^/]+(?:/(?:templates|values))?)?)?`, "pull"],
        ["HEAD", `/api/(${TEAM_SEGMENT})/charts/[^/]+(?:/[^/]+)?`, "pull"],
        ["POST", `/api/(${TEAM_SEGMENT})/charts`, "push"],
        ["POST", `/api/(${TEAM_SEGMENT})/prov`, "push"],
        ...(off.disableDelete
            ? []
            : [["DELETE", `/api/(${TEAM_SEGMENT})/charts/[^/]+/[^/]+`, "push"] as Route]),
    ];
    // routes.go adds the /api routes only when the API is enabled.
    const routes = off.disableApi ? repository : [...repository, ...api];
    for (const [m, pattern, action] of routes) {
        const match = new RegExp(`^${pattern}$`).exec(path);
        if (m === method && match) return { action, repo: match[1] };
    }
    return undefined;
}

const RSA_ALGORITHMS: Record<string, { hash: string; pss: boolean }> = {
    RS256: { hash: "sha256", pss: false },
    RS384: { hash: "sha384", pss: false },
    RS512: { hash: "sha512", pss: false },
    PS256: { hash: "sha256", pss: true },
    PS384: { hash: "sha384", pss: true },
    PS512: { hash: "sha512", pss: true },
};

/** golang-jwt v3 `jwt.Parse` with an RSA public key: the claims, or undefined when it fails. */
export function decodeToken(token: string, key: KeyObject, now: number): Record<string, unknown> | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    try {
        const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
        const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
        const algorithm = RSA_ALGORITHMS[header.alg];
        if (!algorithm || typeof claims !== "object" || claims === null) return undefined;
        const signed = verify(
            algorithm.hash,
            Buffer.from(`${parts[0]}.${parts[1]}`),
            algorithm.pss
                ? {
                      key,
                      padding: constants.RSA_PKCS1_PSS_PADDING,
                      saltLength: constants.RSA_PSS_SALTLEN_AUTO,
                  }
                : key,
            Buffer.from(parts[2], "base64url"),
        );
        if (!signed) return undefined;
        // MapClaims.Valid: each time claim optional, but a present one must be a number and hold.
        const holds = (name: string, ok: (t: number) => boolean) =>
            claims[name] === undefined || (typeof claims[name] === "number" && ok(claims[name]));
        const valid =
            holds("exp", (t) => now < t) && holds("iat", (t) => now >= t) && holds("nbf", (t) => now >= t);
        return valid ? claims : undefined;
    } catch {
        return undefined;
    }
}

/** `access[?name=='<repo>' && type=='<type>'].actions[]`, on the decoded claims. */
function allowedActions(claims: Record<string, unknown>, repo: string, type: string): unknown[] {
    const access = Array.isArray(claims.access) ? claims.access : [];
    return access
        .filter((e) => e && typeof e === "object" && e.name === repo && e.type === type)
        .flatMap((e) => (Array.isArray(e.actions) ? e.actions : e.actions == null ? [] : [e.actions]));
}

/** ChartMuseum's answer to one request before its handler: router.go `rootHandler` + auth `Authorize`. */
export function chartMuseumAuthorize(
    options: ChartMuseumAuthOptions,
    method: string,
    path: string,
    authorization: string | undefined,
): Decision {
    const route = chartMuseumRoute(method, path, options);
    if (!route) return { allowed: false, status: 404 };
    const repo = route.repo || "repo";
    if (route.action === "" || !options.bearerAuth) return { allowed: true, repo, action: route.action };
    if (options.anonymousGet && route.action === "pull") return { allowed: true, repo, action: "pull" };
    const type = options.accessEntryType ?? "artifact-repository";
    const token = (authorization ?? "").replace(/bearer (.*)/i, "$1");
    const claims = decodeToken(
        token,
        createPublicKey(options.publicKeyPem ?? ""),
        options.now ?? Math.floor(Date.now() / 1000),
    );
    if (claims && allowedActions(claims, repo, type).some((a) => String(a) === route.action)) {
        return { allowed: true, repo, action: route.action };
    }
    return {
        allowed: false,
        status: 401,
        wwwAuthenticate: `Bearer realm="${options.realm}",service="${options.service}",scope="${type}:${repo}:${route.action}"`,
    };
}
