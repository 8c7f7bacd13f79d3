import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { type ChartRepositoryMode, teamRepositoryPrefix } from "../../src/charts";
import type { IdentitiesConfig } from "./config";
import type { TenantConfig } from "../tenants";
import { isGuid } from "../../src/config/validators";
import { serviceAccountFederation } from "../../src/federation";
import type { Names } from "../../src/naming";
import { CHART_READER_SERVICE_ACCOUNT } from "../../src/flux";
import { roleAssignmentArgs } from "../../src/roleAssignments";
import { GATEWAY_TLS_SERVICE_ACCOUNT } from "../../src/gateway";
import { BuiltInRole, repositoryPrefixCondition } from "../../src/roles";

/** One team's CI identity in an environment, as ids (the stack output the delivery stack reads). */
export interface CiIdentityIds {
    /** Microsoft Graph path of the application (`/applications/<objectId>`): where federated credentials go. */
    readonly applicationId: string;
    /** Client (application) id the pipelines sign in with. */
    readonly clientId: string;
    /** Object id of the service principal: what role assignments name. */
    readonly servicePrincipalObjectId: string;
}

/** One team's CI identity in an environment: what its Azure DevOps service connections federate to. */
export type CiIdentity = { readonly [K in keyof CiIdentityIds]: pulumi.Output<string> };

/** Azure AD display names and Azure names of the stack's identities, derived from `<project>-<stack>`. */
export interface IdentityNames {
    ciApplication(tenant: string): string;
    readonly adminGroup: string;
    teamGroup(tenant: string): string;
    /** The user-assigned identity Flux reads a team's OCI charts as (acr-oci). */
    fluxChartReader(tenant: string): string;
    /** The user-assigned identity the shared Gateway's listeners read their certificates as. */
    readonly gatewayTls: string;
}

export function identityNames(base: string): IdentityNames {
    return {
        ciApplication: (tenant) => `${base}-ci-${tenant}`,
        adminGroup: `${base}-platform-admins`,
        teamGroup: (tenant) => `${base}-team-${tenant}`,
        fluxChartReader: (tenant) => `id-${base}-flux-${tenant}`,
        gatewayTls: `id-${base}-gateway-tls`,
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
    /**
     * Object ids that own the applications and groups created here: the service principals of
     * `PlatformConfig.ownerObjectIds` (the CI deploy identity), never a user nor a previewer.
     */
    readonly owners: pulumi.Input<string[]>;
    /** Deterministic names of the stack (see `src/naming.ts`); display names derive from `names.base`. */
    readonly names: Names;
    /** Validated identities settings: platform admins, the optional CI password. */
    readonly config: IdentitiesConfig;
    /**
     * The teams; each gets an Azure AD group (members from `TenantConfig.members`) bound to its
     * namespace, and a CI application that may write its own registry repositories only.
     */
    readonly tenants: readonly TenantConfig[];
    /** Subscription of the cluster and registry, for built-in role definition ids. */
    readonly subscriptionId: pulumi.Input<string>;
    /** Resource group of the teams' Flux chart reader identities (the platform's). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Region of the teams' Flux chart reader identities (the platform's). */
    readonly location: pulumi.Input<string>;
    /** The AKS cluster: scope of the admin group and (per namespace) the team groups. */
    readonly clusterId: pulumi.Input<string>;
    /** The cluster's OIDC issuer; the teams' Flux chart reader identities trust tokens it signs. */
    readonly oidcIssuerUrl: pulumi.Input<string>;
    /** The container registry (ABAC mode): each team's CI writes, and its chart reader reads, `<team>/` only. */
    readonly registryId: pulumi.Input<string>;
    /**
     * Where charts live. `acr-oci` adds, per team, a user-assigned identity federated to the team's
     * chart reader ServiceAccount, reading only the team's `<team>/` repositories; `chartmuseum` needs none.
     */
    readonly chartRepositoryMode: ChartRepositoryMode;
    /**
     * The Key Vault of the Gateway listeners' certificates (`ingressKeyVaultId`): the gateway TLS
     * identity reads its secrets. None: no such identity.
     */
    readonly gatewayKeyVaultId?: string;
    /** Where the Gateway's TLS ServiceAccount is: its namespace (the federation's subject). */
    readonly gatewayNamespace: string;
    /** Tags put on the Azure resources (the teams' Flux chart reader identities). */
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * Who may do what: per team a CI application (its own registry repositories; in the first
 * environment also reading its own namespace, granted by the delivery stack) and an Azure AD group
 * bound to its namespace, a platform-admin group, and (acr-oci) per team the identity Flux reads the
 * team's OCI charts as.
 * No password exists unless `config.ciPassword` asks for one; Azure DevOps federates to `ciApplicationId`.
 */
export class Identities extends pulumi.ComponentResource {
    /** Each team's CI identity, by tenant name: what its Azure DevOps service connections federate to. */
    readonly ciIdentities: Record<string, CiIdentity>;
    /** Object id of each team's group, by tenant name. */
    readonly teamGroupObjectIds: Record<string, pulumi.Output<string>>;
    readonly adminGroupObjectId: pulumi.Output<string>;
    /** Client id of the identity Flux reads each team's OCI charts as, by tenant name (acr-oci; else empty). */
    readonly fluxChartReaderClientIds: Record<string, pulumi.Output<string>>;
    /**
     * Client id of the identity the shared Gateway's listeners sync their Key Vault certificates as
     * (federated with `gateway-tls` in the Gateway's namespace); empty without `gatewayKeyVaultId`.
     */
    readonly gatewayTlsClientId: pulumi.Output<string>;
    /** Each team's CI application password, by tenant (only when `config.ciPassword` is set); secret. */
    readonly ciPasswords?: Record<string, pulumi.Output<string>>;

    private readonly name: string;
    private readonly args: IdentitiesArgs;
    private readonly owners: pulumi.Output<string[]>;

    constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:identities:Identities", name, {}, opts);
        this.name = name;
        this.args = args;
        // Only the deploy service principals: a preview identity that owned an application could add a
        // credential to it, and a user owner would need User.Read.All on every run.
        this.owners = pulumi.output(args.owners);
        const display = identityNames(args.names.base);

        const ci = this.teamCi(display);
        this.ciIdentities = Object.fromEntries(Object.entries(ci).map(([team, c]) => [team, c.identity]));
        this.ciPasswords = this.passwords(ci);

        const admins = this.platformAdmins(display);
        this.teamGroupObjectIds = this.teams(display);
        this.fluxChartReaderClientIds =
            args.chartRepositoryMode === "acr-oci" ? this.fluxChartReaders(display) : {};
        this.gatewayTlsClientId = this.gatewayTls(display);

        this.adminGroupObjectId = admins.objectId;
        this.registerOutputs({
            ciIdentities: this.ciIdentities,
            teamGroupObjectIds: this.teamGroupObjectIds,
            adminGroupObjectId: this.adminGroupObjectId,
            fluxChartReaderClientIds: this.fluxChartReaderClientIds,
            gatewayTlsClientId: this.gatewayTlsClientId,
            ciPasswords: this.ciPasswords,
        });
    }

    /**
     * CI, one application per team: what `az ad sp create-for-rbac --role acrpush` did, without the
     * password and narrowed to the team's repositories (`<team>/`: its images and its OCI charts).
     */
    private teamCi(display: IdentityNames) {
        const ci: Record<string, ReturnType<Identities["application"]> & { identity: CiIdentity }> = {};
        for (const tenant of this.args.tenants) {
            const app = this.application(
                `${this.name}-ci-${tenant.name}`,
                display.ciApplication(tenant.name),
                `CI of team ${tenant.name}: push images and charts to the registry's ${tenant.name}/ repositories only.`,
            );
            this.assign(
                `ci-${tenant.name}-acr-writer`,
                "AcrRepositoryWriter",
                app.principal.objectId,
                "ServicePrincipal",
                this.args.registryId,
                repositoryPrefixCondition("AcrRepositoryWriter", teamRepositoryPrefix(tenant.name)),
            );
            // AzureCLI@2 runs `az account set --subscription` before any script, which fails for a
            // principal with data-plane roles only (azure-cli#28329, azure-pipelines-tasks#18757): a
            // control-plane role on the registry makes the subscription visible and lets `az acr`
            // find the registry through ARM, and this one reads no repository.
            this.assign(
                `ci-${tenant.name}-registry-configuration-reader`,
                "AcrConfigurationReader",
                app.principal.objectId,
                "ServicePrincipal",
                this.args.registryId,
            );
            const identity = {
                applicationId: app.application.id,
                clientId: app.application.clientId,
                servicePrincipalObjectId: app.principal.objectId,
            };
            ci[tenant.name] = { ...app, identity };
        }
        return ci;
    }

    /** The platform operators' group: cluster admin. */
    private platformAdmins(display: IdentityNames): azuread.Group {
        const admins = this.group(
            `${this.name}-admins`,
            display.adminGroup,
            "Platform operators: cluster admin.",
            this.args.config.platformAdmins,
        );
        this.assign(
            "admins-cluster-admin",
            "AksRbacClusterAdmin",
            admins.objectId,
            "Group",
            this.args.clusterId,
        );
        return admins;
    }

    /**
     * One built-in role for one principal on one resource, narrowed by an ABAC `condition` if given;
     * the assignment's name is deterministic.
     */
    private assign(
        suffix: string,
        role: BuiltInRole,
        principalId: pulumi.Input<string>,
        principalType: "ServicePrincipal" | "Group",
        scope: pulumi.Input<string>,
        condition?: string,
    ) {
        return new authorization.RoleAssignment(
            `${this.name}-${suffix}`,
            roleAssignmentArgs({
                subscriptionId: this.args.subscriptionId,
                role,
                principalId,
                principalType,
                scope,
                condition,
            }),
            { parent: this },
        );
    }

    /**
     * Only for pipelines that still log in with a user name and password (the workshop's
     * `registryPassword` variable, or a docker-registry connection of type "Others"); the Azure
     * Container Registry connection type federates. Rotated by changing the end date.
     */
    private passwords(
        ci: Record<string, { application: azuread.Application }>,
    ): Record<string, pulumi.Output<string>> | undefined {
        const { ciPassword } = this.args.config;
        if (!ciPassword) return undefined;
        const passwords: Record<string, pulumi.Output<string>> = {};
        for (const [team, { application }] of Object.entries(ci)) {
            const password = new azuread.ApplicationPassword(
                `${this.name}-ci-${team}-password`,
                {
                    applicationId: application.id,
                    displayName: "registryPassword (docker-registry service connection)",
                    endDate: ciPassword.endDate,
                },
                { parent: this }, // the provider SDK marks `value` a secret output; a test keeps it so
            );
            passwords[team] = pulumi.secret(password.value);
        }
        return passwords;
    }

    /** One group per team, bound to its own namespace by its accessRole. */
    private teams(display: IdentityNames): Record<string, pulumi.Output<string>> {
        const groups: Record<string, pulumi.Output<string>> = {};
        for (const tenant of this.args.tenants) {
            const team = this.group(
                `${this.name}-team-${tenant.name}`,
                display.teamGroup(tenant.name),
                `Team ${tenant.name}: ${tenant.accessRole} access to namespace ${tenant.name} only.`,
                tenant.members,
            );
            // Writer (edit) by default: the team cannot edit Roles, RoleBindings or quotas of its namespace.
            this.assign(
                `team-${tenant.name}-namespace-${tenant.accessRole}`,
                NAMESPACE_ROLES[tenant.accessRole],
                team.objectId,
                "Group",
                pulumi.output(this.args.clusterId).apply((id) => namespaceScope(id, tenant.name)),
            );
            // `az aks get-credentials` only: an Azure AD kubeconfig holds no credential (local accounts are
            // off), and this role grants nothing inside Kubernetes; the Writer binding above is all they get.
            this.assign(
                `team-${tenant.name}-cluster-user`,
                "AksClusterUser",
                team.objectId,
                "Group",
                this.args.clusterId,
            );
            groups[tenant.name] = team.objectId;
        }
        return groups;
    }

    /** acr-oci: each team's chart reader identity, by tenant name. */
    private fluxChartReaders(display: IdentityNames): Record<string, pulumi.Output<string>> {
        return Object.fromEntries(
            this.args.tenants.map((t) => [t.name, this.fluxChartReader(display, t.name)] as const),
        );
    }

    /**
     * A user-assigned identity federated to the chart reader ServiceAccount of the team's namespace,
     * reading only the team's own repositories (`<team>/`). Repository Reader, never AcrPull: the
     * registry's ABAC mode honours only the repository roles, and AcrPull would read every team's.
     */
    private fluxChartReader(display: IdentityNames, team: string): pulumi.Output<string> {
        const { args } = this;
        const identity = this.federatedIdentity(
            `flux-${team}`,
            display.fluxChartReader(team),
            team,
            CHART_READER_SERVICE_ACCOUNT,
        );
        this.assign(
            `flux-${team}-chart-reader`,
            "AcrRepositoryReader",
            identity.principalId,
            "ServicePrincipal",
            args.registryId,
            repositoryPrefixCondition("AcrRepositoryReader", teamRepositoryPrefix(team)),
        );
        return identity.clientId;
    }

    /**
     * The identity the app routing operator reads each Gateway listener's certificate as
     * (`kubernetes.azure.com/tls-cert-service-account`): federated with the ServiceAccount
     * `gateway-tls` of the Gateway's namespace, Key Vault Secrets User on the certificates' vault only.
     * No team can use it: the ServiceAccount lives in the platform's namespace.
     */
    private gatewayTls(display: IdentityNames): pulumi.Output<string> {
        const { args } = this;
        if (!args.gatewayKeyVaultId) return pulumi.output("");
        const identity = this.federatedIdentity(
            "gateway-tls",
            display.gatewayTls,
            args.gatewayNamespace,
            GATEWAY_TLS_SERVICE_ACCOUNT,
        );
        this.assign(
            "gateway-tls-keyvault",
            "KeyVaultSecretsUser",
            identity.principalId,
            "ServicePrincipal",
            args.gatewayKeyVaultId,
        );
        return identity.clientId;
    }

    /**
     * A user-assigned identity (`<component>-<suffix>`) trusted for the tokens of one Kubernetes
     * ServiceAccount (`<namespace>/<serviceAccount>`) through the cluster's OIDC issuer.
     */
    private federatedIdentity(
        suffix: string,
        resourceName: string,
        namespace: string,
        serviceAccount: string,
    ): managedidentity.UserAssignedIdentity {
        const { args } = this;
        const identity = new managedidentity.UserAssignedIdentity(
            `${this.name}-${suffix}`,
            {
                resourceName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: { ...args.tags },
            },
            { parent: this },
        );
        const federation = pulumi
            .output(args.oidcIssuerUrl)
            .apply((issuer) => serviceAccountFederation(issuer, namespace, serviceAccount));
        new managedidentity.FederatedIdentityCredential(
            `${this.name}-${suffix}-federation`,
            {
                federatedIdentityCredentialResourceName: `${namespace}-${serviceAccount}`,
                resourceName: identity.name,
                resourceGroupName: args.resourceGroupName,
                issuer: federation.issuer,
                subject: federation.subject,
                audiences: federation.audiences.apply((a) => [...a]),
            },
            { parent: this },
        );
        return identity;
    }

    /** A single-tenant application with its service principal, owned by the deploy service principals. */
    private application(name: string, displayName: string, description: string) {
        const owners = this.owners;
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
    private group(name: string, displayName: string, description: string, members: readonly string[]) {
        const owners = this.owners;
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
