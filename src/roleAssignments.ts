import type * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { BuiltInRole, BuiltInRoles, roleDefinitionId } from "./roles";

/** Who is granted a built-in role, on what. */
export interface RoleGrant {
    readonly subscriptionId: pulumi.Input<string>;
    readonly role: BuiltInRole;
    readonly principalId: pulumi.Input<string>;
    /** Lets Azure skip the directory lookup, which fails for principals created seconds earlier. */
    readonly principalType?: "ServicePrincipal" | "Group" | "User";
    /** A resource id (registry, cluster, namespace, vault): never a subscription or resource group. */
    readonly scope: pulumi.Input<string>;
    /** An ABAC condition (version 2.0) narrowing the grant, e.g. `repositoryPrefixCondition`. */
    readonly condition?: string;
}

/**
 * A GUID derived from a seed (the layout of a name-based UUID, SHA-1): the same grant always gets the
 * same role assignment name, so state loss or an import finds it instead of failing with a conflict.
 */
export function deterministicGuid(seed: string): string {
    const h = createHash("sha1").update(seed).digest("hex");
    const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** RoleAssignment inputs for a grant, with a deterministic name and the built-in role's full id. */
export function roleAssignmentArgs(grant: RoleGrant): authorization.RoleAssignmentArgs {
    return {
        roleAssignmentName: pulumi
            .all([grant.scope, grant.principalId])
            .apply(([scope, principal]) =>
                deterministicGuid(`${scope.toLowerCase()}|${BuiltInRoles[grant.role]}|${principal}`),
            ),
        principalId: grant.principalId,
        principalType: grant.principalType,
        roleDefinitionId: pulumi.output(grant.subscriptionId).apply((s) => roleDefinitionId(s, grant.role)),
        scope: grant.scope,
        ...(grant.condition ? { condition: grant.condition, conditionVersion: "2.0" } : {}),
    };
}
