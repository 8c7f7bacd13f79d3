import { ConfigReader } from "../../src/config/reader";
import { RESERVED_NAMESPACES } from "../../src/namespaces";
import { unknownKeyAllowed } from "../../src/config/suggest";
import { guardrailReporter } from "./guardrails";
import { originReporter, readTeamFiles } from "./teamFiles";
import {
    isDnsLabel,
    isDnsName,
    isDuration,
    isGuid,
    isSemver,
    isSemverRange,
    isUpn,
} from "../../src/config/validators";
import { isQuantity, quantity, times } from "../../src/quantity";
import { EgressConfig, egressCidrProblem } from "./egress";
import {
    APP_PROPERTIES,
    EGRESS_PROPERTIES,
    FLOW_PROPERTIES,
    GIT_PROPERTIES,
    GUARDRAIL_PROPERTIES,
    HEALTH_CHECK_PROPERTIES,
    LIMIT_PROPERTIES,
    QUOTA_PROPERTIES,
    TEAM_PROPERTIES,
    defaultsOf,
} from "./teamSchema";

export const POD_SECURITY_LEVELS = ["restricted", "baseline"] as const;
export const VERSION_POLICIES = ["range", "exact"] as const;
/** Namespace roles the team's Azure AD group may get (built-in ClusterRoles, bound in the namespace only). */
export const ACCESS_ROLES = ["view", "edit", "admin"] as const;

/** One deployable unit of a team, whatever its delivery: built by its own CI pipeline, delivered by Flux. */
export interface AppConfig {
    /** DNS label; the HelmRelease and the pods' `app.kubernetes.io/name` label. */
    readonly name: string;
    /** The GitHub repository holding the app's source and pipeline, `owner/repo`. */
    readonly repository: string;
    /** Path of the app's pipeline YAML in `repository`; default `<name>/ci-pipeline.yml`. */
    readonly pipelinePath: string;
    /** Whether the ingress controller may reach the app's pods (a web front end). */
    readonly web: boolean;
    /** Container port the app listens on; what network policies open. */
    readonly port: number;
}

/** An app of a helm team: a chart in the chart repository, released by a HelmRelease. */
export interface HelmAppConfig extends AppConfig {
    /** The chart name in the chart repository; default the app name. */
    readonly chart: string;
    /** A semver range (staging) or an exact version (stacks with `tenantVersionPolicy: exact`). */
    readonly version: string;
    /**
     * The image the environment runs, pinned by digest (`sha256:` + 64 hex digits): required in stacks
     * that pin (`tenantVersionPolicy: exact`), written by the promotion pull request.
     */
    readonly digest?: string;
    /**
     * Declared but not deployed in this environment until its first promotion writes its pin:
     * `<app>: { pending: true }` under `environments.<env>.apps` of a stack that pins. No HelmRelease
     * (so nothing fails and pages ops) until then.
     */
    readonly pending?: boolean;
    /** Apps of the same team that must be ready first (`back` before `front`). */
    readonly dependsOn: readonly string[];
    /** Values passed to the chart. */
    readonly values: Readonly<Record<string, unknown>>;
}

/** Keys only a helm team's apps may hold. */
const HELM_APP_KEYS = ["chart", "version", "digest", "pending", "dependsOn", "values"] as const;

/**
 * An allowed network flow: `from` pods may open TCP connections to `to` pods on `port`. One end must
 * be an app of the team that declares the flow; the other may be `team/app` of another team, and
 * then both namespaces get the matching rule (egress on the caller's side, ingress on the callee's).
 */
export interface FlowConfig {
    /** `app` of the same team, or `team/app` of another team. */
    readonly from: string;
    readonly to: string;
    /** Default: the `to` app's port. */
    readonly port: number;
}

/** One end of a flow, resolved: which team's namespace, which app's pods. */
export interface FlowEndpoint {
    readonly team: string;
    readonly app: string;
}

/** `app` (of `ownTeam`) or `team/app` resolved to a team and an app. */
export function flowEndpoint(ref: string, ownTeam: string): FlowEndpoint {
    const slash = ref.indexOf("/");
    return slash < 0 ? { team: ownTeam, app: ref } : { team: ref.slice(0, slash), app: ref.slice(slash + 1) };
}

/** A flow's identity: both ends and the port (what two teams' declarations must agree on). */
export function flowKey(f: { from: FlowEndpoint; to: FlowEndpoint; port: number }): string {
    return `${f.from.team}/${f.from.app}>${f.to.team}/${f.to.app}:${f.port}`;
}

/** A Kustomize team's health check: an object Flux waits for after applying the team's manifests. */
export interface HealthCheckConfig {
    /** Default `apps/v1`. */
    readonly apiVersion: string;
    /** e.g. `Deployment`, `StatefulSet`, `HelmRelease`. */
    readonly kind: string;
    readonly name: string;
}

/** Kustomize teams: where Flux reads the team's manifests. */
export interface TenantGitSource {
    /** `https://github.com/owner/repo` or `ssh://git@github.com/owner/repo`. */
    readonly url: string;
    readonly branch: string;
    /** Optional exact ref to deploy (a tag or a commit SHA); without one Flux follows `branch` (see README, Known limitations). */
    readonly tag?: string;
    readonly commit?: string;
    /**
     * Not deployed in this environment yet (a pinning stack only): no GitRepository or Kustomization
     * until the team's first promotion has merged into its prod branch and the team file says so.
     */
    readonly pending?: boolean;
    /** Path of the kustomization in the repository. */
    readonly path: string;
    /** Name of a Secret in the team namespace holding Git credentials, for private repositories. */
    readonly secretName?: string;
    /**
     * Objects Flux must see Ready after each apply. Empty (default): Flux waits for every object it
     * applied (`wait: true`); listed: only these (`healthChecks`).
     */
    readonly healthChecks: readonly HealthCheckConfig[];
}

/**
 * What the team may request in total. The limit quotas are not configured: they are `pods` times the
 * LimitRange's default limits, so the pod quota is always reachable by pods that declare nothing.
 */
export interface TenantQuota {
    /** requests.cpu; must hold `pods` pods at `limits.defaultRequestCpu`. */
    readonly cpu: string;
    /** requests.memory; must hold `pods` pods at `limits.defaultRequestMemory`. */
    readonly memory: string;
    readonly pods: number;
    /** requests.ephemeral-storage (emptyDir, logs, writable layers); must hold `pods` pods at the default. */
    readonly ephemeralStorage: string;
    /** requests.storage: the sum of the team's PersistentVolumeClaims. */
    readonly storage: string;
    readonly persistentVolumeClaims: number;
}

/** Per-container defaults (LimitRange) for containers that declare no requests or limits. */
export interface TenantLimits {
    readonly defaultCpu: string;
    readonly defaultMemory: string;
    readonly defaultEphemeralStorage: string;
    readonly defaultRequestCpu: string;
    readonly defaultRequestMemory: string;
    readonly defaultRequestEphemeralStorage: string;
}

/** What every team has, whatever its delivery kind. */
interface TenantCommon {
    /** The team's name: also its namespace, group and variable group name. */
    readonly name: string;
    readonly podSecurity: (typeof POD_SECURITY_LEVELS)[number];
    /** Azure AD members of the team's group: object ids or UPNs. */
    readonly members: readonly string[];
    readonly quota: TenantQuota;
    readonly limits: TenantLimits;
    readonly flows: readonly FlowConfig[];
    /** How often Flux reconciles the team's objects. Default `5m`. */
    readonly interval: string;
    /** How long Flux waits for an install, upgrade or apply to become Ready. Default `5m`. */
    readonly timeout: string;
    /**
     * Helm teams: failed installs/upgrades retried (then rolled back) this many times, 0 to 10.
     * Kustomize teams: failed applies are retried every `retryInterval`. Default 3.
     */
    readonly remediationRetries: number;
    /** Kustomize teams: how soon a failed apply is retried. Default `1m`. */
    readonly retryInterval: string;
    /** Role of the team's Azure AD group in its namespace: view, edit (default) or admin. */
    readonly accessRole: (typeof ACCESS_ROLES)[number];
    /** Host names the team's Ingresses may claim on the shared ingress; no other team may declare them. */
    readonly hosts: readonly string[];
    /** LoadBalancer Services the team may create, 0 (default) to 5; each is a public IP outside the ingress. */
    readonly loadBalancers: number;
    /** Declared ways out of the cluster; nothing else leaves the namespace but DNS and declared flows. */
    readonly egress: readonly EgressConfig[];
    /**
     * Key Vault certificates (`https://<vault>.vault.azure.net/certificates/<name>`) the team's Ingresses
     * may name in `kubernetes.azure.com/tls-cert-keyvault-uri` (any version of each). Default none: the
     * add-on's identity reads the whole ingress Key Vault, so an unchecked URI would sync another
     * team's certificate, private key included, into this namespace.
     */
    readonly certificates: readonly string[];
}

/** A team that ships charts: one HelmRelease per app, from the chart repository. */
export interface HelmTenant extends TenantCommon {
    readonly delivery: "helm";
    readonly apps: readonly HelmAppConfig[];
}

/** A team that ships manifests: one Kustomization of its Git repository. */
export interface KustomizeTenant extends TenantCommon {
    readonly delivery: "kustomize";
    readonly apps: readonly AppConfig[];
    readonly git: TenantGitSource;
}

/** A team, by delivery kind: a new kind is a new member here and a compile error wherever it is not handled. */
export type TenantConfig = HelmTenant | KustomizeTenant;
export type DeliveryKind = TenantConfig["delivery"];
/** Every delivery kind; `Record` makes the compiler refuse a list that misses one. */
const DELIVERY_KIND_SET: Record<DeliveryKind, true> = { helm: true, kustomize: true };
export const DELIVERY_KINDS = Object.keys(DELIVERY_KIND_SET) as DeliveryKind[];

export interface TenantsConfig {
    /** `range` lets HelmReleases follow new charts (staging); `exact` pins them (prod). */
    readonly versionPolicy: (typeof VERSION_POLICIES)[number];
    /** Every environment, in promotion order: the sections a team file may have. */
    readonly environments: readonly string[];
    /** The folder of the team files, relative to the project (`tenants`). */
    readonly teamsDirectory: string;
    readonly tenants: readonly TenantConfig[];
}

/** What a team gets without a guardrails file: the schema's defaults. */
export const DEFAULT_QUOTA = defaultsOf(QUOTA_PROPERTIES) as unknown as TenantQuota;
export const DEFAULT_LIMITS = defaultsOf(LIMIT_PROPERTIES) as unknown as TenantLimits;
/** Most LoadBalancer Services one team may hold (each is a public IP and an Azure load balancer rule). */
const MAX_LOAD_BALANCERS = 5;

/** Keys each object may hold (the team-file schema's): anything else is a typo, reported as such. */
const TENANT_KEYS = [...Object.keys(TEAM_PROPERTIES), ...Object.keys(GUARDRAIL_PROPERTIES)];
const APP_KEYS = Object.keys(APP_PROPERTIES);
const FLOW_KEYS = Object.keys(FLOW_PROPERTIES);
const EGRESS_KEYS = Object.keys(EGRESS_PROPERTIES);
const GIT_KEYS = Object.keys(GIT_PROPERTIES);
const HEALTH_CHECK_KEYS = Object.keys(HEALTH_CHECK_PROPERTIES);
const QUOTA_KEYS = Object.keys(DEFAULT_QUOTA);
const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS);

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where the stack reads its teams, and which environment it is (its section of each team file). */
export interface TeamSource {
    /** The project folder (team files are found relative to it). */
    readonly projectDir: string;
    /** The environment whose section of each team file applies (an environment stack's own name). */
    readonly environment: string;
}

export function readTenantsConfig(r: ConfigReader, source: TeamSource): TenantsConfig {
    const versionPolicy = r.oneOf("tenantVersionPolicy", VERSION_POLICIES);
    const environments = r.stringList("environments", (e) =>
        isDnsLabel(e) ? undefined : "environment names (DNS labels) in promotion order",
    );
    const teamsDirectory = r.string("teamsDirectory");
    const files = readTeamFiles(r, {
        directory: teamsDirectory,
        projectDir: source.projectDir,
        environment: source.environment,
        environments,
    });
    // Problems about guardrail keys name the guardrails file, where the platform team sets them.
    // Problems name where the value was written: the environment section, or the guardrails file.
    const tenants = files.map(({ file, raw, origins }) =>
        readTenant(originReporter(guardrailReporter(r, file), file, origins), raw, `${file}:`, versionPolicy),
    );
    checkTenantSet(
        r,
        tenants,
        files.map((f) => `${f.file}:`),
    );
    return {
        versionPolicy,
        environments,
        teamsDirectory,
        tenants: tenants.map((t) => withFlowPorts(t, tenants)),
    };
}

function readTenant(
    r: ConfigReader,
    raw: unknown,
    at: string,
    policy: TenantsConfig["versionPolicy"],
): TenantConfig {
    const t = isObject(raw) ? raw : {};
    if (!isObject(raw)) r.problem(at, raw, "an object with at least `name` and `delivery`");
    checkKeys(r, t, at, TENANT_KEYS);
    const name = readTeamName(r, t.name, `${at}.name`);
    const delivery = str(t.delivery) as DeliveryKind;
    if (!DELIVERY_KINDS.includes(delivery))
        r.problem(`${at}.delivery`, t.delivery, `one of ${DELIVERY_KINDS.join(", ")}`);
    const rawApps = list(t.apps, r, `${at}.apps`);
    const apps = rawApps.map((a, i) => readApp(r, a, `${at}.apps[${i}]`, delivery, policy));
    if (apps.length === 0) {
        r.problem(
            `${at}.apps`,
            t.apps,
            delivery === "helm"
                ? "at least one app: a helm team is delivered as one HelmRelease per app"
                : "at least one app: the apps a team builds are what its pipelines and network policies are made for",
        );
    }
    checkAppSet(r, apps, at);
    const limits = readLimits(r, t.limits, `${at}.limits`);
    const common: TenantCommon = {
        name,
        ...readAccess(r, t, at),
        quota: readQuota(r, t.quota, `${at}.quota`, limits),
        limits,
        flows: list(t.flows, r, `${at}.flows`).map((f, i) => readFlow(r, f, `${at}.flows[${i}]`)),
        ...readReconciliation(r, t, at),
        ...readExposure(
            r,
            t,
            at,
            apps.map((a) => a.name),
        ),
    };
    return byDelivery(r, { common, delivery, apps, git: t.git, at, policy });
}

function readTeamName(r: ConfigReader, value: unknown, at: string): string {
    const name = str(value);
    if (!isDnsLabel(name)) {
        r.problem(
            at,
            value,
            "a DNS label (lowercase letters, digits and '-', at most 63 characters): it is the team's namespace",
        );
    } else if ((RESERVED_NAMESPACES as readonly string[]).includes(name) || name.startsWith("kube-")) {
        r.problem(
            at,
            name,
            `a namespace not reserved by the platform or Kubernetes (${RESERVED_NAMESPACES.join(", ")}, kube-*)`,
        );
    }
    return name;
}

/** Who the team's people are and what they may do in the namespace. */
function readAccess(
    r: ConfigReader,
    t: Raw,
    at: string,
): Pick<TenantCommon, "podSecurity" | "accessRole" | "members"> {
    const podSecurity = (
        t.podSecurity === undefined ? "restricted" : str(t.podSecurity)
    ) as TenantConfig["podSecurity"];
    if (!POD_SECURITY_LEVELS.includes(podSecurity)) {
        r.problem(`${at}.podSecurity`, t.podSecurity, "restricted or baseline (never privileged)");
    }
    const accessRole = (
        t.accessRole === undefined ? "edit" : str(t.accessRole)
    ) as TenantConfig["accessRole"];
    if (!ACCESS_ROLES.includes(accessRole))
        r.problem(`${at}.accessRole`, t.accessRole, `one of ${ACCESS_ROLES.join(", ")}`);
    const members = list(t.members, r, `${at}.members`);
    members.forEach((m, i) => {
        if (typeof m !== "string" || !(isGuid(m) || isUpn(m))) {
            r.problem(
                `${at}.members[${i}]`,
                m,
                "an Azure AD object id (GUID) or a user principal name (user@domain)",
            );
        }
    });
    return { podSecurity, accessRole, members: members as string[] };
}

/** How Flux reconciles the team: intervals, timeout and retries. */
function readReconciliation(
    r: ConfigReader,
    t: Raw,
    at: string,
): Pick<TenantCommon, "interval" | "timeout" | "retryInterval" | "remediationRetries"> {
    const remediationRetries = integer(t.remediationRetries ?? TEAM_PROPERTIES.remediationRetries.default);
    if (
        !Number.isInteger(remediationRetries) ||
        (remediationRetries as number) < 0 ||
        (remediationRetries as number) > 10
    ) {
        r.problem(`${at}.remediationRetries`, t.remediationRetries, "an integer from 0 to 10");
    }
    return {
        interval: duration(r, t.interval, `${at}.interval`, TEAM_PROPERTIES.interval.default),
        timeout: duration(r, t.timeout, `${at}.timeout`, TEAM_PROPERTIES.timeout.default),
        retryInterval: duration(
            r,
            t.retryInterval,
            `${at}.retryInterval`,
            TEAM_PROPERTIES.retryInterval.default,
        ),
        remediationRetries: remediationRetries as number,
    };
}

/** What the team may expose (host names, load balancers) and reach outside the cluster (egress). */
function readExposure(
    r: ConfigReader,
    t: Raw,
    at: string,
    apps: readonly string[],
): Pick<TenantCommon, "hosts" | "loadBalancers" | "egress" | "certificates"> {
    const hosts = list(t.hosts, r, `${at}.hosts`).map(String);
    hosts.forEach((host, i) => {
        if (!isDnsName(host))
            r.problem(
                `${at}.hosts[${i}]`,
                host,
                "a fully qualified host name in lowercase, such as shop.example.com (no wildcard, no scheme)",
            );
        else if (hosts.indexOf(host) !== i) r.problem(`${at}.hosts[${i}]`, host, "host names listed once");
    });
    const loadBalancers = integer(t.loadBalancers ?? GUARDRAIL_PROPERTIES.loadBalancers.default);
    if (
        !Number.isInteger(loadBalancers) ||
        (loadBalancers as number) < 0 ||
        (loadBalancers as number) > MAX_LOAD_BALANCERS
    )
        r.problem(
            `${at}.loadBalancers`,
            t.loadBalancers,
            `an integer from 0 to ${MAX_LOAD_BALANCERS}: how many LoadBalancer Services the team may create (default 0, traffic enters through the shared ingress)`,
        );
    const egress = list(t.egress, r, `${at}.egress`).map((e, i) =>
        readEgress(r, e, `${at}.egress[${i}]`, apps),
    );
    const certificates = list(t.certificates, r, `${at}.certificates`).map(String);
    certificates.forEach((uri, i) => {
        if (!KEY_VAULT_CERTIFICATE.test(uri))
            r.problem(
                `${at}.certificates[${i}]`,
                uri,
                "a Key Vault certificate URI without version, https://<vault>.vault.azure.net/certificates/<name> (any version of it is then allowed)",
            );
    });
    return { hosts, loadBalancers: loadBalancers as number, egress, certificates };
}

/** A versionless Key Vault certificate URI: what the app routing add-on's annotation names. */
const KEY_VAULT_CERTIFICATE =
    /^https:\/\/[a-z0-9-]{3,24}\.vault\.azure\.net\/certificates\/[A-Za-z0-9-]{1,127}$/i;

function readEgress(r: ConfigReader, raw: unknown, at: string, apps: readonly string[]): EgressConfig {
    const { host, ...e } = isObject(raw) ? raw : {};
    if (!isObject(raw)) r.problem(at, raw, "an egress object { cidr, ports, apps? }");
    if (host !== undefined) {
        r.problem(
            `${at}.host`,
            host,
            "nothing: host names need FQDN network policies (Cilium's DNS proxy, which AKS offers only with Advanced Container Networking Services, not enabled on this platform; Calico has none); declare the service's IPv4 CIDR instead",
        );
    }
    checkKeys(r, e, at, EGRESS_KEYS);
    const cidr = str(e.cidr);
    const problem = egressCidrProblem(cidr);
    if (problem) r.problem(`${at}.cidr`, e.cidr, problem);
    const ports = list(e.ports, r, `${at}.ports`).map(integer);
    if (ports.length === 0)
        r.problem(`${at}.ports`, e.ports, "at least one TCP port: nothing is opened to a whole range");
    ports.forEach((port, i) => {
        if (!isPort(port)) r.problem(`${at}.ports[${i}]`, port, "a port number from 1 to 65535");
    });
    const from = list(e.apps, r, `${at}.apps`).map(String);
    from.forEach((app, i) => {
        if (!apps.includes(app))
            r.problem(`${at}.apps[${i}]`, app, `an app of the team (${apps.join(", ")})`);
    });
    return { cidr, ports: ports as number[], apps: from };
}

/** The team as its delivery kind: helm apps carry their charts, a kustomize team its Git source. */
function byDelivery(
    r: ConfigReader,
    given: {
        common: TenantCommon;
        delivery: DeliveryKind;
        apps: readonly HelmAppConfig[];
        git: unknown;
        at: string;
        policy: TenantsConfig["versionPolicy"];
    },
): TenantConfig {
    const { common, delivery, apps, git, at, policy } = given;
    switch (delivery) {
        case "helm":
            if (git !== undefined)
                r.problem(`${at}.git`, git, "nothing: git is for kustomize teams (helm teams ship charts)");
            return { ...common, delivery, apps };
        case "kustomize":
            return {
                ...common,
                delivery,
                apps: apps.map(withoutChart),
                git: readGit(r, git, `${at}.git`, policy) ?? NO_GIT,
            };
        default:
            // Already reported as a bad `delivery`; any shape does until the error is thrown.
            return { ...common, delivery: "kustomize", apps, git: NO_GIT };
    }
}

const NO_GIT: TenantGitSource = {
    url: "",
    branch: GIT_PROPERTIES.branch.default,
    path: GIT_PROPERTIES.path.default,
    healthChecks: [],
};

function withoutChart(app: HelmAppConfig): AppConfig {
    return {
        name: app.name,
        repository: app.repository,
        pipelinePath: app.pipelinePath,
        web: app.web,
        port: app.port,
    };
}

/** Read as a helm app in every case, so `checkAppSet` sees one shape; kustomize apps are refused helm keys. */
function readApp(r: ConfigReader, raw: unknown, at: string, delivery: string, policy: string): HelmAppConfig {
    const a = isObject(raw) ? raw : {};
    if (!isObject(raw)) r.problem(at, raw, "an app object with at least `name` and `repository`");
    checkKeys(r, a, at, APP_KEYS);
    const name = str(a.name);
    if (!isDnsLabel(name)) r.problem(`${at}.name`, a.name, "a DNS label");
    const repository = str(a.repository);
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) {
        r.problem(`${at}.repository`, a.repository, "the app's GitHub repository as owner/repo");
    }
    if (delivery === "kustomize") {
        for (const key of HELM_APP_KEYS) {
            if (a[key] !== undefined)
                r.problem(
                    `${at}.${key}`,
                    a[key],
                    "nothing: chart, version, dependsOn and values are for helm teams (a kustomize team's manifests say what runs)",
                );
        }
    }
    const pin = delivery === "helm" ? readPin(r, a, at, policy) : { version: undefined };
    const chart = a.chart === undefined ? name : str(a.chart);
    // Without `chart`, the chart is the app's name, whose own problem is reported once, above.
    if (delivery === "helm" && (a.chart !== undefined || isDnsLabel(name)) && !isDnsLabel(chart))
        r.problem(`${at}.chart`, a.chart, "a chart name (a DNS label)");
    const port = integer(a.port ?? APP_PROPERTIES.port.default);
    if (!isPort(port)) r.problem(`${at}.port`, a.port, "a port number from 1 to 65535");
    if (a.web !== undefined && typeof a.web !== "boolean") r.problem(`${at}.web`, a.web, "true or false");
    const values = a.values === undefined ? {} : a.values;
    if (!isObject(values)) r.problem(`${at}.values`, a.values, "an object of Helm values");
    return {
        name,
        repository,
        pipelinePath: a.pipelinePath === undefined ? `${name}/ci-pipeline.yml` : str(a.pipelinePath),
        chart,
        version: pin.version ?? "",
        ...(pin.digest === undefined ? {} : { digest: pin.digest }),
        ...(pin.pending ? { pending: true } : {}),
        web: a.web === true,
        port: port as number,
        dependsOn: list(a.dependsOn, r, `${at}.dependsOn`).map(String),
        values: isObject(values) ? values : {},
    };
}

/** A helm app's chart version and image digest, or `pending: true` (not deployed here until promoted). */
function readPin(
    r: ConfigReader,
    a: Raw,
    at: string,
    policy: string,
): { version?: string; digest?: string; pending?: boolean } {
    if (a.pending !== undefined && a.pending !== true)
        r.problem(`${at}.pending`, a.pending, "true, or no pending key");
    if (a.pending === true) {
        if (policy !== "exact")
            r.problem(
                `${at}.pending`,
                true,
                "no pending key here: only a stack that pins (tenantVersionPolicy exact) waits for a promotion; this one deploys every build",
            );
        if (a.version !== undefined || a.digest !== undefined)
            r.problem(`${at}.pending`, true, "either pending or a pin (version and digest), not both");
        return { pending: true };
    }
    const version = a.version === undefined ? undefined : str(a.version);
    if (version === undefined) {
        r.problem(
            `${at}.version`,
            undefined,
            "a chart version: a semver range, or an exact version when tenantVersionPolicy is exact (or pending: true until the first promotion)",
        );
    } else if (policy === "exact" && !isSemver(version)) {
        r.problem(
            `${at}.version`,
            version,
            "an exact semver version such as 1.4.2 (this stack pins versions: tenantVersionPolicy is exact)",
        );
    } else if (!isSemverRange(version)) {
        r.problem(`${at}.version`, version, "a semver version or range such as 1.4.2 or >=1.0.0 <2.0.0");
    }
    return { version, digest: readDigest(r, a.digest, `${at}.digest`, policy) };
}

/** An image digest; required where the stack pins (prod runs exactly what staging verified). */
function readDigest(r: ConfigReader, value: unknown, at: string, policy: string): string | undefined {
    if (value === undefined) {
        if (policy === "exact")
            r.problem(
                at,
                undefined,
                "the image digest this stack runs, sha256: + 64 hex digits (this stack pins: tenantVersionPolicy is exact); the promotion pull request writes it",
            );
        return undefined;
    }
    if (typeof value !== "string" || !/^sha256:[0-9a-f]{64}$/.test(value)) {
        r.problem(at, value, "an image digest: sha256: followed by 64 lowercase hex digits");
        return undefined;
    }
    return value;
}

function readFlow(r: ConfigReader, raw: unknown, at: string): FlowConfig {
    const f = isObject(raw) ? raw : {};
    if (!isObject(raw)) r.problem(at, raw, "a flow object { from, to, port }");
    checkKeys(r, f, at, FLOW_KEYS);
    const port = integer(f.port);
    if (port !== undefined && !isPort(port)) r.problem(`${at}.port`, f.port, "a port number from 1 to 65535");
    for (const end of ["from", "to"] as const) {
        if (!/^([a-z0-9-]+\/)?[a-z0-9-]+$/.test(str(f[end])))
            r.problem(`${at}.${end}`, f[end], "an app name, or team/app for another team's app");
    }
    // 0 = not given: resolved to the target app's port once every team is known (withFlowPorts).
    return { from: str(f.from), to: str(f.to), port: port === undefined ? 0 : (port as number) };
}

/** The branch the app pipelines build from and push staging's bumps to (their trigger, `main` only). */
export const BUILD_BRANCH = GIT_PROPERTIES.branch.default;

/** `git.pending: true`: a Kustomize team not deployed in this (pinning) stack until its first promotion. */
function readGitPending(r: ConfigReader, value: unknown, at: string, policy: string): boolean {
    if (value === undefined) return false;
    if (value !== true) r.problem(at, value, "true, or no pending key");
    else if (policy !== "exact")
        r.problem(at, value, "no pending key here: only a stack that pins waits for a first promotion");
    return value === true;
}

/** The branch a pinning stack follows, which only promotion pull requests change (the templates' `prodBranch`). */
export const PROMOTION_BRANCH = "prod";

/**
 * Where the stack pins (prod), Flux must follow what only a reviewed promotion moves: the promotion
 * branch, or an exact commit. Another branch may get pushes (the build branch gets every one), and a
 * tag can be moved to any commit.
 */
function checkPinnedGit(
    r: ConfigReader,
    at: string,
    git: { branch: string; tag?: string; commit?: string },
): void {
    if (git.tag !== undefined)
        r.problem(
            `${at}.tag`,
            git.tag,
            `no tag here (a tag can be moved to an unverified commit): branch ${PROMOTION_BRANCH}, or a commit`,
        );
    else if (git.commit === undefined && git.branch !== PROMOTION_BRANCH)
        r.problem(
            `${at}.branch`,
            git.branch,
            `${PROMOTION_BRANCH}, the branch only promotion pull requests change (${git.branch} would reach this environment without one), or a commit`,
        );
}

function readGit(
    r: ConfigReader,
    raw: unknown,
    at: string,
    policy: TenantsConfig["versionPolicy"],
): TenantGitSource | undefined {
    if (!isObject(raw)) {
        r.problem(at, raw, "the team's Git source: { url, branch, path } (kustomize teams)");
        return undefined;
    }
    checkKeys(r, raw, at, GIT_KEYS);
    const url = str(raw.url);
    if (!isGitUrl(url))
        r.problem(
            `${at}.url`,
            raw.url,
            "an https:// or ssh://git@ repository URL (http:// only to a git server on this machine: 127.0.0.1 or localhost)",
        );
    const tag = raw.tag === undefined ? undefined : str(raw.tag);
    const commit = raw.commit === undefined ? undefined : str(raw.commit);
    if (commit !== undefined && !/^[0-9a-f]{40}$/.test(commit))
        r.problem(`${at}.commit`, commit, "a full 40-character commit SHA");
    if (tag !== undefined && commit !== undefined)
        r.problem(`${at}.commit`, commit, "either a tag or a commit, not both");
    const path = raw.path === undefined ? GIT_PROPERTIES.path.default : str(raw.path);
    if (path.includes("..") || path.startsWith("/"))
        r.problem(`${at}.path`, path, "a relative path inside the repository");
    const healthChecks = list(raw.healthChecks, r, `${at}.healthChecks`).map((h, i) => {
        const c = isObject(h) ? h : {};
        const hat = `${at}.healthChecks[${i}]`;
        checkKeys(r, c, hat, HEALTH_CHECK_KEYS);
        if (!/^[A-Z][A-Za-z0-9]*$/.test(str(c.kind)))
            r.problem(`${hat}.kind`, c.kind, "a Kubernetes kind such as Deployment");
        if (!isDnsLabel(str(c.name)) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(str(c.name)))
            r.problem(`${hat}.name`, c.name, "an object name");
        const apiVersion = c.apiVersion === undefined ? "apps/v1" : str(c.apiVersion);
        if (!/^([a-z0-9.-]+\/)?v[0-9]+[a-z0-9]*$/.test(apiVersion))
            r.problem(`${hat}.apiVersion`, c.apiVersion, "an apiVersion such as apps/v1");
        return { apiVersion, kind: str(c.kind), name: str(c.name) };
    });
    const branch = raw.branch === undefined ? BUILD_BRANCH : str(raw.branch);
    const pending = readGitPending(r, raw.pending, `${at}.pending`, policy);
    if (policy === "exact" && !pending) checkPinnedGit(r, at, { branch, tag, commit });
    return {
        url,
        branch,
        tag,
        commit,
        ...(pending ? { pending } : {}),
        path,
        secretName: raw.secretName === undefined ? undefined : str(raw.secretName),
        healthChecks,
    };
}

/** Each request quota and the LimitRange default request it must hold `pods` times. */
const QUOTA_PER_POD = [
    ["cpu", "defaultRequestCpu"],
    ["memory", "defaultRequestMemory"],
    ["ephemeralStorage", "defaultRequestEphemeralStorage"],
] as const satisfies readonly (readonly [keyof TenantQuota, keyof TenantLimits])[];

function readQuota(r: ConfigReader, raw: unknown, at: string, limits: TenantLimits): TenantQuota {
    if (raw !== undefined && !isObject(raw)) r.problem(at, raw, `an object { ${QUOTA_KEYS.join(", ")} }`);
    const q = isObject(raw) ? raw : {};
    checkKeys(r, q, at, QUOTA_KEYS);
    const given = { ...DEFAULT_QUOTA, ...q };
    for (const k of ["pods", "persistentVolumeClaims"] as const) given[k] = integer(given[k]) as number;
    const amounts = Object.fromEntries(
        (["cpu", "memory", "ephemeralStorage", "storage"] as const).map((k) => {
            const value = String(given[k]);
            if (!isQuantity(value))
                r.problem(`${at}.${k}`, given[k], "a resource quantity such as 2, 500m or 4Gi");
            return [k, value];
        }),
    ) as Pick<TenantQuota, "cpu" | "memory" | "ephemeralStorage" | "storage">;
    for (const k of ["pods", "persistentVolumeClaims"] as const) {
        const min = k === "pods" ? 1 : 0;
        if (!Number.isInteger(given[k]) || (given[k] as number) < min)
            r.problem(`${at}.${k}`, given[k], min === 1 ? "a positive integer" : "an integer, 0 or more");
    }
    const quota: TenantQuota = {
        ...amounts,
        pods: given.pods as number,
        persistentVolumeClaims: given.persistentVolumeClaims as number,
    };
    checkQuotaHoldsPods(r, at, quota, limits);
    return quota;
}

/** A quota that cannot run `pods` pods at the default requests would refuse pods before the pod cap. */
function checkQuotaHoldsPods(r: ConfigReader, at: string, quota: TenantQuota, limits: TenantLimits): void {
    if (!Number.isInteger(quota.pods)) return;
    for (const [key, request] of QUOTA_PER_POD) {
        if (!isQuantity(quota[key]) || !isQuantity(limits[request])) continue;
        const needed = times(limits[request], quota.pods);
        if (quantity(quota[key]) < quantity(needed))
            r.problem(
                `${at}.${key}`,
                quota[key],
                `at least ${needed}: quota.pods (${quota.pods}) pods at limits.${request} (${limits[request]}) each; raise it, or lower quota.pods or limits.${request}`,
            );
    }
}

/** Each LimitRange default request and the default limit it may not exceed (the API server's rule). */
const REQUEST_WITHIN_LIMIT = [
    ["defaultRequestCpu", "defaultCpu"],
    ["defaultRequestMemory", "defaultMemory"],
    ["defaultRequestEphemeralStorage", "defaultEphemeralStorage"],
] as const satisfies readonly (readonly [keyof TenantLimits, keyof TenantLimits])[];

function readLimits(r: ConfigReader, raw: unknown, at: string): TenantLimits {
    if (raw === undefined) return DEFAULT_LIMITS;
    if (!isObject(raw)) r.problem(at, raw, `an object { ${LIMIT_KEYS.join(", ")} }`);
    const given = isObject(raw) ? raw : {};
    checkKeys(r, given, at, LIMIT_KEYS);
    const limits = Object.fromEntries(
        LIMIT_KEYS.map((k) => [k, String(given[k] ?? DEFAULT_LIMITS[k as keyof TenantLimits])]),
    ) as unknown as TenantLimits;
    for (const [k, v] of Object.entries(limits)) {
        if (!isQuantity(v)) r.problem(`${at}.${k}`, v, "a resource quantity such as 500m or 256Mi");
    }
    for (const [request, limit] of REQUEST_WITHIN_LIMIT) {
        if (
            isQuantity(limits[request]) &&
            isQuantity(limits[limit]) &&
            quantity(limits[request]) > quantity(limits[limit])
        ) {
            r.problem(
                `${at}.${request}`,
                limits[request],
                `a quantity no larger than ${limit} (${limits[limit]})`,
            );
        }
    }
    return limits;
}

function checkAppSet(r: ConfigReader, apps: readonly HelmAppConfig[], at: string): void {
    const names = new Set<string>();
    apps.forEach((app, i) => {
        if (names.has(app.name))
            r.problem(`${at}.apps[${i}].name`, app.name, "app names unique within a team");
        names.add(app.name);
    });
    apps.forEach((app, i) =>
        app.dependsOn.forEach((d) => {
            if (!names.has(d) || d === app.name)
                r.problem(
                    `${at}.apps[${i}].dependsOn`,
                    d,
                    `another app of the team (${[...names].join(", ")})`,
                );
            else if (!app.pending && apps.find((x) => x.name === d)?.pending)
                r.problem(
                    `${at}.apps[${i}].dependsOn`,
                    d,
                    `an app deployed here: ${d} is pending (not promoted yet), so ${app.name} would wait for it forever`,
                );
        }),
    );
    apps.forEach((app, i) => {
        if (app.name.endsWith("-test") && names.has(app.name.slice(0, -"-test".length)))
            r.problem(
                `${at}.apps[${i}].name`,
                app.name,
                `a name other than <app>-test: the platform's policies take ${app.name} pods for the Helm test of ${app.name.slice(0, -5)}`,
            );
    });
    const cycle = dependencyCycle(apps);
    if (cycle)
        r.problem(
            `${at}.apps`,
            cycle.join(" -> "),
            "apps whose dependsOn form no cycle (Flux would wait forever)",
        );
}

/** The first dependsOn cycle among apps, as a path of names, or undefined. */
function dependencyCycle(apps: readonly HelmAppConfig[]): string[] | undefined {
    const byName = new Map(apps.map((a) => [a.name, a]));
    const done = new Set<string>();
    const visit = (name: string, path: string[]): string[] | undefined => {
        if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
        if (done.has(name)) return undefined;
        for (const d of byName.get(name)?.dependsOn ?? []) {
            if (d === name) continue;
            const found = visit(d, [...path, name]);
            if (found) return found;
        }
        done.add(name);
        return undefined;
    };
    for (const app of apps) {
        const found = visit(app.name, []);
        if (found) return found;
    }
    return undefined;
}

function checkTenantSet(r: ConfigReader, tenants: readonly TenantConfig[], files: readonly string[]): void {
    const seen = new Map<string, string>();
    tenants.forEach((t, i) => {
        if (seen.has(t.name))
            r.problem(
                `${files[i]}.name`,
                t.name,
                `a team name no other file declares (${seen.get(t.name)!.replace(/:$/, "")} declares ${t.name}): each team owns one namespace`,
            );
        else seen.set(t.name, files[i]);
    });
    checkHosts(r, tenants, files);
    // A team whose own file has a problem is left out of the flow checks: one mistake, one error,
    // not one more in every file whose flows name that team.
    const broken = new Set(
        tenants.filter((_, i) => r.problems.some((p) => p.key.startsWith(files[i]))).map((t) => t.name),
    );
    const touchesBroken = (f: FlowConfig, team: string) =>
        [f.from, f.to].some((end) => broken.has(flowEndpoint(end, team).team));
    tenants.forEach((t, i) =>
        t.flows.forEach((f, j) => {
            if (touchesBroken(f, t.name)) return;
            const at = `${files[i]}.flows[${j}]`;
            for (const end of ["from", "to"] as const) {
                const { team, app } = flowEndpoint(f[end], t.name);
                const target = tenants.find((x) => x.name === team);
                if (!target) {
                    r.problem(
                        `${at}.${end}`,
                        f[end],
                        `an app of a declared team (${[...seen.keys()].join(", ")})`,
                    );
                } else if (!target.apps.some((a) => a.name === app)) {
                    r.problem(
                        `${at}.${end}`,
                        f[end],
                        `an app of team ${team} (${target.apps.map((a) => a.name).join(", ")})`,
                    );
                }
            }
            if (flowEndpoint(f.from, t.name).team !== t.name && flowEndpoint(f.to, t.name).team !== t.name) {
                r.problem(
                    `${at}.from`,
                    f.from,
                    `a flow with one end in team ${t.name}: a team declares only flows of its own apps`,
                );
            }
        }),
    );
    checkFlowConsent(r, tenants, files, touchesBroken);
}

/**
 * A flow across two teams holds only when both declare it, each in its own file (which only that
 * team's code owners approve): one team cannot open another's namespace, nor its pods' egress.
 */
function checkFlowConsent(
    r: ConfigReader,
    tenants: readonly TenantConfig[],
    files: readonly string[],
    skip: (f: FlowConfig, team: string) => boolean,
): void {
    const declared = new Set(
        withPorts(tenants).flatMap((t) => t.flows.map((f) => `${t.name}|${resolvedKey(f, t.name)}`)),
    );
    withPorts(tenants).forEach((t, i) =>
        t.flows.forEach((f, j) => {
            const [from, to] = [flowEndpoint(f.from, t.name), flowEndpoint(f.to, t.name)];
            const other = from.team === t.name ? to.team : from.team;
            if (skip(f, t.name) || other === t.name || !tenants.some((x) => x.name === other)) return;
            if (declared.has(`${other}|${resolvedKey(f, t.name)}`)) return;
            const mirror = `{ from: ${ref(from, other)}, to: ${ref(to, other)}, port: ${f.port} }`;
            const file = files[tenants.findIndex((x) => x.name === other)].replace(/:$/, "");
            r.problem(
                `${files[i]}.flows[${j}]`,
                `${f.from} -> ${f.to}`,
                `a flow team ${other} agrees to: ${file} must declare the same flow, ${mirror} (a team cannot open another team's namespace alone)`,
            );
        }),
    );
}

/** `app` when the end is in `team`'s own namespace, else `team/app`: how `team`'s file names it. */
const ref = (end: FlowEndpoint, team: string) => (end.team === team ? end.app : `${end.team}/${end.app}`);

/** A flow's identity (both ends resolved, and the port), whichever team's file declares it. */
const resolvedKey = (f: FlowConfig, team: string): string =>
    flowKey({ from: flowEndpoint(f.from, team), to: flowEndpoint(f.to, team), port: f.port });

/** The teams with every flow's port filled in (the target app's port when unset). */
const withPorts = (tenants: readonly TenantConfig[]) => tenants.map((t) => withFlowPorts(t, tenants));

/** A host name on the shared ingress belongs to one team: the first file that declares it. */
function checkHosts(r: ConfigReader, tenants: readonly TenantConfig[], files: readonly string[]): void {
    const owners = new Map<string, string>();
    tenants.forEach((t, i) =>
        t.hosts.forEach((host, j) => {
            const owner = owners.get(host);
            if (owner !== undefined && owner !== t.name)
                r.problem(`${files[i]}.hosts[${j}]`, host, `a host no other team declares (${owner} does)`);
            owners.set(host, owner ?? t.name);
        }),
    );
}

/** Fills each flow's port left unset with the target app's port. */
function withFlowPorts(t: TenantConfig, tenants: readonly TenantConfig[]): TenantConfig {
    if (t.flows.every((f) => f.port !== 0)) return t;
    const portOf = (ref: string) => {
        const { team, app } = flowEndpoint(ref, t.name);
        return tenants.find((x) => x.name === team)?.apps.find((a) => a.name === app)?.port ?? 0;
    };
    return { ...t, flows: t.flows.map((f) => (f.port !== 0 ? f : { ...f, port: portOf(f.to) })) };
}

function checkKeys(r: ConfigReader, object: Raw, at: string, allowed: readonly string[]): void {
    for (const key of Object.keys(object)) {
        if (!allowed.includes(key)) r.problem(`${at}.${key}`, object[key], unknownKeyAllowed(key, allowed));
    }
}

function duration(r: ConfigReader, value: unknown, at: string, defaultValue: string): string {
    if (value === undefined) return defaultValue;
    if (typeof value !== "string" || !isDuration(value))
        r.problem(at, value, "a duration such as 1m, 5m or 1h");
    return str(value);
}

/**
 * A count or a port as written: 8080 or "8080" alike, as a quantity is 2 or "2" alike (YAML quoting
 * never changes a value). Anything else is returned as given, for its key's problem to show.
 */
function integer(value: unknown): unknown {
    return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
}

function isPort(value: unknown): boolean {
    return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

function str(v: unknown): string {
    return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

/** A list-valued key: undefined is an empty list, anything else that is not a list is a problem. */
function list(v: unknown, r: ConfigReader, at: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
        r.problem(at, v, "a list");
        return [];
    }
    return v;
}

/**
 * Where Flux may clone a team's repository from: https or ssh, or plain http to a git server on the
 * machine itself (a laptop's cluster stack, the e2e's git server), never across a network.
 */
export function isGitUrl(url: string): boolean {
    return (
        /^(https:\/\/|ssh:\/\/git@)[^\s]+$/.test(url) ||
        /^http:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?\/[^\s]+$/.test(url)
    );
}
