// Pure builders of the platform's alert rules: the KQL of the log alerts and the registry quota. The
// component (components/monitoring/monitoring.ts) turns them into Azure Monitor resources.

import { FLUX_RECONCILED_KINDS } from "../../src/flux";

/** Storage included in each ACR SKU, in GiB: beyond it Azure bills extra storage, so it is the budget. */
export const ACR_INCLUDED_STORAGE_GIB = { Basic: 10, Standard: 100, Premium: 500 } as const;
export type RegistrySku = keyof typeof ACR_INCLUDED_STORAGE_GIB;

const GIB = 1024 ** 3;

/** The StorageUsed value (bytes) at which the registry is `percent` of the way to its included storage. */
export function registryStorageThresholdBytes(sku: RegistrySku, percent: number): number {
    return Math.round((ACR_INCLUDED_STORAGE_GIB[sku] * GIB * percent) / 100);
}

/** A KQL string literal. */
function kql(value: string): string {
    return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Containers that restarted during the rule's window (KubePodInventory keeps the cumulative restart
 * count of every container, sampled every minute), by namespace: the crash-loop signal.
 */
export function crashLoopQuery(clusterId: string): string {
    return [
        "KubePodInventory",
        `| where ClusterId =~ ${kql(clusterId)}`,
        "| where isnotempty(ContainerName)",
        "| summarize Restarts = max(ContainerRestartCount) - min(ContainerRestartCount) by Namespace, PodName = Name, ContainerName",
        "| summarize Restarts = max(Restarts) by Namespace",
    ].join("\n");
}

/** Pods (not completed) that were never Running with running containers during the window, by namespace. */
export function podsNotReadyQuery(clusterId: string): string {
    return [
        "KubePodInventory",
        `| where ClusterId =~ ${kql(clusterId)}`,
        "| where PodStatus != 'Succeeded'",
        "| summarize Healthy = countif(PodStatus == 'Running' and ContainerStatus =~ 'running') by Namespace, PodUid",
        "| where Healthy == 0",
        "| summarize NotReadyPods = dcount(PodUid) by Namespace",
    ].join("\n");
}

/**
 * Warning events on Flux objects, by namespace and object: source, kustomize and helm controllers
 * record a Warning event on the object for every failed fetch, build, apply, health check, install or
 * upgrade. Container insights collects Warning events into KubeEvents by default.
 */
export function fluxFailuresQuery(clusterId: string): string {
    return [
        "KubeEvents",
        `| where ClusterId =~ ${kql(clusterId)}`,
        "| where KubeEventType == 'Warning'",
        `| where ObjectKind in (${FLUX_RECONCILED_KINDS.map(kql).join(", ")})`,
        "| summarize Failures = count() by Namespace, FluxObject = strcat(ObjectKind, '/', Name)",
    ].join("\n");
}
