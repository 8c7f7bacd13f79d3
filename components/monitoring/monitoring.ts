import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import type * as types from "@pulumi/azure-native/types";
import type { AlertSeverities, AlertThresholds } from "./config";
import {
    RegistrySku,
    crashLoopQuery,
    fluxFailuresQuery,
    podsNotReadyQuery,
    registryStorageThresholdBytes,
} from "./queries";

export interface MonitoringArgs {
    /** Prefix of the Azure names of the action group and the alert rules (`names.alerts`). */
    readonly azureNamePrefix: string;
    /** Resource group that holds the action group and the alert rules (the platform's). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Region of the log alert rules (the workspace's); metric alerts and the action group are global. */
    readonly location: pulumi.Input<string>;
    /** Resource id of the Log Analytics workspace that Container insights writes to. */
    readonly workspaceId: pulumi.Input<string>;
    /** Resource id of the AKS cluster: scope of the node metric alerts and filter of the log alerts. */
    readonly clusterId: pulumi.Input<string>;
    /** Resource id of the container registry: scope of the storage alert. */
    readonly registryId: pulumi.Input<string>;
    /** The registry's SKU; its included storage is the quota the storage alert measures against. */
    readonly registrySku: RegistrySku;
    /** Short name of the action group shown in notifications, 1 to 12 characters. */
    readonly actionGroupShortName: string;
    /** Email receivers of every alert; at least one (an action group nobody reads is a silent failure). */
    readonly alertEmails: readonly string[];
    /** Optional webhook receiver (secret URL), called with the common alert schema. Default: none. */
    readonly alertWebhookUrl?: pulumi.Input<string>;
    /** When each alert fires (defaults: their rows in src/config/keys.ts). */
    readonly thresholds: AlertThresholds;
    /** Severity of each alert family, 0 (Critical) to 4 (Verbose). */
    readonly severities: AlertSeverities;
    /** Tags put on every Azure resource. */
    readonly tags: Readonly<Record<string, string>>;
}

/** How often rules are evaluated and over which window: every 5 minutes, over the last 15. */
const EVERY = "PT5M";
const WINDOW = "PT15M";

/**
 * What an ops team watches on this platform: node CPU and memory pressure (AKS platform metrics),
 * pods not ready and crash looping, failed Flux reconciliations (log alerts on Container insights
 * tables), and registry storage near its quota (ACR metric). All notify one action group.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** Resource id of the action group (email and webhook receivers). */
    readonly actionGroupId: pulumi.Output<string>;
    /** Azure names of the alert rules, by signal. */
    readonly alertRuleNames: Record<string, pulumi.Output<string>>;

    private readonly name: string;
    private readonly args: MonitoringArgs;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:monitoring:Monitoring", name, {}, opts);
        this.name = name;
        this.args = args;
        this.validate();

        this.actionGroupId = this.actionGroup().id;
        const rules = {
            ...this.nodeAlerts(),
            ...this.workloadAlerts(),
            registryStorage: this.registryStorageAlert(),
        };

        this.alertRuleNames = Object.fromEntries(Object.entries(rules).map(([k, rule]) => [k, rule.name]));
        this.registerOutputs({ actionGroupId: this.actionGroupId, alertRuleNames: this.alertRuleNames });
    }

    private validate(): void {
        const { args } = this;
        if (args.alertEmails.length === 0) {
            throw new pulumi.ResourceError("Monitoring needs at least one alert email receiver", this);
        }
        if (!/^[A-Za-z0-9 _.-]{1,12}$/.test(args.actionGroupShortName)) {
            throw new pulumi.ResourceError(
                `actionGroupShortName "${args.actionGroupShortName}" must be 1 to 12 letters, digits, spaces, '.', '_' or '-'`,
                this,
            );
        }
    }

    /** The one action group every alert notifies: the email receivers and the optional webhook. */
    private actionGroup(): monitor.ActionGroup {
        const { args } = this;
        return new monitor.ActionGroup(
            `${this.name}-ag`,
            {
                actionGroupName: `${args.azureNamePrefix}-ag`,
                resourceGroupName: args.resourceGroupName,
                location: "Global",
                groupShortName: args.actionGroupShortName,
                enabled: true,
                emailReceivers: args.alertEmails.map((emailAddress, i) => ({
                    name: `email-${i + 1}`,
                    emailAddress,
                    useCommonAlertSchema: true,
                })),
                webhookReceivers: args.alertWebhookUrl
                    ? [
                          {
                              name: "webhook",
                              serviceUri: pulumi.secret(args.alertWebhookUrl),
                              useCommonAlertSchema: true,
                          },
                      ]
                    : [],
                tags: args.tags,
            },
            { parent: this, additionalSecretOutputs: ["webhookReceivers"] },
        );
    }

    /** Node CPU and memory pressure, from the AKS platform metrics. */
    private nodeAlerts() {
        const { args } = this;
        const { thresholds, severities } = args;
        const aks = "Microsoft.ContainerService/managedClusters";
        const perNode = [{ name: "node", operator: "Include", values: ["*"] }];
        return {
            nodeCpu: this.metricAlert(
                "node-cpu",
                `A node's average CPU usage over 15 minutes is above ${thresholds.nodeCpuPercent}%: workloads are throttled; scale the pool or fix requests.`,
                args.clusterId,
                severities.node,
                {
                    metricNamespace: aks,
                    metricName: "node_cpu_usage_percentage",
                    timeAggregation: "Average",
                    operator: "GreaterThan",
                    threshold: thresholds.nodeCpuPercent,
                    dimensions: perNode,
                },
            ),
            nodeMemory: this.metricAlert(
                "node-memory",
                `A node's average working-set memory over 15 minutes is above ${thresholds.nodeMemoryPercent}%: pods are about to be evicted or OOM-killed.`,
                args.clusterId,
                severities.node,
                {
                    metricNamespace: aks,
                    metricName: "node_memory_working_set_percentage",
                    timeAggregation: "Average",
                    operator: "GreaterThan",
                    threshold: thresholds.nodeMemoryPercent,
                    dimensions: perNode,
                },
            ),
        };
    }

    /** Pods not ready, crash loops and failed Flux reconciliations, from the Container insights tables. */
    private workloadAlerts() {
        const { thresholds, severities } = this.args;
        return {
            podsNotReady: this.logAlert(
                "pods-not-ready",
                `At least ${thresholds.podsNotReady} pod(s) of a namespace stayed out of Running for 15 minutes (Pending, Failed, image pull or scheduling problems).`,
                severities.pods,
                podsNotReadyQuery,
                "NotReadyPods",
                thresholds.podsNotReady,
                ["Namespace"],
            ),
            crashLoop: this.logAlert(
                "pods-crash-looping",
                `A container restarted ${thresholds.podRestarts} time(s) or more within 15 minutes: it is crash looping.`,
                severities.pods,
                crashLoopQuery,
                "Restarts",
                thresholds.podRestarts,
                ["Namespace"],
            ),
            fluxFailures: this.logAlert(
                "flux-reconciliation-failed",
                "A Flux object (source, Kustomization or HelmRelease) reported failed reconciliations: changes merged in Git are not reaching the cluster.",
                severities.flux,
                fluxFailuresQuery,
                "Failures",
                thresholds.fluxFailures,
                ["Namespace", "FluxObject"],
            ),
        };
    }

    /** Registry storage near the quota included in its SKU (ACR metric). */
    private registryStorageAlert(): monitor.MetricAlert {
        const { args } = this;
        const { thresholds, severities } = args;
        return this.metricAlert(
            "acr-storage",
            `The registry uses more than ${thresholds.registryStoragePercent}% of the storage included in its ${args.registrySku} SKU: purge old images or charts.`,
            args.registryId,
            severities.registry,
            {
                metricNamespace: "Microsoft.ContainerRegistry/registries",
                metricName: "StorageUsed",
                timeAggregation: "Average",
                operator: "GreaterThan",
                threshold: registryStorageThresholdBytes(args.registrySku, thresholds.registryStoragePercent),
            },
            // ACR reports StorageUsed about hourly; a shorter window would often be empty.
            { evaluationFrequency: "PT1H", windowSize: "PT6H" },
        );
    }

    private metricAlert(
        signal: string,
        description: string,
        scope: pulumi.Input<string>,
        severity: number,
        criterion: MetricCriterion,
        window: { evaluationFrequency: string; windowSize: string } = {
            evaluationFrequency: EVERY,
            windowSize: WINDOW,
        },
    ): monitor.MetricAlert {
        const { args } = this;
        return new monitor.MetricAlert(
            `${this.name}-${signal}`,
            {
                ruleName: `${args.azureNamePrefix}-${signal}`,
                resourceGroupName: args.resourceGroupName,
                location: "global",
                description,
                severity,
                enabled: true,
                autoMitigate: true,
                scopes: [scope],
                ...window,
                criteria: {
                    odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    allOf: [{ criterionType: "StaticThresholdCriterion", name: signal, ...criterion }],
                },
                actions: [{ actionGroupId: this.actionGroupId }],
                tags: args.tags,
            },
            { parent: this },
        );
    }

    private logAlert(
        signal: string,
        description: string,
        severity: number,
        query: (clusterId: string) => string,
        measure: string,
        threshold: number,
        dimensions: readonly string[],
    ): monitor.ScheduledQueryRule {
        const { args } = this;
        return new monitor.ScheduledQueryRule(
            `${this.name}-${signal}`,
            {
                ruleName: `${args.azureNamePrefix}-${signal}`,
                displayName: `${args.azureNamePrefix}-${signal}`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: "LogAlert",
                // The Container Insights tables exist only once the agent has sent data; Azure would
                // reject the query of a rule created with a fresh workspace.
                skipQueryValidation: true,
                description,
                severity,
                enabled: true,
                autoMitigate: true,
                scopes: [args.workspaceId],
                evaluationFrequency: EVERY,
                windowSize: WINDOW,
                criteria: {
                    allOf: [
                        {
                            query: pulumi.output(args.clusterId).apply(query),
                            timeAggregation: "Maximum",
                            metricMeasureColumn: measure,
                            operator: "GreaterThanOrEqual",
                            threshold,
                            dimensions: dimensions.map((d) => ({
                                name: d,
                                operator: "Include",
                                values: ["*"],
                            })),
                            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                        },
                    ],
                },
                actions: { actionGroups: [this.actionGroupId] },
                tags: args.tags,
            },
            { parent: this },
        );
    }
}

/** One static-threshold metric criterion, without its type marker and name (the rule adds them). */
type MetricCriterion = Omit<types.input.monitor.MetricCriteriaArgs, "criterionType" | "name">;
