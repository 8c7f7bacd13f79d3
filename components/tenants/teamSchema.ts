// What a team file and a guardrails file may hold, as JSON Schema (draft-07): the keys the readers
// accept come from here, `npm run gen:schemas` writes schemas/*.schema.json from it (an editor's
// completion and checks, through the `yaml-language-server: $schema` line of each file), and the
// README's team-file reference is rendered from it. Rules a schema cannot say (flows both teams
// declare, capacity, CODEOWNERS, a prod pin) stay in the readers, each with its message.
type Schema = Readonly<Record<string, unknown>>;

const string = (description: string, extra: Schema = {}) => ({
    type: "string" as const,
    description,
    ...extra,
});
const strings = (description: string) => ({
    type: "array" as const,
    items: { type: "string" as const },
    description,
});
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
        { type: "integer" as const, minimum, ...(maximum === undefined ? {} : { maximum }) },
        { type: "string" as const, pattern: "^[0-9]+$" },
    ] as const,
});
/** A string with its default, which the reader takes from here. */
const defaulted = <D extends string>(description: string, defaultValue: D, extra: Schema = {}) => ({
    type: "string" as const,
    description,
    default: defaultValue,
    ...extra,
});
/** What a value written in a team file must look like, where a pattern says it (the readers check the rest). */
export const PATTERNS = {
    dnsLabel: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    repository: "^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$",
    member: "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,})$",
    duration: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
    quantity: "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$",
    digest: "^sha256:[0-9a-f]{64}$",
    commit: "^[0-9a-f]{40}$",
    // https or ssh, or plain http to a git server on the machine itself, never across a network.
    gitUrl: "^((https://|ssh://git@)\\S+|http://(127\\.0\\.0\\.1|localhost)(:[0-9]{1,5})?/\\S+)$",
    relativePath: "^(?!/)(?!.*\\.\\.).*$",
    kind: "^[A-Z][A-Za-z0-9]*$",
    objectName: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
    apiVersion: "^([a-z0-9.-]+/)?v[0-9]+[a-z0-9]*$",
    flowEnd: "^([a-z0-9-]+/)?[a-z0-9-]+$",
} as const;
const matching = (pattern: keyof typeof PATTERNS): Schema => ({ pattern: PATTERNS[pattern] });
/** A Kubernetes quantity: written 2, "2", "500m" or "4Gi"; its default is the reader's. */
const quantity = <D extends string>(description: string, defaultValue: D) => ({
    description: `a resource quantity such as 2, 500m or 4Gi: ${description}`,
    anyOf: [
        { type: "string", ...matching("quantity") },
        { type: "number", minimum: 0 },
    ] as const,
    default: defaultValue,
});
const object = <P extends Record<string, Schema>, R extends keyof P & string = never>(
    description: string,
    properties: P,
    required: R[] = [],
): { type: "object"; description: string; properties: P; additionalProperties: false; required?: R[] } => ({
    type: "object",
    description,
    properties,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
});

/**
 * What a schema admits, as a TypeScript type: what the readers take once a file holds its schema
 * (counts as numbers: `withCounts` reads "8080" as 8080). Covers the keywords used here.
 */
export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly anyOf: readonly [{ readonly type: "integer" }, ...unknown[]] }
      ? number
      : S extends { readonly anyOf: readonly unknown[] }
        ? string | number
        : S extends { readonly type: "string" }
          ? string
          : S extends { readonly type: "boolean" }
            ? boolean
            : S extends { readonly type: "array"; readonly items: infer I }
              ? readonly FromSchema<I>[]
              : S extends {
                      readonly type: "object";
                      readonly properties: infer P;
                      readonly required?: (infer R)[];
                  }
                ? FromProperties<P, R & keyof P>
                : S extends { readonly type: "object"; readonly additionalProperties: infer A extends object }
                  ? Readonly<Record<string, FromSchema<A>>>
                  : S extends { readonly type: "object" }
                    ? Readonly<Record<string, unknown>>
                    : unknown;
/** An object of `properties`, the `required` ones present. */
export type FromProperties<P, R extends keyof P = never> = {
    readonly [K in Exclude<keyof P, R>]?: FromSchema<P[K]>;
} & { readonly [K in R]: FromSchema<P[K]> };

/** An app of the team: what its pipeline builds and Flux delivers. */
export const APP_PROPERTIES = {
    name: string(
        "a DNS label: the HelmRelease, the pods' app.kubernetes.io/name, the pipeline <team>-<app>.",
        matching("dnsLabel"),
    ),
    repository: string(
        "the app's GitHub repository as owner/repo: its source and pipeline.",
        matching("repository"),
    ),
    pipelinePath: string("The pipeline's path in the repository (default <app>/ci-pipeline.yml)."),
    chart: string(
        "helm: the chart's name (a DNS label) in the chart repository (default the app's name).",
        matching("dnsLabel"),
    ),
    version: string("helm: a semver range (staging) or an exact version (a stack that pins)."),
    digest: string(
        "helm, a stack that pins: the image digest, sha256: followed by 64 lowercase hex digits.",
        matching("digest"),
    ),
    pending: {
        type: "boolean" as const,
        description: "helm, a stack that pins: not deployed until its first promotion.",
    },
    web: {
        type: "boolean" as const,
        description: "The shared Gateway may reach the app's pods (default false).",
    },
    port: integer("The container port the app listens on.", 1, 65535, 8080),
    dependsOn: strings("helm: apps of the team released first."),
    values: { type: "object" as const, description: "helm: values passed to the chart." },
} satisfies Record<string, Schema>;

export const FLOW_PROPERTIES = {
    from: string("an app name of the team, or team/app for another team's app.", matching("flowEnd")),
    to: string("an app name of the team, or team/app for another team's app.", matching("flowEnd")),
    port: integer("The TCP port (default the target app's).", 1, 65535),
} satisfies Record<string, Schema>;

export const EGRESS_PROPERTIES = {
    cidr: string("The destination, a CIDR outside the cluster's ranges."),
    ports: {
        type: "array" as const,
        minItems: 1,
        items: integer("A TCP port.", 1, 65535),
        description: "TCP ports opened (at least one: nothing is opened to a whole range).",
    },
    apps: strings("Only these apps of the team (default all)."),
} satisfies Record<string, Schema>;

export const HEALTH_CHECK_PROPERTIES = {
    apiVersion: string("an apiVersion such as apps/v1 (default apps/v1).", matching("apiVersion")),
    kind: string("a Kubernetes kind such as Deployment.", matching("kind")),
    name: string("the object's name.", matching("objectName")),
} satisfies Record<string, Schema>;

export const GIT_PROPERTIES = {
    url: string(
        "kustomize: the team's repository, an https:// or ssh://git@ URL (http:// only to a git server on this machine: 127.0.0.1 or localhost).",
        matching("gitUrl"),
    ),
    branch: defaulted("The branch followed.", "main"),
    tag: string("A tag pinned instead of a branch."),
    commit: string("a full 40-character commit SHA, pinned instead of a branch.", matching("commit")),
    path: defaulted(
        "the overlay applied, a relative path inside the repository.",
        "./",
        matching("relativePath"),
    ),
    secretName: string("A Secret in the namespace with the credentials of a private repository."),
    healthChecks: {
        type: "array" as const,
        items: object("An object the Kustomization waits for.", HEALTH_CHECK_PROPERTIES, ["kind", "name"]),
        description: "Only these objects are waited for (default every object applied).",
    },
    pending: {
        type: "boolean" as const,
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
    name: string(
        "a DNS label (lowercase letters, digits and '-', at most 63 characters): the namespace, the Azure AD group, the variable group.",
        matching("dnsLabel"),
    ),
    delivery: {
        type: "string",
        enum: ["helm", "kustomize"] as const,
        description: "How Flux delivers its apps.",
    },
    members: {
        type: "array" as const,
        items: string(
            "an Azure AD object id (GUID) or a user principal name (user@domain).",
            matching("member"),
        ),
        description: "Azure AD object ids or UPNs of the team's group.",
    },
    apps: {
        type: "array" as const,
        minItems: 1,
        items: object("An app.", APP_PROPERTIES, ["name", "repository"]),
        description: "What the team ships, one pipeline each.",
    },
    flows: {
        type: "array" as const,
        items: object("A flow { from, to, port }.", FLOW_PROPERTIES, ["from", "to"]),
        description: "Network flows allowed; one to another team's app holds when both teams declare it.",
    },
    git: object("kustomize: the repository Flux applies.", GIT_PROPERTIES, ["url"]),
    interval: defaulted(
        "a duration such as 1m, 5m or 1h: how often Flux reconciles.",
        "5m",
        matching("duration"),
    ),
    timeout: defaulted("a duration: how long a reconciliation may take.", "5m", matching("duration")),
    retryInterval: defaulted(
        "a duration: how soon a failed reconciliation is retried.",
        "1m",
        matching("duration"),
    ),
    remediationRetries: integer("helm: install and upgrade retries before rollback.", 0, 10, 3),
    hosts: strings(
        "Host names its HTTPRoutes may claim, each a listener of the shared Gateway (default none).",
    ),
} satisfies Record<string, Schema>;

/** What the platform team sets, in the team's guardrails file. */
export const GUARDRAIL_PROPERTIES = {
    podSecurity: {
        type: "string",
        enum: ["restricted", "baseline"] as const,
        default: "restricted" as const,
        description: "Pod Security level of the namespace (never privileged).",
    },
    accessRole: {
        type: "string",
        enum: ["view", "edit", "admin"] as const,
        default: "edit" as const,
        description: "The team group's role in its namespace, via Azure RBAC.",
    },
    quota: object("The namespace's ResourceQuota.", QUOTA_PROPERTIES),
    limits: object("The namespace's LimitRange.", LIMIT_PROPERTIES),
    loadBalancers: integer(
        "how many LoadBalancer Services the team may create, each a public IP outside the shared Gateway (traffic enters through the Gateway).",
        0,
        5,
        0,
    ),
    egress: {
        type: "array" as const,
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
        type: "object" as const,
        description: 'Settings by app name, over the app\'s own (e.g. { back: { version: "0.4.2" } }).',
        additionalProperties: object("An app's settings here.", APP_PROPERTIES),
    },
    git: object("Over the team's git, key by key.", GIT_PROPERTIES),
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

/** A team as the readers take it: its file, its environment's section and its guardrails merged, schema-valid. */
export type WrittenTeam = FromProperties<
    typeof TEAM_PROPERTIES & typeof GUARDRAIL_PROPERTIES,
    "name" | "delivery" | "apps"
>;
