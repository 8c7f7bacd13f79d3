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
          /** In-cluster URL Flux's HelmRepository reads, e.g. http://chartmuseum.chartmuseum.svc:8080. */
          readonly url: pulumi.Output<string>;
          /** URL CI pushes charts to (`<pushUrl>/api/charts`). */
          readonly pushUrl: pulumi.Output<string>;
          /** Basic-auth user for pushes. */
          readonly username: pulumi.Output<string>;
          /** Basic-auth password for pushes; secret. */
          readonly password: pulumi.Output<string>;
          /** Namespace ChartMuseum runs in, so network policies can name it. */
          readonly namespace: string;
      }
    | {
          readonly kind: "acr-oci";
          /** OCI base under which charts live: oci://<loginServer>/helm (a chart is <url>/<chart>). */
          readonly url: pulumi.Output<string>;
      };

/** Path under the registry where charts live as OCI artifacts: `oci://<loginServer>/helm/<chart>`. */
export const ACR_CHART_PATH = "helm";

/** The ChartSource of the `acr-oci` mode: charts in ACR under `oci://<loginServer>/helm`; no secret. */
export function acrOciChartSource(loginServer: pulumi.Input<string>): ChartSource {
    return { kind: "acr-oci", url: pulumi.interpolate`oci://${loginServer}/${ACR_CHART_PATH}` };
}
