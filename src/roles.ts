/**
 * Azure built-in role definition ids. Ids are the same in every tenant; only the subscription prefix
 * of the full resource id differs (see `roleDefinitionId`).
 */
export const BuiltInRoles = {
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    AksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    AksRbacAdmin: "3498e952-d568-435e-9b2c-8d77e338d7f7",
    AksRbacWriter: "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    AksRbacReader: "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
} as const;

export type BuiltInRole = keyof typeof BuiltInRoles;

/** The full role definition id Azure expects in a role assignment. */
export function roleDefinitionId(subscriptionId: string, role: BuiltInRole): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles[role]}`;
}
