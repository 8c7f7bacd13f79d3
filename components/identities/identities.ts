import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { ChartRepositoryMode } from "../charts/source";
import type { IdentitiesConfig } from "./config";
import type { TenantConfig } from "../tenants/config";
import { isGuid } from "../../src/config/validators";
import { serviceAccountFederation } from "../../src/federation";
import type { Names } from "../../src/naming";
import { FLUX_NAMESPACE } from "../../src/namespaces";
import { roleAssignmentArgs } from "../../src/roleAssignments";
import { BuiltInRole } from "../../src/roles";

/** Namespace and service account of Flux's source-controller, the one that pulls charts from ACR. */
export const FLUX_SOURCE_CONTROLLER = {
    namespace: FLUX_NAMESPACE,
    serviceAccount: "source-controller",
} as const;

/** Azure AD display names and Azure names of the stack's identities, derived from `<project>-<stack>`. */
export interface IdentityNames {
    readonly ciApplication: string;
    readonly deployApplication: string;
    readonly adminGroup: string;
    readonly fluxSourceIdentity: string;
    teamGroup(tenant: string): string;
}

export function identityNames(base: string): IdentityNames {
    return {
        ciApplication: `${base}-ci`,
        deployApplication: `${base}-deploy`,
        adminGroup: `${base}-platform-admins`,
        fluxSourceIdentity: `id-${base}-flux-source`,
        teamGroup: (tenant) => `${base}-team-${tenant}`,
    };
}

/** The Azure RBAC scope of one namespace of an AKS cluster (Azure RBAC for Kubernetes authorization). */
export function namespaceScope(clusterId: string, namespace: string): string {
    return `${clusterId}/namespaces/${namespace}`;
}

/** Azure RBAC role that gives a team's group its `accessRole` on its namespace. */
export const NAMESPACE_ROLES: Record<TenantConfig["accessRole"], BuiltInRole> = {
    view: "AksRbacReader",
    edit: "AksRbacWriter",
    admin: "AksRbacAdmin",
};

export interface IdentitiesArgs {
    /** Object ids that own the applications and groups created here: the stack's deployers (Platform.deployerObjectIds). */
    readonly owners: pulumi.Input<string[]>;
    /** Deterministic names of the stack (see `src/naming.ts`); display names derive from `names.base`. */
    readonly names: Names;
    /** Validated identities settings: platform admins, the optional CI password. */
    readonly config: IdentitiesConfig;
    /** The teams; each gets an Azure AD group (members from `TenantConfig.members`) bound to its namespace. */
    readonly tenants: readonly TenantConfig[];
    /** Subscription of the cluster and registry, for built-in role definition ids. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Resource group of the Flux source identity (the platform's). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Region of the Flux source identity (the platform's). */
    readonly location: pulumi.Input<string>;
    /** The AKS cluster: scope of the deploy principal, the admin group and (per namespace) the team groups. */
    readonly clusterId: pulumi.Input<string>;
    /** The cluster's OIDC issuer; the Flux source identity trusts tokens it signs. */
    readonly oidcIssuerUrl: pulumi.Input<string>;
    /** The container registry: scope of CI (AcrPush) and of the Flux source identity (AcrPull). */
    readonly registryId: pulumi.Input<string>;
    /**
     * Where charts live. `acr-oci` adds a user-assigned identity federated to Flux's source-controller
     * with AcrPull on the registry; `chartmuseum` needs none.
     */
    readonly chartRepositoryMode: ChartRepositoryMode;
    /** Tags put on the Azure resources (the Flux source identity). */
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * Who may do what: CI and deploy applications with one role each on one resource, one Azure AD group
 * per team bound to its namespace, a platform-admin group, and workload identity for Flux on ACR.
 * No password exists unless `config.ciPassword` asks for one; Azure DevOps federates to `ciApplicationId`.
 */
export class Identities extends pulumi.ComponentResource {
    /** Resource id of the CI application (`/applications/<objectId>`): where federated credentials go. */
    readonly ciApplicationId: pulumi.Output<string>;
    /** Client (application) id the CI signs in with; also the registry login of the docker-registry variant. */
    readonly ciClientId: pulumi.Output<string>;
    readonly ciServicePrincipalObjectId: pulumi.Output<string>;
    readonly deployApplicationId: pulumi.Output<string>;
    readonly deployClientId: pulumi.Output<string>;
    readonly deployServicePrincipalObjectId: pulumi.Output<string>;
    /** Object id of each team's group, by tenant name. */
    readonly teamGroupObjectIds: Record<string, pulumi.Output<string>>;
    readonly adminGroupObjectId: pulumi.Output<string>;
    /** Client id of the identity Flux's source-controller uses to pull OCI charts (acr-oci only). */
    readonly fluxSourceIdentityClientId?: pulumi.Output<string>;
    /** The CI application's password (only when `config.ciPassword` is set); secret. */
    readonly ciPassword?: pulumi.Output<string>;

    constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:identities:Identities", name, {}, opts);
        const parent = { parent: this };
        const display = identityNames(args.names.base);
        const owners = pulumi.output(args.owners);
        type PrincipalType = "ServicePrincipal" | "Group";
        const assign = (
            suffix: string,
            role: BuiltInRole,
            principalId: pulumi.Input<string>,
            principalType: PrincipalType,
            scope: pulumi.Input<string>,
        ) =>
            new authorization.RoleAssignment(
                `${name}-${suffix}`,
                roleAssignmentArgs({
                    subscriptionId: args.subscriptionId,
                    role,
                    principalId,
                    principalType,
                    scope,
                }),
                parent,
            );

        // CI: what `az ad sp create-for-rbac --role acrpush --scopes $ACR_ID` did, without the password.
        const ci = this.application(
            `${name}-ci`,
            display.ciApplication,
            "CI pipelines: push images and charts to the registry.",
            owners,
        );
        assign("ci-acrpush", "AcrPush", ci.principal.objectId, "ServicePrincipal", args.registryId);

        // Deploy: `--role "Azure Kubernetes Service Cluster User Role" --scopes $AKS_ID`.
        const deploy = this.application(
            `${name}-deploy`,
            display.deployApplication,
            "Deployments: fetch the cluster's user kubeconfig.",
            owners,
        );
        assign(
            "deploy-cluster-user",
            "AksClusterUser",
            deploy.principal.objectId,
            "ServicePrincipal",
            args.clusterId,
        );

        if (args.config.ciPassword) {
            // Only for pipelines that still log in with a user name and password (the workshop's
            // `registryPassword` variable, or a docker-registry connection of type "Others"); the Azure
            // Container Registry connection type federates. Rotated by changing the end date.
            const password = new azuread.ApplicationPassword(
                `${name}-ci-password`,
                {
                    applicationId: ci.application.id,
                    displayName: "registryPassword (docker-registry service connection)",
                    endDate: args.config.ciPassword.endDate,
                },
                parent, // the provider SDK marks `value` a secret output; a test keeps it so
            );
            this.ciPassword = pulumi.secret(password.value);
        }

        const admins = this.group(
            `${name}-admins`,
            display.adminGroup,
            "Platform operators: cluster admin.",
            owners,
            args.config.platformAdmins,
        );
        assign("admins-cluster-admin", "AksRbacClusterAdmin", admins.objectId, "Group", args.clusterId);

        this.teamGroupObjectIds = {};
        for (const tenant of args.tenants) {
            const team = this.group(
                `${name}-team-${tenant.name}`,
                display.teamGroup(tenant.name),
                `Team ${tenant.name}: ${tenant.accessRole} access to namespace ${tenant.name} only.`,
                owners,
                tenant.members,
            );
            // Writer (edit) by default: the team cannot edit Roles, RoleBindings or quotas of its namespace.
            assign(
                `team-${tenant.name}-namespace-${tenant.accessRole}`,
                NAMESPACE_ROLES[tenant.accessRole],
                team.objectId,
                "Group",
                pulumi.output(args.clusterId).apply((id) => namespaceScope(id, tenant.name)),
            );
            // `az aks get-credentials` only: an Azure AD kubeconfig holds no credential (local accounts are
            // off), and this role grants nothing inside Kubernetes; the Writer binding above is all they get.
            assign(
                `team-${tenant.name}-cluster-user`,
                "AksClusterUser",
                team.objectId,
                "Group",
                args.clusterId,
            );
            this.teamGroupObjectIds[tenant.name] = team.objectId;
        }

        if (args.chartRepositoryMode === "acr-oci") {
            const identity = new managedidentity.UserAssignedIdentity(
                `${name}-flux-source`,
                {
                    resourceName: display.fluxSourceIdentity,
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    tags: { ...args.tags },
                },
                parent,
            );
            const { namespace, serviceAccount } = FLUX_SOURCE_CONTROLLER;
            const federation = pulumi
                .output(args.oidcIssuerUrl)
                .apply((issuer) => serviceAccountFederation(issuer, namespace, serviceAccount));
            new managedidentity.FederatedIdentityCredential(
                `${name}-flux-source-federation`,
                {
                    federatedIdentityCredentialResourceName: `${namespace}-${serviceAccount}`,
                    resourceName: identity.name,
                    resourceGroupName: args.resourceGroupName,
                    issuer: federation.issuer,
                    subject: federation.subject,
                    audiences: federation.audiences.apply((a) => [...a]),
                },
                parent,
            );
            assign(
                "flux-source-acrpull",
                "AcrPull",
                identity.principalId,
                "ServicePrincipal",
                args.registryId,
            );
            this.fluxSourceIdentityClientId = identity.clientId;
        }

        this.ciApplicationId = ci.application.id;
        this.ciClientId = ci.application.clientId;
        this.ciServicePrincipalObjectId = ci.principal.objectId;
        this.deployApplicationId = deploy.application.id;
        this.deployClientId = deploy.application.clientId;
        this.deployServicePrincipalObjectId = deploy.principal.objectId;
        this.adminGroupObjectId = admins.objectId;
        this.registerOutputs({
            ciApplicationId: this.ciApplicationId,
            ciClientId: this.ciClientId,
            ciServicePrincipalObjectId: this.ciServicePrincipalObjectId,
            deployApplicationId: this.deployApplicationId,
            deployClientId: this.deployClientId,
            deployServicePrincipalObjectId: this.deployServicePrincipalObjectId,
            teamGroupObjectIds: this.teamGroupObjectIds,
            adminGroupObjectId: this.adminGroupObjectId,
            fluxSourceIdentityClientId: this.fluxSourceIdentityClientId,
            ciPassword: this.ciPassword,
        });
    }

    /** A single-tenant application with its service principal, owned by whoever runs the program. */
    private application(
        name: string,
        displayName: string,
        description: string,
        owners: pulumi.Output<string[]>,
    ) {
        const application = new azuread.Application(
            name,
            { displayName, description, signInAudience: "AzureADMyOrg", owners },
            { parent: this },
        );
        const principal = new azuread.ServicePrincipal(
            `${name}-sp`,
            { clientId: application.clientId, description, owners, appRoleAssignmentRequired: false },
            { parent: this },
        );
        return { application, principal };
    }

    /**
     * A security group and one membership per member. Memberships are separate resources (not the
     * group's authoritative `members`), so people added in Entra by hand are not removed.
     */
    private group(
        name: string,
        displayName: string,
        description: string,
        owners: pulumi.Output<string[]>,
        members: readonly string[],
    ) {
        const group = new azuread.Group(
            name,
            { displayName, description, securityEnabled: true, mailEnabled: false, owners },
            { parent: this },
        );
        for (const member of new Set(members)) {
            const memberObjectId = isGuid(member)
                ? pulumi.output(member.toLowerCase())
                : azuread.getUserOutput({ userPrincipalName: member }, { parent: this }).objectId;
            new azuread.GroupMember(
                `${name}-member-${member.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
                { groupObjectId: group.objectId, memberObjectId },
                { parent: this },
            );
        }
        return group;
    }
}
