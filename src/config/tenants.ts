import { ConfigReader } from "./reader";
import { isDnsLabel, isDuration, isGuid, isSemver, isSemverRange, isUpn } from "./validators";

export const DELIVERY_KINDS = ["helm", "kustomize"] as const;
export const POD_SECURITY_LEVELS = ["restricted", "baseline"] as const;
export const VERSION_POLICIES = ["range", "exact"] as const;
/** Namespaces a tenant may never take: the platform's own. */
export const RESERVED_NAMESPACES = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "flux-system",
    "app-routing-system",
    "gatekeeper-system",
    "chartmuseum",
] as const;

/** One deployable unit of a team: built by its own CI pipeline, delivered by Flux. */
export interface AppConfig {
    /** DNS label; the HelmRelease and the pods' `app.kubernetes.io/name` label. */
    readonly name: string;
    /** The GitHub repository holding the app's source and pipeline, `owner/repo`. */
    readonly repository: string;
    /** Path of the app's pipeline YAML in `repository`; default `<name>/ci-pipeline.yml`. */
    readonly pipelinePath: string;
    /** Helm teams: the chart name in the chart repository; default the app name. */
    readonly chart: string;
    /** Helm teams: a semver range (staging) or an exact version (stacks with `tenantVersionPolicy: exact`). */
    readonly version?: string;
    /** Whether the ingress controller may reach the app's pods (a web front end). */
    readonly web: boolean;
    /** Container port the app listens on; what network policies open. */
    readonly port: number;
    /** Helm teams: apps of the same team that must be ready first (`back` before `front`). */
    readonly dependsOn: readonly string[];
    /** Helm teams: values passed to the chart. */
    readonly values: Readonly<Record<string, unknown>>;
}

/** An allowed network flow: `from` pods may open connections to `to` pods on `port`. */
export interface FlowConfig {
    /** `app` of the same team, or `team/app` of another team. */
    readonly from: string;
    readonly to: string;
    readonly port: number;
}

/** Kustomize teams: where Flux reads the team's manifests. */
export interface TenantGitSource {
    /** `https://github.com/owner/repo` or `ssh://git@github.com/owner/repo`. */
    readonly url: string;
    readonly branch: string;
    /** Exact ref to deploy (required with `tenantVersionPolicy: exact`): a tag or a commit SHA. */
    readonly tag?: string;
    readonly commit?: string;
    /** Path of the kustomization in the repository. */
    readonly path: string;
    /** Name of a Secret in the team namespace holding Git credentials, for private repositories. */
    readonly secretName?: string;
}

export interface TenantQuota {
    readonly cpu: string;
    readonly memory: string;
    readonly pods: number;
}

export interface TenantLimits {
    readonly defaultCpu: string;
    readonly defaultMemory: string;
    readonly defaultRequestCpu: string;
    readonly defaultRequestMemory: string;
}

export interface TenantConfig {
    /** The team's name: also its namespace, group and variable group name. */
    readonly name: string;
    readonly delivery: (typeof DELIVERY_KINDS)[number];
    readonly podSecurity: (typeof POD_SECURITY_LEVELS)[number];
    /** Azure AD members of the team's group: object ids or UPNs. */
    readonly members: readonly string[];
    readonly quota: TenantQuota;
    readonly limits: TenantLimits;
    readonly apps: readonly AppConfig[];
    readonly flows: readonly FlowConfig[];
    /** Kustomize teams only. */
    readonly git?: TenantGitSource;
    /** How often Flux reconciles the team's objects. */
    readonly interval: string;
}

export interface TenantsConfig {
    /** `range` lets HelmReleases follow new charts (staging); `exact` pins them (prod). */
    readonly versionPolicy: (typeof VERSION_POLICIES)[number];
    readonly tenants: readonly TenantConfig[];
}

const DEFAULT_QUOTA: TenantQuota = { cpu: "4", memory: "8Gi", pods: 30 };
const DEFAULT_LIMITS: TenantLimits = {
    defaultCpu: "500m",
    defaultMemory: "512Mi",
    defaultRequestCpu: "100m",
    defaultRequestMemory: "128Mi",
};

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

export function readTenantsConfig(r: ConfigReader): TenantsConfig {
    const versionPolicy = r.oneOf("tenantVersionPolicy", VERSION_POLICIES, "range");
    const raw = r.raw("tenants") ?? [];
    if (!Array.isArray(raw)) {
        r.problem("tenants", raw, "a list of tenant objects (see README: Onboarding a team)");
        return { versionPolicy, tenants: [] };
    }
    const tenants = raw.map((t, i) => readTenant(r, t, `tenants[${i}]`, versionPolicy));
    checkTenantSet(r, tenants);
    return { versionPolicy, tenants };
}

function readTenant(r: ConfigReader, raw: unknown, at: string, policy: TenantsConfig["versionPolicy"]): TenantConfig {
    const t = isObject(raw) ? raw : {};
    if (!isObject(raw)) r.problem(at, raw, "an object with at least `name` and `delivery`");
    const name = str(t.name);
    if (!isDnsLabel(name)) {
        r.problem(`${at}.name`, t.name, "a DNS label (lowercase letters, digits and '-', at most 63 characters)");
    } else if ((RESERVED_NAMESPACES as readonly string[]).includes(name)) {
        r.problem(`${at}.name`, name, `a namespace not reserved by the platform (${RESERVED_NAMESPACES.join(", ")})`);
    }
    const delivery = str(t.delivery) as TenantConfig["delivery"];
    if (!DELIVERY_KINDS.includes(delivery)) r.problem(`${at}.delivery`, t.delivery, `one of ${DELIVERY_KINDS.join(", ")}`);
    const podSecurity = (t.podSecurity === undefined ? "restricted" : str(t.podSecurity)) as TenantConfig["podSecurity"];
    if (!POD_SECURITY_LEVELS.includes(podSecurity)) {
        r.problem(`${at}.podSecurity`, t.podSecurity, "restricted or baseline (never privileged)");
    }
    const members = list(t.members);
    members.forEach((m, i) => {
        if (typeof m !== "string" || !(isGuid(m) || isUpn(m))) {
            r.problem(`${at}.members[${i}]`, m, "an Azure AD object id (GUID) or a user principal name (user@domain)");
        }
    });
    const interval = t.interval === undefined ? "5m" : str(t.interval);
    if (!isDuration(interval)) r.problem(`${at}.interval`, t.interval, "a duration such as 1m, 5m or 1h");
    const apps = list(t.apps).map((a, i) => readApp(r, a, `${at}.apps[${i}]`, delivery, policy));
    if (apps.length === 0) r.problem(`${at}.apps`, t.apps, "at least one app (a helm team ships charts; every team builds something)");
    checkAppSet(r, apps, at);
    return {
        name,
        delivery,
        podSecurity,
        members: members as string[],
        quota: readQuota(r, t.quota, `${at}.quota`),
        limits: readLimits(r, t.limits, `${at}.limits`),
        apps,
        flows: list(t.flows).map((f, i) => readFlow(r, f, `${at}.flows[${i}]`)),
        git: delivery === "kustomize" ? readGit(r, t.git, `${at}.git`, policy) : undefined,
        interval,
    };
}

function readApp(r: ConfigReader, raw: unknown, at: string, delivery: string, policy: string): AppConfig {
    const a = isObject(raw) ? raw : {};
    const name = str(a.name);
    if (!isDnsLabel(name)) r.problem(`${at}.name`, a.name, "a DNS label");
    const repository = str(a.repository);
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) {
        r.problem(`${at}.repository`, a.repository, "the app's GitHub repository as owner/repo");
    }
    const version = a.version === undefined ? undefined : str(a.version);
    if (delivery === "helm") {
        if (version === undefined) {
            r.problem(`${at}.version`, undefined, "a chart version: a semver range, or an exact version when tenantVersionPolicy is exact");
        } else if (policy === "exact" && !isSemver(version)) {
            r.problem(`${at}.version`, version, "an exact semver version such as 1.4.2 (this stack pins versions: tenantVersionPolicy is exact)");
        } else if (!isSemverRange(version)) {
            r.problem(`${at}.version`, version, "a semver version or range such as 1.4.2 or >=1.0.0 <2.0.0");
        }
    }
    const port = a.port === undefined ? 8080 : a.port;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
        r.problem(`${at}.port`, a.port, "a port number from 1 to 65535");
    }
    const values = a.values === undefined ? {} : a.values;
    if (!isObject(values)) r.problem(`${at}.values`, a.values, "an object of Helm values");
    return {
        name,
        repository,
        pipelinePath: a.pipelinePath === undefined ? `${name}/ci-pipeline.yml` : str(a.pipelinePath),
        chart: a.chart === undefined ? name : str(a.chart),
        version,
        web: a.web === true,
        port: port as number,
        dependsOn: list(a.dependsOn).map(String),
        values: isObject(values) ? values : {},
    };
}

function readFlow(r: ConfigReader, raw: unknown, at: string): FlowConfig {
    const f = isObject(raw) ? raw : {};
    const port = f.port === undefined ? 8080 : f.port;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
        r.problem(`${at}.port`, f.port, "a port number from 1 to 65535");
    }
    for (const end of ["from", "to"] as const) {
        if (!/^([a-z0-9-]+\/)?[a-z0-9-]+$/.test(str(f[end]))) r.problem(`${at}.${end}`, f[end], "an app name, or team/app for another team's app");
    }
    return { from: str(f.from), to: str(f.to), port: port as number };
}

function readGit(r: ConfigReader, raw: unknown, at: string, policy: string): TenantGitSource | undefined {
    if (!isObject(raw)) {
        r.problem(at, raw, "the team's Git source: { url, branch, path } (kustomize teams)");
        return undefined;
    }
    const url = str(raw.url);
    if (!/^(https:\/\/|ssh:\/\/git@)[^\s]+$/.test(url)) r.problem(`${at}.url`, raw.url, "an https:// or ssh://git@ repository URL");
    const tag = raw.tag === undefined ? undefined : str(raw.tag);
    const commit = raw.commit === undefined ? undefined : str(raw.commit);
    if (commit !== undefined && !/^[0-9a-f]{40}$/.test(commit)) r.problem(`${at}.commit`, commit, "a full 40-character commit SHA");
    if (policy === "exact" && tag === undefined && commit === undefined) {
        r.problem(`${at}.tag`, undefined, "a Git tag or commit to pin (this stack pins versions: tenantVersionPolicy is exact)");
    }
    const path = raw.path === undefined ? "./" : str(raw.path);
    if (path.includes("..")) r.problem(`${at}.path`, path, "a path inside the repository");
    return {
        url,
        branch: raw.branch === undefined ? "main" : str(raw.branch),
        tag,
        commit,
        path,
        secretName: raw.secretName === undefined ? undefined : str(raw.secretName),
    };
}

function readQuota(r: ConfigReader, raw: unknown, at: string): TenantQuota {
    if (raw === undefined) return DEFAULT_QUOTA;
    const q = isObject(raw) ? raw : {};
    const quota = { ...DEFAULT_QUOTA, ...q } as TenantQuota;
    if (!isQuantity(String(quota.cpu))) r.problem(`${at}.cpu`, quota.cpu, "a CPU quantity such as 2 or 500m");
    if (!isQuantity(String(quota.memory))) r.problem(`${at}.memory`, quota.memory, "a memory quantity such as 4Gi");
    if (!Number.isInteger(quota.pods) || quota.pods < 1) r.problem(`${at}.pods`, quota.pods, "a positive integer");
    return { cpu: String(quota.cpu), memory: String(quota.memory), pods: quota.pods };
}

function readLimits(r: ConfigReader, raw: unknown, at: string): TenantLimits {
    if (raw === undefined) return DEFAULT_LIMITS;
    const limits = { ...DEFAULT_LIMITS, ...(isObject(raw) ? raw : {}) } as Record<string, unknown>;
    for (const [k, v] of Object.entries(limits)) {
        if (!isQuantity(String(v))) r.problem(`${at}.${k}`, v, "a resource quantity such as 500m or 256Mi");
    }
    return limits as unknown as TenantLimits;
}

function checkAppSet(r: ConfigReader, apps: readonly AppConfig[], at: string): void {
    const names = new Set<string>();
    for (const app of apps) {
        if (names.has(app.name)) r.problem(`${at}.apps`, app.name, "app names unique within a team");
        names.add(app.name);
    }
    apps.forEach((app, i) =>
        app.dependsOn.forEach((d) => {
            if (!names.has(d) || d === app.name) r.problem(`${at}.apps[${i}].dependsOn`, d, `another app of the team (${[...names].join(", ")})`);
        }),
    );
}

function checkTenantSet(r: ConfigReader, tenants: readonly TenantConfig[]): void {
    const seen = new Set<string>();
    tenants.forEach((t, i) => {
        if (seen.has(t.name)) r.problem(`tenants[${i}].name`, t.name, "tenant names unique in the stack");
        seen.add(t.name);
    });
    tenants.forEach((t, i) =>
        t.flows.forEach((f, j) => {
            for (const end of ["from", "to"] as const) {
                const [team, app] = f[end].includes("/") ? f[end].split("/") : [t.name, f[end]];
                const target = tenants.find((x) => x.name === team);
                if (!target) {
                    r.problem(`tenants[${i}].flows[${j}].${end}`, f[end], `a declared team (${[...seen].join(", ")})`);
                } else if (!target.apps.some((a) => a.name === app)) {
                    r.problem(`tenants[${i}].flows[${j}].${end}`, f[end], `an app of team ${team} (${target.apps.map((a) => a.name).join(", ")})`);
                }
            }
        }),
    );
}

function isQuantity(value: string): boolean {
    return /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.test(value);
}

function str(v: unknown): string {
    return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

function list(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}
