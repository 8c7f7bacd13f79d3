// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { Identities } from "./components/identities";
import { Platform } from "./components/platform";
import type { ChartRepositoryMode } from "./src/chartSource";
import { loadConfig } from "./src/config";
import { names } from "./src/naming";

export = function gitopsPlatform() {
    const config = loadConfig();
    const stackNames = names(config.project, config.stack);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });

    // STAND-IN until the charts branch lands: src/config/chartRepository.ts owns the `chartRepository`
    // key; replace this line with its typed value (e.g. config.chartRepository.mode).
    const chartRepositoryMode: ChartRepositoryMode =
        new pulumi.Config().get("chartRepository") === "acr-oci" ? "acr-oci" : "chartmuseum";

    const identities = new Identities(`${stackNames.base}-identities`, {
        names: stackNames,
        config: config.identities,
        tenants: config.tenants.tenants,
        subscriptionId: platform.subscriptionId,
        resourceGroupName: platform.resourceGroupName,
        location: platform.location,
        clusterId: platform.clusterId,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryId: platform.registryId,
        chartRepositoryMode,
        tags,
    });

    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        ingressNamespace: platform.ingressNamespace,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        ciClientId: identities.ciClientId,
        deployClientId: identities.deployClientId,
        adminGroupObjectId: identities.adminGroupObjectId,
        teamGroupObjectIds: identities.teamGroupObjectIds,
        fluxSourceIdentityClientId: identities.fluxSourceIdentityClientId,
    };
};
