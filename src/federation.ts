import { isGuid } from "./config/validators";

/**
 * Workload identity federation: what a federated identity credential must say (issuer, subject,
 * audience) so that Azure AD trusts a token minted by someone else (Azure DevOps, the AKS OIDC
 * issuer) instead of a password. Pure, so the DevOps and identities steps share one definition.
 */

/** The audience every Azure AD federated credential takes. */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** The Azure DevOps first-party application id; Entra-issued Azure DevOps tokens name it in `sub`. */
export const AZURE_DEVOPS_APPLICATION_ID = "499b84ac-1321-427f-aa17-267ca6975798";

/** Issuer, subject and audiences of one federated identity credential. */
export interface FederatedCredentialSpec {
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
}

/** An Azure DevOps service connection as the legacy (Azure DevOps-issued) federation names it. */
export interface AzureDevOpsConnectionName {
    /** Organization name, as in https://dev.azure.com/<organization>. */
    readonly organization: string;
    /** Organization id (GUID), as shown by the service connection or the accounts API. */
    readonly organizationId: string;
    readonly project: string;
    readonly serviceConnection: string;
}

/**
 * Azure DevOps-issued federation: issuer `https://vstoken.dev.azure.com/<organizationId>`, subject
 * `sc://<organization>/<project>/<service connection name>`. Service connections created before
 * November 2025 use it; Microsoft retires this issuer on 2027-07-01 for single-tenant applications in
 * the public cloud, so prefer `azureDevOpsEntraFederation` (or the issuer and subject the service
 * endpoint reports) for new connections.
 */
export function azureDevOpsFederation(c: AzureDevOpsConnectionName): FederatedCredentialSpec {
    requireGuid("organizationId", c.organizationId);
    for (const [field, value] of [
        ["organization", c.organization],
        ["project", c.project],
        ["serviceConnection", c.serviceConnection],
    ] as const) {
        if (value.trim() === "" || value.includes("/")) {
            throw new Error(`Azure DevOps ${field} must be a non-empty name without '/', got ${JSON.stringify(value)}`);
        }
    }
    return {
        issuer: `https://vstoken.dev.azure.com/${c.organizationId.toLowerCase()}`,
        subject: `sc://${c.organization}/${c.project}/${c.serviceConnection}`,
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
    };
}

/** An Azure DevOps service connection as the Entra-issued federation names it: by ids. */
export interface AzureDevOpsConnectionIds {
    /** The Azure AD tenant of the application the connection signs in as. */
    readonly tenantId: string;
    readonly organizationId: string;
    /** The service connection's (service endpoint's) id. */
    readonly serviceConnectionId: string;
}

/**
 * Entra-issued federation, the default for Azure DevOps service connections since November 2025:
 * issuer `https://login.microsoftonline.com/<tenantId>/v2.0`, subject
 * `/eid1/c/pub/t/<tenant id, base64url>/a/<Azure DevOps app id, base64url>/sc/<organizationId>/<serviceConnectionId>`.
 */
export function azureDevOpsEntraFederation(c: AzureDevOpsConnectionIds): FederatedCredentialSpec {
    requireGuid("tenantId", c.tenantId);
    requireGuid("organizationId", c.organizationId);
    requireGuid("serviceConnectionId", c.serviceConnectionId);
    const tenant = guidToBase64Url(c.tenantId);
    const app = guidToBase64Url(AZURE_DEVOPS_APPLICATION_ID);
    return {
        issuer: `https://login.microsoftonline.com/${c.tenantId.toLowerCase()}/v2.0`,
        subject: `/eid1/c/pub/t/${tenant}/a/${app}/sc/${c.organizationId.toLowerCase()}/${c.serviceConnectionId.toLowerCase()}`,
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
    };
}

/**
 * A Kubernetes service account trusted through the cluster's OIDC issuer (AKS workload identity):
 * subject `system:serviceaccount:<namespace>:<serviceAccount>`.
 */
export function serviceAccountFederation(oidcIssuerUrl: string, namespace: string, serviceAccount: string): FederatedCredentialSpec {
    return {
        issuer: oidcIssuerUrl,
        subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
    };
}

/** A GUID as Entra writes it in `/eid1/` subjects: its 16 bytes (Microsoft GUID byte order), base64url. */
export function guidToBase64Url(guid: string): string {
    requireGuid("guid", guid);
    const hex = guid.replace(/-/g, "");
    const bytes = Buffer.from(hex, "hex");
    const mixedEndian = Buffer.concat([
        Buffer.from(bytes.subarray(0, 4)).reverse(),
        Buffer.from(bytes.subarray(4, 6)).reverse(),
        Buffer.from(bytes.subarray(6, 8)).reverse(),
        bytes.subarray(8),
    ]);
    return mixedEndian.toString("base64url");
}

function requireGuid(field: string, value: string): void {
    if (!isGuid(value)) throw new Error(`${field} must be a GUID, got ${JSON.stringify(value)}`);
}
