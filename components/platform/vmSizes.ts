// What an AKS node of a VM size leaves to pods: the capacity check's table (components/platform/capacity.ts).
//
// Reservations follow "Node resource reservations in Azure Kubernetes Service (AKS)",
// https://learn.microsoft.com/azure/aks/node-resource-reservations, for AKS 1.29 and later (the
// platform needs 1.34 or later, see fluxChartVersion):
// - CPU: kube-reserved by the host's core count (the table below);
// - memory: kube-reserved is the lesser of 20 MB * maxPods + 50 MB and 25% of the VM's memory, plus
//   the kubelet's eviction threshold memory.available < 100Mi. The page writes MB; this file counts
//   MiB (the larger unit), so allocatable memory is never overstated by the unit.
// Nominal VM memory (Azure's size pages, GiB) is a little more than what the OS reports to the kubelet,
// and DaemonSets (CNI, monitoring agents, CSI drivers) take their share too: the figures are an upper
// bound of what the teams' pods can get.

/** Cores and memory of a VM size, as Azure's VM size pages list them. */
export interface VmSize {
    readonly vcpus: number;
    readonly memoryGiB: number;
}

/**
 * Common sizes for AKS user pools. Another size is one row: its vCPUs and GiB from
 * https://learn.microsoft.com/azure/virtual-machines/sizes (its core count must be a column of
 * KUBE_RESERVED_MILLICORES).
 */
export const VM_SIZES: Readonly<Record<string, VmSize>> = {
    Standard_B2s: { vcpus: 2, memoryGiB: 4 },
    Standard_B2ms: { vcpus: 2, memoryGiB: 8 },
    Standard_B4ms: { vcpus: 4, memoryGiB: 16 },
    Standard_DS2_v2: { vcpus: 2, memoryGiB: 7 },
    Standard_D2s_v3: { vcpus: 2, memoryGiB: 8 },
    Standard_D4s_v3: { vcpus: 4, memoryGiB: 16 },
    Standard_D8s_v3: { vcpus: 8, memoryGiB: 32 },
    Standard_D2s_v5: { vcpus: 2, memoryGiB: 8 },
    Standard_D4s_v5: { vcpus: 4, memoryGiB: 16 },
    Standard_D8s_v5: { vcpus: 8, memoryGiB: 32 },
    Standard_D16s_v5: { vcpus: 16, memoryGiB: 64 },
    Standard_D2ds_v5: { vcpus: 2, memoryGiB: 8 },
    Standard_D4ds_v5: { vcpus: 4, memoryGiB: 16 },
    Standard_D8ds_v5: { vcpus: 8, memoryGiB: 32 },
    Standard_D16ds_v5: { vcpus: 16, memoryGiB: 64 },
    Standard_D2as_v5: { vcpus: 2, memoryGiB: 8 },
    Standard_D4as_v5: { vcpus: 4, memoryGiB: 16 },
    Standard_D8as_v5: { vcpus: 8, memoryGiB: 32 },
    Standard_E2s_v5: { vcpus: 2, memoryGiB: 16 },
    Standard_E4s_v5: { vcpus: 4, memoryGiB: 32 },
    Standard_E8s_v5: { vcpus: 8, memoryGiB: 64 },
    Standard_E16s_v5: { vcpus: 16, memoryGiB: 128 },
    Standard_E2ds_v5: { vcpus: 2, memoryGiB: 16 },
    Standard_E4ds_v5: { vcpus: 4, memoryGiB: 32 },
    Standard_E8ds_v5: { vcpus: 8, memoryGiB: 64 },
    Standard_F4s_v2: { vcpus: 4, memoryGiB: 8 },
    Standard_F8s_v2: { vcpus: 8, memoryGiB: 16 },
};

/** AKS's kube-reserved CPU (millicores) by the host's core count. */
export const KUBE_RESERVED_MILLICORES: Readonly<Record<number, number>> = {
    1: 60,
    2: 100,
    4: 140,
    8: 180,
    16: 260,
    32: 420,
    64: 740,
};

const MIB = 2 ** 20;
/** The kubelet's hard eviction threshold on AKS 1.29 and later (memory.available < 100Mi). */
export const EVICTION_THRESHOLD_BYTES = 100 * MIB;

/** The table's row for `name`, whatever its case (Azure compares VM sizes case-insensitively). */
export function vmSize(name: string): VmSize | undefined {
    const key = Object.keys(VM_SIZES).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : VM_SIZES[key];
}

/** What one node leaves to pods: CPU in millicores, memory in bytes. */
export interface Allocatable {
    readonly millicores: number;
    readonly memoryBytes: number;
}

/** One node's allocatable CPU and memory with `maxPods` pods per node (AKS 1.29+ reservations, see above). */
export function allocatable(size: VmSize, maxPods: number): Allocatable {
    const memoryBytes = size.memoryGiB * 2 ** 30;
    const kubeReservedMemory = Math.min((20 * maxPods + 50) * MIB, memoryBytes / 4);
    return {
        millicores: size.vcpus * 1000 - KUBE_RESERVED_MILLICORES[size.vcpus],
        memoryBytes: memoryBytes - kubeReservedMemory - EVICTION_THRESHOLD_BYTES,
    };
}
