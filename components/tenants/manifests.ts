// The Kubernetes objects every team has (its delivery's Flux objects are in delivery/), as plain manifests. Pure functions of the validated
// tenant config (plus the chart source URL, which may still be an unresolved Output): the Tenant
// component only hands them to the Kubernetes provider, and the unit tests validate them against the
// real schemas.
import type * as pulumi from "@pulumi/pulumi";
import type { FluxMetadata } from "../../src/flux";
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

export function reconcilerServiceAccount(t: TenantConfig) {
    return {
        apiVersion: "v1" as const,
        kind: "ServiceAccount" as const,
        metadata: tenantMetadata(t, RECONCILER_SERVICE_ACCOUNT),
    };
}

/**
 * The reconciler may do what a namespace admin may, in this namespace only: a RoleBinding (never a
 * ClusterRoleBinding) to the built-in `admin` ClusterRole. `admin` cannot change ResourceQuotas or
 * LimitRanges, nor anything outside the namespace.
 */
export function reconcilerRoleBinding(t: TenantConfig) {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "RoleBinding" as const,
        metadata: tenantMetadata(t, `${RECONCILER_SERVICE_ACCOUNT}-admin`),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
        subjects: [{ kind: "ServiceAccount", name: RECONCILER_SERVICE_ACCOUNT, namespace: t.name }],
    };
}

/**
 * What a pipeline verifies a rollout as (the environment's deploy identity, by Azure AD object id):
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
 * Caps what the team may consume. Requests and limits are capped at the same figure, so a team cannot
 * overcommit the nodes beyond its share; no LoadBalancer or NodePort Services: traffic enters through
 * the shared ingress controller only.
 */
export function resourceQuota(t: TenantConfig) {
    return {
        apiVersion: "v1" as const,
        kind: "ResourceQuota" as const,
        metadata: tenantMetadata(t, "team-quota"),
        spec: {
            hard: {
                "requests.cpu": t.quota.cpu,
                "limits.cpu": t.quota.cpu,
                "requests.memory": t.quota.memory,
                "limits.memory": t.quota.memory,
                pods: String(t.quota.pods),
                "services.loadbalancers": "0",
                "services.nodeports": "0",
            },
        },
    };
}

/** Default requests and limits for containers that declare none (the quota requires both). */
export function limitRange(t: TenantConfig) {
    return {
        apiVersion: "v1" as const,
        kind: "LimitRange" as const,
        metadata: tenantMetadata(t, "team-limits"),
        spec: {
            limits: [
                {
                    type: "Container",
                    default: { cpu: t.limits.defaultCpu, memory: t.limits.defaultMemory },
                    defaultRequest: {
                        cpu: t.limits.defaultRequestCpu,
                        memory: t.limits.defaultRequestMemory,
                    },
                },
            ],
        },
    };
}
