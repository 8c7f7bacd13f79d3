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
