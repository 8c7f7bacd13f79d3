// The rights of the two GitHub Actions identities that run this program: what each may do in Azure,
// Microsoft Graph and Kubernetes, and what every data source the program reads requires. Declared
// once: the README's rights table is rendered from it (a test keeps them equal), the cluster
// grants are the program's own (Platform's CLUSTER_ACCESS), and tests check the registered graph
// against it. The Azure and Graph rights are granted once outside the stack: they are what runs it.
import { CLUSTER_ACCESS } from "../platform";
import { BuiltInRole } from "../../src/roles";

export type CiIdentity = "preview" | "deploy";

/** One right of one identity. */
export interface Right {
    readonly plane: "Azure" | "Microsoft Graph" | "Kubernetes" | "Azure DevOps";
    /** A built-in role, an API permission, or a custom role's actions. */
    readonly right: string;
    readonly scope: string;
    readonly why: string;
    /** Granted by this program (from the stack's deployerObjectIds / previewerObjectIds), not once by hand. */
    readonly byProgram?: boolean;
}

/** Display names of the cluster roles the program grants, as Azure names them. */
const ROLE_NAMES: Partial<Record<BuiltInRole, string>> = {
    AksClusterUser: "Azure Kubernetes Service Cluster User Role",
    AksRbacReader: "Azure Kubernetes Service RBAC Reader",
    AksRbacClusterAdmin: "Azure Kubernetes Service RBAC Cluster Admin",
};

const CLUSTER_WHY: Partial<Record<BuiltInRole, string>> = {
    AksClusterUser: "fetch the Azure AD kubeconfig (it holds no credential)",
    AksRbacReader: "read Kubernetes objects for the diff; no Secrets, no writes",
    AksRbacClusterAdmin: "create namespaces, Flux, tenants (local accounts are off)",
};

const clusterRights = (kind: keyof typeof CLUSTER_ACCESS): Right[] =>
    CLUSTER_ACCESS[kind].map((role) => ({
        plane: role === "AksClusterUser" ? "Azure" : "Kubernetes",
        right: ROLE_NAMES[role] ?? role,
        scope: "the stack's AKS cluster",
        why: CLUSTER_WHY[role] ?? "",
        byProgram: true,
    }));

/** The roles the program's own grants use for each identity kind, by the config list naming them. */
export const CI_IDENTITY_ACCESS: Readonly<Record<CiIdentity, keyof typeof CLUSTER_ACCESS>> = {
    preview: "previewer",
    deploy: "deployer",
};

export const CI_RIGHTS: Readonly<Record<CiIdentity, readonly Right[]>> = {
    preview: [
        {
            plane: "Azure",
            right: "Reader",
            scope: "the stack's resource group (after the first up)",
            why: "read resource metadata; no listKeys, no secret",
        },
        {
            plane: "Azure",
            right: "Key Vault Crypto User",
            scope: "the stack's Pulumi secrets key",
            why: "decrypt the stack's config and state (every preview does)",
        },
        ...clusterRights("previewer"),
        {
            plane: "Microsoft Graph",
            right: "User.Read.All (application)",
            scope: "the tenant",
            why: "only if tenants[].members or platformAdmins list UPNs (object ids need nothing)",
        },
    ],
    deploy: [
        {
            plane: "Azure",
            right: "Contributor",
            scope: "the subscription (or the stack's resource group once it exists)",
            why: "create and update the stack's resources",
        },
        {
            plane: "Azure",
            right: "Role Based Access Control Administrator, conditioned to the roles in src/roles.ts",
            scope: "the subscription, and the ingress Key Vault",
            why: "the program's role assignments (Container Registry Repository Reader/Writer and Configuration Reader, AKS roles, Key Vault Secrets User)",
        },
        {
            plane: "Azure",
            right: "custom: Microsoft.Authorization/locks/read, write, delete",
            scope: "the stack's resource group",
            why: "the CanNotDelete lock (resourceGroupLock)",
        },
        {
            plane: "Azure",
            right: "Key Vault Crypto User",
            scope: "the stack's Pulumi secrets key",
            why: "decrypt and encrypt the stack's config and state",
        },
        ...clusterRights("deployer"),
        {
            plane: "Microsoft Graph",
            right: "Application.ReadWrite.OwnedBy (application)",
            scope: "the tenant",
            why: "create the teams' CI applications and service principals, owned by the deploy identity alone (ownerObjectIds: service principals, never users), and manage them (federated credentials, password); their owners never change, which would need Application.ReadWrite.All",
        },
        {
            plane: "Microsoft Graph",
            right: "Group.Create (application)",
            scope: "the tenant",
            why: "create the team and platform-admin groups, owned by the deploy identity alone, and manage their members; engineers act through the platform-admin group, not as owners",
        },
        {
            plane: "Microsoft Graph",
            right: "User.Read.All (application)",
            scope: "the tenant",
            why: "only if tenants[].members or platformAdmins list UPNs (the owners are service principals: reading them needs nothing more)",
        },
        {
            plane: "Azure DevOps",
            right: "the scopes of devopsPersonalAccessToken (token table)",
            scope: "the organisation of devopsOrgUrl",
            why: "the delivery stack only: it decrypts the token from Pulumi.delivery.yaml and manages the project with it",
        },
    ],
};

/** What each data source the program reads needs; `secret`: the right reads a credential. */
export const INVOKE_RIGHTS: Readonly<Record<string, { readonly right: string; readonly secret: boolean }>> = {
    "azure-native:authorization:getClientConfig": { right: "none (who is signed in)", secret: false },
    "azure-native:containerservice:listManagedClusterUserCredentials": {
        right: "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action (AKS Cluster User); the Azure AD kubeconfig holds no credential",
        secret: false,
    },
    "azure-native:storage:listStorageAccountKeys": {
        right: "Microsoft.Storage/storageAccounts/listkeys/action: the account's keys",
        secret: true,
    },
    "azuread:index/getClientConfig:getClientConfig": { right: "none (who is signed in)", secret: false },
    "azuread:index/getUser:getUser": { right: "Microsoft Graph User.Read.All", secret: false },
    "github:index/getRepository:getRepository": { right: "githubToken: Metadata read", secret: false },
    "github:index/getRepositoryFile:getRepositoryFile": {
        right: "githubToken: Contents read",
        secret: false,
    },
    "azuredevops:index/getGroup:getGroup": { right: "devopsPersonalAccessToken: Graph read", secret: false },
};

/** Roles and permissions that write or own: none may appear among the preview identity's rights. */
export const WRITE_RIGHTS =
    /Owner|Contributor|Administrator|Admin\b|Cluster Admin|Writer|ReadWrite|\.Create|write|delete/;

/** The rights table of the README (First `pulumi up`), rendered from CI_RIGHTS. */
export function rightsTable(): string {
    const rows = (Object.entries(CI_RIGHTS) as [CiIdentity, readonly Right[]][]).flatMap(
        ([identity, rights]) =>
            rights.map(
                (r) =>
                    `| ${identity} | ${r.plane} | ${r.right} | ${r.scope} | ${r.why}${r.byProgram ? " (granted by the program)" : ""} |`,
            ),
    );
    return ["| Identity | Plane | Right | Scope | Why |", "| --- | --- | --- | --- | --- |", ...rows].join(
        "\n",
    );
}
