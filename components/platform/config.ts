import * as fs from "node:fs";
import * as os from "node:os";
import { KUBELOGIN_MODES, KubeloginMode } from "./kubeconfig";
import { NodePoolConfig, OS_SKUS, SYSTEM_POOL, TAINT_EFFECTS } from "./nodePools";
import { VM_SIZES, vmSize as knownVmSize } from "./vmSizes";
import { availabilityZones } from "../../src/azureRegions";
import { CONFIG_KEYS } from "../../src/config/keys";
import { ConfigReader } from "../../src/config/reader";
import { isAzureLocation, isGuid, isIpv4Cidr, isKeyVaultId, isSemver } from "../../src/config/validators";
import { Names } from "../../src/naming";

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

export type UpgradeChannel = (typeof UPGRADE_CHANNELS)[number];

/** When AKS may upgrade the control plane, the nodes and their OS image. */
export interface MaintenanceWindow {
    readonly dayOfWeek: (typeof WEEKDAYS)[number];
    /** Start time, `HH:MM`, in `utcOffset`. */
    readonly startTime: string;
    readonly durationHours: number;
    /** e.g. `+01:00`. */
    readonly utcOffset: string;
}

/** The cluster autoscaler's bounds for the system pool (its other settings are the platform's, see SYSTEM_POOL). */
export interface SystemPoolConfig {
    readonly minCount: number;
    readonly maxCount: number;
}

export interface PlatformConfig {
    readonly location: string;
    /** Mixed into the hash of globally unique names (registry, storage, DNS label); e.g. the organisation. */
    readonly globalNameSeed: string;
    /** Protect the stateful resources (resource group, cluster, registry, workspace, storage) from deletion. */
    readonly protect: boolean;
    /** A CanNotDelete management lock on the resource group: Azure refuses every delete inside it. */
    readonly resourceGroupLock: boolean;
    /** AKS Kubernetes version (`1.33` or `1.33.2`); undefined lets AKS choose its default. */
    readonly kubernetesVersion?: string;
    readonly systemPool: SystemPoolConfig;
    /** The pools the teams' workloads run on; at least one. */
    readonly userPools: readonly NodePoolConfig[];
    readonly upgradeChannel: UpgradeChannel;
    readonly nodeOsUpgradeChannel: (typeof NODE_OS_UPGRADE_CHANNELS)[number];
    readonly maintenanceWindow: MaintenanceWindow;
    readonly networkDataplane: (typeof NETWORK_DATAPLANES)[number];
    readonly acrSku: (typeof ACR_SKUS)[number];
    /** AKS pricing tier; Standard carries the uptime SLA. */
    readonly aksTier: (typeof AKS_TIERS)[number];
    /** How the kubeconfig built for Pulumi logs in (kubelogin `--login`); `AAD_LOGIN_METHOD` overrides it. */
    readonly kubeloginMode: KubeloginMode;
    readonly logRetentionDays: number;
    /**
     * Key Vault (resource id) holding the TLS certificates of the app routing ingress; the add-on's
     * identity gets Key Vault Secrets User on it. Undefined: no TLS certificates from Key Vault.
     */
    readonly ingressKeyVaultId?: string;
    /** The old ingress controller's namespace, still let into web apps during the move (`readLegacyIngressNamespace`). */
    readonly legacyIngressNamespace?: string;
    /**
     * Object ids of every principal that runs `pulumi up` (engineers, the CI deploy identity): RBAC
     * Cluster Admin on the cluster. Never empty.
     */
    readonly deployerObjectIds: readonly string[];
    /**
     * The service principals among the deployers that own the stack's Azure AD applications and
     * groups (the CI deploy identity). Never a user: the azuread provider reads every owner through
     * `/directoryObjects/{id}`, which for a user needs User.Read.All on every run, and an owner can
     * only be replaced later with Application.ReadWrite.All. Engineers act through the admin group.
     */
    readonly ownerObjectIds: readonly string[];
    /** Object ids of the principals that only preview (the CI preview identity): read-only on the cluster. */
    readonly previewerObjectIds: readonly string[];
    /** CIDRs allowed to reach the API server; empty means unrestricted (AAD still required). */
    readonly apiServerAuthorizedIpRanges: readonly string[];
}

export function readPlatformConfig(r: ConfigReader, names: Names): PlatformConfig {
    const location = r.string("location", {
        valid: isAzureLocation,
        allowed: 'an Azure region name in lowercase letters and digits, e.g. "westeurope"',
    });
    const config: PlatformConfig = {
        location,
        globalNameSeed: r.string("globalNameSeed", {
            valid: (v) => /^[a-z0-9-]{1,40}$/.test(v),
            allowed:
                "lowercase letters, digits and '-', at most 40 characters, e.g. your organisation's name (required: it keeps the registry, storage and DNS names of your deployment yours)",
        }),
        protect: r.boolean("protect"),
        resourceGroupLock: r.boolean("resourceGroupLock"),
        kubernetesVersion: r.optionalString("kubernetesVersion", {
            valid: (v) => /^\d+\.\d+(\.\d+)?$/.test(v),
            allowed: 'a Kubernetes version MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. "1.33"',
        }),
        systemPool: readSystemPool(r),
        userPools: readUserPools(r, location),
        upgradeChannel: r.oneOf("upgradeChannel", UPGRADE_CHANNELS),
        nodeOsUpgradeChannel: r.oneOf("nodeOsUpgradeChannel", NODE_OS_UPGRADE_CHANNELS),
        maintenanceWindow: readMaintenanceWindow(r),
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
        legacyIngressNamespace: readLegacyIngressNamespace(r),
        ...readAccess(r),
        apiServerAuthorizedIpRanges: r.stringList("apiServerAuthorizedIpRanges", (cidr) =>
            isIpv4Cidr(cidr) ? undefined : 'IPv4 CIDRs such as "203.0.113.0/24"',
        ),
    };
    checkUpgradeChannels(r, config);
    checkAzureNames(r, names);
    return config;
}

function readSystemPool(r: ConfigReader): SystemPoolConfig {
    const minCount = r.integer("systemPoolMinCount", { min: 1, max: 100 });
    const maxCount = r.integer("systemPoolMaxCount", { min: 1, max: 100 });
    if (maxCount < minCount)
        r.problem("systemPoolMaxCount", maxCount, `an integer from systemPoolMinCount (${minCount}) to 100`);
    return { minCount, maxCount };
}

function readMaintenanceWindow(r: ConfigReader): MaintenanceWindow {
    return {
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
    };
}

/**
 * Who runs the stack. Naming them is required: a grant that followed whoever runs `pulumi up` would be
 * replaced by the next runner, and a preview identity listed as a deployer would be cluster admin.
 */
function readAccess(
    r: ConfigReader,
): Pick<PlatformConfig, "deployerObjectIds" | "ownerObjectIds" | "previewerObjectIds"> {
    const objectIds = (id: string) => (isGuid(id) ? undefined : "Azure AD object ids (GUIDs)");
    const deployerObjectIds = r.stringList("deployerObjectIds", objectIds).map((id) => id.toLowerCase());
    const previewerObjectIds = r.stringList("previewerObjectIds", objectIds).map((id) => id.toLowerCase());
    if (r.raw("deployerObjectIds") !== undefined && deployerObjectIds.length === 0) {
        r.problem(
            "deployerObjectIds",
            [],
            "at least one Azure AD object id: the CI deploy identity and the engineers who run pulumi up",
        );
    } else if (r.raw("deployerObjectIds") === undefined) {
        r.problem(
            "deployerObjectIds",
            undefined,
            "a list of the Azure AD object ids that run pulumi up (the CI deploy identity, the engineers of the first up); required",
        );
    }
    const ownerObjectIds = r.stringList("ownerObjectIds", objectIds).map((id) => id.toLowerCase());
    if (r.raw("ownerObjectIds") === undefined || ownerObjectIds.length === 0) {
        r.problem(
            "ownerObjectIds",
            r.raw("ownerObjectIds"),
            "a list of at least one object id of a service principal that runs pulumi up (the CI deploy identity's, never a user's); required",
        );
    }
    for (const id of ownerObjectIds.filter((o) => !deployerObjectIds.includes(o))) {
        r.problem(
            "ownerObjectIds",
            id,
            "object ids that are also in deployerObjectIds: an owner that never runs pulumi up could not manage what it owns",
        );
    }
    for (const id of previewerObjectIds.filter((p) => deployerObjectIds.includes(p))) {
        r.problem(
            "previewerObjectIds",
            id,
            "object ids that are not also in deployerObjectIds: a previewer must never be cluster admin or owner",
        );
    }
    return {
        deployerObjectIds: [...new Set(deployerObjectIds)],
        ownerObjectIds: [...new Set(ownerObjectIds)],
        previewerObjectIds: [...new Set(previewerObjectIds)],
    };
}

/**
 * Combinations AKS refuses, or accepts and later undoes: with `node-image` AKS forces the node OS
 * channel to NodeImage; `stable`/`rapid` move the minor version, so any pin becomes a downgrade AKS
 * refuses; `patch` moves the patch version, so a patch pin is fought back.
 */
function checkUpgradeChannels(r: ConfigReader, config: PlatformConfig): void {
    const { upgradeChannel, nodeOsUpgradeChannel, kubernetesVersion } = config;
    if (upgradeChannel === "node-image" && nodeOsUpgradeChannel !== "NodeImage") {
        r.problem(
            "nodeOsUpgradeChannel",
            nodeOsUpgradeChannel,
            '"NodeImage" while upgradeChannel is "node-image" (AKS sets it and refuses any other), or another upgradeChannel',
        );
    }
    if (!kubernetesVersion) return;
    const minor = kubernetesVersion.split(".").slice(0, 2).join(".");
    if (upgradeChannel === "stable" || upgradeChannel === "rapid") {
        r.problem(
            "kubernetesVersion",
            kubernetesVersion,
            `empty while upgradeChannel is "${upgradeChannel}": AKS moves the minor version, and a pin would later ask for a downgrade`,
        );
    } else if (upgradeChannel === "patch" && kubernetesVersion !== minor) {
        r.problem(
            "kubernetesVersion",
            kubernetesVersion,
            `MAJOR.MINOR only (e.g. "${minor}") while upgradeChannel is "patch": AKS applies the patches`,
        );
    }
}

/** Azure's length and character rules for the names derived from project and stack. */
export const AZURE_NAME_RULES = {
    resourceGroup: { max: 90, pattern: /^[-\w.()]*[-\w()]$/, what: "a resource group name" },
    nodeResourceGroup: { max: 80, pattern: /^[-\w.()]*[-\w()]$/, what: "an AKS node resource group name" },
    cluster: { max: 63, pattern: /^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$/, what: "an AKS cluster name" },
    dnsPrefix: { max: 54, pattern: /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, what: "an AKS DNS prefix" },
    workspace: {
        max: 63,
        pattern: /^[a-zA-Z0-9][-a-zA-Z0-9]{2,}[a-zA-Z0-9]$/,
        what: "a Log Analytics workspace name (4 or more characters)",
    },
} as const;

/** Where AKS puts the cluster's VMs and load balancers; named, so it never exceeds Azure's 80 characters silently. */
export function nodeResourceGroupName(names: Names): string {
    return `${names.resourceGroup}-nodes`;
}

/** The derived names Azure would refuse, each with what it allows. */
export function azureNameProblems(names: Names): { name: string; allowed: string }[] {
    const derived: Record<keyof typeof AZURE_NAME_RULES, string> = {
        resourceGroup: names.resourceGroup,
        nodeResourceGroup: nodeResourceGroupName(names),
        cluster: names.cluster,
        dnsPrefix: names.dnsPrefix,
        workspace: names.workspace,
    };
    return (Object.entries(derived) as [keyof typeof AZURE_NAME_RULES, string][])
        .filter(
            ([kind, name]) =>
                name.length > AZURE_NAME_RULES[kind].max || !AZURE_NAME_RULES[kind].pattern.test(name),
        )
        .map(([kind, name]) => ({
            name,
            allowed: `a project and stack name short enough for ${AZURE_NAME_RULES[kind].what} of at most ${AZURE_NAME_RULES[kind].max} characters (letters, digits, hyphens; no hyphen at either end); "${name}" has ${name.length}`,
        }));
}

function checkAzureNames(r: ConfigReader, names: Names): void {
    for (const { name, allowed } of azureNameProblems(names)) r.problem("pulumi:stack", name, allowed);
}

const POOL_FIELDS = [
    "name",
    "vmSize",
    "minCount",
    "maxCount",
    "zones",
    "osSku",
    "maxPods",
    "labels",
    "taints",
];
const LABEL =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const TAINT = new RegExp(
    `^[A-Za-z0-9][-A-Za-z0-9_./]{0,252}(=[-A-Za-z0-9_.]{0,63})?:(${TAINT_EFFECTS.join("|")})$`,
);

type Raw = Record<string, unknown>;

/** Reads `userPools`: every problem of every pool at once, each naming `userPools[i].field`. */
export function readUserPools(r: ConfigReader, location: string): NodePoolConfig[] {
    const value = r.raw("userPools") ?? CONFIG_KEYS.userPools.default;
    if (
        !Array.isArray(value) ||
        value.length === 0 ||
        value.some((p) => !p || typeof p !== "object" || Array.isArray(p))
    ) {
        r.problem(
            "userPools",
            value,
            "a non-empty list of pools { name, vmSize, minCount, maxCount, zones?, osSku?, maxPods?, labels?, taints? }",
        );
        return [];
    }
    const pools = (value as Raw[]).map((raw, i) => readPool(r, raw, `userPools[${i}]`, location));
    const seen = new Set<string>();
    pools.forEach((pool, i) => {
        if (seen.has(pool.name))
            r.problem(`userPools[${i}].name`, pool.name, "a name no other pool of userPools has");
        seen.add(pool.name);
    });
    return pools;
}

function readPool(r: ConfigReader, raw: Raw, at: string, location: string): NodePoolConfig {
    for (const field of Object.keys(raw).filter((f) => !POOL_FIELDS.includes(f))) {
        r.problem(`${at}.${field}`, raw[field], `no such field; a pool has ${POOL_FIELDS.join(", ")}`);
    }
    const name = typeof raw.name === "string" ? raw.name : "";
    if (!/^[a-z][a-z0-9]{0,7}$/.test(name) || name === SYSTEM_POOL.name) {
        r.problem(
            `${at}.name`,
            raw.name,
            `1-8 lowercase letters and digits starting with a letter, not "${SYSTEM_POOL.name}": the platform appends a 4-character settings hash and AKS allows 12`,
        );
    }
    const vmSize =
        typeof raw.vmSize === "string" && /^Standard_[A-Za-z0-9_]+$/.test(raw.vmSize) ? raw.vmSize : "";
    if (!vmSize) r.problem(`${at}.vmSize`, raw.vmSize, 'an Azure VM size such as "Standard_D4ds_v5"');
    else if (!knownVmSize(vmSize))
        r.problem(
            `${at}.vmSize`,
            raw.vmSize,
            `a VM size of the capacity check's table (components/platform/vmSizes.ts): ${Object.keys(VM_SIZES).join(", ")}; for another size, add its vCPUs and memory there`,
        );
    const minCount = poolInteger(r, raw.minCount, `${at}.minCount`, 0, 1000);
    const maxCount = poolInteger(r, raw.maxCount, `${at}.maxCount`, Math.max(minCount, 1), 1000);
    return {
        name,
        vmSize,
        minCount,
        maxCount,
        zones: readZones(r, raw.zones, `${at}.zones`, location),
        osSku: raw.osSku === undefined ? "AzureLinux" : readOsSku(r, raw.osSku, `${at}.osSku`),
        maxPods:
            raw.maxPods === undefined
                ? SYSTEM_POOL.maxPods
                : poolInteger(r, raw.maxPods, `${at}.maxPods`, 10, 250),
        labels: readLabels(r, raw.labels, `${at}.labels`),
        taints: readTaints(r, raw.taints, `${at}.taints`),
    };
}

function poolInteger(r: ConfigReader, value: unknown, at: string, min: number, max: number): number {
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    r.problem(at, value, `an integer from ${min} to ${max}`);
    return min;
}

function readOsSku(r: ConfigReader, value: unknown, at: string): NodePoolConfig["osSku"] {
    if ((OS_SKUS as readonly unknown[]).includes(value)) return value as NodePoolConfig["osSku"];
    r.problem(at, value, `one of ${OS_SKUS.map((s) => JSON.stringify(s)).join(", ")}`);
    return "AzureLinux";
}

function readZones(
    r: ConfigReader,
    value: unknown,
    at: string,
    location: string,
): readonly string[] | undefined {
    if (value === undefined) return undefined;
    const available = availabilityZones(location) ?? [];
    const valid =
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((z) => typeof z === "string" && available.includes(z)) &&
        new Set(value).size === value.length;
    if (valid) return [...(value as string[])].sort();
    r.problem(
        at,
        value,
        available.length > 0
            ? `distinct zones among ${available.map((z) => JSON.stringify(z)).join(", ")} of ${location}`
            : `nothing: ${location} has no availability zones`,
    );
    return undefined;
}

function readLabels(r: ConfigReader, value: unknown, at: string): Readonly<Record<string, string>> {
    if (value === undefined) return {};
    if (!value || typeof value !== "object" || Array.isArray(value)) {
        r.problem(at, value, "a map of Kubernetes node labels, e.g. { workload: batch }");
        return {};
    }
    for (const [key, v] of Object.entries(value)) {
        if (!LABEL.test(key) || typeof v !== "string" || !LABEL_VALUE.test(v))
            r.problem(
                `${at}.${key}`,
                v,
                "a Kubernetes label: a qualified key and a value of at most 63 letters, digits, '-', '_' or '.'",
            );
    }
    return value as Record<string, string>;
}

function readTaints(r: ConfigReader, value: unknown, at: string): readonly string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        r.problem(at, value, "a list of taints key=value:Effect");
        return [];
    }
    value.forEach((t, i) => {
        if (typeof t !== "string" || !TAINT.test(t) || t.startsWith("CriticalAddonsOnly")) {
            r.problem(
                `${at}[${i}]`,
                t,
                `a taint key=value:Effect or key:Effect with Effect one of ${TAINT_EFFECTS.join(", ")} (CriticalAddonsOnly is the system pool's)`,
            );
        }
    });
    return value as string[];
}

/** What a cluster stack is given instead of what Azure provides to an environment. */
export interface ExistingClusterConfig {
    /** Path of the kubeconfig; empty: KUBECONFIG or ~/.kube/config, as kubectl reads them. */
    readonly kubeconfig: string;
    /** The kubeconfig context naming the cluster: never the current one by accident. */
    readonly context: string;
    /** MAJOR.MINOR.PATCH the cluster runs. */
    readonly kubernetesVersion: string;
    /** Registry host the teams' images must come from. */
    readonly registryLoginServer: string;
    /** Namespace of the Gateway `shared` the teams' HTTPRoutes attach to and their network policies admit. */
    readonly gatewayNamespace: string;
    /** The old ingress controller's namespace, still let into web apps during the move (`readLegacyIngressNamespace`). */
    readonly legacyIngressNamespace?: string;
}

/** A cluster stack's config (stackRole: cluster): its kubeconfig and what Azure would provide. */
export function readExistingClusterConfig(r: ConfigReader): ExistingClusterConfig {
    return {
        kubeconfig: homeExpanded(
            r.optionalString("clusterKubeconfig", {
                valid: (v) => fs.existsSync(homeExpanded(v)),
                allowed: "the path of an existing kubeconfig file, or empty for KUBECONFIG / ~/.kube/config",
            }) ?? "",
        ),
        context: r.string("clusterContext", {
            valid: (v) => /^\S+$/.test(v),
            allowed:
                'the name of a context in the kubeconfig, e.g. "kind-kind" (kubectl config get-contexts)',
        }),
        kubernetesVersion: r.string("clusterKubernetesVersion", {
            valid: (v) => isSemver(v.replace(/^v/, "")),
            allowed: 'the version the cluster runs, MAJOR.MINOR.PATCH, e.g. "1.36.3" (kubectl version)',
        }),
        registryLoginServer: r.string("registryLoginServer", {
            valid: (v) => /^[a-z0-9.-]+(:\d{1,5})?$/.test(v),
            allowed:
                'a registry host with an optional port, e.g. "myregistry.azurecr.io" or "127.0.0.1:5000"',
        }),
        gatewayNamespace: r.string("clusterGatewayNamespace", {
            valid: (v) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v),
            allowed: "a namespace name",
        }),
        legacyIngressNamespace: readLegacyIngressNamespace(r),
    };
}

/** The environment whose section of the team files a cluster stack applies: `clusterEnvironment`, else the first. */
export function readClusterEnvironment(r: ConfigReader, environments: readonly string[]): string {
    const environment = r.optionalString("clusterEnvironment") || environments[0] || "";
    if (!environments.includes(environment)) {
        r.problem("clusterEnvironment", environment, `one of environments: ${environments.join(", ")}`);
    }
    return environment;
}

/** `~/x` as a shell reads it: the kubeconfig path people write. */
function homeExpanded(path: string): string {
    return path.replace(/^~(?=\/|$)/, os.homedir());
}

/**
 * The move off the app routing add-on's Ingress: while set, the teams' web apps still admit the old
 * ingress controller's namespace (the policy keeps its old name, so the move's `up` leaves it in
 * place), and each host keeps serving until its team's HTTPRoute and DNS switch land.
 */
function readLegacyIngressNamespace(r: ConfigReader): string | undefined {
    return r.optionalString("legacyIngressNamespace", {
        valid: (v) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v),
        allowed: 'a namespace name, e.g. "app-routing-system", or empty once every host is on the Gateway',
    });
}
