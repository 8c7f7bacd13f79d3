// The API server's ValidatingAdmissionPolicy machinery, offline: which bindings apply to a request
// (namespaceSelector, the policy's resourceRules), the binding's params (looked up before any match
// condition, as the API server does), the policy's matchConditions, then each variable and validation
// evaluated by a real CEL implementation (@bufbuild/cel, with the strings extension Kubernetes enables)
// over `object`, `oldObject`, `request`, `params`, `namespaceObject` and a fake `authorizer`.
// As in Kubernetes, an expression that fails and a missing param refuse (failurePolicy Fail).
import { CelScalar, celMethod, isCelError, mapType, run } from "@bufbuild/cel";
import type { CelFunc } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { selects } from "./networkPolicy";

type Obj = Record<string, any>;

/** One authorization question CEL's `authorizer` asks on the requester's behalf. */
export interface AuthzCheck {
    readonly group: string;
    readonly resource: string;
    readonly namespace: string;
    readonly verb: string;
}

/** A request as admission sees it. */
export interface AdmissionRequest {
    readonly operation: "CREATE" | "UPDATE" | "DELETE";
    /** The new object (none for DELETE). */
    readonly object?: Obj;
    /** The object before the change (UPDATE and DELETE). */
    readonly oldObject?: Obj;
    readonly subResource?: string;
    readonly namespace: string;
    /** Labels of the request's namespace, besides `kubernetes.io/metadata.name`. */
    readonly namespaceLabels: Readonly<Record<string, string>>;
    readonly user: { readonly username: string; readonly groups?: readonly string[] };
    /** What the requester is allowed, for `authorizer` checks. Default: nothing. */
    readonly can?: (check: AuthzCheck) => boolean;
}

export interface Decision {
    readonly admitted: boolean;
    /** The message of every validation that failed, and of every expression that could not run. */
    readonly refusals: readonly string[];
    /** Names of the policies whose bindings applied. */
    readonly evaluated: readonly string[];
}

/** API group, version and plural resource of each kind the tests admit. */
const RESOURCES: Record<string, string> = {
    Pod: "pods",
    Service: "services",
    ConfigMap: "configmaps",
    Secret: "secrets",
    ServiceAccount: "serviceaccounts",
    Endpoints: "endpoints",
    ResourceQuota: "resourcequotas",
    LimitRange: "limitranges",
    ReplicationController: "replicationcontrollers",
    Deployment: "deployments",
    ReplicaSet: "replicasets",
    StatefulSet: "statefulsets",
    DaemonSet: "daemonsets",
    Job: "jobs",
    CronJob: "cronjobs",
    Ingress: "ingresses",
    HTTPRoute: "httproutes",
    GRPCRoute: "grpcroutes",
    XListenerSet: "xlistenersets",
    XBackendTrafficPolicy: "xbackendtrafficpolicies",
    TLSRoute: "tlsroutes",
    Gateway: "gateways",
    ReferenceGrant: "referencegrants",
    NetworkPolicy: "networkpolicies",
    CiliumNetworkPolicy: "ciliumnetworkpolicies",
    EndpointSlice: "endpointslices",
    Role: "roles",
    RoleBinding: "rolebindings",
    HelmRelease: "helmreleases",
    HelmRepository: "helmrepositories",
    OCIRepository: "ocirepositories",
    GitRepository: "gitrepositories",
    Kustomization: "kustomizations",
    Namespace: "namespaces",
    HorizontalPodAutoscaler: "horizontalpodautoscalers",
    PodDisruptionBudget: "poddisruptionbudgets",
};

function gvr(object: Obj): { group: string; version: string; resource: string; kind: string } {
    const resource = RESOURCES[object.kind];
    if (!resource) throw new Error(`no resource known for kind ${object.kind}`);
    const [group, version] = object.apiVersion.includes("/")
        ? object.apiVersion.split("/")
        : ["", object.apiVersion];
    return { group, version, resource, kind: object.kind };
}

/** JSON-like data as CEL values: objects as maps, whole numbers as ints (as Kubernetes types them). */
export function toCel(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(toCel);
    if (value !== null && typeof value === "object")
        return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
    if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
    return value;
}

const ANY = mapType(CelScalar.STRING, CelScalar.DYN);
const extend = (target: unknown, key: string, value: unknown) =>
    new Map([...(target as Map<string, unknown>).entries(), [key, value]]);

/** `authorizer.group(g).resource(r).namespace(ns).check(verb).allowed()`, answered by `can`. */
function authorizerFuncs(can: (check: AuthzCheck) => boolean): CelFunc[] {
    return [
        ...["group", "resource", "namespace"].map((step) =>
            celMethod(step, ANY, [CelScalar.STRING], ANY, function (value) {
                return extend(this, step, value) as never;
            }),
        ),
        celMethod("check", ANY, [CelScalar.STRING], ANY, function (verb) {
            const m = this as unknown as Map<string, string>;
            const allowed = can({
                group: m.get("group") ?? "",
                resource: m.get("resource") ?? "",
                namespace: m.get("namespace") ?? "",
                verb,
            });
            return new Map([["allowed", allowed]]) as never;
        }),
        celMethod("allowed", ANY, [], CelScalar.BOOL, function () {
            return (this as unknown as Map<string, boolean>).get("allowed") === true;
        }),
    ];
}

function ruleMatches(rule: Obj, request: AdmissionRequest, target: ReturnType<typeof gvr>): boolean {
    const resource = request.subResource ? `${target.resource}/${request.subResource}` : target.resource;
    const any = (list: string[], value: string) => list.includes("*") || list.includes(value);
    const resourceMatch =
        rule.resources.includes(resource) ||
        (!request.subResource && rule.resources.includes("*")) ||
        rule.resources.includes("*/*");
    return (
        any(rule.apiGroups, target.group) &&
        any(rule.apiVersions, target.version) &&
        resourceMatch &&
        any(rule.operations, request.operation)
    );
}

interface PolicyObject {
    readonly metadata: { readonly name: string };
    readonly spec: Obj;
}

/**
 * Admits or refuses `request` under the given policies, their bindings and what the cluster holds:
 * params objects, and Namespaces (`namespaceObject` is the one named like the request's namespace; a
 * namespace not given is a bare one with the request's labels).
 */
export function admit(
    policies: readonly PolicyObject[],
    bindings: readonly PolicyObject[],
    params: readonly Obj[],
    request: AdmissionRequest,
): Decision {
    const target = gvr(request.object ?? request.oldObject!);
    const namespaceLabels = { "kubernetes.io/metadata.name": request.namespace, ...request.namespaceLabels };
    const refusals: string[] = [];
    const evaluated: string[] = [];
    for (const binding of bindings) {
        const policy = policies.find((p) => p.metadata.name === binding.spec.policyName);
        if (!policy) throw new Error(`binding ${binding.metadata.name} names no known policy`);
        const selector = binding.spec.matchResources?.namespaceSelector ?? {};
        if (!selects(selector, namespaceLabels)) continue;
        if (!policy.spec.matchConstraints.resourceRules.some((r: Obj) => ruleMatches(r, request, target)))
            continue;
        evaluated.push(policy.metadata.name);
        refusals.push(...evaluate(policy, binding, params, request, target));
    }
    return { admitted: refusals.length === 0, refusals, evaluated };
}

function evaluate(
    policy: PolicyObject,
    binding: PolicyObject,
    params: readonly Obj[],
    request: AdmissionRequest,
    target: ReturnType<typeof gvr>,
): string[] {
    let param: Obj | null = null;
    if (policy.spec.paramKind) {
        const ref = binding.spec.paramRef;
        param =
            params.find(
                (p) =>
                    p.kind === policy.spec.paramKind.kind &&
                    p.metadata.name === ref.name &&
                    p.metadata.namespace === (ref.namespace ?? request.namespace),
            ) ?? null;
        if (!param) return [`${policy.metadata.name}: params ${ref.name} not found in ${request.namespace}`];
    }
    const funcs = [...strings, ...authorizerFuncs(request.can ?? (() => false))];
    const variables = new Map<string, unknown>();
    const namespaceObject = params.find(
        (p) => p.kind === "Namespace" && p.metadata.name === request.namespace,
    ) ?? {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: request.namespace,
            labels: { "kubernetes.io/metadata.name": request.namespace, ...request.namespaceLabels },
        },
    };
    const bindingsOf = () => ({
        object: toCel(request.object ?? null),
        oldObject: toCel(request.oldObject ?? null),
        params: toCel(param),
        namespaceObject: toCel(namespaceObject),
        request: toCel({
            operation: request.operation,
            namespace: request.namespace,
            kind: { group: target.group, version: target.version, kind: target.kind },
            resource: { group: target.group, version: target.version, resource: target.resource },
            subResource: request.subResource ?? "",
            userInfo: { username: request.user.username, groups: request.user.groups ?? [] },
        }),
        authorizer: new Map(),
        variables,
    });
    // Any match condition false skips the policy; one that fails refuses (failurePolicy Fail).
    for (const c of policy.spec.matchConditions ?? []) {
        const result = run(c.expression, bindingsOf() as never, { funcs });
        if (isCelError(result))
            return [`${policy.metadata.name}: match condition ${c.name} failed (${result.message})`];
        if (result !== true) return [];
    }
    // Variables are lazy in Kubernetes: one that fails refuses only if a validation reads it.
    for (const v of policy.spec.variables ?? []) {
        const value = run(v.expression, bindingsOf() as never, { funcs });
        if (!isCelError(value)) variables.set(v.name, value);
    }
    const refusals: string[] = [];
    for (const v of policy.spec.validations) {
        const result = run(v.expression, bindingsOf() as never, { funcs });
        if (result === true) continue;
        if (isCelError(result)) {
            refusals.push(`${policy.metadata.name}: expression failed (${result.message}): ${v.expression}`);
            continue;
        }
        const message = v.messageExpression
            ? run(v.messageExpression, bindingsOf() as never, { funcs })
            : undefined;
        refusals.push(
            typeof message === "string" ? message : (v.message ?? `${policy.metadata.name}: refused`),
        );
    }
    return refusals;
}
