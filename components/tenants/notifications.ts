// A team's failed releases reach ops: one Provider and one Alert in the team's namespace, since the
// lockdown (`--no-cross-namespace-refs`) keeps the platform's Alert in flux-system to flux-system.
import type * as pulumi from "@pulumi/pulumi";
import * as flux from "../../src/flux";
import type { TenantConfig } from "./config";
import { tenantMetadata } from "./manifests";

/** Names of the Provider and Alert in each team's namespace. */
export const TENANT_PROVIDER_NAME = "platform-ops";
export const TENANT_ALERT_NAME = "release-failures";

/**
 * The ops channel as a Provider whose webhook URL is its `address`, not a Secret: a team with `edit`
 * reads every Secret of its namespace (and could post to the ops channel), but not Flux's custom
 * resources, and the reconciler has no right on notification objects.
 */
export function tenantProvider(
    t: TenantConfig,
    type: "msteams" | "slack",
    webhookUrl: pulumi.Input<string>,
): flux.FluxObject {
    return flux.notificationProvider({
        metadata: tenantMetadata(t, TENANT_PROVIDER_NAME),
        type,
        address: webhookUrl,
    });
}

/** Errors of every Flux object of the team's namespace, tagged with the cluster and the team. */
export function tenantFailureAlert(t: TenantConfig, cluster: string): flux.FluxObject {
    return flux.alert({
        metadata: tenantMetadata(t, TENANT_ALERT_NAME),
        providerName: TENANT_PROVIDER_NAME,
        severity: "error",
        kinds: flux.FLUX_RECONCILED_KINDS,
        eventMetadata: { cluster, team: t.name },
    });
}
