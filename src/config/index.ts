import * as pulumi from "@pulumi/pulumi";
import {
    ChartRepositoryConfig,
    keyVaultNameOfCertificate,
    readChartRepositoryConfig,
} from "../../components/charts/config";
import { DevOpsConfig, readDevOpsConfig } from "../../components/devops/config";
import { FluxConfig, readFluxConfig } from "../../components/flux/config";
import { IdentitiesConfig, readIdentitiesConfig } from "../../components/identities/config";
import { OperationsConfig, readOperationsConfig } from "../../components/monitoring/config";
import { PlatformConfig, readPlatformConfig } from "../../components/platform/config";
import { CONFIG_KEYS, PROVIDER_NAMESPACES, RETIRED_KEYS } from "./keys";
import { ConfigError, ConfigReader, deepFreeze } from "./reader";
import { unknownKeyAllowed } from "./suggest";
import { TenantsConfig, readTenantsConfig } from "../../components/tenants/config";
import { keyVaultName } from "./validators";

export { ConfigError } from "./reader";
export type { ConfigProblem } from "./reader";

/** All of a stack's config, validated and frozen. The only thing components see of config. */
export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    readonly platform: PlatformConfig;
    readonly identities: IdentitiesConfig;
    readonly chartRepository: ChartRepositoryConfig;
    readonly flux: FluxConfig;
    readonly tenants: TenantsConfig;
    readonly devops: DevOpsConfig;
    readonly operations: OperationsConfig;
}

/**
 * Reads and validates every config key of the stack. Throws one ConfigError listing every problem
 * (key, value, what is allowed) before the program registers any resource.
 */
export function loadConfig(): StackConfig {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const r = new ConfigReader(project);
    checkKnownKeys(r, pulumi.runtime.allConfig());
    const config: StackConfig = {
        project,
        stack,
        platform: readPlatformConfig(r),
        identities: readIdentitiesConfig(r),
        chartRepository: readChartRepositoryConfig(r),
        flux: readFluxConfig(r, stack),
        tenants: readTenantsConfig(r),
        devops: readDevOpsConfig(r),
        operations: readOperationsConfig(r),
    };
    checkIngressCertificates(r, config);
    checkTenantHosts(r, config);
    if (r.problems.length > 0) throw new ConfigError(r.problems, `Pulumi.${stack}.yaml`);
    return deepFreeze(config);
}

/** ChartMuseum's host on the shared ingress is the platform's: no team may claim it for its Ingresses. */
function checkTenantHosts(r: ConfigReader, config: StackConfig): void {
    const repository = config.chartRepository;
    const exposure = repository.mode === "chartmuseum" ? repository.chartMuseum.exposure : undefined;
    if (exposure?.kind !== "ingress") return;
    config.tenants.tenants.forEach((t, i) =>
        t.hosts.forEach((host, j) => {
            if (host === exposure.host)
                r.problem(
                    `tenants[${i}].hosts[${j}]`,
                    host,
                    "a host other than chartMuseumHost (the platform's chart repository)",
                );
        }),
    );
}

/** The app routing add-on can only read certificates from the vault the platform attached to it. */
function checkIngressCertificates(r: ConfigReader, config: StackConfig): void {
    const repository = config.chartRepository;
    const exposure = repository.mode === "chartmuseum" ? repository.chartMuseum.exposure : undefined;
    const certificate = exposure?.kind === "ingress" ? exposure.tlsCertificateUri : undefined;
    if (!certificate) return;
    const vault = config.platform.ingressKeyVaultId;
    if (!vault) {
        r.problem(
            "ingressKeyVaultId",
            undefined,
            `the resource id of Key Vault "${keyVaultNameOfCertificate(certificate)}", which holds chartMuseumTlsCertificateUri`,
        );
    } else if (keyVaultName(vault).toLowerCase() !== keyVaultNameOfCertificate(certificate)) {
        r.problem(
            "chartMuseumTlsCertificateUri",
            certificate,
            `a certificate in the ingress Key Vault "${keyVaultName(vault)}" (ingressKeyVaultId)`,
        );
    }
}

/**
 * The CLI checks only the keys Pulumi.yaml declares: a typo (`nodeCout`, `tenant`) would otherwise
 * be silently ignored, and a real `up` would then delete what the misspelt key described.
 */
function checkKnownKeys(r: ConfigReader, all: Record<string, string>): void {
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
