// What the delivery stack reads from each environment stack (staging, prod), through a
// StackReference: the outputs index.ts exports for an environment, named once here.
import * as pulumi from "@pulumi/pulumi";

/** One environment, as the organisation's CI needs it. */
export interface EnvironmentOutputs {
    /** The environment's stack name (`staging`, `prod`): the suffix of its connections and variables. */
    readonly name: string;
    readonly tenantId: pulumi.Output<string>;
    readonly subscriptionId: pulumi.Output<string>;
    readonly resourceGroupName: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly clusterId: pulumi.Output<string>;
    readonly registryId: pulumi.Output<string>;
    readonly registryName: pulumi.Output<string>;
    readonly registryLoginServer: pulumi.Output<string>;
    /** The environment's CI application (`/applications/<objectId>`), its client id and service principal. */
    readonly ciApplicationId: pulumi.Output<string>;
    readonly ciClientId: pulumi.Output<string>;
    readonly ciServicePrincipalObjectId: pulumi.Output<string>;
    /** The environment's deploy application: what the pipelines read the cluster as. */
    readonly deployApplicationId: pulumi.Output<string>;
    readonly deployClientId: pulumi.Output<string>;
    readonly deployServicePrincipalObjectId: pulumi.Output<string>;
    readonly chartRepositoryKind: pulumi.Output<"chartmuseum" | "acr-oci">;
    /** Where CI pushes charts: ChartMuseum's https URL, or `oci://<loginServer>/helm`. */
    readonly chartPushUrl: pulumi.Output<string>;
    /** ChartMuseum's basic-auth push user and password (secret); empty with `acr-oci`. */
    readonly chartPushUsername: pulumi.Output<string>;
    readonly chartPushPassword: pulumi.Output<string>;
}

/** The output names an environment stack exports for the delivery stack. */
export const ENVIRONMENT_OUTPUTS = [
    "tenantId",
    "subscriptionId",
    "resourceGroupName",
    "clusterName",
    "clusterId",
    "registryId",
    "registryName",
    "registryLoginServer",
    "ciApplicationId",
    "ciClientId",
    "ciServicePrincipalObjectId",
    "deployApplicationId",
    "deployClientId",
    "deployServicePrincipalObjectId",
    "chartRepositoryKind",
    "chartPushUrl",
    "chartPushUsername",
    "chartPushPassword",
] as const satisfies readonly Exclude<keyof EnvironmentOutputs, "name">[];

/** The StackReference name of an environment: `<organization>/<project>/<environment>`. */
export function environmentStackName(organization: string, project: string, environment: string): string {
    return `${organization}/${project}/${environment}`;
}

/** An environment's outputs, read from its stack. */
export function environmentOutputs(name: string, reference: pulumi.StackReference): EnvironmentOutputs {
    const entries = ENVIRONMENT_OUTPUTS.map((key) => [key, reference.requireOutput(key)]);
    return { name, ...Object.fromEntries(entries) } as EnvironmentOutputs;
}
