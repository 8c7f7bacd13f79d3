// What the API server refuses in every tenant namespace, whoever asks: native ValidatingAdmissionPolicies
// (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30), so no admission controller has to run.
// One policy and one binding per rule for the whole cluster; what differs per team (its hosts, its
// load balancers, its certificates) and the environment's registry are annotations of the team's
// namespace, which the policies read from the namespace of the object being admitted (`namespaceObject`).
// Not a params object (`paramKind`) in the namespace: the API server looks params up before any match
// condition, so once the namespace controller had deleted them, `parameterNotFoundAction: Deny` would
// refuse the finalizer-removing updates of what is left (Job pods, LoadBalancer Services, Flux
// sources) and removing a team would hang. The namespace outlives everything in it.
import { PLATFORM_OWNED_LABEL } from "../../src/namespaces";
import * as pulumi from "@pulumi/pulumi";
import type { ConfigReader } from "../../src/config/reader";
import { CHART_READER_SERVICE_ACCOUNT } from "../../src/flux";
import type { GatewayRef } from "../../src/gateway";
import type { TenantConfig } from "./config";
import { RECONCILER_SERVICE_ACCOUNT, TENANT_LABEL } from "./manifests";

/** ValidatingAdmissionPolicy went GA (admissionregistration.k8s.io/v1) in this Kubernetes release. */
export const ADMISSION_POLICY_MINIMUM_KUBERNETES = "1.30";

/**
 * A pinned `kubernetesVersion` older than the admission policies' API is refused before anything is
 * created: on such a cluster the policies would not exist, and every tenant guardrail they hold with them.
 */
export function checkAdmissionPrerequisites(
    r: ConfigReader,
    kubernetesVersion: string | undefined,
    key: "kubernetesVersion" | "clusterKubernetesVersion" = "kubernetesVersion",
): void {
    if (!kubernetesVersion) return;
    const [major, minor] = kubernetesVersion.split(".").map(Number);
    const [minMajor, minMinor] = ADMISSION_POLICY_MINIMUM_KUBERNETES.split(".").map(Number);
    if (major > minMajor || (major === minMajor && minor >= minMinor)) return;
    r.problem(
        key,
        kubernetesVersion,
        `Kubernetes ${ADMISSION_POLICY_MINIMUM_KUBERNETES} or later: the tenant admission policies are ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1, GA in ${ADMISSION_POLICY_MINIMUM_KUBERNETES})`,
    );
}

/** Prefix of the annotations of a tenant namespace that hold the team's isolation settings. */
export const ISOLATION_ANNOTATION_PREFIX = "isolation.tenants.gitops-platform/";
/** The isolation settings, each an annotation `<prefix><key>` of the team's namespace. */
export const ISOLATION_KEYS = [
    "registry",
    "images",
    "charts",
    "hosts",
    "loadBalancers",
    "certificates",
    "gateway",
] as const;

/** A string of Inputs, kept a plain string when every part is one (the tests' params stay literal). */
function joined(...parts: pulumi.Input<string>[]): pulumi.Input<string> {
    if (parts.every((p) => typeof p === "string")) return parts.join("");
    return pulumi.output(pulumi.all(parts)).apply((p) => p.join(""));
}

/** Where a team's images live: `<loginServer>/<team>/`, the path its pipelines push to (`<team>/<app>`). */
export function teamImagePrefix(t: TenantConfig, registryLoginServer: pulumi.Input<string>) {
    return joined(registryLoginServer, "/", t.name, "/");
}

/**
 * A team's isolation settings, as the annotations of its namespace: every value a string, lists
 * comma-separated. `images` is the team's own path in the environment's registry, `charts` what its
 * Flux chart sources must be under: its own ChartMuseum repository or its own OCI path
 * (`teamChartSourcePrefix`), `gateway` the platform's Gateway its HTTPRoutes attach to. The namespace is cluster-scoped: no team right reaches it, and
 * `tenant-namespaces` refuses any change but the platform's.
 */
export function isolationAnnotations(
    t: TenantConfig,
    registryLoginServer: pulumi.Input<string>,
    chartSourcePrefix: pulumi.Input<string>,
    gateway: GatewayRef,
): Record<string, pulumi.Input<string>> {
    const values: Record<(typeof ISOLATION_KEYS)[number], pulumi.Input<string>> = {
        registry: registryLoginServer,
        images: teamImagePrefix(t, registryLoginServer),
        charts: chartSourcePrefix,
        hosts: t.hosts.join(","),
        loadBalancers: String(t.loadBalancers),
        certificates: t.certificates.join(","),
        gateway: `${gateway.namespace}/${gateway.name}`,
    };
    return Object.fromEntries(
        Object.entries(values).map(([k, v]) => [`${ISOLATION_ANNOTATION_PREFIX}${k}`, v]),
    );
}

/**
 * Settings added after namespaces existed: read as empty until the namespace's own update lands, so an
 * `up` that updates the policies first (or fails half-way) never refuses everything a team does.
 */
const LATER_ISOLATION_KEYS: ReadonlySet<(typeof ISOLATION_KEYS)[number]> = new Set(["gateway"]);

/**
 * The team's settings read from the namespace of the object being admitted. A namespace without them
 * (not made by the platform) fails the expression, which refuses.
 */
const ISOLATION_VARIABLE = {
    name: "isolation",
    expression: `{${ISOLATION_KEYS.map((k) => `'${k}': ${isolationSetting(k)}`).join(", ")}}`,
};

/** One setting's annotation, as CEL. */
function isolationSetting(key: (typeof ISOLATION_KEYS)[number]): string {
    const annotations = "namespaceObject.metadata.annotations";
    const name = `'${ISOLATION_ANNOTATION_PREFIX}${key}'`;
    return LATER_ISOLATION_KEYS.has(key)
        ? `(${name} in ${annotations} ? ${annotations}[${name}] : '')`
        : `${annotations}[${name}]`;
}

interface Rule {
    readonly apiGroups: readonly string[];
    readonly resources: readonly string[];
    readonly operations: readonly string[];
    /** Default `Namespaced`: what is in a tenant namespace. */
    readonly scope?: "Namespaced" | "Cluster";
}

interface Validation {
    readonly expression: string;
    readonly message?: string;
    readonly messageExpression?: string;
}

/** One rule the API server enforces: what it matches, what it computes, what must hold. */
export interface TenantPolicy {
    readonly name: string;
    /** Reads the team's isolation settings (`variables.isolation.*`, from its namespace's annotations). */
    readonly params: boolean;
    /**
     * Bound in every namespace, not only tenant ones (default false): for a Namespace object the API
     * server matches the labels it is being given, which an update could strip of the tenant label.
     */
    readonly everyNamespace?: boolean;
    /**
     * Refuses its kinds outright (default false); an update that changes neither the spec nor the
     * annotations of one already there still passes, as for the policies that read the team's settings.
     */
    readonly refusesKind?: boolean;
    readonly rules: readonly Rule[];
    readonly variables: readonly { readonly name: string; readonly expression: string }[];
    readonly validations: readonly Validation[];
}

const WRITES = ["CREATE", "UPDATE"];

// Who may change what the platform owns: whoever may do the same to that kind of object in every
// namespace. Cluster admins (Pulumi's deployer, the platform admins), Flux's controllers (finalizers on
// the platform's sources and releases) and Kubernetes' own (the namespace and garbage collectors, the
// endpoint controllers) hold their rights cluster-wide; every team right is bound to its namespace
// (Azure RBAC on the namespace scope, the reconciler's Role), impersonation included. No list of
// identities has to be kept in step, and an identity nobody thought of is refused.
const BY_PLATFORM =
    "authorizer.group(request.resource.group).resource(request.resource.resource)" +
    ".check(request.operation == 'CREATE' ? 'create' : request.operation == 'UPDATE' ? 'update' : 'delete').allowed()";
const labelled = (o: string) =>
    `(${o} != null && has(${o}.metadata.labels) && '${PLATFORM_OWNED_LABEL.key}' in ${o}.metadata.labels && ` +
    `${o}.metadata.labels['${PLATFORM_OWNED_LABEL.key}'] == '${PLATFORM_OWNED_LABEL.value}')`;

/**
 * The platform's objects and network policies: objects labelled as the platform's may not be created,
 * changed or deleted, nor NetworkPolicies (or Cilium policies) written, except by the platform. Covers
 * team members with `edit`, who may write NetworkPolicies by Azure RBAC.
 */
const platformObjects: TenantPolicy = {
    name: "tenant-platform-objects",
    params: false,
    rules: [{ apiGroups: ["*"], resources: ["*"], operations: [...WRITES, "DELETE"] }],
    variables: [
        { name: "owned", expression: `${labelled("object")} || ${labelled("oldObject")}` },
        {
            name: "networkPolicy",
            expression:
                "(request.kind.group == 'networking.k8s.io' && request.kind.kind == 'NetworkPolicy') || " +
                "(request.kind.group == 'cilium.io' && request.kind.kind in ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'])",
        },
        { name: "byPlatform", expression: BY_PLATFORM },
    ],
    validations: [
        {
            expression: "!variables.owned || variables.byPlatform",
            messageExpression:
                `'this ' + request.kind.kind + ' is the platform\\'s (${PLATFORM_OWNED_LABEL.key}=${PLATFORM_OWNED_LABEL.value}): ` +
                `it changes only through the platform config (the team file), never in the cluster'`,
        },
        {
            expression: "!variables.networkPolicy || variables.byPlatform",
            message:
                "network policies in a tenant namespace are the platform's: declare flows and egress in the team file",
        },
    ],
};

/**
 * Endpoints and EndpointSlices only from Kubernetes' own controllers (or the platform): a hand-written
 * one behind a selector-less Service would point the shared gateway at any pod IP, a platform pod's too.
 */
const endpoints: TenantPolicy = {
    name: "tenant-endpoints",
    params: false,
    rules: [
        { apiGroups: [""], resources: ["endpoints"], operations: WRITES },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], operations: WRITES },
    ],
    variables: [{ name: "byPlatform", expression: BY_PLATFORM }],
    validations: [
        {
            expression: "variables.byPlatform",
            message:
                "endpoints in a tenant namespace come from Kubernetes' controllers only: give the Service a selector",
        },
    ],
};

/** Services stay inside the cluster: no alias to any DNS name, no node port, no hijacked address. */
const services: TenantPolicy = {
    name: "tenant-services",
    params: true,
    rules: [{ apiGroups: [""], resources: ["services"], operations: WRITES }],
    variables: [
        { name: "serviceType", expression: "has(object.spec.type) ? object.spec.type : 'ClusterIP'" },
    ],
    validations: [
        {
            expression: "variables.serviceType != 'ExternalName'",
            message:
                "ExternalName Services are refused in tenant namespaces: they put any DNS name (a platform service's too) behind a name the gateway and flows trust",
        },
        {
            expression: "variables.serviceType != 'NodePort'",
            message: "NodePort Services are refused: traffic enters through the platform's Gateway",
        },
        {
            expression:
                "variables.serviceType != 'LoadBalancer' || int(variables.isolation.loadBalancers) > 0",
            message:
                "LoadBalancer Services are refused unless the team file allows them (loadBalancers: <count>)",
        },
        {
            expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
            message:
                "Services with externalIPs are refused: they capture traffic to those addresses cluster-wide (CVE-2020-8554)",
        },
    ],
};

/** The Gateway API groups: the standard one and the experimental channel's. */
const GATEWAY_API_GROUPS = ["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"];

/**
 * Ingresses are refused: the teams' traffic enters through the platform's Gateway, each team by
 * HTTPRoutes on its own listeners (`tenant-routes`).
 */
const ingresses: TenantPolicy = {
    name: "tenant-ingresses",
    params: false,
    refusesKind: true,
    rules: [{ apiGroups: ["networking.k8s.io"], resources: ["ingresses"], operations: WRITES }],
    variables: [],
    validations: [
        {
            expression: "false",
            message:
                "Ingresses are refused: traffic enters through the platform's Gateway; write an HTTPRoute (gateway.networking.k8s.io/v1) for your declared hosts instead",
        },
    ],
};

/**
 * Gateways, ReferenceGrants and every route kind but HTTPRoute are the platform's: a Gateway of a
 * team's would take hosts and certificates, a ReferenceGrant would open its Services (or Secrets) to
 * another namespace's routes, and the other route kinds bypass `tenant-routes`.
 */
const gatewayObjects: TenantPolicy = {
    name: "tenant-gateway-objects",
    params: false,
    refusesKind: true,
    // Every resource of both groups, so a kind added later (or the experimental channel's x-prefixed
    // ones: xlistenersets, xbackendtrafficpolicies, xmeshes) is refused too; HTTPRoutes go to tenant-routes.
    rules: [{ apiGroups: GATEWAY_API_GROUPS, resources: ["*"], operations: WRITES }],
    variables: [],
    validations: [
        {
            expression: `request.resource.group == '${GATEWAY_API_GROUPS[0]}' && request.resource.resource == 'httproutes'`,
            messageExpression:
                "request.kind.kind + ' objects are the platform\\'s, refused in tenant namespaces: a team routes its declared hosts with HTTPRoutes on its listeners of the platform\\'s Gateway'",
        },
    ],
};

/** A backendRef (or a mirror's) names a Service of the route's own namespace. */
const LOCAL_SERVICE = (b: string) =>
    `((!has(${b}.group) || ${b}.group == '') && (!has(${b}.kind) || ${b}.kind == 'Service') && ` +
    `(!has(${b}.namespace) || ${b}.namespace == request.namespace))`;
/** A list of filters mirrors only to local Services and names no implementation-specific object. */
const SAFE_FILTERS = (f: string) =>
    `(!has(${f}) || ${f}.all(f, f.type != 'ExtensionRef' && ` +
    `(!has(f.requestMirror) || ${LOCAL_SERVICE("f.requestMirror.backendRef")})))`;

/**
 * HTTPRoutes claim only the team's declared hosts, attach only to the team's listeners of the
 * platform's Gateway (one listener per host, named after it), and send traffic only to Services of
 * the team's own namespace. The Gateway's listeners admit routes from the team's namespace alone
 * (`allowedRoutes`), so this is the second of two locks.
 */
const routes: TenantPolicy = {
    name: "tenant-routes",
    params: true,
    rules: [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], operations: WRITES }],
    variables: [
        {
            name: "hosts",
            expression: "variables.isolation.hosts == '' ? [] : variables.isolation.hosts.split(',')",
        },
        { name: "hostnames", expression: "has(object.spec.hostnames) ? object.spec.hostnames : []" },
        { name: "parents", expression: "has(object.spec.parentRefs) ? object.spec.parentRefs : []" },
        { name: "gateway", expression: "variables.isolation.gateway.split('/')" },
        { name: "rules", expression: "has(object.spec.rules) ? object.spec.rules : []" },
    ],
    validations: [
        {
            expression: "size(variables.hostnames) > 0 && variables.hostnames.all(h, h in variables.hosts)",
            messageExpression:
                "'HTTPRoute hostnames must be listed and be the team\\'s declared hosts (' + variables.isolation.hosts + '); refused: ' + " +
                "(size(variables.hostnames) == 0 ? '<no hostnames: every host of the listener>' : variables.hostnames.filter(h, !(h in variables.hosts)).join(', '))",
        },
        {
            expression:
                "size(variables.parents) > 0 && variables.parents.all(p, " +
                "(!has(p.group) || p.group == 'gateway.networking.k8s.io') && (!has(p.kind) || p.kind == 'Gateway') && " +
                "has(p.namespace) && p.namespace == variables.gateway[0] && p.name == variables.gateway[1] && " +
                "has(p.sectionName) && p.sectionName in variables.hosts)",
            messageExpression:
                "'an HTTPRoute attaches only to the platform\\'s Gateway ' + variables.isolation.gateway + " +
                "', on the team\\'s listeners (sectionName: one of its declared hosts: ' + variables.isolation.hosts + ')'",
        },
        {
            expression:
                "variables.rules.all(r, (!has(r.backendRefs) || r.backendRefs.all(b, " +
                `${LOCAL_SERVICE("b")} && ${SAFE_FILTERS("b.filters")})) && ${SAFE_FILTERS("r.filters")})`,
            message:
                "HTTPRoute backends (and mirrors) must be Services of the team's own namespace; ExtensionRef filters are refused",
        },
    ],
};

/**
 * Workloads run only the team's own images, `<loginServer>/<team>/...` (where its pipelines push), and
 * never as the reconciler: another team's image, even from the same registry, is refused.
 */
const workloads: TenantPolicy = {
    name: "tenant-workloads",
    params: true,
    rules: [
        {
            apiGroups: [""],
            resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
            operations: WRITES,
        },
        {
            apiGroups: ["apps"],
            resources: ["deployments", "replicasets", "statefulsets", "daemonsets"],
            operations: WRITES,
        },
        { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], operations: WRITES },
    ],
    variables: [
        {
            name: "spec",
            expression:
                "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec",
        },
        // Mapped to strings first: Container and EphemeralContainer lists are different types in CEL.
        {
            name: "images",
            expression:
                "variables.spec.containers.map(c, c.image) + " +
                "(has(variables.spec.initContainers) ? variables.spec.initContainers.map(c, c.image) : []) + " +
                "(has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers.map(c, c.image) : []) + " +
                "(has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.image)).map(v, v.image.reference) : [])",
        },
        { name: "prefix", expression: "variables.isolation.images" },
    ],
    validations: [
        {
            expression: "variables.images.all(i, i.startsWith(variables.prefix))",
            messageExpression:
                "'images must be the team\\'s own, under ' + variables.prefix + ' in the environment\\'s registry; refused: ' + " +
                "variables.images.filter(i, !i.startsWith(variables.prefix)).join(', ')",
        },
        {
            expression:
                `!(has(variables.spec.serviceAccountName) && variables.spec.serviceAccountName == '${RECONCILER_SERVICE_ACCOUNT}') && ` +
                `!(has(variables.spec.serviceAccount) && variables.spec.serviceAccount == '${RECONCILER_SERVICE_ACCOUNT}')`,
            message: `pods may not run as ${RECONCILER_SERVICE_ACCOUNT}: Flux impersonates it, and a pod holding its token would deploy as the team`,
        },
    ],
};

/** What a URL may not hold, so that a prefix check means what it says: no `..`, no escapes, no userinfo, query or fragment. */
const URL_TRICKS = ["..", "%", "@", "?", "#", "\\\\"];

/**
 * Flux chart sources read only the team's own charts: a HelmRepository or OCIRepository in a team's
 * namespace points under the team's prefix (its ChartMuseum repository, its OCI path), never at
 * another team's charts, which source-controller could otherwise fetch for it. And only as the team:
 * an OCIRepository is read as the namespace's chart reader (whose identity reads only `<team>/`);
 * without `serviceAccountName`, or a HelmRepository with a cloud provider (it cannot name one),
 * source-controller would use its own or the node's identity.
 */
const chartSources: TenantPolicy = {
    name: "tenant-chart-sources",
    params: true,
    rules: [
        {
            apiGroups: ["source.toolkit.fluxcd.io"],
            resources: ["helmrepositories", "ocirepositories"],
            operations: WRITES,
        },
    ],
    variables: [{ name: "url", expression: "has(object.spec.url) ? object.spec.url : ''" }],
    validations: [
        {
            expression:
                "(variables.url + '/').startsWith(variables.isolation.charts) && " +
                `![${URL_TRICKS.map((t) => `'${t}'`).join(", ")}].exists(t, variables.url.contains(t))`,
            messageExpression:
                "'chart sources must be the team\\'s own, under ' + variables.isolation.charts + '; refused: ' + variables.url",
        },
        {
            expression:
                "object.kind != 'OCIRepository' || (has(object.spec.provider) && object.spec.provider == 'azure' && " +
                `has(object.spec.serviceAccountName) && object.spec.serviceAccountName == '${CHART_READER_SERVICE_ACCOUNT}')`,
            message: `an OCIRepository is read as the team's chart reader: provider azure and serviceAccountName ${CHART_READER_SERVICE_ACCOUNT}, never a controller's or the node's identity`,
        },
        {
            expression:
                "object.kind != 'HelmRepository' || !has(object.spec.provider) || object.spec.provider == 'generic'",
            message:
                "a HelmRepository cannot name a service account, so a cloud provider would read as a controller's or the node's identity: use an OCIRepository",
        },
    ],
};

/**
 * No long-lived service account tokens: a Secret of type `kubernetes.io/service-account-token` naming
 * `flux-reconciler` (or any account of the namespace) would be filled by Kubernetes with a token that
 * never expires, carrying that account's rights; whoever may create Secrets here (the reconciler, a
 * member) could mint one. Nothing the platform or the starter kits run needs one (pods get projected,
 * expiring tokens), so the type is refused to everyone.
 */
const secrets: TenantPolicy = {
    name: "tenant-secrets",
    params: false,
    rules: [{ apiGroups: [""], resources: ["secrets"], operations: WRITES }],
    variables: [],
    validations: [
        {
            expression: "!has(object.type) || object.type != 'kubernetes.io/service-account-token'",
            message:
                "Secrets of type kubernetes.io/service-account-token are refused in tenant namespaces: they hold a token that never expires; pods get expiring projected tokens",
        },
    ],
};

/**
 * The tenant namespace itself (cluster-scoped) changes only by the platform: its labels bind every
 * policy and set its Pod Security level, its annotations hold the team's isolation settings.
 * Kubernetes' namespace controller finalizes through `namespaces/finalize` and `/status`, not matched.
 */
const namespaces: TenantPolicy = {
    name: "tenant-namespaces",
    params: false,
    everyNamespace: true,
    rules: [
        { apiGroups: [""], resources: ["namespaces"], operations: ["UPDATE", "DELETE"], scope: "Cluster" },
    ],
    variables: [
        {
            name: "tenant",
            expression: `has(oldObject.metadata.labels) && '${TENANT_LABEL}' in oldObject.metadata.labels`,
        },
        { name: "byPlatform", expression: BY_PLATFORM },
    ],
    validations: [
        {
            expression: "!variables.tenant || variables.byPlatform",
            message:
                "a tenant namespace (its labels, Pod Security level and isolation annotations) changes only through the platform config",
        },
    ],
};

/** Fail closed: whatever the object, a namespace without the team's settings refuses it (reading them errs). */
const HAS_ISOLATION = {
    expression: `size(variables.isolation) == ${ISOLATION_KEYS.length}`,
    message: `this tenant namespace carries no isolation settings (${ISOLATION_ANNOTATION_PREFIX}*): only the platform makes tenant namespaces`,
};

/**
 * An update that changes neither the object's spec (everything these policies judge but its kind)
 * nor its annotations is not judged again: it only moves the object's bookkeeping (finalizers, owner
 * references, managed fields), so the object admitted before is the object admitted now. Judging it
 * against settings changed since would refuse writes that change nothing the settings are about:
 * Pulumi's kubernetes provider rewriting `managedFields` (taking over what `kubectl` wrote) before it
 * applies the new spec of a source whose `charts` prefix this very `up` moved, a controller adding or removing its finalizer on an
 * object a tightened guardrail no longer allows (the namespace holding it could then never go). Any
 * change of the spec or the annotations is judged against the namespace's current settings.
 */
const UNCHANGED = {
    name: "changes-spec-or-annotations",
    expression:
        "!(request.operation == 'UPDATE' && oldObject != null && " +
        "(has(object.spec) ? object.spec : {}) == (has(oldObject.spec) ? oldObject.spec : {}) && " +
        "(has(object.metadata.annotations) ? object.metadata.annotations : {}) == " +
        "(has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}))",
};

/** Every rule, in the order they are registered. */
export const TENANT_POLICIES: readonly TenantPolicy[] = [
    platformObjects,
    endpoints,
    services,
    ingresses,
    gatewayObjects,
    routes,
    workloads,
    chartSources,
    secrets,
    namespaces,
];

/** A ValidatingAdmissionPolicy, cluster-scoped. */
export function admissionPolicy(policy: TenantPolicy) {
    return {
        apiVersion: "admissionregistration.k8s.io/v1" as const,
        kind: "ValidatingAdmissionPolicy" as const,
        metadata: { name: policy.name, labels: { [PLATFORM_OWNED_LABEL.key]: PLATFORM_OWNED_LABEL.value } },
        spec: {
            // An expression that errors (a namespace without the team's settings included) refuses.
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: policy.rules.map((rule) => ({
                    apiGroups: [...rule.apiGroups],
                    apiVersions: ["*"],
                    resources: [...rule.resources],
                    operations: [...rule.operations],
                    scope: rule.scope ?? "Namespaced",
                })),
            },
            ...(policy.params || policy.refusesKind ? { matchConditions: [{ ...UNCHANGED }] } : {}),
            variables: [...(policy.params ? [ISOLATION_VARIABLE] : []), ...policy.variables].map((v) => ({
                ...v,
            })),
            validations: [...(policy.params ? [HAS_ISOLATION] : []), ...policy.validations].map((v) => ({
                ...v,
                reason: "Forbidden",
            })),
        },
    };
}

/** Binds a policy to every tenant namespace (by the tenant label; a Namespace by its own labels). */
export function admissionPolicyBinding(policy: TenantPolicy) {
    return {
        apiVersion: "admissionregistration.k8s.io/v1" as const,
        kind: "ValidatingAdmissionPolicyBinding" as const,
        metadata: { name: policy.name, labels: { [PLATFORM_OWNED_LABEL.key]: PLATFORM_OWNED_LABEL.value } },
        spec: {
            policyName: policy.name,
            validationActions: ["Deny"],
            matchResources: {
                namespaceSelector: policy.everyNamespace
                    ? {}
                    : { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] },
            },
        },
    };
}
