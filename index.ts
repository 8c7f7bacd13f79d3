// The GitOps platform, in the order of the workshop's sequence diagram: the platform the teams share,
// who may do what, where charts live, Flux, the teams themselves, and the CI that feeds them.
import * as pulumi from "@pulumi/pulumi";
import { chartSource } from "./components/charts";
import type { ChartSource } from "./src/charts";
import { DevOps } from "./components/devops";
import { Flux } from "./components/flux";
import { Identities } from "./components/identities";
import { Monitoring } from "./components/monitoring";
import { Platform } from "./components/platform";
import { TenantAdmission } from "./components/tenants";
import { Tenant, TenantArgs } from "./components/tenants";
import type { TenantConfig } from "./components/tenants";
import type { FluxNotifications } from "./src/flux";
import type * as k8s from "@pulumi/kubernetes";
import { environmentOutputs, environmentStackName } from "./components/devops";
import { assertNever } from "./src/assertNever";
import { ClusterConfig, DeliveryConfig, EnvironmentConfig, loadConfig } from "./stack/config";
import { ExistingCluster } from "./components/platform";
import { externalChartSource } from "./src/charts";
import { CHARTMUSEUM_NAMESPACE, FLUX_NAMESPACE } from "./src/namespaces";
import type { GatewayRef } from "./src/gateway";
import { SharedGateway, teamHosts } from "./components/gateway";
import { Names, names } from "./src/naming";

export = function gitopsPlatform() {
    // Team files are found beside this file, wherever the program runs from.
    const config = loadConfig(__dirname);
    switch (config.role) {
        case "environment":
            return environment(config);
        case "delivery":
            return delivery(config);
        case "cluster":
            return cluster(config);
        default:
            return assertNever(config, "stack role");
    }
};

// Components renamed since the first release carry aliases to their old type and name, so `pulumi up`
// moves the deployed resources (children follow their parent) instead of replacing them.

/** What every step of an environment is built from: its config, Azure names, tags and the platform. */
interface EnvironmentStep {
    readonly config: EnvironmentConfig;
    readonly names: Names;
    readonly tags: Readonly<Record<string, string>>;
    readonly platform: Platform;
}

/** An environment (staging, prod): the platform, identities, charts, Flux, the teams and their alerts. */
function environment(config: EnvironmentConfig) {
    const stackNames = names(config.project, config.stack, config.platform.globalNameSeed);
    const tags = { project: config.project, stack: config.stack, "managed-by": "pulumi" };

    // The platform the teams share: resource group, logs, the hardened AKS cluster, ACR, Kubernetes provider.
    const platform = new Platform(stackNames.base, { names: stackNames, config: config.platform, tags });
    const step: EnvironmentStep = { config, names: stackNames, tags, platform };

    const identities = environmentIdentities(step);
    const charts = chartRepository(step);
    // The one entry point of web traffic: a listener per team host (and ChartMuseum's), routes per team.
    sharedGateway(step, identities);
    const flux = gitOps(step);

    // What the API server refuses in every team's namespace, whoever asks (one set for the cluster).
    const admission = new TenantAdmission(`${stackNames.base}-tenant-admission`, {
        provider: platform.provider,
    });

    const tenants = teams(step, { identities, charts, flux, admission });
    const monitoring = operations(step);
    return environmentExports({ platform, identities, charts, flux, tenants, monitoring });
}

/** Who may do what: each team's CI principal and group (bound to its namespace), its chart reader. */
function environmentIdentities({ config, names: stackNames, tags, platform }: EnvironmentStep): Identities {
    return new Identities(
        `${stackNames.base}-identities`,
        {
            names: stackNames,
            config: config.identities,
            tenants: config.tenants.tenants,
            subscriptionId: platform.subscriptionId,
            resourceGroupName: platform.resourceGroupName,
            location: platform.location,
            clusterId: platform.clusterId,
            oidcIssuerUrl: platform.oidcIssuerUrl,
            registryId: platform.registryId,
            chartRepositoryMode: config.chartRepository.mode,
            gatewayKeyVaultId: config.platform.ingressKeyVaultId,
            gatewayNamespace: platform.gateway.namespace,
            owners: [...config.platform.ownerObjectIds],
            tags,
        },
        { aliases: [{ type: "gitops:identity:Identities" }] },
    );
}

/** Where charts live: ChartMuseum on the cluster, or OCI artifacts in ACR (then nothing is created). */
function chartRepository({ config, names: stackNames, tags, platform }: EnvironmentStep): ChartSource {
    return chartSource(`${stackNames.base}-chartmuseum`, {
        config: config.chartRepository,
        registryLoginServer: platform.registryLoginServer,
        chartMuseum: {
            storageAccountName: stackNames.storageAccount,
            resourceGroupName: platform.resourceGroupName,
            location: config.platform.location,
            protect: config.platform.protect,
            provider: platform.provider,
            gateway: platform.gateway,
            sourceControllerNamespace: FLUX_NAMESPACE,
            dnsLabel: stackNames.chartMuseumDnsLabel,
            tags,
            teams: config.tenants.tenants.map((t) => t.name),
        },
    });
}

/** The platform's Gateway: each team's hosts with its certificates, and ChartMuseum's push host. */
function sharedGateway(
    { config, names: stackNames, platform }: EnvironmentStep,
    identities: Identities,
): SharedGateway {
    const repository = config.chartRepository;
    const exposure = repository.mode === "chartmuseum" ? repository.chartMuseum.exposure : undefined;
    const chartMuseumHosts =
        exposure?.kind === "gateway"
            ? [
                  {
                      host: exposure.host,
                      namespace: CHARTMUSEUM_NAMESPACE,
                      certificate: exposure.tlsCertificateUri,
                  },
              ]
            : [];
    return new SharedGateway(`${stackNames.base}-gateway`, {
        provider: platform.provider,
        gateway: platform.gateway,
        tlsClientId: identities.gatewayTlsClientId,
        hosts: [...config.tenants.tenants.flatMap(teamHosts), ...chartMuseumHosts],
    });
}

/** Flux: what `flux bootstrap github --path=clusters/<stack>` does, as resources. */
function gitOps({ config, names: stackNames, platform }: EnvironmentStep): Flux {
    return new Flux(`${stackNames.base}-flux`, {
        config: config.flux,
        stack: config.stack,
        provider: platform.provider,
        kubernetesVersion: platform.kubernetesVersion,
        protect: config.platform.protect,
        chartRepositoryMode: config.chartRepository.mode,
    });
}

/** The teams: one namespace each, isolated, reconciled by Flux as the team's own service account. */
function teams(
    { config, platform }: EnvironmentStep,
    earlier: { identities: Identities; charts: ChartSource; flux: Flux; admission: TenantAdmission },
): Tenant[] {
    const { identities, charts, flux, admission } = earlier;
    return tenantsOn({ ...onCluster(platform, config), charts, flux, admission }, (tenant) => ({
        chartReader: chartReader(identities, platform, tenant.name),
        // The team's own CI identity verifies its rollouts, where builds land (the first environment).
        verifierObjectId:
            config.stack === config.tenants.environments[0]
                ? identities.ciIdentities[tenant.name].servicePrincipalObjectId
                : undefined,
    }));
}

/** What every team's Tenant takes from where it lands, whichever kind of stack. */
interface TenantsOn {
    readonly provider: k8s.Provider;
    readonly registryLoginServer: pulumi.Input<string>;
    readonly gateway: GatewayRef;
    readonly legacyIngressNamespace?: string;
    readonly tenants: readonly TenantConfig[];
    readonly stack: string;
    readonly config: { readonly notifications: FluxNotifications };
    readonly charts: ChartSource;
    readonly flux: Flux;
    readonly admission: TenantAdmission;
}

/** What every tenant of a stack takes from its cluster (Azure's or an existing one) and its config. */
function onCluster(
    platform: Pick<TenantsOn, "provider" | "registryLoginServer" | "gateway" | "legacyIngressNamespace">,
    config: {
        readonly tenants: { readonly tenants: readonly TenantConfig[] };
        readonly stack: string;
        readonly flux: TenantsOn["config"];
    },
): Omit<TenantsOn, "charts" | "flux" | "admission"> {
    const { provider, registryLoginServer, gateway, legacyIngressNamespace } = platform;
    return {
        provider,
        registryLoginServer,
        gateway,
        legacyIngressNamespace,
        tenants: config.tenants.tenants,
        stack: config.stack,
        config: config.flux,
    };
}

/** One Tenant per team file, with what this kind of stack adds for each (`own`). */
function tenantsOn(on: TenantsOn, own: (tenant: TenantConfig) => Partial<TenantArgs>): Tenant[] {
    return on.tenants.map(
        (tenant) =>
            new Tenant(tenant.name, {
                tenant,
                tenants: on.tenants,
                provider: on.provider,
                chartSource: on.charts,
                registryLoginServer: on.registryLoginServer,
                gateway: on.gateway,
                legacyIngressNamespace: on.legacyIngressNamespace,
                fluxInstallation: on.flux.installation,
                admission: on.admission,
                notifications: { channel: on.config.notifications, cluster: on.stack },
                ...own(tenant),
            }),
    );
}

/** The identity Flux reads a team's OCI charts as (acr-oci), or none. */
function chartReader(identities: Identities, platform: Platform, team: string) {
    const clientId = identities.fluxChartReaderClientIds[team];
    return clientId ? { clientId, tenantId: platform.tenantId } : undefined;
}

/** Operations: who gets paged, and for what. */
function operations({ config, names: stackNames, tags, platform }: EnvironmentStep): Monitoring {
    return new Monitoring(
        `${stackNames.base}-monitoring`,
        {
            azureNamePrefix: stackNames.alerts,
            resourceGroupName: platform.resourceGroupName,
            location: platform.location,
            workspaceId: platform.workspaceId,
            clusterId: platform.clusterId,
            registryId: platform.registryId,
            registrySku: config.platform.acrSku,
            actionGroupShortName: `ops-${config.stack}`.slice(0, 12),
            alertEmails: config.operations.alertEmails,
            alertWebhookUrl: config.operations.alertWebhookUrl,
            thresholds: config.operations.thresholds,
            severities: config.operations.severities,
            tags,
        },
        { aliases: [{ name: `${stackNames.base}-ops`, type: "gitops:ops:Monitoring" }] },
    );
}

/** The environment's stack outputs; the second half is what the delivery stack reads. */
function environmentExports(steps: {
    platform: Platform;
    identities: Identities;
    charts: ChartSource;
    flux: Flux;
    tenants: Tenant[];
    monitoring: Monitoring;
}) {
    const { platform, identities, charts, flux, tenants, monitoring } = steps;
    return {
        resourceGroupName: platform.resourceGroupName,
        clusterName: platform.clusterName,
        oidcIssuerUrl: platform.oidcIssuerUrl,
        registryLoginServer: platform.registryLoginServer,
        gateway: platform.gateway,
        kubeconfig: pulumi.secret(platform.kubeconfig),
        adminGroupObjectId: identities.adminGroupObjectId,
        teamGroupObjectIds: identities.teamGroupObjectIds,
        fluxChartReaderClientIds: identities.fluxChartReaderClientIds,
        chartRepositoryUrl: charts.url,
        chartPushUrl: charts.kind === "chartmuseum" ? charts.pushUrl : charts.url,
        fleetRepositoryUrl: flux.fleetRepositoryUrl,
        fluxNamespace: flux.namespace,
        tenantNamespaces: tenants.map((t) => t.namespace),
        alertActionGroupId: monitoring.actionGroupId,
        // What the delivery stack reads (components/devops/environments.ts).
        tenantId: platform.tenantId,
        subscriptionId: platform.subscriptionId,
        clusterId: platform.clusterId,
        registryId: platform.registryId,
        registryName: platform.registryName,
        // Each team's CI identity (application, client id, service principal), by team.
        ciIdentities: identities.ciIdentities,
        chartRepositoryKind: charts.kind,
        // Each team's ChartMuseum push token, by team (none with acr-oci): only its own CI gets it.
        chartPushTokens: pulumi.secret(charts.kind === "chartmuseum" ? charts.pushTokens : {}),
    };
}

/**
 * The organisation's delivery: one Azure DevOps CI for every environment, which it reads from their
 * stacks. A stack of its own, because it changes at another pace and belongs to other people than an
 * environment, and because one push must build once, not once per environment.
 */
function delivery(config: DeliveryConfig) {
    const environments = config.tenants.environments.map((name) =>
        environmentOutputs(
            name,
            new pulumi.StackReference(environmentStackName(pulumi.getOrganization(), config.project, name)),
        ),
    );
    const devops = new DevOps(`${names(config.project, config.stack).base}-devops`, {
        config: config.devops,
        tenants: config.tenants.tenants,
        environments,
        teamsDirectory: config.tenants.teamsDirectory,
    });
    return { devopsProject: devops.projectName, devopsPipelines: devops.pipelineIds };
}

/**
 * A cluster stack: every in-cluster step of an environment on an existing cluster reached by a
 * kubeconfig (a laptop's kind cluster, a cluster made by `az aks create`, the e2e's control plane).
 * Nothing of Azure: the values an environment gets from Azure come from the stack's config.
 */
function cluster(config: ClusterConfig) {
    const base = names(config.project, config.stack).base;
    const platform = new ExistingCluster(`${base}-cluster`, { config: config.cluster });
    const charts = externalChartSource(config.chartRepository.url, config.chartRepository.namespace);
    const flux = new Flux(`${base}-flux`, {
        config: config.flux,
        stack: config.stack,
        provider: platform.provider,
        kubernetesVersion: platform.kubernetesVersion,
        chartRepositoryMode: "chartmuseum",
    });
    const admission = new TenantAdmission(`${base}-tenant-admission`, { provider: platform.provider });
    const tenants = tenantsOn({ ...onCluster(platform, config), charts, flux, admission }, () => ({
        membersInCluster: true,
    }));
    return {
        registryLoginServer: platform.registryLoginServer,
        chartRepositoryUrl: charts.url,
        fleetRepositoryUrl: flux.fleetRepositoryUrl,
        fluxNamespace: flux.namespace,
        tenantNamespaces: tenants.map((t) => t.namespace),
    };
}
