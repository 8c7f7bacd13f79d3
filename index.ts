// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { Pipelines } from "./components/devops";
import { Platform } from "./components/platform";
import { loadConfig } from "./src/config";
import { names } from "./src/naming";
import { standInChartSource, standInCiIdentity } from "./src/standins";

export = function gitopsPlatform() {
    const config = loadConfig();
    const stackNames = names(config.project, config.stack);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });

    // Azure DevOps CI: a pipeline per app pushing images to ACR and charts to the chart repository.
    // STAND-INS until identities and the chart repository are on main (see src/standins.ts).
    const ci = standInCiIdentity(stackNames.base);
    const chartSource = standInChartSource(stackNames.base);
    const devops = new Pipelines(`${stackNames.base}-ci`, {
        config: config.devops,
        tenants: config.tenants.tenants,
        registry: { id: platform.registryId, name: platform.registryName, loginServer: platform.registryLoginServer },
        chartSource,
        ciApplicationId: ci.ciApplicationId,
        ciClientId: ci.ciClientId,
        tenantId: platform.tenantId,
        subscriptionId: platform.subscriptionId,
    });

    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        ingressNamespace: platform.ingressNamespace,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        devopsProject: devops.projectName,
        devopsPipelines: devops.pipelineIds,
    };
};
