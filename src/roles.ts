/**
 * Azure built-in role definition ids. Ids are the same in every tenant; only the subscription prefix
 * of the full resource id differs (see `roleDefinitionId`).
 */
export const BuiltInRoles = {
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    /** ACR in ABAC mode (repository permissions): pull and read metadata; conditions may narrow it to repositories. */
    AcrRepositoryReader: "b93aa761-3e63-49ed-ac28-beffa264f7ac",
    /** ACR in ABAC mode: pull, push and write metadata (no delete); conditions may narrow it to repositories. */
    AcrRepositoryWriter: "2a1e307c-b015-4ebd-883e-5b7698a07328",
    /**
     * "Container Registry Configuration Reader and Data Access Configuration Reader": reads the
     * registry's settings (control plane), never its content, in either role assignment mode (Azure
     * built-in roles, Containers). It can list admin user credentials and tokens: the registry has
     * neither (admin user off, no tokens; the program's full PUT keeps it so).
     */
    AcrConfigurationReader: "69b07be0-09bf-439a-b9a6-e73de851bd59",
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

/** The repository data actions of the ABAC-enabled ACR roles, which a repository condition gates. */
export const REPOSITORY_DATA_ACTIONS: Readonly<Partial<Record<BuiltInRole, readonly string[]>>> = {
    AcrRepositoryReader: ["content/read", "metadata/read"],
    AcrRepositoryWriter: ["content/read", "content/write", "metadata/read", "metadata/write"],
};

/**
 * The ABAC condition (version 2.0) that lets a repository role act only on repositories whose name
 * starts with `prefix` (e.g. `dev-team1/`): every data action of the role is allowed only when the
 * request names such a repository. The registry must be in ABAC mode (`roleAssignmentMode`
 * AbacRepositoryPermissions), where the legacy AcrPull/AcrPush are not honoured.
 */
export function repositoryPrefixCondition(role: BuiltInRole, prefix: string): string {
    const actions = REPOSITORY_DATA_ACTIONS[role];
    if (!actions) throw new Error(`${role} is not a repository role: it takes no repository condition`);
    if (!/^[a-z0-9][a-z0-9._-]*\/$/.test(prefix))
        throw new Error(`repository prefix '${prefix}' must be a lowercase repository path ending in '/'`);
    const gated = actions
        .map((a) => `!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/${a}'})`)
        .join(" AND ");
    return `((${gated}) OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase '${prefix}'))`;
}
