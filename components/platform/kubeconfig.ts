import { parse, stringify } from "yaml";

/** The AKS AAD server application id that kubelogin requests tokens for (same in every tenant). */
export const AKS_AAD_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

export const KUBELOGIN_MODES = ["azurecli", "workloadidentity", "msi"] as const;
export type KubeloginMode = (typeof KUBELOGIN_MODES)[number];

interface ExecUser {
    name: string;
    user: { exec?: { args?: string[]; [k: string]: unknown }; [k: string]: unknown };
}

/**
 * Rewrites the exec plugin of an AKS user kubeconfig (`listManagedClusterUserCredentials`, format
 * exec) so kubelogin gets tokens non-interactively: what `kubelogin convert-kubeconfig -l <mode>` does.
 * The default device-code login would hang `pulumi up` in CI.
 */
export function kubeloginKubeconfig(kubeconfig: string, mode: KubeloginMode): string {
    const doc = parse(kubeconfig) as { users?: ExecUser[] };
    for (const entry of doc.users ?? []) {
        const exec = entry.user.exec;
        if (!exec) continue;
        exec.args = ["get-token", "--login", mode, "--server-id", AKS_AAD_SERVER_APP_ID];
    }
    return stringify(doc);
}

/** What kubelogin `get-token` ends up using: the flags of the kubeconfig, then its environment. */
export interface KubeloginLogin {
    readonly login: string;
    readonly clientId?: string;
    readonly tenantId?: string;
    /** For workloadidentity: GitHub's OIDC endpoint, asked for a fresh token per Azure AD token, or a token file. */
    readonly assertion?: "github-actions-oidc" | `file:${string}`;
}

/**
 * How kubelogin (0.0.34 or later, `pkg/internal/token/options.go` UpdateFromEnv and `provider.go`)
 * resolves its login: the environment overrides the kubeconfig's flags (`AAD_LOGIN_METHOD`,
 * `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`); in workloadidentity mode, when GitHub Actions exposes its OIDC
 * endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`, a job with `id-token: write`) kubelogin asks it for
 * every assertion, else it reads `AZURE_FEDERATED_TOKEN_FILE`. So one kubeconfig serves a laptop
 * (azurecli) and CI (workloadidentity, renewed for as long as the job runs).
 */
export function kubeloginLogin(
    args: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
): KubeloginLogin {
    const flag = (name: string) => {
        const at = args.indexOf(name);
        return at >= 0 ? args[at + 1] : undefined;
    };
    const login = env.AAD_LOGIN_METHOD ?? flag("--login") ?? "devicecode";
    const clientId = env.AZURE_CLIENT_ID ?? flag("--client-id");
    const tenantId = env.AZURE_TENANT_ID ?? flag("--tenant-id");
    if (login !== "workloadidentity") return { login, clientId, tenantId, assertion: undefined };
    const github = env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    const file = env.AZURE_FEDERATED_TOKEN_FILE;
    return {
        login,
        clientId,
        tenantId,
        assertion: github ? "github-actions-oidc" : file ? `file:${file}` : undefined,
    };
}
