// The Flux vocabulary, declared once for the platform's sync objects and the teams' objects: the API
// version of each kind (GA APIs only), the kinds that reconcile, and plain builders of the objects.
import type * as pulumi from "@pulumi/pulumi";

const SOURCE_API = "source.toolkit.fluxcd.io/v1";
// Provider and Alert are still v1beta3 in notification-controller v1.9 (Flux 2.9): its api/v1 serves
// only Receiver (fluxcd/notification-controller v1.9.0 and v1.9.3 (0b6fcb1): api/v1 holds
// receiver_types.go alone), so v1beta3 is the highest version served for them.
const NOTIFICATION_API = "notification.toolkit.fluxcd.io/v1beta3";

/** API version of each Flux kind the platform creates or watches. */
export const FLUX_API = {
    GitRepository: SOURCE_API,
    HelmRepository: SOURCE_API,
    OCIRepository: SOURCE_API,
    HelmChart: SOURCE_API,
    Bucket: SOURCE_API,
    Kustomization: "kustomize.toolkit.fluxcd.io/v1",
    HelmRelease: "helm.toolkit.fluxcd.io/v2",
    Provider: NOTIFICATION_API,
    Alert: NOTIFICATION_API,
} as const;
export type FluxKind = keyof typeof FLUX_API;

/** Kinds that reconcile, and so can fail: sources and deliveries. What alerts and log queries watch. */
export const FLUX_RECONCILED_KINDS = [
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "HelmChart",
    "Bucket",
    "Kustomization",
    "HelmRelease",
] as const satisfies readonly FluxKind[];

/** Media type of a Helm chart's content layer in an OCI artifact. */
export const HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

export interface FluxMetadata {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Readonly<Record<string, string>>;
}

/** A Flux custom resource: what k8s.apiextensions.CustomResource takes. */
export interface FluxObject {
    readonly apiVersion: string;
    readonly kind: FluxKind;
    readonly metadata: FluxMetadata;
    readonly spec: Record<string, unknown>;
}

function fluxObject(kind: FluxKind, metadata: FluxMetadata, spec: Record<string, unknown>): FluxObject {
    return { apiVersion: FLUX_API[kind], kind, metadata, spec };
}

/** The Git ref a GitRepository follows: a branch, a tag, or a commit (on its branch). */
export type GitRef =
    | { readonly branch: string }
    | { readonly tag: string }
    | { readonly branch: string; readonly commit: string };

export function gitRepository(args: {
    readonly metadata: FluxMetadata;
    readonly url: string;
    readonly ref: GitRef;
    readonly interval: string;
    /** Git credentials (ssh key or token) in the same namespace; none for a public repository. */
    readonly secretName?: string;
}): FluxObject {
    return fluxObject("GitRepository", args.metadata, {
        interval: args.interval,
        timeout: "60s",
        url: args.url,
        ref: args.ref,
        ...(args.secretName ? { secretRef: { name: args.secretName } } : {}),
    });
}

/** The conditions a Gateway API object reports for its current generation (`c.observedGeneration`). */
const current = (type: string, status: "True" | "False") =>
    `c.type == '${type}' && c.status == '${status}' && c.observedGeneration == metadata.generation`;

/**
 * Health of the objects kstatus cannot judge, for every Kustomization the platform writes
 * (kustomize-controller v1.9 `spec.healthCheckExprs`, fluxcd/pkg apis/kustomize CustomHealthCheck:
 * apiVersion, kind, current, failed, inProgress; evaluated only with `wait` or `healthChecks`, in the
 * order inProgress, failed, current, and InProgress when none holds). kstatus reads a top-level
 * `status.conditions` Ready/Reconciling/Stalled: a Gateway API HTTPRoute reports per parent
 * (`status.parents[].conditions` Accepted, ResolvedRefs) and a Gateway reports Accepted/Programmed,
 * so kstatus calls both Current at once, even a route its Gateway refused. Here a route is healthy when
 * every parent accepted it and resolved its backends, and failed at once when a parent refused it
 * (`Accepted: False`, e.g. a hostname its listener does not allow); a Gateway is healthy when accepted
 * and programmed, failed when refused. What may be transient (`ResolvedRefs: False` while a Service
 * appears, `Programmed: False` while an address is assigned) keeps the wait going until the
 * Kustomization's timeout. Conditions count for the current generation only. Until the gateway writes
 * a status the expressions cannot be evaluated (Unknown), and the wait goes on.
 */
export const HEALTH_CHECK_EXPRS = [
    {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        current: `status.parents.size() > 0 && status.parents.all(p, p.conditions.exists(c, ${current("Accepted", "True")}) && p.conditions.exists(c, ${current("ResolvedRefs", "True")}))`,
        failed: `status.parents.exists(p, p.conditions.exists(c, ${current("Accepted", "False")}))`,
    },
    {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        current: `status.conditions.exists(c, ${current("Accepted", "True")}) && status.conditions.exists(c, ${current("Programmed", "True")})`,
        failed: `status.conditions.exists(c, ${current("Accepted", "False")})`,
    },
] as const;

/** What a Kustomization waits for after applying: every object, or the listed ones. */
export type Health =
    | { readonly wait: true }
    | { readonly wait: false; readonly healthChecks: readonly Record<string, string>[] };

export function kustomization(args: {
    readonly metadata: FluxMetadata;
    readonly sourceName: string;
    readonly path: string;
    readonly interval: string;
    readonly retryInterval: string;
    readonly serviceAccountName: string;
    /** Tenants: every object goes into the team's namespace. */
    readonly targetNamespace?: string;
    readonly timeout?: string;
    readonly health?: Health;
}): FluxObject {
    return fluxObject("Kustomization", args.metadata, {
        interval: args.interval,
        retryInterval: args.retryInterval,
        path: args.path,
        prune: true,
        sourceRef: { kind: "GitRepository", name: args.sourceName },
        serviceAccountName: args.serviceAccountName,
        ...(args.targetNamespace ? { targetNamespace: args.targetNamespace } : {}),
        ...(args.timeout ? { timeout: args.timeout } : {}),
        ...(args.health ?? {}),
        healthCheckExprs: HEALTH_CHECK_EXPRS,
    });
}

export function helmRepository(args: {
    readonly metadata: FluxMetadata;
    readonly url: pulumi.Input<string>;
    readonly interval: string;
}): FluxObject {
    return fluxObject("HelmRepository", args.metadata, {
        url: args.url,
        interval: args.interval,
        timeout: "60s",
    });
}

/**
 * The ServiceAccount in each team namespace that Flux reads the team's OCI charts as (object-level
 * workload identity): federated to the team's own Azure identity, which may read only `<team>/`.
 */
export const CHART_READER_SERVICE_ACCOUNT = "flux-chart-reader";

/**
 * A Helm chart stored as an OCI artifact, read with Azure workload identity (`provider: azure`) as
 * `serviceAccountName`: without it source-controller would fall back to its own or the node's identity.
 */
export function ociRepository(args: {
    readonly metadata: FluxMetadata;
    readonly url: pulumi.Input<string>;
    readonly semver: string;
    readonly interval: string;
    /** The ServiceAccount, in the object's namespace, whose Azure identity reads the registry. */
    readonly serviceAccountName: string;
}): FluxObject {
    return fluxObject("OCIRepository", args.metadata, {
        url: args.url,
        ref: { semver: args.semver },
        provider: "azure",
        serviceAccountName: args.serviceAccountName,
        interval: args.interval,
        layerSelector: { mediaType: HELM_CHART_LAYER, operation: "copy" },
    });
}

export function helmRelease(metadata: FluxMetadata, spec: Record<string, unknown>): FluxObject {
    return fluxObject("HelmRelease", metadata, spec);
}

/**
 * A notification Provider: its credential (webhook URL or token) read from `secretName`, or for a chat
 * webhook given as `address` alone, so no Secret holds it where the Provider's readers could not go.
 */
export function notificationProvider(args: {
    readonly metadata: FluxMetadata;
    readonly type: "msteams" | "slack" | "github";
    readonly secretName?: string;
    /** For `github`: the repository commit statuses are written to; for a chat webhook: its URL. */
    readonly address?: pulumi.Input<string>;
}): FluxObject {
    return fluxObject("Provider", args.metadata, {
        type: args.type,
        ...(args.address ? { address: args.address } : {}),
        ...(args.secretName ? { secretRef: { name: args.secretName } } : {}),
    });
}

/**
 * An Alert on every Flux object of its own namespace (the lockdown forbids other namespaces), at
 * `severity` (`error` for chat webhooks; `info` for GitHub commit statuses, which need successes too).
 */
export function alert(args: {
    readonly metadata: FluxMetadata;
    readonly providerName: string;
    readonly severity: "error" | "info";
    readonly kinds: readonly FluxKind[];
    /** Added to every event, e.g. `{ cluster: "prod" }`, so a message says where it happened. */
    readonly eventMetadata?: Record<string, string>;
}): FluxObject {
    return fluxObject("Alert", args.metadata, {
        providerRef: { name: args.providerName },
        eventSeverity: args.severity,
        eventSources: args.kinds.map((kind) => ({ kind, name: "*" })),
        ...(args.eventMetadata ? { eventMetadata: args.eventMetadata } : {}),
    });
}

/** Where Flux reports failed reconciliations. */
export type FluxNotifications =
    | { readonly provider: "none" }
    /** A Teams or Slack incoming webhook; the URL is a secret (it is the credential). */
    | { readonly provider: "msteams" | "slack"; readonly webhookUrl: pulumi.Output<string> }
    /** Commit statuses on the fleet repository, with a token that may only write statuses. */
    | { readonly provider: "github"; readonly token: pulumi.Output<string> };
