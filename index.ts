// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { Flux } from "./components/flux";
import { Platform } from "./components/platform";
import { loadConfig } from "./src/config";
import { names } from "./src/naming";

export = function gitopsPlatform() {
    const config = loadConfig();
    const stackNames = names(config.project, config.stack);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });

    // Flux: `flux bootstrap github --path=clusters/<stack>` as resources. With acr-oci charts, pass
    // sourceControllerIdentityClientId: identities.fluxSourceIdentityClientId (identities branch).
    const flux = new Flux("flux", {
        config: config.flux,
        stack: config.stack,
        provider: platform.provider,
        protect: config.platform.protect,
    });

    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        ingressNamespace: platform.ingressNamespace,
        fleetRepositoryUrl: flux.fleetRepositoryUrl,
        fluxNamespace: flux.namespace,
        kubeconfig: pulumi.secret(platform.kubeconfig),
    };
};
