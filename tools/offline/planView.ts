import {
    PoolCapacity,
    TeamRequests,
    amounts,
    capacityCheck,
    teamShares,
} from "../../components/platform/capacity";
import { vmSize } from "../../components/platform/vmSizes";
import { BuiltInRoles } from "../../src/roles";
import { OfflineRun, RegisteredResource, isUnknown, isWireSecret } from "./run";

/** How a plan prints a value that only exists after `pulumi up` (an id, a computed output). */
export const KNOWN_AFTER_UP = "(known after up)";

const ROLE_NAMES = new Map<string, string>(Object.entries(BuiltInRoles).map(([name, id]) => [id, name]));

/** What a reviewer checks of any workload identity federation: who may sign in, as what, for whom. */
const FEDERATION = ["issuer", "subject", "audiences"] as const;

/** Inputs worth showing in a plan, by resource type: the settings a reviewer checks. */
const KEY_SETTINGS: Record<string, readonly string[]> = {
    "azure-native:resources:ResourceGroup": ["resourceGroupName", "location"],
    "azure-native:containerservice:ManagedCluster": [
        "resourceName",
        "kubernetesVersion",
        "sku.tier",
        "disableLocalAccounts",
        "aadProfile.enableAzureRBAC",
        "oidcIssuerProfile.enabled",
        "securityProfile.workloadIdentity.enabled",
        "networkProfile.networkPolicy",
        "autoUpgradeProfile.upgradeChannel",
        "autoUpgradeProfile.nodeOSUpgradeChannel",
        "agentPoolProfiles.0.vmSize",
        "agentPoolProfiles.0.count",
        "agentPoolProfiles.0.availabilityZones",
    ],
    "azure-native:containerservice:MaintenanceConfiguration": [
        "configName",
        "maintenanceWindow.schedule.weekly.dayOfWeek",
        "maintenanceWindow.startTime",
        "maintenanceWindow.durationHours",
    ],
    "azure-native:resources:Resource": [
        "resourceType",
        "resourceName",
        "apiVersion",
        "sku.name",
        "properties.adminUserEnabled",
        "properties.roleAssignmentMode",
    ],
    "azure-native:operationalinsights:Workspace": ["workspaceName", "retentionInDays"],
    "azure-native:monitor:DiagnosticSetting": ["logs"],
    "azure-native:storage:StorageAccount": [
        "accountName",
        "sku.name",
        "minimumTlsVersion",
        "allowBlobPublicAccess",
        "enableHttpsTrafficOnly",
    ],
    "azure-native:storage:BlobContainer": ["containerName", "publicAccess"],
    "azure-native:monitor:DataCollectionRule": ["dataCollectionRuleName", "dataFlows.0.streams"],
    "azure-native:monitor:MetricAlert": [
        "severity",
        "windowSize",
        "criteria.allOf.0.metricName",
        "criteria.allOf.0.threshold",
    ],
    "azure-native:monitor:ScheduledQueryRule": ["severity", "windowSize", "criteria.allOf.0.threshold"],
    "azure-native:monitor:ActionGroup": ["groupShortName", "emailReceivers"],
    "azure-native:managedidentity:UserAssignedIdentity": ["resourceName"],
    "azure-native:managedidentity:FederatedIdentityCredential": FEDERATION,
    "azuread:index/application:Application": ["displayName", "signInAudience"],
    "azuread:index/group:Group": ["displayName", "securityEnabled"],
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": FEDERATION,
    "azuread:index/applicationPassword:ApplicationPassword": ["endDate"],
    "random:index/randomPassword:RandomPassword": ["length"],
    "tls:index/privateKey:PrivateKey": ["algorithm"],
    "github:index/repositoryDeployKey:RepositoryDeployKey": ["repository", "title", "readOnly"],
    "github:index/repositoryFile:RepositoryFile": ["repository", "branch", "file", "overwriteOnCreate"],
    "github:index/repository:Repository": ["name", "visibility"],
    "kubernetes:helm.sh/v3:Release": ["namespace", "chart", "version", "repositoryOpts.repo"],
    "kubernetes:helm.sh/v4:Chart": ["namespace", "chart", "version", "repositoryOpts.repo"],
    "azuredevops:index/project:Project": ["name", "visibility"],
    "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM": [
        "serviceEndpointName",
        "serviceEndpointAuthenticationScheme",
    ],
    "azuredevops:index/serviceEndpointAzureEcr:ServiceEndpointAzureEcr": [
        "serviceEndpointName",
        "serviceEndpointAuthenticationScheme",
    ],
    "azuredevops:index/serviceEndpointGitHub:ServiceEndpointGitHub": ["serviceEndpointName"],
    "azuredevops:index/variableGroup:VariableGroup": ["name", "allowAccess"],
    "azuredevops:index/buildDefinition:BuildDefinition": ["name", "repository.ymlPath", "repository.repoId"],
    "azuredevops:index/environment:Environment": ["name"],
    "azuredevops:index/pipelineAuthorization:PipelineAuthorization": ["type"],
    "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository": ["spec.url", "spec.ref"],
    "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository": ["spec.url", "spec.secretRef.name"],
    "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository": ["spec.url", "spec.ref", "spec.provider"],
    "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease": [
        "spec.chart.spec.version",
        "spec.chartRef.name",
        "spec.serviceAccountName",
        "spec.upgrade.remediation.strategy",
        "spec.dependsOn",
    ],
    "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization": [
        "spec.path",
        "spec.prune",
        "spec.serviceAccountName",
        "spec.targetNamespace",
    ],
    "kubernetes:core/v1:Namespace": ["metadata.labels.pod-security\\.kubernetes\\.io/enforce"],
};

/** Path segments; `\\.` escapes a dot that belongs to a key (label names). */
function segments(path: string): string[] {
    return path.split(/(?<!\\)\./).map((k) => k.replace(/\\\./g, "."));
}

function get(value: any, path: string): unknown {
    return segments(path).reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), value);
}

/** A value as a plan prints it: secrets hidden, unknowns as {@link KNOWN_AFTER_UP}, never `undefined`. */
export function show(value: unknown): string {
    if (isWireSecret(value)) return "[secret]";
    if (isUnknown(value)) return KNOWN_AFTER_UP;
    if (value === undefined) return "(none)";
    if (Array.isArray(value)) {
        return `[${value.map((v) => (v && typeof v === "object" && "category" in v ? show((v as { category: unknown }).category) : show(v))).join(",")}]`;
    }
    if (typeof value === "object" && value !== null) {
        return JSON.stringify(value, (_k, v) =>
            isWireSecret(v) ? "[secret]" : isUnknown(v) ? KNOWN_AFTER_UP : v,
        );
    }
    return String(value);
}

/** One line of the settings that matter for a resource; secrets never shown. */
export function summarize(r: RegisteredResource): string {
    const wire = r.wireInputs;
    if (r.type === "azure-native:authorization:RoleAssignment") {
        const roleDefinitionId = wire.roleDefinitionId;
        const roleId = isUnknown(roleDefinitionId)
            ? ""
            : (String(r.inputs.roleDefinitionId ?? "")
                  .split("/")
                  .pop() ?? "");
        const role = roleId ? (ROLE_NAMES.get(roleId) ?? roleId) : unknownFrom(r, "roleDefinitionId");
        const scope = isUnknown(wire.scope)
            ? unknownFrom(r, "scope")
            : String(r.inputs.scope ?? "").replace(/^\/subscriptions\/[^/]+/, "…");
        const prefix = /StringStartsWithIgnoreCase '([^']+)'/.exec(String(r.inputs.condition ?? ""))?.[1];
        return `role=${role} scope=${scope}${prefix ? ` repositories=${prefix}*` : ""}`;
    }
    if (r.type.startsWith("kubernetes:") && wire.metadata) {
        const ns = wire.metadata.namespace ? `${show(wire.metadata.namespace)}/` : "";
        const kind = wire.kind ? `${wire.apiVersion} ${wire.kind} ` : "";
        const chart = wire.chart
            ? ` chart=${show(wire.chart)}${wire.version === undefined ? "" : `@${show(wire.version)}`}`
            : "";
        const settings = keySettings(r);
        return `${kind}${ns}${show(wire.metadata.name ?? r.name)}${chart}${settings ? ` ${settings}` : ""}`;
    }
    return keySettings(r);
}

/**
 * An unknown input, with the resources it comes from when the program said so (a role assignment's
 * scope is the id of the registry it grants on: unknown until the registry exists, but not a mystery).
 */
function unknownFrom(r: RegisteredResource, input: string): string {
    const from = (r.propertyDependencies?.[input] ?? []).map((urn) => urn.split("::").pop());
    return from.length > 0 ? `(known after up, from ${from.join(", ")})` : KNOWN_AFTER_UP;
}

function keySettings(r: RegisteredResource): string {
    const keys = KEY_SETTINGS[r.type];
    if (!keys) return "";
    return keys
        .map(
            (k) =>
                [
                    k,
                    segments(k)
                        .filter((p) => !/^\d+$/.test(p))
                        .join("."),
                    get(r.wireInputs, k),
                ] as const,
        )
        .filter(([, , v]) => v !== undefined)
        .map(([path, k, v]) => `${k}=${isUnknown(v) ? unknownFrom(r, segments(path)[0]) : show(v)}`)
        .join(" ");
}

/**
 * What a component that expands at deploy time will contain, as far as it is known offline: a
 * helm.sh/v4 Chart registers its objects only when the provider renders the chart, which mocks cannot.
 */
export function expansion(r: RegisteredResource): string | undefined {
    if (r.type !== "kubernetes:helm.sh/v4:Chart") return undefined;
    const w = r.wireInputs;
    const source = w.repositoryOpts?.repo ? ` from ${show(w.repositoryOpts.repo)}` : "";
    const version = w.version === undefined ? "" : ` ${show(w.version)}`;
    const namespace = w.namespace === undefined ? "" : ` into namespace ${show(w.namespace)}`;
    const values = w.values && typeof w.values === "object" ? Object.keys(w.values).length : 0;
    return (
        `expands at deploy time: the provider renders chart ${show(w.chart)}${version}${source}${namespace}` +
        (values ? ` with ${values} top-level values set` : "") +
        `; its objects (CRDs, controllers, RBAC) are registered then, so they are not counted below`
    );
}

const MAX_TYPE_WIDTH = 60;
/** Names past it (a few long Kubernetes object names) overflow their own row, not every row. */
const MAX_NAME_WIDTH = 40;

export interface PlanLayout {
    /** The stack resource Pulumi creates first; every top-level resource is its child. */
    readonly stackName: string;
    /** The terminal's width: a resource's settings fold onto more lines past it (default {@link PLAN_WIDTH}). */
    readonly width?: number;
}

/** The width settings fold at when the output is not a terminal (a file, a pull request comment). */
export const PLAN_WIDTH = 120;

/** Provider plugins the plan uses (`azure-native 3.28.0`), from the `version` option of each resource. */
export function plugins(run: OfflineRun): string[] {
    const found = new Map<string, string>();
    for (const r of run.resources) {
        const pkg = r.type.startsWith("pulumi:providers:") ? r.type.split(":")[2] : r.type.split(":")[0];
        if (r.version && pkg !== "gitops") found.set(pkg, r.version);
    }
    return [...found].sort(([a], [b]) => a.localeCompare(b)).map(([pkg, version]) => `${pkg} ${version}`);
}

/**
 * The plan in `pulumi preview`'s layout: one line per resource (op, type indented under its parent,
 * name, plan), the settings a reviewer checks under it, what deploy-time components will contain,
 * the stack outputs, and the `Resources: + N to create` summary (N counts what `up` creates: the
 * stack, components, explicit providers and cloud resources).
 */
export function renderPlan(run: OfflineRun, layout: PlanLayout): string {
    const rows = planRows(run, layout);
    const lines = [...table(rows, layout.width ?? PLAN_WIDTH), ...outputLines(run)];
    const deployTime = run.resources.filter((r) => expansion(r));
    lines.push("", "Resources:", `    + ${rows.length} to create`);
    for (const r of deployTime)
        lines.push(`      and what ${r.type.split(":").slice(1).join(":")} ${r.name} renders at deploy time`);
    return lines.join("\n") + "\n";
}

/** One resource of the plan's table. */
interface Row {
    readonly tree: string;
    readonly type: string;
    readonly name: string;
    readonly info: string;
    readonly details: readonly string[];
    /** What precedes a detail line: the tree's bars down to this resource's own children. */
    readonly under: string;
}

/** The stack, then every resource depth-first under its parent, in registration order. */
function planRows(run: OfflineRun, layout: PlanLayout): Row[] {
    const children = new Map<string, RegisteredResource[]>();
    for (const r of run.resources) {
        const siblings = children.get(r.parent) ?? [];
        siblings.push(r);
        children.set(r.parent, siblings);
    }
    const rows: Row[] = [
        { tree: "", type: "pulumi:pulumi:Stack", name: layout.stackName, info: "", details: [], under: "" },
    ];
    const walk = (parent: string, prefix: string) => {
        const list = children.get(parent) ?? [];
        list.forEach((r, i) => {
            const last = i === list.length - 1;
            const continuation = prefix + (last ? "   " : "│  ");
            const details = [summarize(r), expansion(r) ?? ""].filter(Boolean);
            const under = continuation + ((children.get(r.urn) ?? []).length > 0 ? "│  " : "   ");
            rows.push({
                tree: `${prefix}${last ? "└─ " : "├─ "}`,
                type: r.type,
                name: r.name,
                info: r.protect ? "[protect]" : "",
                details,
                under,
            });
            walk(r.urn, continuation);
        });
    };
    walk("", "");
    return rows;
}

/** The header and one line per row, each row's settings under it, folded at `width`. */
function table(rows: readonly Row[], width: number): string[] {
    // Columns as wide as their longest entry, up to a point: a few long azuread types overflow.
    const typeWidth = Math.min(MAX_TYPE_WIDTH, Math.max(...rows.map((r) => r.tree.length + r.type.length)));
    const nameWidth = Math.min(MAX_NAME_WIDTH, Math.max(...rows.map((r) => r.name.length)));
    const lines = [`     ${"Type".padEnd(typeWidth)}  ${"Name".padEnd(nameWidth)}  Plan`];
    for (const row of rows) {
        lines.push(
            ` +   ${(row.tree + row.type).padEnd(typeWidth)}  ${row.name.padEnd(nameWidth)}  create${row.info ? `  ${row.info}` : ""}`,
        );
        // Settings sit under the type, inside the tree's bars.
        for (const d of row.details)
            for (const [i, line] of fold(d, width - 5 - row.under.length).entries())
                lines.push(`     ${row.under}${i > 0 ? "  " : ""}${line}`);
    }
    return lines;
}

/**
 * `key=value key=value ...` as lines of at most `width` characters, broken between settings (a value
 * with spaces, a version range, stays whole; a setting longer than the width keeps a line of its own).
 */
export function fold(settings: string, width: number): string[] {
    const lines: string[] = [];
    for (const setting of settings.split(/ (?=[\w.[\]"/-]+=)/)) {
        const last = lines.length - 1;
        if (last >= 0 && lines[last].length + 1 + setting.length <= width) lines[last] += ` ${setting}`;
        else lines.push(setting);
    }
    return lines;
}

/** The stack outputs, secrets hidden; nothing when there are none. */
function outputLines(run: OfflineRun): string[] {
    const outputs = Object.entries(run.outputs).filter(([, v]) => v !== undefined);
    if (outputs.length === 0) return [];
    const lines = ["", "Outputs:"];
    const width = Math.max(...outputs.map(([k]) => k.length));
    for (const [key, value] of outputs) {
        lines.push(`    ${key.padEnd(width)}: ${run.secretOutputs.includes(key) ? "[secret]" : show(value)}`);
    }
    return lines;
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
    for (const r of run.resources)
        if (r.type.startsWith("gitops:")) nodes.set(r.urn, `${r.type.split(":")[2]} ${r.name}`);
    const edges = new Set<string>();
    for (const r of run.resources) {
        const from = owner(r.urn);
        // A provider reference is `<urn>::<id>`: using the platform's Kubernetes provider is a dependency too.
        const provider = r.provider ? r.provider.split("::").slice(0, -1).join("::") : "";
        for (const dep of provider ? [...r.dependencies, provider] : r.dependencies) {
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

/** The capacity check's inputs as the program registered them: the user pools (AgentPool resources). */
export function registeredPools(run: OfflineRun): PoolCapacity[] {
    return run.resources
        .filter((r) => r.type === "azure-native:containerservice:AgentPool")
        .map((r) => ({
            name: String(r.inputs.nodeLabels?.["gitops.platform/pool"] ?? r.inputs.agentPoolName),
            vmSize: String(r.inputs.vmSize),
            maxCount: Number(r.inputs.maxCount),
            maxPods: Number(r.inputs.maxPods),
        }));
}

/** Each team's quota as the program registered it: its namespace's ResourceQuota. */
export function registeredQuotas(run: OfflineRun): TeamRequests[] {
    return run.resources
        .filter(
            (r) => r.type === "kubernetes:core/v1:ResourceQuota" && r.inputs.metadata?.name === "team-quota",
        )
        .map((r) => ({
            team: String(r.inputs.metadata?.namespace),
            cpu: String(r.inputs.spec?.hard?.["requests.cpu"]),
            memory: String(r.inputs.spec?.hard?.["requests.memory"]),
            pods: Number(r.inputs.spec?.hard?.pods),
        }));
}

/**
 * The plan's Capacity section: each user pool's allocatable node, and each team's quota as a share of
 * what the pools hold at their autoscaler maximum (the figures the config check compares). Nothing for
 * a stack without user pools (delivery).
 */
export function renderCapacity(run: OfflineRun): string {
    const pools = registeredPools(run);
    if (pools.length === 0 || pools.some((p) => !vmSize(p.vmSize))) return "";
    const check = capacityCheck(pools, registeredQuotas(run));
    const lines = ["Capacity: each team's quota against the user pools at their autoscaler maximum"];
    for (const { pool, node } of check.pools)
        lines.push(
            `    pool ${pool.name}: ${pool.maxCount} × ${pool.vmSize}, each node ${amounts(node)} allocatable`,
        );
    for (const line of teamShares(check)) lines.push(`    ${line}`);
    return lines.join("\n") + "\n";
}
