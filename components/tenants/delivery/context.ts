import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { FluxObject } from "../../../src/flux";

/** What a delivery kind needs to register its Flux objects inside the Tenant component. */
export interface DeliveryContext {
    /** The Tenant component's name: the prefix of every resource name. */
    readonly name: string;
    readonly parent: pulumi.ComponentResource;
    readonly provider: k8s.Provider;
    /**
     * What every Flux object waits for: the namespace, the reconciler's RBAC, the guardrails and the
     * Flux installation, so no pod of the team ever runs without its network policies and quota. On
     * destroy the Flux objects go first, while Flux can still impersonate the reconciler to prune.
     */
    readonly dependsOn: readonly pulumi.Resource[];
}

/** Registers one Flux object of the team. */
export function fluxResource(
    ctx: DeliveryContext,
    resourceName: string,
    object: FluxObject,
    extra: pulumi.Resource[] = [],
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        resourceName,
        { ...object },
        { parent: ctx.parent, provider: ctx.provider, dependsOn: [...ctx.dependsOn, ...extra] },
    );
}
