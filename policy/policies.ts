// The platform's invariants as CrossGuard policies. Every check is a pure function of resource inputs
// (or of the stack's resources) returning the violations it found, so it is unit-tested without the
// engine (test/policy.test.ts); the policies below only adapt them to @pulumi/policy.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

type Props = Record<string, any>;

/** A resource as the checks see it: its type token and its inputs. */
export interface CheckedResource {
    readonly type: string;
    readonly props: Props;
    readonly urn?: string;
}

/** One violation, optionally pinned to a resource of the stack. */
export interface Violation {
    readonly message: string;
    readonly urn?: string;
}

export const TENANT_LABEL = "toolkit.fluxcd.io/tenant";
export const FLUX_SYSTEM_NAMESPACE = "flux-system";

export const TYPES = {
    cluster: "azure-native:containerservice:ManagedCluster",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    registry: "azure-native:containerregistry:Registry",
    storageAccount: "azure-native:storage:StorageAccount",
    blobContainer: "azure-native:storage:BlobContainer",
    namespace: "kubernetes:core/v1:Namespace",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    helmRelease: "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease",
    kustomization: "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
} as const;

/** AKS: no local (certificate) accounts, Kubernetes RBAC on, authorization through Azure RBAC. */
export function checkAksAuthentication(props: Props): string[] {
    const found: string[] = [];
    if (props.disableLocalAccounts !== true)
        found.push(
            "AKS clusters must set disableLocalAccounts: true (Azure AD only, no static admin credentials).",
        );
    if (props.enableRBAC === false)
        found.push("AKS clusters must keep Kubernetes RBAC enabled (enableRBAC).");
    if (props.aadProfile?.managed !== true || props.aadProfile?.enableAzureRBAC !== true) {
        found.push(
            "AKS clusters must use managed Azure AD with Azure RBAC for Kubernetes authorization (aadProfile.managed and aadProfile.enableAzureRBAC).",
        );
    }
    return found;
}

const BROAD_SCOPES: readonly [RegExp, string][] = [
    [/^\/?$/, "the tenant root"],
    [/^\/providers\/Microsoft\.Management\/managementGroups\/[^/]+\/?$/i, "a management group"],
    [/^\/subscriptions\/[^/]+\/?$/i, "a subscription"],
    [/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/?$/i, "a resource group"],
];

/** Role assignments are scoped to one resource (registry, cluster...), never a subscription or group. */
export function checkRoleAssignmentScope(props: Props): string[] {
    const scope = props.scope;
    if (typeof scope !== "string") return []; // unknown until the scoped resource exists; checked on `up`
    const broad = BROAD_SCOPES.find(([pattern]) => pattern.test(scope.trim()));
    return broad ? [`Role assignments must be scoped to a single resource, not ${broad[1]} (${scope}).`] : [];
}

/** ACR: the shared admin user (one password for everything) stays off. */
export function checkRegistryAdminUser(props: Props): string[] {
    return props.adminUserEnabled === true
        ? [
              "Container registries must keep the admin user disabled (adminUserEnabled: false); use Azure RBAC (AcrPull/AcrPush).",
          ]
        : [];
}

/** Storage: no anonymous blob access, at the account and on every container. */
export function checkStoragePublicAccess(type: string, props: Props): string[] {
    if (type === TYPES.storageAccount && props.allowBlobPublicAccess !== false) {
        return ["Storage accounts must set allowBlobPublicAccess: false."];
    }
    if (type === TYPES.blobContainer && props.publicAccess !== undefined && props.publicAccess !== "None") {
        return [`Blob containers must not allow anonymous access (publicAccess: ${props.publicAccess}).`];
    }
    return [];
}

const labelsOf = (props: Props): Record<string, string> => props.metadata?.labels ?? {};

/** Whether a Flux object belongs to a tenant: labelled as one, or living outside flux-system. */
export function isTenantObject(props: Props): boolean {
    if (labelsOf(props)[TENANT_LABEL]) return true;
    const namespace = props.metadata?.namespace;
    return typeof namespace === "string" && namespace !== FLUX_SYSTEM_NAMESPACE;
}

/** Tenant HelmReleases and Kustomizations impersonate the tenant's service account, never the controller's. */
export function checkFluxServiceAccount(props: Props): string[] {
    if (!isTenantObject(props)) return [];
    const account = props.spec?.serviceAccountName;
    if (typeof account === "string" && account.length > 0) return [];
    return [
        `${props.kind ?? "Flux object"} ${props.metadata?.namespace ?? "?"}/${props.metadata?.name ?? "?"} is a tenant object and must set spec.serviceAccountName ` +
            "(otherwise it reconciles with the controller's cluster-wide permissions).",
    ];
}

/** A NetworkPolicy that selects every pod of its namespace and allows no ingress. */
export function isDefaultDenyIngress(props: Props): boolean {
    const spec = props.spec ?? {};
    const selector = spec.podSelector ?? {};
    const selectsAll =
        Object.keys(selector.matchLabels ?? {}).length === 0 &&
        (selector.matchExpressions ?? []).length === 0;
    const types: string[] = spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
    return selectsAll && types.includes("Ingress") && (spec.ingress ?? []).length === 0;
}

/** Every tenant namespace (label toolkit.fluxcd.io/tenant) has a default-deny NetworkPolicy. */
export function checkTenantDefaultDeny(resources: readonly CheckedResource[]): Violation[] {
    const denied = new Set(
        resources
            .filter((r) => r.type === TYPES.networkPolicy && isDefaultDenyIngress(r.props))
            .map((r) => r.props.metadata?.namespace),
    );
    return resources
        .filter((r) => r.type === TYPES.namespace && labelsOf(r.props)[TENANT_LABEL])
        .filter((r) => typeof r.props.metadata?.name === "string" && !denied.has(r.props.metadata.name))
        .map((r) => ({
            message: `Tenant namespace ${r.props.metadata.name} has no default-deny NetworkPolicy (empty podSelector, policyTypes with Ingress, no ingress rules).`,
            urn: r.urn,
        }));
}

/** A resource policy applying `check` to resources of the given types. */
function resourcePolicy(
    name: string,
    description: string,
    types: readonly string[],
    check: (type: string, props: Props) => string[],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (!types.includes(args.type)) return;
            for (const message of check(args.type, args.props)) reportViolation(message);
        },
    };
}

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    resourcePolicy(
        "aks-azure-ad-only",
        "AKS local accounts are disabled and Kubernetes authorization goes through Azure RBAC.",
        [TYPES.cluster],
        (_type, props) => checkAksAuthentication(props),
    ),
    resourcePolicy(
        "role-assignments-resource-scoped",
        "Role assignments are never subscription-, resource-group- or management-group-wide.",
        [TYPES.roleAssignment],
        (_type, props) => checkRoleAssignmentScope(props),
    ),
    resourcePolicy(
        "acr-admin-user-disabled",
        "The container registry's admin user is disabled.",
        [TYPES.registry],
        (_type, props) => checkRegistryAdminUser(props),
    ),
    resourcePolicy(
        "storage-no-public-blob-access",
        "Storage accounts and blob containers allow no anonymous (public) blob access.",
        [TYPES.storageAccount, TYPES.blobContainer],
        checkStoragePublicAccess,
    ),
    resourcePolicy(
        "flux-tenant-service-account",
        "Every tenant HelmRelease and Kustomization sets spec.serviceAccountName.",
        [TYPES.helmRelease, TYPES.kustomization],
        (_type, props) => checkFluxServiceAccount(props),
    ),
    {
        name: "tenant-namespace-default-deny",
        description: "Every tenant namespace has a default-deny NetworkPolicy.",
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            const resources = args.resources.map((r: PolicyResource) => ({
                type: r.type,
                props: r.props,
                urn: r.urn,
            }));
            for (const v of checkTenantDefaultDeny(resources)) reportViolation(v.message, v.urn);
        },
    },
];
