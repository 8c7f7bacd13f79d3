// Helm teams: charts from the chart repository, one HelmRelease per app, applied as the reconciler.
import * as pulumi from "@pulumi/pulumi";
import { assertNever } from "../../../src/assertNever";
import * as flux from "../../../src/flux";
import { ChartSource, teamChartRepositoryUrl } from "../../../src/charts";
import type { HelmAppConfig, HelmTenant } from "../config";
import { RECONCILER_SERVICE_ACCOUNT, tenantMetadata } from "../manifests";
import { DeliveryContext, fluxResource } from "./context";

/** Name of the HelmRepository (ChartMuseum mode) in each helm team's namespace. */
export const HELM_REPOSITORY_NAME = "charts";

/**
 * ChartMuseum mode: one HelmRepository per team namespace (no cross-namespace source references) on
 * the team's own repository `<chartmuseum>/<team>` (DEPTH 1), read anonymously in-cluster: no
 * secretRef, so no chart credential ever sits in a team namespace; admission keeps it on that path.
 */
export function helmRepository(t: HelmTenant, url: pulumi.Input<string>): flux.FluxObject {
    return flux.helmRepository({
        metadata: tenantMetadata(t, HELM_REPOSITORY_NAME),
        url,
        interval: t.interval,
    });
}

/** `oci://<login server>/helm` + chart: where a chart lives in ACR. */
export function ociChartUrl(base: string, chart: string): string {
    return `${base.replace(/\/+$/, "")}/${chart}`;
}

/**
 * ACR mode: one OCIRepository per app, following the app's version (range or exact), read as the
 * team's chart reader (`provider: azure`, object-level workload identity, no secret).
 */
export function ociRepository(
    t: HelmTenant,
    app: HelmAppConfig,
    chartUrl: pulumi.Input<string>,
): flux.FluxObject {
    return flux.ociRepository({
        metadata: tenantMetadata(t, app.name),
        url: chartUrl,
        semver: app.version,
        interval: t.interval,
        serviceAccountName: flux.CHART_READER_SERVICE_ACCOUNT,
    });
}

/** Where a HelmRelease gets its chart: the team's HelmRepository, or the app's OCIRepository. */
export type ChartReference = { readonly kind: "HelmRepository" } | { readonly kind: "OCIRepository" };

function chartOf(t: HelmTenant, app: HelmAppConfig, chart: ChartReference): Record<string, unknown> {
    switch (chart.kind) {
        case "OCIRepository":
            return { chartRef: { kind: "OCIRepository", name: app.name } };
        case "HelmRepository":
            return {
                chart: {
                    spec: {
                        chart: app.chart,
                        version: app.version,
                        sourceRef: { kind: "HelmRepository", name: HELM_REPOSITORY_NAME },
                        interval: t.interval,
                    },
                },
            };
        default:
            return assertNever(chart, "chart reference");
    }
}

/**
 * The values contract every team chart follows: `image.repository` is the app's repository in the
 * environment's own registry (the only one its kubelet may pull from), `<loginServer>/<team>/<app>`,
 * whatever the chart or the team's values say, and `image.digest` the pinned digest in stacks that pin.
 */
export function imageValues(
    t: HelmTenant,
    app: HelmAppConfig,
    registryLoginServer: pulumi.Input<string>,
): Record<string, unknown> {
    const given = (app.values.image ?? {}) as Record<string, unknown>;
    const path = `${t.name}/${app.name}`;
    const repository =
        typeof registryLoginServer === "string"
            ? `${registryLoginServer}/${path}`
            : pulumi.interpolate`${registryLoginServer}/${path}`;
    // Where the stack pins, the digest: exactly the image staging verified, whatever its tag now points to.
    return { ...given, repository, ...(app.digest ? { digest: app.digest } : {}) };
}

/**
 * How helm-controller feeds a chart's hooks (the kits' Helm tests) to its post-renderers. Flux 2.9
 * flipped the default from `nohooks` to Helm 4's `combined` (fluxcd/helm-controller#1470, field
 * `spec.postRenderStrategy` from v1.6): pinned to `nohooks`, so a test hook is applied exactly as the
 * chart renders it (what Flux 2.8.6+ did, and what the kits' tests were written against), and a
 * controller default that changes again shows up as a diff of the plan, not as a silent change.
 */
export const HELM_POST_RENDER_STRATEGY = "nohooks";

/**
 * Drift detection and correction (helm.toolkit.fluxcd.io/v2 `driftDetection`): a change made in the
 * cluster behind Helm's back is reverted at the next reconcile. A Deployment's `/spec/replicas` is left
 * alone, since a HorizontalPodAutoscaler owns it when the team's chart has one (the rule Flux's
 * HelmRelease documentation gives for HPAs); without this, every scale-out would be reverted.
 */
export const HELM_DRIFT_DETECTION = {
    mode: "enabled",
    ignore: [{ paths: ["/spec/replicas"], target: { kind: "Deployment" } }],
} as const;

/**
 * One HelmRelease per app, applied as the team's reconciler: the chart's Helm tests run after every
 * install and upgrade and a failed test fails the release (then remediated like any failure), upgrade
 * failures rolled back (also the last one), cleanup on failure, and `dependsOn` the apps it needs.
 * CRDs a chart ships are skipped on install and upgrade: the reconciler may not create them (they are
 * cluster-wide), and a release that tried would fail. The pods are named after the app
 * (`nameOverride`) when the chart's name differs, since the platform's network policies select
 * `app.kubernetes.io/name: <app>`.
 */
export function helmRelease(
    t: HelmTenant,
    app: HelmAppConfig,
    chart: ChartReference,
    registryLoginServer: pulumi.Input<string>,
): flux.FluxObject {
    return flux.helmRelease(tenantMetadata(t, app.name), {
        ...chartOf(t, app, chart),
        releaseName: app.name,
        targetNamespace: t.name,
        serviceAccountName: RECONCILER_SERVICE_ACCOUNT,
        interval: t.interval,
        timeout: t.timeout,
        install: { crds: "Skip", remediation: { retries: t.remediationRetries } },
        upgrade: {
            crds: "Skip",
            cleanupOnFail: true,
            remediation: { retries: t.remediationRetries, remediateLastFailure: true, strategy: "rollback" },
        },
        rollback: { cleanupOnFail: true },
        test: { enable: true, ignoreFailures: false },
        postRenderStrategy: HELM_POST_RENDER_STRATEGY,
        driftDetection: HELM_DRIFT_DETECTION,
        ...(app.dependsOn.length > 0 ? { dependsOn: app.dependsOn.map((name) => ({ name })) } : {}),
        values: {
            ...app.values,
            ...(app.chart !== app.name ? { nameOverride: app.name } : {}),
            image: imageValues(t, app, registryLoginServer),
        },
    });
}

/** The chart sources of the team: one HelmRepository shared by its apps, or an OCIRepository each. */
function chartSources(
    ctx: DeliveryContext,
    t: HelmTenant,
    source: ChartSource,
): Map<string, pulumi.Resource> {
    const sources = new Map<string, pulumi.Resource>();
    switch (source.kind) {
        case "chartmuseum": {
            const url = source.url.apply((base) => teamChartRepositoryUrl(source.kind, base, t.name));
            const repository = fluxResource(ctx, `${ctx.name}-helmrepository`, helmRepository(t, url));
            t.apps.forEach((app) => sources.set(app.name, repository));
            return sources;
        }
        case "acr-oci":
            for (const app of t.apps) {
                const url = source.url.apply((base) =>
                    ociChartUrl(teamChartRepositoryUrl(source.kind, base, t.name), app.chart),
                );
                sources.set(
                    app.name,
                    fluxResource(ctx, `${ctx.name}-ocirepository-${app.name}`, ociRepository(t, app, url)),
                );
            }
            return sources;
        default:
            return assertNever(source, "chart source");
    }
}

/** Registers the team's chart sources and HelmReleases; returns the names of the releases. */
export function helmDelivery(
    ctx: DeliveryContext,
    t: HelmTenant,
    source: ChartSource,
    registryLoginServer: pulumi.Input<string>,
): string[] {
    // A pending app (not promoted here yet) gets no source and no release until its pin is written.
    const deployed: HelmTenant = { ...t, apps: t.apps.filter((app) => !app.pending) };
    const sources = chartSources(ctx, deployed, source);
    const chart: ChartReference = {
        kind: source.kind === "chartmuseum" ? "HelmRepository" : "OCIRepository",
    };
    const releases = new Map<string, pulumi.Resource>();
    // Apps in dependency order, so a release also depends (in Pulumi) on the releases it needs.
    for (const app of dependencyOrder(deployed)) {
        const needs = app.dependsOn.map((d) => releases.get(d)!);
        releases.set(
            app.name,
            fluxResource(
                ctx,
                `${ctx.name}-helmrelease-${app.name}`,
                helmRelease(deployed, app, chart, registryLoginServer),
                [sources.get(app.name)!, ...needs],
            ),
        );
    }
    return [...releases.keys()];
}

/** The team's apps ordered so every app comes after the apps it depends on (the config rejects cycles). */
function dependencyOrder(t: HelmTenant): HelmAppConfig[] {
    const ordered: HelmAppConfig[] = [];
    const visit = (app: HelmAppConfig) => {
        if (ordered.includes(app)) return;
        app.dependsOn.forEach((d) => {
            const dep = t.apps.find((a) => a.name === d);
            if (dep) visit(dep);
        });
        ordered.push(app);
    };
    t.apps.forEach(visit);
    return ordered;
}
