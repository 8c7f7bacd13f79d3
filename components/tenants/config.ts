import { ConfigReader } from "../../src/config/reader";
import { RESERVED_NAMESPACES } from "../../src/namespaces";
import { assertNever } from "../../src/assertNever";
import { guardrailReporter, guardrailsFileOf } from "./guardrails";
import { originReporter, readTeamFiles } from "./teamFiles";
import { isDnsLabel, isDnsName, isSemver, isSemverRange } from "../../src/config/validators";
import { quantity, times } from "../../src/quantity";
import { EgressConfig, egressCidrProblem } from "./egress";
import {
    APP_PROPERTIES,
    GIT_PROPERTIES,
    GUARDRAIL_PROPERTIES,
    LIMIT_PROPERTIES,
    PATTERNS,
    QUOTA_PROPERTIES,
    TEAM_PROPERTIES,
    WrittenTeam,
    defaultsOf,
} from "./teamSchema";

export const POD_SECURITY_LEVELS = GUARDRAIL_PROPERTIES.podSecurity.enum;
export const VERSION_POLICIES = ["range", "exact"] as const;
/** Namespace roles the team's Azure AD group may get (built-in ClusterRoles, bound in the namespace only). */
export const ACCESS_ROLES = GUARDRAIL_PROPERTIES.accessRole.enum;

/** One deployable unit of a team, whatever its delivery: built by its own CI pipeline, delivered by Flux. */
export interface AppConfig {
    /** DNS label; the HelmRelease and the pods' `app.kubernetes.io/name` label. */
    readonly name: string;
    /** The GitHub repository holding the app's source and pipeline, `owner/repo`. */
    readonly repository: string;
    /** Path of the app's pipeline YAML in `repository`; default `<name>/ci-pipeline.yml`. */
    readonly pipelinePath: string;
    /** Whether the shared Gateway may reach the app's pods (a web front end). */
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
    /** Host names the team's HTTPRoutes may claim, each a listener of the shared Gateway; no other team may declare them. */
    readonly hosts: readonly string[];
    /** LoadBalancer Services the team may create, 0 (default) to 5; each is a public IP outside the shared Gateway. */
    readonly loadBalancers: number;
    /** Declared ways out of the cluster; nothing else leaves the namespace but DNS and declared flows. */
    readonly egress: readonly EgressConfig[];
    /**
     * Key Vault certificates (`https://<vault>.vault.azure.net/certificates/<name>`, in the ingress Key
     * Vault) the shared Gateway terminates the team's hosts with, the first for all of them. Set by the
     * platform team (guardrails): a team names no certificate itself, so it can never be given another
     * team's. Default none: the team's listeners serve plain HTTP.
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

/**
 * A team file as its schema admits it (checked as it is read, counts as numbers), with its
 * environment's section and its guardrails merged in: the readers below check only what the schema
 * cannot say (a policy per stack, names across apps and teams, quantities against each other).
 */
type App = WrittenTeam["apps"][number];
type Git = NonNullable<WrittenTeam["git"]>;
/** Counts and quantities as written (a quantity may be 2 or "2"). */
type Amounts = Readonly<Record<string, string | number | undefined>>;

/** A key's value, or its schema default. */
const given = <T>(value: unknown, property: { readonly default?: T }): NonNullable<T> =>
    (value ?? property.default) as NonNullable<T>;

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
    // A file the schema refused is read no further: one mistake, one error, none that follow from it.
    const refused = (file: string) =>
        r.problems.some((p) => [file, guardrailsFileOf(file)].some((f) => p.key.startsWith(`${f}:`)));
    const readable = files.filter((f) => !refused(f.file));
    // Problems name where the value was written: the environment section, or the guardrails file.
    const tenants = readable.map(({ file, raw, origins }) =>
        readTenant(
            originReporter(guardrailReporter(r, file), file, origins),
            raw as WrittenTeam, // it holds its schema: a file that does not is not read
            `${file}:`,
            versionPolicy,
        ),
    );
    const unread = files.filter((f) => refused(f.file)).map((f) => String(f.raw.name));
    checkTenantSet(
        r,
        tenants,
        readable.map((f) => `${f.file}:`),
        unread,
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
    t: WrittenTeam,
    at: string,
    policy: TenantsConfig["versionPolicy"],
): TenantConfig {
    const name = readTeamName(r, t.name, `${at}.name`);
    const delivery = t.delivery as DeliveryKind;
    const apps = t.apps.map((a, i) => readApp(r, a, `${at}.apps[${i}]`, delivery, policy));
    checkAppSet(r, apps, at);
    const limits = readLimits(r, t.limits ?? {}, `${at}.limits`);
    const common: TenantCommon = {
        name,
        podSecurity: given<TenantCommon["podSecurity"]>(t.podSecurity, GUARDRAIL_PROPERTIES.podSecurity),
        accessRole: given<TenantCommon["accessRole"]>(t.accessRole, GUARDRAIL_PROPERTIES.accessRole),
        members: t.members ?? [],
        quota: readQuota(r, t.quota ?? {}, `${at}.quota`, limits),
        limits,
        flows: (t.flows ?? []).map((f) => ({ from: f.from, to: f.to, port: f.port ?? 0 })),
        interval: given(t.interval, TEAM_PROPERTIES.interval),
        timeout: given(t.timeout, TEAM_PROPERTIES.timeout),
        retryInterval: given(t.retryInterval, TEAM_PROPERTIES.retryInterval),
        remediationRetries: given(t.remediationRetries, TEAM_PROPERTIES.remediationRetries),
        ...readExposure(
            r,
            t,
            at,
            apps.map((a) => a.name),
        ),
    };
    return byDelivery(r, { common, delivery, apps, git: t.git, at, policy });
}

function readTeamName(r: ConfigReader, name: string, at: string): string {
    if ((RESERVED_NAMESPACES as readonly string[]).includes(name) || name.startsWith("kube-")) {
        r.problem(
            at,
            name,
            `a namespace not reserved by the platform or Kubernetes (${RESERVED_NAMESPACES.join(", ")}, kube-*)`,
        );
    }
    return name;
}

/** What the team may expose (host names, load balancers) and reach outside the cluster (egress). */
function readExposure(
    r: ConfigReader,
    t: WrittenTeam,
    at: string,
    apps: readonly string[],
): Pick<TenantCommon, "hosts" | "loadBalancers" | "egress" | "certificates"> {
    const hosts = t.hosts ?? [];
    hosts.forEach((host, i) => {
        if (!isDnsName(host))
            r.problem(
                `${at}.hosts[${i}]`,
                host,
                "a fully qualified host name in lowercase, such as shop.example.com (no wildcard, no scheme)",
            );
        else if (hosts.indexOf(host) !== i) r.problem(`${at}.hosts[${i}]`, host, "host names listed once");
    });
    const egress = (t.egress ?? []).map((e, i) => readEgress(r, e, `${at}.egress[${i}]`, apps));
    const certificates = t.certificates ?? [];
    certificates.forEach((uri, i) => {
        if (!KEY_VAULT_CERTIFICATE.test(uri))
            r.problem(
                `${at}.certificates[${i}]`,
                uri,
                "a Key Vault certificate URI without version, https://<vault>.vault.azure.net/certificates/<name> (any version of it is then allowed)",
            );
    });
    return {
        hosts,
        loadBalancers: given(t.loadBalancers, GUARDRAIL_PROPERTIES.loadBalancers),
        egress,
        certificates,
    };
}

/** A versionless Key Vault certificate URI: what the app routing add-on's annotation names. */
const KEY_VAULT_CERTIFICATE =
    /^https:\/\/[a-z0-9-]{3,24}\.vault\.azure\.net\/certificates\/[A-Za-z0-9-]{1,127}$/i;

function readEgress(
    r: ConfigReader,
    e: NonNullable<WrittenTeam["egress"]>[number],
    at: string,
    apps: readonly string[],
): EgressConfig {
    const problem = egressCidrProblem(e.cidr);
    if (problem) r.problem(`${at}.cidr`, e.cidr, problem);
    const from = e.apps ?? [];
    from.forEach((app, i) => {
        if (!apps.includes(app))
            r.problem(`${at}.apps[${i}]`, app, `an app of the team (${apps.join(", ")})`);
    });
    return { cidr: e.cidr, ports: e.ports, apps: from };
}

/** The team as its delivery kind: helm apps carry their charts, a kustomize team its Git source. */
function byDelivery(
    r: ConfigReader,
    given: {
        common: TenantCommon;
        delivery: DeliveryKind;
        apps: readonly HelmAppConfig[];
        git: Git | undefined;
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
            if (git === undefined)
                r.problem(`${at}.git`, git, "the team's Git source: { url, branch, path } (kustomize teams)");
            return {
                ...common,
                delivery,
                apps: apps.map(withoutChart),
                git: readGit(r, git ?? { url: "" }, `${at}.git`, policy),
            };
        default:
            return assertNever(delivery, "delivery kind");
    }
}

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
function readApp(r: ConfigReader, a: App, at: string, delivery: DeliveryKind, policy: string): HelmAppConfig {
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
    return {
        name: a.name,
        repository: a.repository,
        pipelinePath: a.pipelinePath ?? `${a.name}/ci-pipeline.yml`,
        chart: a.chart ?? a.name,
        version: pin.version ?? "",
        ...(pin.digest === undefined ? {} : { digest: pin.digest }),
        ...(pin.pending ? { pending: true } : {}),
        web: a.web === true,
        port: given(a.port, APP_PROPERTIES.port),
        dependsOn: a.dependsOn ?? [],
        values: a.values ?? {},
    };
}

/** A helm app's chart version and image digest, or `pending: true` (not deployed here until promoted). */
function readPin(
    r: ConfigReader,
    a: App,
    at: string,
    policy: string,
): { version?: string; digest?: string; pending?: boolean } {
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
    const version: string | undefined = a.version;
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
    if (a.digest === undefined && policy === "exact")
        r.problem(
            `${at}.digest`,
            undefined,
            "the image digest this stack runs, sha256: + 64 hex digits (this stack pins: tenantVersionPolicy is exact); the promotion pull request writes it",
        );
    return { version, digest: a.digest };
}

/** The branch the app pipelines build from and push staging's bumps to (their trigger, `main` only). */
export const BUILD_BRANCH = GIT_PROPERTIES.branch.default;

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
    git: Git,
    at: string,
    policy: TenantsConfig["versionPolicy"],
): TenantGitSource {
    const { tag, commit } = git;
    if (tag !== undefined && commit !== undefined)
        r.problem(`${at}.commit`, commit, "either a tag or a commit, not both");
    const branch = given(git.branch, GIT_PROPERTIES.branch);
    // `pending: true`: not deployed in this (pinning) stack until the team's first promotion.
    const pending = git.pending === true;
    if (pending && policy !== "exact")
        r.problem(
            `${at}.pending`,
            true,
            "no pending key here: only a stack that pins waits for a first promotion",
        );
    if (policy === "exact" && !pending) checkPinnedGit(r, at, { branch, tag, commit });
    return {
        url: git.url,
        branch,
        tag,
        commit,
        ...(pending ? { pending } : {}),
        path: given(git.path, GIT_PROPERTIES.path),
        secretName: git.secretName,
        healthChecks: (git.healthChecks ?? []).map((c) => ({
            apiVersion: c.apiVersion ?? "apps/v1",
            kind: c.kind,
            name: c.name,
        })),
    };
}

/** Each request quota and the LimitRange default request it must hold `pods` times. */
const QUOTA_PER_POD = [
    ["cpu", "defaultRequestCpu"],
    ["memory", "defaultRequestMemory"],
    ["ephemeralStorage", "defaultRequestEphemeralStorage"],
] as const satisfies readonly (readonly [keyof TenantQuota, keyof TenantLimits])[];

/** Quantities as strings (`2` and `"2"` alike), the schema's defaults for keys not given. */
const quantities = <T>(defaults: T, written: Amounts): T =>
    Object.fromEntries(
        Object.entries({ ...defaults, ...written }).map(([k, v]) => [
            k,
            typeof v === "number" && !k.match(/^(pods|persistentVolumeClaims)$/) ? String(v) : v,
        ]),
    ) as T;

function readQuota(r: ConfigReader, written: Amounts, at: string, limits: TenantLimits): TenantQuota {
    const quota = quantities(DEFAULT_QUOTA, written);
    checkQuotaHoldsPods(r, at, quota, limits);
    return quota;
}

/** A quota that cannot run `pods` pods at the default requests would refuse pods before the pod cap. */
function checkQuotaHoldsPods(r: ConfigReader, at: string, quota: TenantQuota, limits: TenantLimits): void {
    for (const [key, request] of QUOTA_PER_POD) {
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

function readLimits(r: ConfigReader, written: Amounts, at: string): TenantLimits {
    const limits = quantities(DEFAULT_LIMITS, written);
    for (const [request, limit] of REQUEST_WITHIN_LIMIT) {
        if (quantity(limits[request]) > quantity(limits[limit])) {
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

function checkTenantSet(
    r: ConfigReader,
    tenants: readonly TenantConfig[],
    files: readonly string[],
    unread: readonly string[],
): void {
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
    const broken = new Set([
        ...unread,
        ...tenants.filter((_, i) => r.problems.some((p) => p.key.startsWith(files[i]))).map((t) => t.name),
    ]);
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

/** A host name on the shared Gateway belongs to one team: the first file that declares it. */
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

/**
 * Where Flux may clone a team's repository from: https or ssh, or plain http to a git server on the
 * machine itself (a laptop's cluster stack, the e2e's git server), never across a network.
 */
export function isGitUrl(url: string): boolean {
    return new RegExp(PATTERNS.gitUrl, "u").test(url);
}
