// What a set of RBAC PolicyRules allows, by Kubernetes' own matching: `*` in apiGroups, resources or
// verbs matches everything, `pods/*` every subresource of pods, `*/scale` one subresource of any
// resource; resourceNames narrow a rule to named objects (a request without a name never matches it).

export interface PolicyRule {
    readonly apiGroups?: readonly string[];
    readonly resources?: readonly string[];
    readonly verbs: readonly string[];
    readonly resourceNames?: readonly string[];
}

export interface ResourceRequest {
    /** "" for the core group. */
    readonly group: string;
    /** `pods`, or `pods/exec` for a subresource. */
    readonly resource: string;
    readonly verb: string;
    readonly name?: string;
}

/** Every verb the API server authorizes on resources, the RBAC-specific ones included. */
export const ALL_VERBS = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "use",
    "approve",
    "sign",
] as const;

function resourceMatches(ruleResource: string, resource: string): boolean {
    if (ruleResource === "*" || ruleResource === resource) return true;
    const [name, sub] = resource.split("/");
    if (sub === undefined) return false;
    return ruleResource === `${name}/*` || ruleResource === `*/${sub}`;
}

export function allows(rules: readonly PolicyRule[], request: ResourceRequest): boolean {
    return rules.some(
        (rule) =>
            (rule.apiGroups ?? []).some((g) => g === "*" || g === request.group) &&
            (rule.resources ?? []).some((r) => resourceMatches(r, request.resource)) &&
            rule.verbs.some((v) => v === "*" || v === request.verb) &&
            (!rule.resourceNames?.length ||
                (request.name !== undefined && rule.resourceNames.includes(request.name))),
    );
}

/** The verbs `rules` allow on one resource. */
export function verbsOn(rules: readonly PolicyRule[], group: string, resource: string): string[] {
    return ALL_VERBS.filter((verb) => allows(rules, { group, resource, verb }));
}
