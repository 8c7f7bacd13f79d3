// What the delivery stack reads from each environment stack (staging, prod), through a
// StackReference: the outputs index.ts exports for an environment, named once here.
import * as pulumi from "@pulumi/pulumi";
import type { CiIdentityIds } from "../identities";

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
    /** Each team's CI identity in the environment (application path, client id, service principal), by team. */
    readonly ciIdentities: pulumi.Output<Record<string, CiIdentityIds>>;
    readonly chartRepositoryKind: pulumi.Output<"chartmuseum" | "acr-oci">;
    /** Where CI pushes charts: ChartMuseum's https URL, or the registry `oci://<loginServer>` (a team's path below it). */
    readonly chartPushUrl: pulumi.Output<string>;
    /** Each team's ChartMuseum push token, by team (secret); empty with `acr-oci`. */
    readonly chartPushTokens: pulumi.Output<Record<string, string>>;
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
    "ciIdentities",
    "chartRepositoryKind",
    "chartPushUrl",
    "chartPushTokens",
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

/** A team's CI identity in an environment; an error naming both when the environment's stack has none. */
export function teamCiIdentity(e: EnvironmentOutputs, team: string): pulumi.Output<CiIdentityIds> {
    return e.ciIdentities.apply((all) => {
        const identity = all[team];
        if (!identity)
            throw new pulumi.RunError(
                `environment ${e.name} has no CI identity for team ${team} (its stack exports ${Object.keys(all).join(", ") || "none"}): run \`pulumi up\` on ${e.name} after adding the team`,
            );
        return identity;
    });
}
