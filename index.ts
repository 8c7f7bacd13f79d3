// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { Monitoring } from "./components/monitoring";
import { Platform } from "./components/platform";
import { loadConfig } from "./src/config";
import { names } from "./src/naming";

export = function gitopsPlatform() {
    const config = loadConfig();
    const stackNames = names(config.project, config.stack);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });

    const ops = config.operations;
    const monitoring = new Monitoring(`${stackNames.base}-ops`, {
        resourceGroupName: platform.resourceGroupName,
        location: platform.location,
        workspaceId: platform.workspaceId,
        clusterId: platform.clusterId,
        registryId: platform.registryId,
        registrySku: config.platform.acrSku,
        actionGroupShortName: `ops-${config.stack}`.slice(0, 12),
        alertEmails: ops.alertEmails,
        alertWebhookUrl: ops.alertWebhookUrl,
        thresholds: ops.thresholds,
        severities: ops.severities,
        tags,
    });

    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        ingressNamespace: platform.ingressNamespace,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        alertActionGroupId: monitoring.actionGroupId,
    };
};
