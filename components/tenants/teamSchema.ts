// What a team file and a guardrails file may hold, as JSON Schema (draft-07): the keys the readers
// accept come from here, `npm run gen:schemas` writes schemas/*.schema.json from it (an editor's
// completion and checks, through the `yaml-language-server: $schema` line of each file), and the
// README's team-file reference is rendered from it. Rules a schema cannot say (flows both teams
// declare, capacity, CODEOWNERS, a prod pin) stay in the readers, each with its message.
type Schema = Readonly<Record<string, unknown>>;

const string = (description: string, extra: Schema = {}): Schema => ({
    type: "string",
    description,
    ...extra,
});
const strings = (description: string): Schema => ({ type: "array", items: { type: "string" }, description });
/** A count or a port: written 8080 or "8080" alike. */
const integer = <D extends number | undefined = undefined>(
    description: string,
    minimum: number,
    maximum?: number,
    defaultValue?: D,
) => ({
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue as D }),
    anyOf: [
        { type: "integer", minimum, ...(maximum === undefined ? {} : { maximum }) },
        { type: "string", pattern: "^[0-9]+$" },
    ],
});
/** A string with its default, which the reader takes from here. */
const defaulted = <D extends string>(description: string, defaultValue: D) => ({
    type: "string",
    description,
    default: defaultValue,
});
/** A Kubernetes quantity: written 2, "2", "500m" or "4Gi"; its default is the reader's. */
const quantity = <D extends string>(description: string, defaultValue: D) => ({
    description,
    anyOf: [{ type: "string" }, { type: "number" }],
    default: defaultValue,
});
const object = (
    description: string,
    properties: Record<string, Schema>,
    required: string[] = [],
): Schema => ({
    type: "object",
    description,
    properties,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
});

/** An app of the team: what its pipeline builds and Flux delivers. */
export const APP_PROPERTIES = {
    name: string("DNS label: the HelmRelease, the pods' app.kubernetes.io/name, the pipeline <team>-<app>."),
    repository: string("The GitHub repository of the app's source and pipeline, owner/repo."),
    pipelinePath: string("The pipeline's path in the repository (default <app>/ci-pipeline.yml)."),
    chart: string("helm: the chart's name in the chart repository (default the app's name)."),
    version: string("helm: a semver range (staging) or an exact version (a stack that pins)."),
    digest: string("helm, a stack that pins: the image digest, sha256: + 64 hex digits."),
    pending: {
        type: "boolean",
        description: "helm, a stack that pins: not deployed until its first promotion.",
    },
    web: { type: "boolean", description: "The shared Gateway may reach the app's pods (default false)." },
    port: integer("The container port the app listens on.", 1, 65535, 8080),
    dependsOn: strings("helm: apps of the team released first."),
    values: { type: "object", description: "helm: values passed to the chart." },
} satisfies Record<string, Schema>;

export const FLOW_PROPERTIES = {
    from: string("An app of the team, or team/app of another team."),
    to: string("An app of the team, or team/app of another team."),
    port: integer("The TCP port (default the target app's).", 1, 65535),
} satisfies Record<string, Schema>;

export const EGRESS_PROPERTIES = {
    cidr: string("The destination, a CIDR outside the cluster's ranges."),
    ports: { type: "array", items: integer("A TCP port.", 1, 65535), description: "TCP ports opened." },
    apps: strings("Only these apps of the team (default all)."),
} satisfies Record<string, Schema>;

export const HEALTH_CHECK_PROPERTIES = {
    apiVersion: string("The object's apiVersion."),
    kind: string("The object's kind."),
    name: string("The object's name."),
} satisfies Record<string, Schema>;

export const GIT_PROPERTIES = {
    url: string(
        "kustomize: the team's repository (https://..., ssh://git@..., or http:// to 127.0.0.1 or localhost).",
    ),
    branch: defaulted("The branch followed.", "main"),
    tag: string("A tag pinned instead of a branch."),
    commit: string("A commit pinned instead of a branch."),
    path: defaulted("The overlay applied.", "./"),
    secretName: string("A Secret in the namespace with the credentials of a private repository."),
    healthChecks: {
        type: "array",
        items: object("An object the Kustomization waits for.", HEALTH_CHECK_PROPERTIES),
        description: "Only these objects are waited for (default every object applied).",
    },
    pending: {
        type: "boolean",
        description: "A stack that pins: nothing applied until the first promotion.",
    },
} satisfies Record<string, Schema>;

export const QUOTA_PROPERTIES = {
    cpu: quantity("requests.cpu of the namespace; limits are derived.", "4"),
    memory: quantity("requests.memory.", "8Gi"),
    pods: integer("Pods.", 1, undefined, 30),
    ephemeralStorage: quantity("requests.ephemeral-storage.", "8Gi"),
    storage: quantity("requests.storage of its volumes.", "20Gi"),
    persistentVolumeClaims: integer("PersistentVolumeClaims.", 0, undefined, 5),
} satisfies Record<string, Schema>;

export const LIMIT_PROPERTIES = {
    defaultCpu: quantity("A container's CPU limit when it sets none.", "500m"),
    defaultMemory: quantity("A container's memory limit when it sets none.", "512Mi"),
    defaultEphemeralStorage: quantity("Its ephemeral-storage limit when it sets none.", "1Gi"),
    defaultRequestCpu: quantity("Its CPU request when it sets none.", "100m"),
    defaultRequestMemory: quantity("Its memory request when it sets none.", "128Mi"),
    defaultRequestEphemeralStorage: quantity("Its ephemeral-storage request when it sets none.", "128Mi"),
} satisfies Record<string, Schema>;

/** What the team sets in its own file. */
export const TEAM_PROPERTIES = {
    name: string("DNS label: the namespace, the Azure AD group, the variable group."),
    delivery: { type: "string", enum: ["helm", "kustomize"], description: "How Flux delivers its apps." },
    members: strings("Azure AD object ids or UPNs of the team's group."),
    apps: {
        type: "array",
        minItems: 1,
        items: object("An app.", APP_PROPERTIES, ["name"]),
        description: "What the team ships, one pipeline each.",
    },
    flows: {
        type: "array",
        items: object("A flow { from, to, port }.", FLOW_PROPERTIES, ["from", "to"]),
        description: "Network flows allowed; one to another team's app holds when both teams declare it.",
    },
    git: object("kustomize: the repository Flux applies.", GIT_PROPERTIES),
    interval: defaulted("How often Flux reconciles.", "5m"),
    timeout: defaulted("How long a reconciliation may take.", "5m"),
    retryInterval: defaulted("How soon a failed reconciliation is retried.", "1m"),
    remediationRetries: integer("helm: install and upgrade retries before rollback.", 0, 10, 3),
    hosts: strings(
        "Host names its HTTPRoutes may claim, each a listener of the shared Gateway (default none).",
    ),
} satisfies Record<string, Schema>;

/** What the platform team sets, in the team's guardrails file. */
export const GUARDRAIL_PROPERTIES = {
    podSecurity: {
        type: "string",
        enum: ["restricted", "baseline"],
        description: "Pod Security level of the namespace (default restricted).",
    },
    accessRole: {
        type: "string",
        enum: ["view", "edit", "admin"],
        description: "The team group's role in its namespace, via Azure RBAC (default edit).",
    },
    quota: object("The namespace's ResourceQuota.", QUOTA_PROPERTIES),
    limits: object("The namespace's LimitRange.", LIMIT_PROPERTIES),
    loadBalancers: integer("LoadBalancer Services allowed.", 0, 5, 0),
    egress: {
        type: "array",
        items: object("A way out of the cluster.", EGRESS_PROPERTIES, ["cidr", "ports"]),
        description: "Destinations outside the cluster its pods may reach (default none).",
    },
    certificates: strings(
        "Key Vault certificate URIs (https://<vault>.vault.azure.net/certificates/<name>) the shared Gateway terminates its hosts with, the first for all of them (default none).",
    ),
} satisfies Record<string, Schema>;

/** Each property's `default`, by key. */
export function defaultsOf(
    properties: Record<string, { readonly default?: unknown }>,
): Record<string, unknown> {
    return Object.fromEntries(Object.entries(properties).map(([k, p]) => [k, p.default]));
}

/** What an environment's section of the team file may change. */
export const TEAM_ENVIRONMENT_PROPERTIES = {
    apps: {
        type: "object",
        description: 'Settings by app name, over the app\'s own (e.g. { back: { version: "0.4.2" } }).',
        additionalProperties: object("An app's settings here.", APP_PROPERTIES),
    },
    git: { ...TEAM_PROPERTIES.git, description: "Over the team's git, key by key." },
    hosts: { ...TEAM_PROPERTIES.hosts, description: "Replaces the team's hosts." },
} satisfies Record<string, Schema>;

/** What an environment's section of the guardrails file may change (quota and limits key by key, lists replaced). */
export const GUARDRAIL_ENVIRONMENT_PROPERTIES = {
    quota: GUARDRAIL_PROPERTIES.quota,
    limits: GUARDRAIL_PROPERTIES.limits,
    loadBalancers: GUARDRAIL_PROPERTIES.loadBalancers,
    egress: GUARDRAIL_PROPERTIES.egress,
    certificates: GUARDRAIL_PROPERTIES.certificates,
} satisfies Record<string, Schema>;

const environments = (description: string, section: Record<string, Schema>): Schema => ({
    type: "object",
    description,
    additionalProperties: { type: "object", properties: section, additionalProperties: false },
});

const SCHEMA = "http://json-schema.org/draft-07/schema#";

/** tenants/<team>.yaml. */
export function teamFileSchema(): Schema {
    return {
        $schema: SCHEMA,
        title: "Team file (tenants/<team>.yaml)",
        ...object(
            "A team: what it ships and, per environment, what differs.",
            {
                ...TEAM_PROPERTIES,
                environments: environments(
                    "Per environment (staging, prod...), what differs there.",
                    TEAM_ENVIRONMENT_PROPERTIES,
                ),
            },
            ["name", "delivery", "apps"],
        ),
    };
}

/** tenants/guardrails/<team>.yaml. */
export function guardrailsFileSchema(): Schema {
    return {
        $schema: SCHEMA,
        title: "Guardrails file (tenants/guardrails/<team>.yaml), the platform team's",
        ...object("A team's guardrails.", {
            ...GUARDRAIL_PROPERTIES,
            environments: environments(
                "Per environment, what differs there.",
                GUARDRAIL_ENVIRONMENT_PROPERTIES,
            ),
        }),
    };
}
