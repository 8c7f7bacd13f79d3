/**
 * Workload identity federation: what a federated identity credential must say (issuer, subject,
 * audience) so that Azure AD trusts a token minted by someone else (here the AKS OIDC issuer)
 * instead of a password. Azure DevOps connections report their own issuer and subject, which the
 * DevOps step uses as they are.
 */

/** The audience every Azure AD federated credential takes. */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/**
 * The ServiceAccount annotations naming the Azure identity a Kubernetes service account stands for
 * (AKS workload identity). Flux reads both for object-level workload identity.
 */
export const WORKLOAD_IDENTITY_ANNOTATIONS = {
    clientId: "azure.workload.identity/client-id",
    tenantId: "azure.workload.identity/tenant-id",
} as const;

/** Issuer, subject and audiences of one federated identity credential. */
export interface FederatedCredentialSpec {
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
}

/**
 * A Kubernetes service account trusted through the cluster's OIDC issuer (AKS workload identity):
 * subject `system:serviceaccount:<namespace>:<serviceAccount>`.
 */
export function serviceAccountFederation(
    oidcIssuerUrl: string,
    namespace: string,
    serviceAccount: string,
): FederatedCredentialSpec {
    return {
        issuer: oidcIssuerUrl,
        subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
    };
}
