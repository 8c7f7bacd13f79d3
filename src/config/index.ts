import * as pulumi from "@pulumi/pulumi";
import { ChartRepositoryConfig, keyVaultNameOfCertificate, readChartRepositoryConfig } from "../../components/charts/config";
import { DevOpsConfig, readDevOpsConfig } from "../../components/devops/config";
import { FluxConfig, readFluxConfig } from "../../components/flux/config";
import { IdentitiesConfig, readIdentitiesConfig } from "../../components/identities/config";
import { OperationsConfig, readOperationsConfig } from "../../components/monitoring/config";
import { PlatformConfig, readPlatformConfig } from "../../components/platform/config";
import { ConfigError, ConfigReader, deepFreeze } from "./reader";
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
    if (r.problems.length > 0) throw new ConfigError(r.problems);
    return deepFreeze(config);
}

/** The app routing add-on can only read certificates from the vault the platform attached to it. */
function checkIngressCertificates(r: ConfigReader, config: StackConfig): void {
    const repository = config.chartRepository;
    const certificate = repository.mode === "chartmuseum" ? repository.chartMuseum.tlsCertificateUri : undefined;
    if (!certificate) return;
    const vault = config.platform.ingressKeyVaultId;
    if (!vault) {
        r.problem("ingressKeyVaultId", undefined, `the resource id of Key Vault "${keyVaultNameOfCertificate(certificate)}", which holds chartMuseumTlsCertificateUri`);
    } else if (keyVaultName(vault).toLowerCase() !== keyVaultNameOfCertificate(certificate)) {
        r.problem("chartMuseumTlsCertificateUri", certificate, `a certificate in the ingress Key Vault "${keyVaultName(vault)}" (ingressKeyVaultId)`);
    }
}
