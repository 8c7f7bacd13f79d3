import { BuiltInRoles } from "../roles";
import { OfflineRun, RegisteredResource, isWireSecret } from "./run";

const ROLE_NAMES = new Map<string, string>(Object.entries(BuiltInRoles).map(([name, id]) => [id, name]));

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
    "azure-native:containerregistry:Registry": ["registryName", "sku.name", "adminUserEnabled"],
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
    "azure-native:managedidentity:FederatedIdentityCredential": ["issuer", "subject", "audiences"],
    "azuread:index/application:Application": ["displayName", "signInAudience"],
    "azuread:index/group:Group": ["displayName", "securityEnabled"],
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": [
        "issuer",
        "subject",
        "audiences",
    ],
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
        const roleId =
            String(r.inputs.roleDefinitionId ?? "")
                .split("/")
                .pop() ?? "";
        const scope = String(r.inputs.scope ?? "").replace(/^\/subscriptions\/[^/]+/, "…");
        return `role=${ROLE_NAMES.get(roleId) ?? roleId} scope=${scope}`;
    }
    if (r.type.startsWith("kubernetes:") && wire.metadata) {
        const ns = wire.metadata.namespace ? `${show(wire.metadata.namespace)}/` : "";
        const kind = wire.kind ? `${wire.apiVersion} ${wire.kind} ` : "";
        const chart = wire.chart ? ` chart=${show(wire.chart)}@${show(wire.version)}` : "";
        const settings = keySettings(r.type, wire);
        return `${kind}${ns}${show(wire.metadata.name ?? r.name)}${chart}${settings ? ` ${settings}` : ""}`;
    }
    return keySettings(r.type, wire);
}

function keySettings(type: string, wire: Record<string, any>): string {
    const keys = KEY_SETTINGS[type];
    if (!keys) return "";
    return keys
        .map(
            (k) =>
                [
                    segments(k)
                        .filter((p) => !/^\d+$/.test(p))
                        .join("."),
                    get(wire, k),
                ] as const,
        )
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
