// The Kubernetes objects every team has (its delivery's Flux objects are in delivery/), as plain manifests. Pure functions of the validated
// tenant config (plus the chart source URL, which may still be an unresolved Output): the Tenant
// component only hands them to the Kubernetes provider, and the unit tests validate them against the
// real schemas.
import type * as pulumi from "@pulumi/pulumi";
import { WORKLOAD_IDENTITY_ANNOTATIONS } from "../../src/federation";
import { CHART_READER_SERVICE_ACCOUNT, FluxMetadata } from "../../src/flux";
import { times } from "../../src/quantity";
import type { TenantConfig } from "./config";

/** The ServiceAccount Flux impersonates to apply a team's objects (flux2-multi-tenancy's model). */
export const RECONCILER_SERVICE_ACCOUNT = "flux-reconciler";
/** Flux's label for objects of a tenant. */
export const TENANT_LABEL = "toolkit.fluxcd.io/tenant";

function labels(t: TenantConfig): Record<string, string> {
    return { [TENANT_LABEL]: t.name, "app.kubernetes.io/managed-by": "pulumi" };
}

/** Metadata of an object in the team's namespace, with the tenant label. */
export function tenantMetadata(
    t: TenantConfig,
    name: string,
): FluxMetadata & { readonly labels: Record<string, string> } {
    return { name, namespace: t.name, labels: labels(t) };
}

/** The team's namespace: tenant label and Pod Security Admission at the team's level (never privileged). */
export function namespaceManifest(t: TenantConfig) {
    const psa = Object.fromEntries(
        ["enforce", "audit", "warn"].flatMap((mode) => [
            [`pod-security.kubernetes.io/${mode}`, t.podSecurity],
            [`pod-security.kubernetes.io/${mode}-version`, "latest"],
        ]),
    );
    return {
        apiVersion: "v1" as const,
        kind: "Namespace" as const,
        metadata: { name: t.name, labels: { ...labels(t), ...psa } },
    };
}

/**
 * No token is mounted into pods by default: the reconciler is impersonated by Flux, never run as a
 * pod (the admission policy refuses pods that name it, see admissionPolicies.ts).
 */
export function reconcilerServiceAccount(t: TenantConfig) {
    return {
        apiVersion: "v1" as const,
        kind: "ServiceAccount" as const,
        metadata: tenantMetadata(t, RECONCILER_SERVICE_ACCOUNT),
        automountServiceAccountToken: false,
    };
}

/** The Azure identity a team's chart reader stands for: the team's own, and its Azure AD tenant. */
export interface ChartReaderIdentity {
    /** Client id of the team's user-assigned identity (Identities.fluxChartReaderClientIds). */
    readonly clientId: pulumi.Input<string>;
    /** The Azure AD tenant of that identity. */
    readonly tenantId: pulumi.Input<string>;
}

/**
 * acr-oci: the ServiceAccount source-controller reads the team's OCIRepositories as, annotated with the
 * team's identity (Flux reads client and tenant id from it; the controller has no identity of its own).
 * Platform-owned, so no one in the namespace can re-point it; no pod needs its token.
 */
export function chartReaderServiceAccount(t: TenantConfig, identity: ChartReaderIdentity) {
    return {
        apiVersion: "v1" as const,
        kind: "ServiceAccount" as const,
        metadata: {
            ...tenantMetadata(t, CHART_READER_SERVICE_ACCOUNT),
            annotations: {
                [WORKLOAD_IDENTITY_ANNOTATIONS.clientId]: identity.clientId,
                [WORKLOAD_IDENTITY_ANNOTATIONS.tenantId]: identity.tenantId,
            },
        },
        automountServiceAccountToken: false,
    };
}

/** What Flux may manage in a team's namespace on the team's behalf: its workloads and delivery only. */
const MANAGE = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const READ = ["get", "list", "watch"];

/**
 * The reconciler's rights, resource by resource (no wildcard, so a new API never widens them). Left
 * out on purpose: NetworkPolicies, Roles, RoleBindings, ResourceQuotas and LimitRanges (the
 * guardrails), DaemonSets (one pod per node is the platform's), pods/exec, pods/attach,
 * pods/portforward and serviceaccounts/token (nothing Flux does), and notification objects (the
 * platform's alerts). ServiceAccounts are managed because charts create their own; a pod running as
 * one gets only what a RoleBinding grants it, and the reconciler can create no RoleBinding.
 */
export const RECONCILER_RULES = [
    {
        apiGroups: [""],
        resources: ["pods", "services", "configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims"],
        verbs: MANAGE,
    },
    { apiGroups: [""], resources: ["pods/log", "events", "endpoints"], verbs: READ },
    { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets"], verbs: MANAGE },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: MANAGE },
    // Routes only: Gateways, ReferenceGrants and the other route kinds are the platform's (`tenant-gateway-objects`).
    { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: MANAGE },
    // Ingresses only to remove them: a release or Kustomization that drops its Ingress for an HTTPRoute
    // must prune it (writes are refused by `tenant-ingresses`).
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: [...READ, "delete"] },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: MANAGE },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: MANAGE },
    // A kustomize team's repository may hold its own HelmReleases and their sources (flux2-multi-tenancy).
    { apiGroups: ["helm.toolkit.fluxcd.io"], resources: ["helmreleases"], verbs: MANAGE },
    {
        apiGroups: ["source.toolkit.fluxcd.io"],
        resources: ["gitrepositories", "helmrepositories", "ocirepositories"],
        verbs: MANAGE,
    },
    { apiGroups: ["kustomize.toolkit.fluxcd.io"], resources: ["kustomizations"], verbs: MANAGE },
] as const;

/** The reconciler's Role: `RECONCILER_RULES`, in the team's namespace only. */
export function reconcilerRole(t: TenantConfig) {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "Role" as const,
        metadata: tenantMetadata(t, RECONCILER_SERVICE_ACCOUNT),
        rules: RECONCILER_RULES.map((rule) => ({
            apiGroups: [...rule.apiGroups],
            resources: [...rule.resources],
            verbs: [...rule.verbs],
        })),
    };
}

/** Binds the reconciler's Role (never a ClusterRole, never cluster-wide) to its ServiceAccount. */
export function reconcilerRoleBinding(t: TenantConfig) {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "RoleBinding" as const,
        metadata: tenantMetadata(t, RECONCILER_SERVICE_ACCOUNT),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: RECONCILER_SERVICE_ACCOUNT },
        subjects: [{ kind: "ServiceAccount", name: RECONCILER_SERVICE_ACCOUNT, namespace: t.name }],
    };
}

/** The Kubernetes group of a team's members on a cluster stack (AKS names them by Azure AD group instead). */
export function clusterTeamGroup(t: Pick<TenantConfig, "name">): string {
    return `gitops:team:${t.name}`;
}

/**
 * On a cluster stack, what AKS grants a team's Azure AD group through Azure RBAC (Writer or Reader on
 * the namespace): its `accessRole` ClusterRole in this namespace only, bound to the team's group.
 */
export function membersRoleBinding(t: TenantConfig) {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "RoleBinding" as const,
        metadata: tenantMetadata(t, "team-members"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: t.accessRole },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: clusterTeamGroup(t) }],
    };
}

/**
 * What a team's pipeline verifies a rollout as (its staging CI identity, by Azure AD object id):
 * `view` in this namespace only, which the flux2 chart's `flux-view` aggregates HelmRelease and
 * Kustomization reads into. Azure RBAC's built-in readers cannot grant custom resources without
 * granting every read (Secrets included), so this one binding is Kubernetes RBAC.
 */
export function verifierRoleBinding(t: TenantConfig, objectId: pulumi.Input<string>) {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "RoleBinding" as const,
        metadata: tenantMetadata(t, "pipeline-verifier-view"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        // AKS names an Azure AD service principal by its object id.
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: objectId }],
    };
}

/**
 * Caps what the team may consume. Requests are capped at the configured figures (the team's share of
 * the nodes); limits at `pods` times the default limits, so the pod cap is reachable by pods that
 * declare nothing and no container can burst past what the LimitRange would give the whole pod quota.
 * Ephemeral storage, claims and their storage are capped too. No NodePort Services, and LoadBalancer
 * Services only as many as the team file allows: traffic enters through the platform's Gateway.
 */
export function resourceQuota(t: TenantConfig) {
    const { quota, limits } = t;
    return {
        apiVersion: "v1" as const,
        kind: "ResourceQuota" as const,
        metadata: tenantMetadata(t, "team-quota"),
        spec: {
            hard: {
                "requests.cpu": quota.cpu,
                "limits.cpu": times(limits.defaultCpu, quota.pods),
                "requests.memory": quota.memory,
                "limits.memory": times(limits.defaultMemory, quota.pods),
                "requests.ephemeral-storage": quota.ephemeralStorage,
                "limits.ephemeral-storage": times(limits.defaultEphemeralStorage, quota.pods),
                "requests.storage": quota.storage,
                persistentvolumeclaims: String(quota.persistentVolumeClaims),
                pods: String(quota.pods),
                "services.loadbalancers": String(t.loadBalancers),
                // A LoadBalancer Service allocates node ports too; NodePort Services stay refused at admission.
                ...(t.loadBalancers === 0 ? { "services.nodeports": "0" } : {}),
            },
        },
    };
}

/** Default requests and limits for containers that declare none (the quota requires both). */
export function limitRange(t: TenantConfig) {
    const { limits } = t;
    return {
        apiVersion: "v1" as const,
        kind: "LimitRange" as const,
        metadata: tenantMetadata(t, "team-limits"),
        spec: {
            limits: [
                {
                    type: "Container",
                    default: {
                        cpu: limits.defaultCpu,
                        memory: limits.defaultMemory,
                        "ephemeral-storage": limits.defaultEphemeralStorage,
                    },
                    defaultRequest: {
                        cpu: limits.defaultRequestCpu,
                        memory: limits.defaultRequestMemory,
                        "ephemeral-storage": limits.defaultRequestEphemeralStorage,
                    },
                },
            ],
        },
    };
}
