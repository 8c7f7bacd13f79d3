// The Kubernetes and Flux objects of one team, as plain manifests. Pure functions of the validated
// tenant config (plus the chart source URL, which may still be an unresolved Output): the Tenant
// component only hands them to the Kubernetes provider, and the unit tests validate them against the
// real schemas.
import type * as pulumi from "@pulumi/pulumi";
import type { AppConfig, TenantConfig } from "./config";

/** The ServiceAccount Flux impersonates to apply a team's objects (flux2-multi-tenancy's model). */
export const RECONCILER_SERVICE_ACCOUNT = "flux-reconciler";
/** Name of the HelmRepository (ChartMuseum mode) in each helm team's namespace. */
export const HELM_REPOSITORY_NAME = "charts";
/** Flux's label for objects of a tenant. */
export const TENANT_LABEL = "toolkit.fluxcd.io/tenant";
/** Media type of a Helm chart's content layer in an OCI artifact. */
export const HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

export const FLUX_SOURCE_API = "source.toolkit.fluxcd.io/v1";
export const FLUX_HELM_API = "helm.toolkit.fluxcd.io/v2";
export const FLUX_KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1";

interface Metadata {
    readonly name: string;
    readonly namespace?: string;
    readonly labels: Readonly<Record<string, string>>;
}

/** A Flux custom resource: what k8s.apiextensions.CustomResource takes. */
export interface FluxObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: Metadata;
    readonly spec: Record<string, unknown>;
}

function labels(t: TenantConfig): Record<string, string> {
    return { [TENANT_LABEL]: t.name, "app.kubernetes.io/managed-by": "pulumi" };
}

function meta(t: TenantConfig, name: string): Metadata {
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
    return { apiVersion: "v1" as const, kind: "ServiceAccount" as const, metadata: meta(t, RECONCILER_SERVICE_ACCOUNT) };
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
        metadata: meta(t, `${RECONCILER_SERVICE_ACCOUNT}-admin`),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
        subjects: [{ kind: "ServiceAccount", name: RECONCILER_SERVICE_ACCOUNT, namespace: t.name }],
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
        metadata: meta(t, "team-quota"),
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
        metadata: meta(t, "team-limits"),
        spec: {
            limits: [
                {
                    type: "Container",
                    default: { cpu: t.limits.defaultCpu, memory: t.limits.defaultMemory },
                    defaultRequest: { cpu: t.limits.defaultRequestCpu, memory: t.limits.defaultRequestMemory },
                },
            ],
        },
    };
}

/**
 * ChartMuseum mode: one HelmRepository per team namespace (no cross-namespace source references),
 * read anonymously in-cluster: no secretRef, so no chart credential ever sits in a team namespace.
 */
export function helmRepository(t: TenantConfig, url: pulumi.Input<string>): FluxObject {
    return {
        apiVersion: FLUX_SOURCE_API,
        kind: "HelmRepository",
        metadata: meta(t, HELM_REPOSITORY_NAME),
        spec: {
            url,
            interval: t.interval,
            timeout: "60s",
        },
    };
}

/** `oci://<login server>/helm` + chart: where a chart lives in ACR. */
export function ociChartUrl(base: string, chart: string): string {
    return `${base.replace(/\/+$/, "")}/${chart}`;
}

/**
 * ACR mode: one OCIRepository per app, following the app's version (range or exact), read with the
 * source-controller's Azure workload identity (`provider: azure`, no secret).
 */
export function ociRepository(t: TenantConfig, app: AppConfig, chartUrl: pulumi.Input<string>): FluxObject {
    return {
        apiVersion: FLUX_SOURCE_API,
        kind: "OCIRepository",
        metadata: meta(t, app.name),
        spec: {
            url: chartUrl,
            ref: { semver: app.version },
            provider: "azure",
            interval: t.interval,
            layerSelector: { mediaType: HELM_CHART_LAYER, operation: "copy" },
        },
    };
}

/** Where a HelmRelease gets its chart: the team's HelmRepository, or the app's OCIRepository. */
export type ChartReference = { readonly kind: "HelmRepository" } | { readonly kind: "OCIRepository" };

/**
 * One HelmRelease per app, applied as the team's reconciler: remediation retries on install, upgrade
 * failures rolled back (also the last one), cleanup on failure, and `dependsOn` the apps it needs.
 */
export function helmRelease(t: TenantConfig, app: AppConfig, chart: ChartReference): FluxObject {
    const source =
        chart.kind === "OCIRepository"
            ? { chartRef: { kind: "OCIRepository", name: app.name } }
            : {
                  chart: {
                      spec: {
                          chart: app.chart,
                          version: app.version,
                          sourceRef: { kind: "HelmRepository", name: HELM_REPOSITORY_NAME },
                          interval: t.interval,
                      },
                  },
              };
    return {
        apiVersion: FLUX_HELM_API,
        kind: "HelmRelease",
        metadata: meta(t, app.name),
        spec: {
            ...source,
            releaseName: app.name,
            targetNamespace: t.name,
            serviceAccountName: RECONCILER_SERVICE_ACCOUNT,
            interval: t.interval,
            timeout: t.timeout,
            install: { remediation: { retries: t.remediationRetries } },
            upgrade: {
                cleanupOnFail: true,
                remediation: { retries: t.remediationRetries, remediateLastFailure: true, strategy: "rollback" },
            },
            rollback: { cleanupOnFail: true },
            ...(app.dependsOn.length > 0 ? { dependsOn: app.dependsOn.map((name) => ({ name })) } : {}),
            values: app.values,
        },
    };
}

/** Kustomize teams: the team's repository, at a branch (staging) or a pinned tag or commit (prod). */
export function gitRepository(t: TenantConfig): FluxObject {
    const git = requireGit(t);
    const ref = git.commit ? { branch: git.branch, commit: git.commit } : git.tag ? { tag: git.tag } : { branch: git.branch };
    return {
        apiVersion: FLUX_SOURCE_API,
        kind: "GitRepository",
        metadata: meta(t, t.name),
        spec: {
            url: git.url,
            ref,
            interval: t.interval,
            timeout: "60s",
            ...(git.secretName ? { secretRef: { name: git.secretName } } : {}),
        },
    };
}

/**
 * Kustomize teams: applies the repository's path into the team namespace as the team's reconciler,
 * prunes what was removed from Git, waits for health (every object, or the listed health checks) and
 * retries failed applies every `retryInterval`.
 */
export function kustomization(t: TenantConfig): FluxObject {
    const git = requireGit(t);
    const health =
        git.healthChecks.length > 0
            ? { wait: false, healthChecks: git.healthChecks.map((h) => ({ ...h, namespace: t.name })) }
            : { wait: true };
    return {
        apiVersion: FLUX_KUSTOMIZE_API,
        kind: "Kustomization",
        metadata: meta(t, t.name),
        spec: {
            sourceRef: { kind: "GitRepository", name: t.name },
            path: git.path,
            prune: true,
            serviceAccountName: RECONCILER_SERVICE_ACCOUNT,
            targetNamespace: t.name,
            interval: t.interval,
            retryInterval: t.retryInterval,
            timeout: t.timeout,
            ...health,
        },
    };
}

function requireGit(t: TenantConfig) {
    if (!t.git) throw new Error(`tenant ${t.name}: kustomize delivery needs a git source`);
    return t.git;
}
