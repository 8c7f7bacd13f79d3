// Kustomize teams: the team's Git repository, one Kustomization applied as the reconciler.
import * as flux from "../../../src/flux";
import type { KustomizeTenant } from "../config";
import { RECONCILER_SERVICE_ACCOUNT, tenantMetadata } from "../manifests";
import { DeliveryContext, fluxResource } from "./context";

/** The team's repository, at a branch (staging) or a pinned tag or commit (prod). */
export function gitRepository(t: KustomizeTenant): flux.FluxObject {
    const git = t.git;
    const ref: flux.GitRef = git.commit
        ? { branch: git.branch, commit: git.commit }
        : git.tag
          ? { tag: git.tag }
          : { branch: git.branch };
    return flux.gitRepository({
        metadata: tenantMetadata(t, t.name),
        url: git.url,
        ref,
        interval: t.interval,
        secretName: git.secretName,
    });
}

/**
 * Applies the repository's path into the team namespace as the team's reconciler, prunes what was
 * removed from Git, waits for health (every object, or the listed health checks) and retries failed
 * applies every `retryInterval`.
 */
export function kustomization(t: KustomizeTenant): flux.FluxObject {
    const checks = t.git.healthChecks;
    const health: flux.Health =
        checks.length > 0
            ? { wait: false, healthChecks: checks.map((h) => ({ ...h, namespace: t.name })) }
            : { wait: true };
    return flux.kustomization({
        metadata: tenantMetadata(t, t.name),
        sourceName: t.name,
        path: t.git.path,
        serviceAccountName: RECONCILER_SERVICE_ACCOUNT,
        targetNamespace: t.name,
        interval: t.interval,
        retryInterval: t.retryInterval,
        timeout: t.timeout,
        health,
    });
}

/** Registers the team's GitRepository and Kustomization; returns the Kustomization's name. */
export function kustomizeDelivery(ctx: DeliveryContext, t: KustomizeTenant): string[] {
    // Not deployed here until the first promotion: nothing to fail, nothing to page ops about.
    if (t.git.pending) return [];
    const repository = fluxResource(ctx, `${ctx.name}-gitrepository`, gitRepository(t));
    fluxResource(ctx, `${ctx.name}-kustomization`, kustomization(t), [repository]);
    return [t.name];
}
