// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { chartSource } from "./components/chartMuseum";
import { Platform } from "./components/platform";
import { loadConfig } from "./src/config";
import { names } from "./src/naming";

export = function gitopsPlatform() {
    const config = loadConfig();
    const stackNames = names(config.project, config.stack);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });

    // Where charts live: ChartMuseum on the cluster, or OCI artifacts in ACR (then nothing is created).
    const charts = chartSource(`${stackNames.base}-chartmuseum`, {
        config: config.chartRepository,
        registryLoginServer: platform.registryLoginServer,
        chartMuseum: {
            storageAccountName: stackNames.storageAccount,
            resourceGroupName: platform.resourceGroupName,
            location: config.platform.location,
            protect: config.platform.protect,
            provider: platform.provider,
            ingressNamespace: platform.ingressNamespace,
            sourceControllerNamespace: "flux-system", // stand-in until the Flux component's namespace constant lands
            dnsLabel: stackNames.chartMuseumDnsLabel,
            tags,
        },
    });

    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        ingressNamespace: platform.ingressNamespace,
        chartRepositoryUrl: charts.url,
        chartPushUrl: charts.kind === "chartmuseum" ? charts.pushUrl : charts.url,
        kubeconfig: pulumi.secret(platform.kubeconfig),
    };
};
