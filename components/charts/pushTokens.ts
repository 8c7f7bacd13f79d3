// Each team's ChartMuseum push token: a JWT the platform signs with its own key, checked by ChartMuseum
// itself (`--bearer-auth`), so no proxy in front decides who may push where. Pure, so tests and the
// e2e sign exactly what the program signs.
import { createPrivateKey, sign } from "node:crypto";

/**
 * ChartMuseum's bearer-auth settings (chartmuseum/auth `authorization.go`, helm/chartmuseum
 * `pkg/chartmuseum/router/router.go`): ChartMuseum refuses to start without a realm and a service,
 * which it only echoes in `WWW-Authenticate`; no token server exists, the platform signs every token.
 */
export const CHARTMUSEUM_BEARER_AUTH = {
    realm: "gitops-platform",
    service: "chartmuseum",
    /** The access entry type ChartMuseum's default search path matches (`AccessEntryType`). */
    accessEntryType: "artifact-repository",
    /** The Secret holding the public key, mounted by the official chart (`bearerAuth.secret`). */
    publicKeySecret: "chartmuseum-push-public-key",
    /** The key in that Secret: the chart mounts it at `/var/keys` and sets `AUTH_CERT_PATH` to this file. */
    publicKeyFile: "public-key.pem",
} as const;

/** What a team's token lets it do on its own repository: upload (`push`) and read (`pull`). */
export const CHART_PUSH_ACTIONS = ["push", "pull"] as const;

/** The claims of a team's token: one access entry, on the team's repository (`/<team>`, DEPTH 1). */
export interface ChartPushClaims {
    readonly iss: string;
    readonly sub: string;
    readonly aud: string;
    readonly access: readonly { type: string; name: string; actions: readonly string[] }[];
}

/**
 * A team's claims. No `iat` and no `exp`: the token is a pure function of the key and the team, so a
 * second `up` signs the same bytes (RS256 is PKCS#1 v1.5, deterministic). Rotation replaces the key.
 */
export function chartPushClaims(team: string): ChartPushClaims {
    return {
        iss: CHARTMUSEUM_BEARER_AUTH.realm,
        sub: `ci-${team}`,
        aud: CHARTMUSEUM_BEARER_AUTH.service,
        access: [
            { type: CHARTMUSEUM_BEARER_AUTH.accessEntryType, name: team, actions: [...CHART_PUSH_ACTIONS] },
        ],
    };
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** The team's token: RS256 over the claims, with the platform's RSA private key (PEM, PKCS#1 or PKCS#8). */
export function signChartPushToken(privateKeyPem: string, team: string): string {
    const input = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(JSON.stringify(chartPushClaims(team)))}`;
    const signature = sign("sha256", Buffer.from(input), createPrivateKey(privateKeyPem));
    return `${input}.${base64url(signature)}`;
}
