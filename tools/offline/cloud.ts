import { createHash, generateKeyPairSync } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { getStack } from "@pulumi/pulumi";

/**
 * A fake Azure/GitHub/Kubernetes that answers the program's registrations and invokes offline, the
 * way the real providers would shape their outputs. Unknown invokes throw, so a new data source
 * cannot pass a test silently with an empty answer.
 */
export const FAKE_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001";
export const FAKE_TENANT_ID = "00000000-0000-4000-8000-000000000002";
export const FAKE_DEPLOYER_OBJECT_ID = "00000000-0000-4000-8000-000000000003";

/**
 * The engine's marker of a value only known after `pulumi up` (a preview's ids and computed outputs).
 * The SDK reads it back as unknown.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A stable GUID derived from a seed: the same resource gets the same fake id on every run. */
export function fakeGuid(seed: string): string {
    const h = createHash("sha256").update(seed).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type Inputs = Record<string, any>;
type OutputsFn = (inputs: Inputs, name: string) => Inputs;

/** Azure resource provider namespaces by azure-native module. */
const AZURE_NAMESPACES: Record<string, string> = {
    containerservice: "Microsoft.ContainerService",
    containerregistry: "Microsoft.ContainerRegistry",
    operationalinsights: "Microsoft.OperationalInsights",
    monitor: "Microsoft.Insights",
    insights: "Microsoft.Insights",
    storage: "Microsoft.Storage",
    managedidentity: "Microsoft.ManagedIdentity",
    authorization: "Microsoft.Authorization",
    alertsmanagement: "Microsoft.AlertsManagement",
    dashboard: "Microsoft.Dashboard",
    kubernetesconfiguration: "Microsoft.KubernetesConfiguration",
};

/** The property that carries the Azure name of each azure-native resource type. */
const AZURE_NAME_KEYS = [
    // An agent pool also carries its cluster's resourceName; its own name comes first.
    "agentPoolName",
    "resourceName",
    "registryName",
    "workspaceName",
    // Child resources of a storage account carry accountName too; their own name comes first.
    "containerName",
    "blobServicesName",
    "accountName",
    "configName",
    "roleAssignmentName",
    "actionGroupName",
    "ruleName",
    "ruleGroupName",
    "azureMonitorWorkspaceName",
    "dataCollectionRuleName",
    "associationName",
    "federatedIdentityCredentialResourceName",
    "extensionName",
    "fluxConfigurationName",
    "lockName",
    "name",
];

function azureId(type: string, inputs: Inputs, azureName: string): string {
    const [, module, kind] = type.split(":");
    if (type === "azure-native:resources:ResourceGroup") {
        return `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/${azureName}`;
    }
    if (kind === "RoleAssignment")
        return `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${azureName}`;
    if (type === GENERIC_RESOURCE) {
        const path = [inputs.resourceProviderNamespace, inputs.parentResourcePath, inputs.resourceType]
            .filter(Boolean)
            .join("/");
        return `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/${inputs.resourceGroupName}/providers/${path}/${azureName}`;
    }
    const namespace = AZURE_NAMESPACES[module] ?? `Microsoft.${module}`;
    const singular = kind.charAt(0).toLowerCase() + kind.slice(1);
    const collection = singular.endsWith("y") ? `${singular.slice(0, -1)}ies` : `${singular}s`;
    const rg = inputs.resourceGroupName ?? "rg";
    return `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/${namespace}/${collection}/${azureName}`;
}

/** azure-native's generic ARM resource (any type, at the API version its inputs name). */
const GENERIC_RESOURCE = "azure-native:resources:Resource";

/** What ARM adds to a generic resource's properties, by `<namespace>/<resourceType>`. */
const GENERIC_PROPERTIES: Record<string, (inputs: Inputs) => Inputs> = {
    "Microsoft.ContainerRegistry/registries": (inputs) => ({
        loginServer: `${inputs.resourceName}.azurecr.io`,
    }),
};

/** azuread resources whose provider id is a Microsoft Graph path rather than the bare object id. */
const AZUREAD_ID_COLLECTIONS: Record<string, string> = {
    "azuread:index/application:Application": "applications",
    "azuread:index/servicePrincipal:ServicePrincipal": "servicePrincipals",
};

/** Extra outputs the real providers compute, by resource type. */
const OUTPUTS: Record<string, OutputsFn> = {
    "azure-native:containerservice:ManagedCluster": (inputs, name) => ({
        currentKubernetesVersion: fakeKubernetesVersion(inputs.kubernetesVersion),
        fqdn: `${inputs.dnsPrefix}.hcp.${inputs.location}.azmk8s.io`,
        identityProfile: {
            kubeletidentity: {
                objectId: fakeGuid(`${name}/kubelet`),
                clientId: fakeGuid(`${name}/kubelet-client`),
            },
        },
        oidcIssuerProfile: {
            enabled: true,
            issuerURL: `https://${inputs.location}.oic.prod-aks.azure.com/${FAKE_TENANT_ID}/${fakeGuid(name)}/`,
        },
        identity: {
            type: "SystemAssigned",
            principalId: fakeGuid(`${name}/identity`),
            tenantId: FAKE_TENANT_ID,
        },
        ingressProfile: {
            webAppRouting: {
                ...inputs.ingressProfile?.webAppRouting,
                identity: { objectId: fakeGuid(`${name}/webapprouting`) },
            },
        },
    }),
    [GENERIC_RESOURCE]: (inputs) => ({
        properties: {
            ...inputs.properties,
            ...GENERIC_PROPERTIES[`${inputs.resourceProviderNamespace}/${inputs.resourceType}`]?.(inputs),
        },
    }),
    "azure-native:operationalinsights:Workspace": (_inputs, name) => ({
        customerId: fakeGuid(`${name}/customer`),
    }),
    "azure-native:managedidentity:UserAssignedIdentity": (_inputs, name) => ({
        principalId: fakeGuid(`${name}/principal`),
        clientId: fakeGuid(`${name}/client`),
        tenantId: FAKE_TENANT_ID,
    }),
    "azuread:index/applicationPassword:ApplicationPassword": (_inputs, name) => ({
        keyId: fakeGuid(`${name}/key`),
        value: `offline-password-${fakeGuid(`${name}/value`)}`,
    }),
    // Azure DevOps mints the token issuer per organization and the subject per service connection.
    "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM": (inputs, name) =>
        devopsFederation(inputs, name),
    "azuredevops:index/serviceEndpointAzureEcr:ServiceEndpointAzureEcr": (inputs, name) =>
        devopsFederation(inputs, name),
    "azure-native:storage:StorageAccount": (inputs) => ({
        primaryEndpoints: { blob: `https://${inputs.accountName}.blob.core.windows.net/` },
    }),
    "random:index/randomPassword:RandomPassword": (inputs, name) => ({
        result: fakeSecretText(`${name}/result`, inputs.length ?? 16),
        // The shape of bcrypt's modular crypt format, $2a$<cost>$<53 characters of salt and hash>.
        bcryptHash: `$2a$10$${fakeSecretText(`${name}/bcryptHash`, 53)}`,
    }),
    "tls:index/privateKey:PrivateKey": (inputs, name) =>
        inputs.algorithm === "RSA"
            ? rsaKeyPair(inputs.rsaBits ?? 2048, name)
            : fakeKeyPair(inputs.algorithm, name),
    "github:index/repository:Repository": (inputs, name) =>
        fakeRepository(FAKE_GITHUB_OWNER, inputs.name, name),
};

/** The version AKS runs when none is pinned (tests may change it), and the patch it picks for a MAJOR.MINOR pin. */
export const FAKE_AKS = { defaultVersion: "1.34.2" };

function fakeKubernetesVersion(pinned: unknown): string {
    if (typeof pinned !== "string" || pinned === "") return FAKE_AKS.defaultVersion;
    return pinned.split(".").length === 2 ? `${pinned}.4` : pinned;
}

/** Files the fake GitHub holds, by `<repository>/<branch>/<path>` (none by default); tests add some. */
export const FAKE_GITHUB_FILES = new Map<string, string>();

/** Owner of repositories the fake GitHub creates (the real one is the provider's `owner`). */
export const FAKE_GITHUB_OWNER = "one-kubernetes";

/** PEM armour assembled at run time, so no file in the repository looks like it holds a key. */
function pemArmour(label: string, body: string): string {
    const dashes = "-".repeat(5);
    return `${dashes}BEGIN ${label}${dashes}\n${body}\n${dashes}END ${label}${dashes}\n`;
}

/** A recognisable fake key pair: the private half is easy to search for in registrations. */
export function fakeKeyPair(algorithm: string, name: string): Inputs {
    const material = createHash("sha256").update(`${algorithm}/${name}`).digest("base64");
    return {
        publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${material}\n`,
        privateKeyOpenssh: pemArmour("OPENSSH PRIVATE KEY", `fake-private-${material}`),
        privateKeyPem: pemArmour("PRIVATE KEY", `fake-private-${material}`),
        publicKeyFingerprintSha256: `SHA256:${material}`,
    };
}

/** Real RSA keys by resource (what the program signs with must verify), one per name as state keeps it. */
const RSA_KEYS = new Map<string, Inputs>();

/** A real RSA key pair, generated once per stack, resource and process: a second run reads the same key. */
function rsaKeyPair(bits: number, name: string): Inputs {
    const id = `${getStack()}/${bits}/${name}`;
    let key = RSA_KEYS.get(id);
    if (!key) {
        const pair = generateKeyPairSync("rsa", { modulusLength: bits });
        key = {
            privateKeyPem: pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
            privateKeyPemPkcs8: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
            publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
            publicKeyFingerprintSha256: `SHA256:${createHash("sha256")
                .update(pair.publicKey.export({ type: "spki", format: "der" }))
                .digest("base64")}`,
        };
        RSA_KEYS.set(id, key);
    }
    return key;
}

function fakeRepository(owner: string, repository: string, seed: string): Inputs {
    return {
        name: repository,
        fullName: `${owner}/${repository}`,
        nodeId: `R_${createHash("sha256").update(seed).digest("hex").slice(0, 12)}`,
        htmlUrl: `https://github.com/${owner}/${repository}`,
        sshCloneUrl: `git@github.com:${owner}/${repository}.git`,
        httpCloneUrl: `https://github.com/${owner}/${repository}.git`,
        defaultBranch: "main",
        visibility: "private",
        private: true,
    };
}

/** What Azure DevOps reports for a workload identity federation service connection. */
function devopsFederation(inputs: Inputs, name: string): Inputs {
    return {
        servicePrincipalId: fakeGuid(`${name}/service-principal`),
        workloadIdentityFederationIssuer: `https://vstoken.dev.azure.com/${fakeGuid("azure-devops-organization")}`,
        workloadIdentityFederationSubject: `sc://offline-org/${inputs.projectId}/${inputs.serviceEndpointName}`,
    };
}

/** Azure DevOps ids: integers for pipelines, variable groups and environments, GUIDs for the rest. */
const AZUREDEVOPS_INTEGER_IDS = ["buildDefinition", "variableGroup", "environment", "checkApproval"];

function azureDevOpsId(type: string, name: string): string {
    const kind = type.split("/")[1]?.split(":")[0] ?? "";
    if (!AZUREDEVOPS_INTEGER_IDS.includes(kind)) return fakeGuid(`${type}/${name}`);
    return String(parseInt(fakeGuid(`${type}/${name}`).slice(0, 6), 16));
}

/** Answers of the data sources the program reads, by invoke token. */
const INVOKES: Record<string, (inputs: Inputs) => Inputs> = {
    "azure-native:authorization:getClientConfig": () => ({
        clientId: fakeGuid("deployer-client"),
        objectId: FAKE_DEPLOYER_OBJECT_ID,
        subscriptionId: FAKE_SUBSCRIPTION_ID,
        tenantId: FAKE_TENANT_ID,
    }),
    "azure-native:containerservice:listManagedClusterUserCredentials": (inputs) => ({
        kubeconfigs: [
            {
                name: "clusterUser",
                value: Buffer.from(fakeKubeconfig(inputs.resourceName)).toString("base64"),
            },
        ],
    }),
    "azure-native:storage:listStorageAccountKeys": (inputs) => ({
        keys: ["key1", "key2"].map((keyName) => ({
            keyName,
            permissions: "FULL",
            creationTime: "2026-01-01T00:00:00Z",
            value: Buffer.from(
                createHash("sha256").update(`${inputs.accountName}/${keyName}`).digest(),
            ).toString("base64"),
        })),
    }),
    "github:index/getRepository:getRepository": (inputs) => {
        const [owner, repository] = String(inputs.fullName ?? `${FAKE_GITHUB_OWNER}/${inputs.name}`).split(
            "/",
        );
        return fakeRepository(owner, repository, `${owner}/${repository}`);
    },
    // Like the provider, a missing file is an empty answer, not an error.
    "github:index/getRepositoryFile:getRepositoryFile": (inputs) => {
        const content = FAKE_GITHUB_FILES.get(`${inputs.repository}/${inputs.branch}/${inputs.file}`);
        return content === undefined
            ? {
                  id: "",
                  repository: inputs.repository,
                  file: inputs.file,
                  branch: inputs.branch,
                  content: "",
                  sha: "",
              }
            : {
                  id: `${inputs.repository}/${inputs.file}`,
                  repository: inputs.repository,
                  file: inputs.file,
                  branch: inputs.branch,
                  content,
                  sha: createHash("sha1").update(content).digest("hex"),
              };
    },
    "azuread:index/getUser:getUser": (inputs) => ({
        objectId: fakeGuid(`user/${String(inputs.userPrincipalName ?? inputs.objectId).toLowerCase()}`),
        userPrincipalName: inputs.userPrincipalName ?? `${inputs.objectId}@example.onmicrosoft.com`,
        accountEnabled: true,
    }),
    "azuredevops:index/getGroup:getGroup": (inputs) => ({
        id: fakeGuid(`group/${inputs.name}`),
        name: inputs.name,
        projectId: inputs.projectId,
        descriptor: `vssgp.${Buffer.from(String(inputs.name)).toString("base64url")}`,
        groupId: fakeGuid(`group/${inputs.name}`),
        origin: "vsts",
        originId: fakeGuid(`group/${inputs.name}/origin`),
    }),
    "azuread:index/getClientConfig:getClientConfig": () => ({
        clientId: fakeGuid("deployer-client"),
        objectId: FAKE_DEPLOYER_OBJECT_ID,
        tenantId: FAKE_TENANT_ID,
    }),
};

/** A stable alphanumeric string standing in for a generated secret (a random password's result). */
export function fakeSecretText(seed: string, length: number): string {
    return createHash("sha256").update(seed).digest("hex").repeat(4).slice(0, length);
}

/** What AKS returns for `az aks get-credentials` on an Azure AD cluster: a kubelogin exec user. */
function fakeKubeconfig(cluster: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${cluster}`,
        "  cluster:",
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t",
        `    server: https://${cluster}.hcp.westeurope.azmk8s.io:443`,
        "contexts:",
        `- name: ${cluster}`,
        "  context:",
        `    cluster: ${cluster}`,
        `    user: clusterUser_${cluster}`,
        `current-context: ${cluster}`,
        "users:",
        `- name: clusterUser_${cluster}`,
        "  user:",
        "    exec:",
        "      apiVersion: client.authentication.k8s.io/v1beta1",
        "      command: kubelogin",
        "      args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, " +
            FAKE_TENANT_ID +
            ", --login, devicecode]",
        "      interactiveMode: IfAvailable",
        "",
    ].join("\n");
}

/** A stack's outputs as a StackReference reads them: values, and which of them are secrets. */
export interface StackOutputs {
    readonly outputs: Record<string, unknown>;
    readonly secretOutputNames: readonly string[];
}

export interface CloudOptions {
    /**
     * Answer as a `pulumi preview` of a new stack: a resource to be created has no id yet and its
     * outputs are only its inputs echoed (what the engine reports for a create step in preview);
     * everything the cloud would compute stays unknown. Reads of existing resources and data sources
     * (invokes) still answer, as they do in a preview.
     */
    readonly preview?: boolean;
    /** The outputs of the stacks the program may reference (StackReference), by `<org>/<project>/<stack>`. */
    readonly stacks?: Readonly<Record<string, StackOutputs>>;
}

export class OfflineCloud implements pulumi.runtime.Mocks {
    readonly invoked: string[] = [];
    private readonly preview: boolean;
    private readonly stacks: Readonly<Record<string, StackOutputs>>;

    constructor(options: CloudOptions = {}) {
        this.preview = options.preview ?? false;
        this.stacks = options.stacks ?? {};
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const created = this.create(args);
        // A read (`get`, import) finds what exists; only what a create computes is unknown in a preview.
        if (!this.preview || args.id) return created;
        return { id: undefined, state: previewOutputs(created.state, args.inputs ?? {}) };
    }

    private create(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const inputs: Inputs = args.inputs ?? {};
        if (args.type === "pulumi:pulumi:StackReference")
            return this.stackReference(String(inputs.name ?? args.name));
        if (args.type.startsWith("azure-native:")) {
            const key =
                args.type === "azure-native:resources:ResourceGroup"
                    ? "resourceGroupName"
                    : AZURE_NAME_KEYS.find((k) => typeof inputs[k] === "string");
            const azureName = key
                ? inputs[key]
                : args.type.endsWith("RoleAssignment")
                  ? fakeGuid(args.name)
                  : `${args.name}`;
            const id = azureId(args.type, inputs, azureName);
            return { id, state: { ...inputs, name: azureName, ...OUTPUTS[args.type]?.(inputs, args.name) } };
        }
        if (args.type.startsWith("azuread:")) {
            const objectId = fakeGuid(`${args.type}/${args.name}`);
            // azuread 3.x ids of directory objects: `/applications/<objectId>`, `/servicePrincipals/<objectId>`.
            const collection = AZUREAD_ID_COLLECTIONS[args.type];
            return {
                id: collection ? `/${collection}/${objectId}` : objectId,
                state: {
                    ...inputs,
                    objectId,
                    clientId: fakeGuid(`${args.name}/client`),
                    ...OUTPUTS[args.type]?.(inputs, args.name),
                },
            };
        }
        if (args.type.startsWith("azuredevops:")) {
            return {
                id: azureDevOpsId(args.type, args.name),
                state: { ...inputs, ...OUTPUTS[args.type]?.(inputs, args.name) },
            };
        }
        if (args.type.startsWith("kubernetes:") && inputs.metadata) {
            const meta = inputs.metadata;
            const id = meta.namespace
                ? `${meta.namespace}/${meta.name ?? args.name}`
                : `${meta.name ?? args.name}`;
            return { id, state: { ...inputs, metadata: { name: args.name, ...meta } } };
        }
        return { id: `${args.name}-id`, state: { ...inputs, ...OUTPUTS[args.type]?.(inputs, args.name) } };
    }

    private stackReference(name: string): pulumi.runtime.MockResourceResult {
        const stack = this.stacks[name];
        if (!stack)
            throw new Error(
                `The offline cloud knows no stack ${name} (known: ${Object.keys(this.stacks).join(", ") || "none"})`,
            );
        return {
            id: name,
            state: { name, outputs: stack.outputs, secretOutputNames: [...stack.secretOutputNames] },
        };
    }

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        const answer = INVOKES[args.token];
        if (!answer)
            throw new Error(
                `The offline cloud has no answer for invoke ${args.token}: add one to tools/offline/cloud.ts`,
            );
        this.invoked.push(args.token);
        return answer(args.inputs ?? {});
    }
}

/**
 * What a preview reports for a resource to be created: its inputs, echoed, and every output the
 * provider would compute unknown, also inside objects (an AKS cluster's `ingressProfile` keeps its
 * input `webAppRouting.enabled`, while the add-on `identity` it gets from Azure is unknown), as
 * azure-native's preview does. An output that contains an unknown is unknown to the program.
 */
export function previewOutputs(outputs: Inputs, inputs: Inputs): Inputs {
    return Object.fromEntries(
        Object.entries(outputs).map(([key, value]) => {
            if (!(key in inputs)) return [key, UNKNOWN];
            const input = inputs[key];
            return [key, isPlainObject(input) && isPlainObject(value) ? previewOutputs(value, input) : input];
        }),
    );
}

function isPlainObject(value: unknown): value is Inputs {
    return !!value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}
