import { BuiltInRoles } from "../roles";
import { OfflineRun, RegisteredResource, isWireSecret } from "./run";

const ROLE_NAMES = new Map<string, string>(Object.entries(BuiltInRoles).map(([name, id]) => [id, name]));

/** Inputs worth showing in a plan, by resource type: the settings a reviewer checks. */
const KEY_SETTINGS: Record<string, readonly string[]> = {
    "azure-native:resources:ResourceGroup": ["resourceGroupName", "location"],
    "azure-native:containerservice:ManagedCluster": [
        "resourceName", "kubernetesVersion", "sku.tier", "disableLocalAccounts", "aadProfile.enableAzureRBAC",
        "oidcIssuerProfile.enabled", "securityProfile.workloadIdentity.enabled", "networkProfile.networkPolicy",
        "autoUpgradeProfile.upgradeChannel", "autoUpgradeProfile.nodeOSUpgradeChannel",
        "agentPoolProfiles.0.vmSize", "agentPoolProfiles.0.count", "agentPoolProfiles.0.availabilityZones",
    ],
    "azure-native:containerservice:MaintenanceConfiguration": [
        "configName", "maintenanceWindow.schedule.weekly.dayOfWeek", "maintenanceWindow.startTime",
        "maintenanceWindow.durationHours",
    ],
    "azure-native:containerregistry:Registry": ["registryName", "sku.name", "adminUserEnabled"],
    "azure-native:operationalinsights:Workspace": ["workspaceName", "retentionInDays"],
    "azure-native:monitor:DiagnosticSetting": ["logs"],
    "azure-native:storage:StorageAccount": ["accountName", "minimumTlsVersion", "allowBlobPublicAccess"],
};

function get(value: any, path: string): unknown {
    return path.split(".").reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), value);
}

function show(value: unknown): string {
    if (isWireSecret(value)) return "[secret]";
    if (Array.isArray(value)) {
        return `[${value.map((v) => (v && typeof v === "object" && "category" in v ? (v as { category: string }).category : show(v))).join(",")}]`;
    }
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/** One line of the settings that matter for a resource; secrets never shown. */
export function summarize(r: RegisteredResource): string {
    const wire = r.wireInputs;
    if (r.type === "azure-native:authorization:RoleAssignment") {
        const roleId = String(r.inputs.roleDefinitionId ?? "").split("/").pop() ?? "";
        const scope = String(r.inputs.scope ?? "").replace(/^\/subscriptions\/[^/]+/, "…");
        return `role=${ROLE_NAMES.get(roleId) ?? roleId} scope=${scope}`;
    }
    if (r.type.startsWith("kubernetes:") && wire.metadata) {
        const ns = wire.metadata.namespace ? `${show(wire.metadata.namespace)}/` : "";
        const kind = wire.kind ? `${wire.apiVersion} ${wire.kind} ` : "";
        const chart = wire.chart ? ` chart=${show(wire.chart)}@${show(wire.version)}` : "";
        return `${kind}${ns}${show(wire.metadata.name ?? r.name)}${chart}`;
    }
    const keys = KEY_SETTINGS[r.type];
    if (!keys) return "";
    return keys
        .map((k) => [k.split(".").filter((p) => !/^\d+$/.test(p)).join("."), get(wire, k)] as const)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${show(v)}`)
        .join(" ");
}

export interface ComponentGraph {
    readonly nodes: ReadonlyMap<string, string>;
    readonly edges: ReadonlySet<string>;
}

/**
 * Components (gitops:* types) and which depends on which: A -> B when anything inside A takes an
 * input from, or explicitly depends on, anything inside B.
 */
export function componentGraph(run: OfflineRun): ComponentGraph {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const owner = (urn: string): string | undefined => {
        let r = byUrn.get(urn);
        let found: string | undefined;
        while (r) {
            if (r.type.startsWith("gitops:")) found = r.urn;
            r = byUrn.get(r.parent);
            if (found && r && !r.type.startsWith("gitops:")) break;
        }
        return found;
    };
    const nodes = new Map<string, string>();
    for (const r of run.resources) if (r.type.startsWith("gitops:")) nodes.set(r.urn, `${r.type.split(":")[2]} ${r.name}`);
    const edges = new Set<string>();
    for (const r of run.resources) {
        const from = owner(r.urn);
        for (const dep of r.dependencies) {
            const to = owner(dep);
            if (from && to && from !== to && !isAncestor(byUrn, to, from)) edges.add(`${from}|${to}`);
        }
    }
    return { nodes, edges };
}

function isAncestor(byUrn: Map<string, RegisteredResource>, maybeAncestor: string, urn: string): boolean {
    for (let r = byUrn.get(urn); r; r = byUrn.get(r.parent)) if (r.parent === maybeAncestor) return true;
    return false;
}

export function mermaid(graph: ComponentGraph): string {
    const ids = new Map([...graph.nodes.keys()].map((urn, i) => [urn, `c${i}`]));
    const lines = ["flowchart TD"];
    for (const [urn, label] of graph.nodes) lines.push(`    ${ids.get(urn)}["${label}"]`);
    for (const edge of [...graph.edges].sort()) {
        const [from, to] = edge.split("|");
        lines.push(`    ${ids.get(to)} --> ${ids.get(from)}`);
    }
    return lines.join("\n") + "\n";
}
