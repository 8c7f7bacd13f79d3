// The cluster's node pools: the system pool the cluster is created with, and the teams' pools as
// AgentPool resources. Pure builders, testable without the Pulumi runtime.
import type * as containerservice from "@pulumi/azure-native/containerservice";
import { createHash } from "node:crypto";
import { availabilityZones } from "../../src/azureRegions";

export const OS_SKUS = ["AzureLinux", "Ubuntu"] as const;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** The taint that keeps everything but critical add-ons (CoreDNS, konnectivity, metrics-server) off the system pool. */
export const CRITICAL_ADDONS_ONLY_TAINT = "CriticalAddonsOnly=true:NoSchedule";

/**
 * The system pool's settings Azure cannot change in place (VM size, OS SKU, max pods). The cluster
 * is created with this pool inline and Azure refuses to change it through the cluster afterwards, so
 * these are the platform's constants, not config: only its autoscaler bounds vary per stack.
 */
export const SYSTEM_POOL = {
    name: "system",
    vmSize: "Standard_D4ds_v5",
    osSku: "AzureLinux",
    maxPods: 110,
} as const;

/** One pool of the teams' nodes (config `userPools[]`). */
export interface NodePoolConfig {
    /** 1-8 lowercase letters and digits, starting with a letter; the Azure name adds a settings hash. */
    readonly name: string;
    readonly vmSize: string;
    /** Cluster autoscaler floor, 0 to 1000 (a user pool may scale to zero). */
    readonly minCount: number;
    /** Cluster autoscaler ceiling, minCount to 1000, at least 1. */
    readonly maxCount: number;
    /** Availability zones; undefined: every zone of the region (none where the region has none). */
    readonly zones?: readonly string[];
    readonly osSku: (typeof OS_SKUS)[number];
    /** Pods per node, 10 to 250. */
    readonly maxPods: number;
    readonly labels: Readonly<Record<string, string>>;
    /** `key=value:Effect` or `key:Effect`. */
    readonly taints: readonly string[];
}

/** What makes a pool's Azure name: the settings Azure refuses to change on an existing pool. */
export function immutablePoolSettings(
    pool: Pick<NodePoolConfig, "vmSize" | "zones" | "osSku" | "maxPods">,
    location: string,
) {
    return {
        vmSize: pool.vmSize,
        zones: [...(pool.zones ?? availabilityZones(location) ?? [])],
        osSku: pool.osSku,
        maxPods: pool.maxPods,
    };
}

/**
 * The Azure name of a user pool: its name plus a short hash of the settings Azure cannot change in
 * place, so changing one of them makes a new pool (created first, the old one drained and deleted
 * after) instead of an update Azure refuses. At most 12 characters, AKS's limit for Linux pools.
 */
export function agentPoolName(pool: NodePoolConfig, location: string): string {
    const hash = createHash("sha256")
        .update(JSON.stringify(immutablePoolSettings(pool, location)))
        .digest("hex")
        .slice(0, 4);
    return `${pool.name}${hash}`;
}

/** The system pool as the cluster is created with it: tainted, autoscaled, spread over the region's zones. */
export function systemPoolProfile(
    bounds: { minCount: number; maxCount: number },
    location: string,
): containerservice.ManagedClusterArgs["agentPoolProfiles"] {
    return [
        {
            name: SYSTEM_POOL.name,
            mode: "System",
            osType: "Linux",
            osSKU: SYSTEM_POOL.osSku,
            vmSize: SYSTEM_POOL.vmSize,
            maxPods: SYSTEM_POOL.maxPods,
            availabilityZones: availabilityZones(location),
            type: "VirtualMachineScaleSets",
            enableAutoScaling: true,
            minCount: bounds.minCount,
            maxCount: bounds.maxCount,
            count: bounds.minCount,
            nodeTaints: [CRITICAL_ADDONS_ONLY_TAINT],
            upgradeSettings: { maxSurge: "33%" },
        },
    ];
}

/** AgentPool inputs of a user pool, but for the cluster it belongs to. */
export function userPoolArgs(
    pool: NodePoolConfig,
    location: string,
): Omit<containerservice.AgentPoolArgs, "resourceGroupName" | "resourceName"> {
    const fixed = immutablePoolSettings(pool, location);
    return {
        agentPoolName: agentPoolName(pool, location),
        mode: "User",
        osType: "Linux",
        osSKU: fixed.osSku,
        vmSize: fixed.vmSize,
        maxPods: fixed.maxPods,
        availabilityZones: fixed.zones.length > 0 ? fixed.zones : undefined,
        type: "VirtualMachineScaleSets",
        enableAutoScaling: true,
        minCount: pool.minCount,
        maxCount: pool.maxCount,
        count: Math.max(pool.minCount, 1),
        nodeLabels: { ...pool.labels, "gitops.platform/pool": pool.name },
        nodeTaints: pool.taints.length > 0 ? [...pool.taints] : undefined,
        upgradeSettings: { maxSurge: "33%" },
    };
}
