import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";

/**
 * The registry's ARM API version. The typed `containerregistry.Registry` of the installed
 * azure-native SDK speaks 2023-01-01-preview, which has no `roleAssignmentMode`; 2025-11-01 is the
 * first GA version with it (Azure/azure-rest-api-specs, containerregistry stable/2025-11-01,
 * examples/RegistryCreateAbac.json at 47b5907). Move back to the typed resource once its default API
 * version has the property.
 *
 * A generic resource is written with a full PUT on every update: any registry setting this program
 * does not send (README, "The settings a PUT resets") goes back to Azure's default then.
 */
export const REGISTRY_API_VERSION = "2025-11-01";

/**
 * ABAC mode: role assignments may carry repository conditions (`<team>/`), and only the ABAC roles
 * (Container Registry Repository Reader/Writer) are honoured; AcrPull and AcrPush are not.
 */
export const REGISTRY_ROLE_ASSIGNMENT_MODE = "AbacRepositoryPermissions";

/** What the registry step needs to name and place the registry. */
export interface RegistrySpec {
    readonly registryName: string;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly location: string;
    readonly sku: string;
    readonly tags: Readonly<Record<string, string>>;
}

/** The registry the rest of the program uses: its id, name and login server. */
export interface RegistryOutputs {
    readonly resource: pulumi.CustomResource;
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly loginServer: pulumi.Output<string>;
}

/** ARM inputs of the registry: admin user and anonymous pull off, repository permissions (ABAC) on. */
export function registryResourceArgs(spec: RegistrySpec): resources.ResourceArgs {
    return {
        resourceProviderNamespace: "Microsoft.ContainerRegistry",
        parentResourcePath: "",
        resourceType: "registries",
        resourceName: spec.registryName,
        apiVersion: REGISTRY_API_VERSION,
        resourceGroupName: spec.resourceGroupName,
        location: spec.location,
        sku: { name: spec.sku },
        properties: {
            adminUserEnabled: false,
            anonymousPullEnabled: false,
            roleAssignmentMode: REGISTRY_ROLE_ASSIGNMENT_MODE,
        },
        tags: { ...spec.tags },
    };
}

/** The registry as a generic ARM resource at REGISTRY_API_VERSION. */
export function containerRegistry(
    name: string,
    spec: RegistrySpec,
    opts: pulumi.CustomResourceOptions,
): RegistryOutputs {
    const registry = new resources.Resource(name, registryResourceArgs(spec), opts);
    return {
        resource: registry,
        id: registry.id,
        name: registry.name,
        loginServer: registry.properties.apply((p) => String(p?.loginServer ?? "")),
    };
}
