import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import {
    ChartRepositoryConfig,
    ExternalChartRepositoryConfig,
    keyVaultNameOfCertificate,
    readChartRepositoryConfig,
    readExternalChartRepositoryConfig,
} from "../components/charts";
import { DevOpsConfig, readDevOpsConfig, readStackRole } from "../components/devops";
import {
    FluxConfig,
    checkFluxPrerequisites,
    readClusterFluxConfig,
    readFluxConfig,
} from "../components/flux";

import { assertNever } from "../src/assertNever";
import { checkAdmissionPrerequisites } from "../components/tenants";
import { IdentitiesConfig, readIdentitiesConfig } from "../components/identities";
import { OperationsConfig, readOperationsConfig } from "../components/monitoring";
import { checkCapacity } from "../components/platform";
import {
    ExistingClusterConfig,
    PlatformConfig,
    readClusterEnvironment,
    readExistingClusterConfig,
    readPlatformConfig,
} from "../components/platform";
import {
    CONFIG_KEYS,
    PROVIDER_NAMESPACES,
    RETIRED_KEYS,
    StackRole,
    declarationOf,
    declaredDefault,
    stacksReading,
} from "../src/config/keys";
import { ConfigError, ConfigReader, deepFreeze } from "../src/config/reader";
import { unknownKeyAllowed } from "../src/config/suggest";
import { TenantsConfig, guardrailsFileOf, readTenantsConfig } from "../components/tenants";
import { keyVaultName } from "../src/config/validators";
import { names } from "../src/naming";

export { ConfigError } from "../src/config/reader";
export type { ConfigProblem } from "../src/config/reader";

/** An environment stack's config (staging, prod): its cluster, registry, charts, Flux, teams, alerts. */
export interface EnvironmentConfig {
    readonly role: "environment";
    readonly project: string;
    readonly stack: string;
    readonly platform: PlatformConfig;
    readonly identities: IdentitiesConfig;
    readonly chartRepository: ChartRepositoryConfig;
    readonly flux: FluxConfig;
    readonly tenants: TenantsConfig;
    readonly operations: OperationsConfig;
}

/** The delivery stack's config: the organisation's one Azure DevOps CI over every environment. */
export interface DeliveryConfig {
    readonly role: "delivery";
    readonly project: string;
    readonly stack: string;
    readonly devops: DevOpsConfig;
    /** The teams as the first environment sees them: their apps are what gets a pipeline. */
    readonly tenants: TenantsConfig;
}

/** A cluster stack's config: an existing cluster, its registry and chart repository, Flux's sync, the teams. */
export interface ClusterConfig {
    readonly role: "cluster";
    readonly project: string;
    readonly stack: string;
    /** The environment whose section of the team files this cluster applies. */
    readonly environment: string;
    readonly cluster: ExistingClusterConfig;
    readonly chartRepository: ExternalChartRepositoryConfig;
    readonly flux: FluxConfig;
    readonly tenants: TenantsConfig;
}

/** All of a stack's config, validated and frozen, by the stack's role. The only thing components see of config. */
export type StackConfig = EnvironmentConfig | DeliveryConfig | ClusterConfig;

/**
 * Reads and validates every config key of the stack. Throws one ConfigError listing every problem
 * (key, value, what is allowed) before the program registers any resource.
 */
export function loadConfig(projectDir: string = process.cwd()): StackConfig {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const r = new ConfigReader(project);
    const role = readStackRole(r);
    checkKnownKeys(r, pulumi.runtime.allConfig(), role);
    const config = readByRole(r, role, { project, stack, projectDir });
    if (r.problems.length > 0) throw new ConfigError(r.problems, `Pulumi.${stack}.yaml`);
    return deepFreeze(config);
}

function readByRole(
    r: ConfigReader,
    role: StackRole,
    at: { project: string; stack: string; projectDir: string },
): StackConfig {
    switch (role) {
        case "environment":
            return readEnvironment(r, at.project, at.stack, at.projectDir);
        case "delivery":
            return readDelivery(r, at.project, at.stack, at.projectDir);
        case "cluster":
            return readCluster(r, at.project, at.stack, at.projectDir);
        default:
            return assertNever(role, "stack role");
    }
}

function readCluster(r: ConfigReader, project: string, stack: string, projectDir: string): ClusterConfig {
    const environment = readClusterEnvironment(r, r.stringList("environments"));
    const config: ClusterConfig = {
        role: "cluster",
        project,
        stack,
        environment,
        cluster: readExistingClusterConfig(r),
        chartRepository: readExternalChartRepositoryConfig(r),
        flux: readClusterFluxConfig(r, stack),
        tenants: readTenantsConfig(r, { projectDir, environment }),
    };
    checkPlatformNamespaces(r, config.tenants, {
        clusterGatewayNamespace: config.cluster.gatewayNamespace,
        legacyIngressNamespace: config.cluster.legacyIngressNamespace,
        chartRepositoryNamespace: config.chartRepository.namespace,
    });
    checkFluxPrerequisites(r, config.flux, config.cluster.kubernetesVersion, "clusterKubernetesVersion");
    checkAdmissionPrerequisites(r, config.cluster.kubernetesVersion, "clusterKubernetesVersion");
    return config;
}

function readEnvironment(
    r: ConfigReader,
    project: string,
    stack: string,
    projectDir: string,
): EnvironmentConfig {
    const config: EnvironmentConfig = {
        role: "environment",
        project,
        stack,
        platform: readPlatformConfig(r, names(project, stack)),
        identities: readIdentitiesConfig(r),
        chartRepository: readChartRepositoryConfig(r),
        flux: readFluxConfig(r, stack),
        tenants: readTenantsConfig(r, { projectDir, environment: stack }),
        operations: readOperationsConfig(r),
    };
    if (!config.tenants.environments.includes(stack)) {
        r.problem(
            "environments",
            config.tenants.environments,
            `a list that names this environment stack, "${stack}" (or set stackRole: delivery)`,
        );
    }
    checkIngressCertificates(r, config);
    checkPlatformNamespaces(r, config.tenants, {
        legacyIngressNamespace: config.platform.legacyIngressNamespace,
    });
    checkGatewayListeners(r, config);
    checkFluxPrerequisites(r, config.flux, config.platform.kubernetesVersion);
    checkAdmissionPrerequisites(r, config.platform.kubernetesVersion);
    checkTenantHosts(r, config);
    checkCapacity(
        r,
        config.platform.userPools,
        config.tenants.tenants.map((t) => ({ team: t.name, ...t.quota })),
        { directory: config.tenants.teamsDirectory, environment: stack },
    );
    return config;
}

function readDelivery(r: ConfigReader, project: string, stack: string, projectDir: string): DeliveryConfig {
    const environments = r.stringList("environments");
    const tenants = readTenantsConfig(r, { projectDir, environment: environments[0] ?? "" });
    const devops = readDevOpsConfig(
        r,
        tenants.tenants.map((t) => t.name),
    );
    if (environments.length < 2)
        r.problem(
            "environments",
            environments,
            "at least two environments: the first builds, the next ones get promotions",
        );
    return { role: "delivery", project, stack, devops, tenants };
}

/** ChartMuseum's host on the shared Gateway is the platform's: no team may claim it for its HTTPRoutes. */
function checkTenantHosts(r: ConfigReader, config: EnvironmentConfig): void {
    const repository = config.chartRepository;
    const exposure = repository.mode === "chartmuseum" ? repository.chartMuseum.exposure : undefined;
    if (exposure?.kind !== "gateway") return;
    for (const t of config.tenants.tenants) {
        if (t.hosts.includes(exposure.host))
            r.problem(
                "chartMuseumHost",
                exposure.host,
                `a host no team declares: team ${t.name} lists it in its hosts, and it is the platform's chart repository`,
            );
    }
}

/**
 * Namespaces the teams' network policies and routes trust (the Gateway's, the old ingress's, the chart
 * repository's) are never a team's: a team of that name would be let into every web app.
 */
function checkPlatformNamespaces(
    r: ConfigReader,
    tenants: TenantsConfig,
    trusted: Readonly<Record<string, string | undefined>>,
): void {
    for (const [key, namespace] of Object.entries(trusted))
        if (namespace && tenants.tenants.some((t) => t.name === namespace))
            r.problem(
                key,
                namespace,
                `a namespace no team is named after: team ${namespace} would be trusted as the platform's`,
            );
}

/** The Gateway API's limit: a Gateway holds at most 64 listeners, one per team host and ChartMuseum's. */
export const MAX_GATEWAY_LISTENERS = 64;

/** One listener per declared host: past the limit the API server would refuse the whole Gateway, for every team. */
function checkGatewayListeners(r: ConfigReader, config: EnvironmentConfig): void {
    const repository = config.chartRepository;
    const exposure = repository.mode === "chartmuseum" ? repository.chartMuseum.exposure : undefined;
    const hosts = config.tenants.tenants.reduce(
        (n, t) => n + t.hosts.length,
        exposure?.kind === "gateway" ? 1 : 0,
    );
    if (hosts > MAX_GATEWAY_LISTENERS)
        r.problem(
            "teamsDirectory",
            `${hosts} hosts`,
            `at most ${MAX_GATEWAY_LISTENERS} hosts in all (teams' hosts and chartMuseumHost): each is a listener of the shared Gateway, which holds ${MAX_GATEWAY_LISTENERS}`,
        );
}

/**
 * The shared Gateway's listeners read their certificates with the one identity the platform gives
 * Key Vault Secrets User on `ingressKeyVaultId`: ChartMuseum's and every team's certificate must be there.
 */
function checkIngressCertificates(r: ConfigReader, config: EnvironmentConfig): void {
    const wanted = gatewayCertificates(config);
    if (wanted.length === 0) return;
    const vault = config.platform.ingressKeyVaultId;
    if (!vault) {
        const vaults = [...new Set(wanted.map(([, uri]) => `"${keyVaultNameOfCertificate(uri)}"`))].join(
            ", ",
        );
        r.problem(
            "ingressKeyVaultId",
            undefined,
            `the resource id of Key Vault ${vaults}, which holds ${wanted.map(([key]) => key).join(", ")}`,
        );
        return;
    }
    for (const [key, uri] of wanted)
        if (keyVaultName(vault).toLowerCase() !== keyVaultNameOfCertificate(uri))
            r.problem(
                key,
                uri,
                `a certificate in the ingress Key Vault "${keyVaultName(vault)}" (ingressKeyVaultId)`,
            );
}

/** Each certificate a listener of the shared Gateway terminates with, by where it is written. */
function gatewayCertificates(config: EnvironmentConfig): [key: string, uri: string][] {
    const repository = config.chartRepository;
    const exposure = repository.mode === "chartmuseum" ? repository.chartMuseum.exposure : undefined;
    const chartMuseum: [string, string][] =
        exposure?.kind === "gateway" && exposure.tlsCertificateUri
            ? [["chartMuseumTlsCertificateUri", exposure.tlsCertificateUri]]
            : [];
    const teams = config.tenants.tenants.flatMap((t) => {
        const file = guardrailsFileOf(join(config.tenants.teamsDirectory, `${t.name}.yaml`));
        return t.certificates.map((uri, i): [string, string] => [`${file}:.certificates[${i}]`, uri]);
    });
    return [...chartMuseum, ...teams];
}

/**
 * The CLI checks only the keys Pulumi.yaml declares: a typo (`nodeCout`, `tenant`) would otherwise
 * be silently ignored, and a real `up` would then delete what the misspelt key described.
 */
function checkKnownKeys(r: ConfigReader, all: Record<string, string>, role: StackRole): void {
    const known = Object.keys(CONFIG_KEYS);
    for (const [qualified, text] of Object.entries(all)) {
        const [namespace, key] = [
            qualified.slice(0, qualified.indexOf(":")),
            qualified.slice(qualified.indexOf(":") + 1),
        ];
        const value = parseValue(text);
        if (namespace === r.project) {
            if (key in RETIRED_KEYS) r.problem(key, value, RETIRED_KEYS[key]);
            else if (!(key in CONFIG_KEYS)) r.problem(key, value, unknownKeyAllowed(key, known));
            else checkKeyRole(r, key, value, role);
        } else if (!(PROVIDER_NAMESPACES as readonly string[]).includes(namespace)) {
            r.problem(
                qualified,
                value,
                unknownKeyAllowed(namespace, [r.project, ...PROVIDER_NAMESPACES]).replace(
                    "no such key",
                    "no such config namespace",
                ),
            );
        }
    }
}

function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** A key set in a stack that does not read it would be silently ignored: say where it belongs. */
function checkKeyRole(r: ConfigReader, key: string, value: unknown, role: StackRole): void {
    const d = declarationOf(key)!;
    const stacks = stacksReading(d);
    if (stacks.includes(role)) return;
    // Pulumi.yaml's declared value reaches every stack; only a value the stack file sets is misplaced.
    if (JSON.stringify(value) === JSON.stringify(declaredDefault(d))) return;
    const article = role === "environment" ? "an" : "a";
    const readers =
        stacks.length > 1
            ? `${stacks.join(" and ")} stacks read`
            : stacks[0] === "environment"
              ? "environment stacks read"
              : `${stacks[0]} stack reads`;
    r.problem(
        key,
        d.secret ? "<secret value>" : value,
        `unset in ${article} ${role} stack: only the ${readers} it`,
    );
}
