import { KUBELOGIN_MODES, KubeloginMode } from "./kubeconfig";
import { ConfigReader } from "../../src/config/reader";
import { isAzureLocation, isGuid, isIpv4Cidr, isKeyVaultId } from "../../src/config/validators";

export const UPGRADE_CHANNELS = ["patch", "stable", "rapid", "node-image", "none"] as const;
export const NODE_OS_UPGRADE_CHANNELS = ["NodeImage", "SecurityPatch", "Unmanaged", "None"] as const;
export const NETWORK_DATAPLANES = ["cilium", "calico"] as const;
export const AKS_TIERS = ["Free", "Standard", "Premium"] as const;
export const ACR_SKUS = ["Basic", "Standard", "Premium"] as const;
export const WEEKDAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
] as const;

/** When AKS may upgrade the control plane, the nodes and their OS image. */
export interface MaintenanceWindow {
    readonly dayOfWeek: (typeof WEEKDAYS)[number];
    /** Start time, `HH:MM`, in `utcOffset`. */
    readonly startTime: string;
    readonly durationHours: number;
    /** e.g. `+01:00`. */
    readonly utcOffset: string;
}

export interface PlatformConfig {
    readonly location: string;
    /** Mixed into the hash of globally unique names (registry, storage, DNS label); e.g. the organisation. */
    readonly globalNameSeed: string;
    /** Protect the stateful resources (cluster, registry, storage) from deletion. */
    readonly protect: boolean;
    /** AKS Kubernetes version (`1.33` or `1.33.2`); undefined lets AKS choose its default. */
    readonly kubernetesVersion?: string;
    readonly nodeCount: number;
    readonly nodeVmSize: string;
    readonly upgradeChannel: (typeof UPGRADE_CHANNELS)[number];
    readonly nodeOsUpgradeChannel: (typeof NODE_OS_UPGRADE_CHANNELS)[number];
    readonly maintenanceWindow: MaintenanceWindow;
    readonly networkDataplane: (typeof NETWORK_DATAPLANES)[number];
    readonly acrSku: (typeof ACR_SKUS)[number];
    /** AKS pricing tier; Standard carries the uptime SLA. */
    readonly aksTier: (typeof AKS_TIERS)[number];
    /** How the kubeconfig built for Pulumi logs in (kubelogin `--login`). */
    readonly kubeloginMode: KubeloginMode;
    readonly logRetentionDays: number;
    /**
     * Key Vault (resource id) holding the TLS certificates of the app routing ingress; the add-on's
     * identity gets Key Vault Secrets User on it. Undefined: no TLS certificates from Key Vault.
     */
    readonly ingressKeyVaultId?: string;
    /**
     * Object ids of every principal that runs `pulumi up`/`preview` (engineers, CI, the preview app):
     * RBAC Cluster Admin on the cluster and owners of the stack's Azure AD objects. Empty: whoever runs it.
     */
    readonly deployerObjectIds: readonly string[];
    /** CIDRs allowed to reach the API server; empty means unrestricted (AAD still required). */
    readonly apiServerAuthorizedIpRanges: readonly string[];
}

export function readPlatformConfig(r: ConfigReader): PlatformConfig {
    const config: PlatformConfig = {
        location: r.string("location", {
            valid: isAzureLocation,
            allowed: 'an Azure region name in lowercase letters and digits, e.g. "westeurope"',
        }),
        globalNameSeed:
            r.optionalString("globalNameSeed", {
                valid: (v) => /^[a-z0-9-]{1,40}$/.test(v),
                allowed:
                    "lowercase letters, digits and '-', at most 40 characters, e.g. your organisation's name",
            }) ?? "",
        protect: r.boolean("protect"),
        kubernetesVersion: r.optionalString("kubernetesVersion", {
            valid: (v) => /^\d+\.\d+(\.\d+)?$/.test(v),
            allowed: 'a Kubernetes version MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. "1.33"',
        }),
        nodeCount: r.integer("nodeCount", { min: 1, max: 100 }),
        nodeVmSize: r.string("nodeVmSize", {
            valid: (v) => /^Standard_[A-Za-z0-9_]+$/.test(v),
            allowed: 'an Azure VM size such as "Standard_D4ds_v5"',
        }),
        upgradeChannel: r.oneOf("upgradeChannel", UPGRADE_CHANNELS),
        nodeOsUpgradeChannel: r.oneOf("nodeOsUpgradeChannel", NODE_OS_UPGRADE_CHANNELS),
        maintenanceWindow: {
            dayOfWeek: r.oneOf("maintenanceDay", WEEKDAYS),
            startTime: r.string("maintenanceStartTime", {
                valid: (v) => /^([01]\d|2[0-3]):[0-5]\d$/.test(v),
                allowed: 'a time HH:MM, e.g. "02:00"',
            }),
            durationHours: r.integer("maintenanceDurationHours", { min: 4, max: 24 }),
            utcOffset: r.string("maintenanceUtcOffset", {
                valid: (v) => /^[+-](0\d|1[0-4]):[0-5]\d$/.test(v),
                allowed: 'a UTC offset such as "+01:00"',
            }),
        },
        networkDataplane: r.oneOf("networkDataplane", NETWORK_DATAPLANES),
        acrSku: r.oneOf("acrSku", ACR_SKUS),
        aksTier: r.oneOf("aksTier", AKS_TIERS),
        kubeloginMode: r.oneOf("kubeloginMode", KUBELOGIN_MODES),
        logRetentionDays: r.integer("logRetentionDays", { min: 30, max: 730 }),
        ingressKeyVaultId: r.optionalString("ingressKeyVaultId", {
            valid: isKeyVaultId,
            allowed:
                "a Key Vault resource id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>",
        }),
        deployerObjectIds: r.stringList("deployerObjectIds", (id) =>
            isGuid(id) ? undefined : "Azure AD object ids (GUIDs)",
        ),
        apiServerAuthorizedIpRanges: r.stringList("apiServerAuthorizedIpRanges", (cidr) =>
            isIpv4Cidr(cidr) ? undefined : 'IPv4 CIDRs such as "203.0.113.0/24"',
        ),
    };
    // AKS moves the patch version itself on an auto-upgrade channel; a pinned patch would be fought back.
    if (config.kubernetesVersion?.split(".").length === 3 && config.upgradeChannel !== "none") {
        r.problem(
            "kubernetesVersion",
            config.kubernetesVersion,
            `MAJOR.MINOR only (e.g. "${config.kubernetesVersion.split(".").slice(0, 2).join(".")}") while upgradeChannel is "${config.upgradeChannel}": AKS applies the patches`,
        );
    }
    return config;
}
