// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "./components/platform";
import { Tenant } from "./components/tenant";
import type { ChartSource } from "./src/chartSource";
import { loadConfig } from "./src/config";
import { names } from "./src/naming";

export = function gitopsPlatform() {
    const config = loadConfig();
    const stackNames = names(config.project, config.stack);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });

    // STAND-IN until the charts branch merges: replace with the chart repository step's ChartSource.
    const chartSource: ChartSource = {
        kind: "chartmuseum",
        url: pulumi.output("http://chartmuseum.chartmuseum.svc.cluster.local:8080"),
        pushUrl: pulumi.output("http://chartmuseum.chartmuseum.svc.cluster.local:8080"),
        username: pulumi.output("stand-in"),
        password: pulumi.secret("stand-in"),
        namespace: "chartmuseum",
    };

    const tenants = config.tenants.tenants.map(
        (tenant) =>
            new Tenant(tenant.name, {
                tenant,
                tenants: config.tenants.tenants,
                versionPolicy: config.tenants.versionPolicy,
                provider: platform.provider,
                chartSource,
                // ChartMuseum refuses anonymous reads unless chartMuseumAnonymousGet: Flux reads with its credentials.
                chartCredentials:
                    chartSource.kind === "chartmuseum" ? { username: chartSource.username, password: chartSource.password } : undefined,
                ingressNamespace: platform.ingressNamespace,
                // STAND-INS until the flux and identities branches merge:
                fluxNamespace: "flux-system", // flux.namespace
                fluxInstallation: undefined, // flux.installation
                teamGroupObjectId: undefined, // identities.teamGroupObjectIds[tenant.name]
            }),
    );

    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        ingressNamespace: platform.ingressNamespace,
        tenantNamespaces: tenants.map((t) => t.namespace),
        kubeconfig: pulumi.secret(platform.kubeconfig),
    };
};
