import * as pulumi from "@pulumi/pulumi";

export const CHART_REPOSITORY_MODES = ["chartmuseum", "acr-oci"] as const;
export type ChartRepositoryMode = (typeof CHART_REPOSITORY_MODES)[number];

/**
 * Where teams' Helm charts live, as the Flux tenants (reading) and the CI pipelines (pushing) need
 * it. Produced by the chart repository step, consumed by tenants and Azure DevOps.
 */
export type ChartSource =
    | {
          readonly kind: "chartmuseum";
          /** In-cluster URL of ChartMuseum, e.g. http://chartmuseum.chartmuseum.svc:8080; a team's repository is `<url>/<team>`. */
          readonly url: pulumi.Output<string>;
          /** URL CI pushes charts to (`<pushUrl>/api/<team>/charts`). */
          readonly pushUrl: pulumi.Output<string>;
          /** Each team's push token (ChartMuseum bearer auth), by team name; secret. Only that team's CI gets it. */
          readonly pushTokens: pulumi.Output<Record<string, string>>;
          /** Namespace ChartMuseum runs in, so network policies can name it. */
          readonly namespace: string;
      }
    | {
          readonly kind: "acr-oci";
          /** The registry, `oci://<loginServer>`; a team's charts live under `oci://<loginServer>/<team>/helm`. */
          readonly url: pulumi.Output<string>;
      };

/** Path under a team's registry path where its charts live as OCI artifacts: `oci://<loginServer>/<team>/helm/<chart>`. */
export const ACR_CHART_PATH = "helm";

/** The ChartSource of the `acr-oci` mode: charts in ACR under `oci://<loginServer>/<team>/helm`; no secret. */
export function acrOciChartSource(loginServer: pulumi.Input<string>): ChartSource {
    return { kind: "acr-oci", url: pulumi.interpolate`oci://${loginServer}` };
}

/**
 * A team's own place in a chart repository, every part of which belongs to it alone: ChartMuseum's
 * multitenant repository `<url>/<team>` (DEPTH 1), or the team's path `oci://<loginServer>/<team>`,
 * where its images live too (`<team>/<app>`) and which one registry permission covers (`<team>/`).
 */
export function teamChartBase(base: string, team: string): string {
    return `${base.replace(/\/+$/, "")}/${team}`;
}

/** What a team's Flux sources read: its ChartMuseum repository, or its OCI chart path (`.../<team>/helm`). */
export function teamChartRepositoryUrl(kind: ChartRepositoryMode, base: string, team: string): string {
    const own = teamChartBase(base, team);
    return kind === "acr-oci" ? `${own}/${ACR_CHART_PATH}` : own;
}

/**
 * The registry repositories a team owns, and the only ones its CI identities may write or read:
 * `<team>/` (its images `<team>/<app>`, its OCI charts `<team>/helm/<chart>`).
 */
export function teamRepositoryPrefix(team: string): string {
    return `${team}/`;
}

/** What every chart source in a team's namespace must be under (admission): `<base>/<team>/`. */
export function teamChartSourcePrefix(base: string, team: string): string {
    return `${base.replace(/\/+$/, "")}/${teamRepositoryPrefix(team)}`;
}

/** A cluster stack's ChartMuseum-style repository: read by Flux at `<url>/<team>`; pushes are not the platform's. */
export function externalChartSource(url: string, namespace: string): ChartSource {
    return {
        kind: "chartmuseum",
        url: pulumi.output(url),
        pushUrl: pulumi.output(url),
        pushTokens: pulumi.output<Record<string, string>>({}),
        namespace,
    };
}
