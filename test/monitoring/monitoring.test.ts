import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Monitoring, type MonitoringArgs } from "../../components/monitoring/monitoring";
import { FLUX_RECONCILED_KINDS } from "../../src/flux";
import {
    ACR_INCLUDED_STORAGE_GIB,
    crashLoopQuery,
    registryStorageThresholdBytes,
} from "../../components/monitoring/queries";
import { STACKS, isWireSecret, ofType, one, run, secret } from "../support/program";

const ACTION_GROUP = "azure-native:monitor:ActionGroup";
const METRIC_ALERT = "azure-native:monitor:MetricAlert";
const LOG_ALERT = "azure-native:monitor:ScheduledQueryRule";
const GIB = 1024 ** 3;

describe("Monitoring", () => {
    for (const stack of STACKS) {
        it(`${stack}: the action group emails every configured address with the common alert schema`, async () => {
            const r = await run(stack);
            const group = one(r, ACTION_GROUP, "-monitoring-ag");
            assert.deepEqual(group.inputs.emailReceivers, [
                { name: "email-1", emailAddress: "platform-oncall@contoso.com", useCommonAlertSchema: true },
            ]);
            assert.equal(group.inputs.enabled, true);
            assert.ok(group.inputs.groupShortName.length <= 12);
            assert.deepEqual(group.inputs.webhookReceivers, []);
        });

        it(`${stack}: every alert rule notifies the action group`, async () => {
            const r = await run(stack);
            const groupId = `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/${one(r, ACTION_GROUP).inputs.resourceGroupName}/providers/Microsoft.Insights/actionGroups/${one(r, ACTION_GROUP).inputs.actionGroupName}`;
            const metric = ofType(r, METRIC_ALERT);
            const logs = ofType(r, LOG_ALERT);
            assert.equal(metric.length, 3);
            assert.equal(logs.length, 3);
            for (const rule of metric)
                assert.deepEqual(rule.inputs.actions, [{ actionGroupId: groupId }], rule.name);
            for (const rule of logs)
                assert.deepEqual(rule.inputs.actions, { actionGroups: [groupId] }, rule.name);
        });

        it(`${stack}: the monitoring resources are children of the Monitoring component, named after it`, async () => {
            const r = await run(stack);
            const component = one(r, "gitops:monitoring:Monitoring");
            for (const child of [
                ...ofType(r, ACTION_GROUP),
                ...ofType(r, METRIC_ALERT),
                ...ofType(r, LOG_ALERT),
            ]) {
                assert.equal(child.parent, component.urn, child.name);
                assert.ok(child.name.startsWith(`${component.name}-`), child.name);
            }
        });
    }

    it("node CPU and memory alerts watch the cluster's platform metrics per node with the default thresholds", async () => {
        const r = await run("staging");
        const cluster = one(r, "azure-native:containerservice:ManagedCluster");
        for (const [suffix, metric, threshold] of [
            ["-node-cpu", "node_cpu_usage_percentage", 80],
            ["-node-memory", "node_memory_working_set_percentage", 85],
        ] as const) {
            const rule = one(r, METRIC_ALERT, suffix);
            const [criterion] = rule.inputs.criteria.allOf;
            assert.match(
                rule.inputs.scopes[0],
                /providers\/Microsoft\.ContainerService\/managedClusters\/aks-/,
            );
            assert.ok(rule.dependencies.includes(cluster.urn));
            assert.equal(criterion.metricNamespace, "Microsoft.ContainerService/managedClusters");
            assert.equal(criterion.metricName, metric);
            assert.equal(criterion.threshold, threshold);
            assert.deepEqual(criterion.dimensions, [{ name: "node", operator: "Include", values: ["*"] }]);
            assert.equal(rule.inputs.severity, 2);
            assert.equal(rule.inputs.windowSize, "PT15M");
        }
    });

    it("thresholds and severities come from config", async () => {
        const r = await run("staging", {
            "gitops-platform:alertNodeCpuPercent": 70,
            "gitops-platform:alertNodeSeverity": 1,
            "gitops-platform:alertPodRestarts": 10,
            "gitops-platform:alertFluxSeverity": 0,
        });
        const cpu = one(r, METRIC_ALERT, "-node-cpu");
        assert.equal(cpu.inputs.criteria.allOf[0].threshold, 70);
        assert.equal(cpu.inputs.severity, 1);
        assert.equal(one(r, LOG_ALERT, "-pods-crash-looping").inputs.criteria.allOf[0].threshold, 10);
        assert.equal(one(r, LOG_ALERT, "-flux-reconciliation-failed").inputs.severity, 0);
    });

    it("log alerts query the Log Analytics workspace for this cluster only, split by namespace", async () => {
        const r = await run("staging");
        const workspace = one(r, "azure-native:operationalinsights:Workspace");
        for (const rule of ofType(r, LOG_ALERT)) {
            const [criterion] = rule.inputs.criteria.allOf;
            assert.match(
                rule.inputs.scopes[0],
                new RegExp(`workspaces/${workspace.inputs.workspaceName}$`),
                rule.name,
            );
            assert.equal(rule.inputs.kind, "LogAlert");
            assert.equal(rule.inputs.location, "westeurope");
            assert.match(
                criterion.query,
                /\| where ClusterId =~ '\/subscriptions\/.*\/managedClusters\/aks-gitops-platform-staging'/,
            );
            assert.equal(criterion.dimensions[0].name, "Namespace");
            assert.match(criterion.query, new RegExp(`by Namespace`), rule.name);
            assert.match(criterion.query, new RegExp(`${criterion.metricMeasureColumn} =`), rule.name);
        }
    });

    it("the crash-loop alert measures container restarts in the window from KubePodInventory", async () => {
        const rule = one(await run("prod"), LOG_ALERT, "-pods-crash-looping");
        const [criterion] = rule.inputs.criteria.allOf;
        assert.match(criterion.query, /^KubePodInventory/);
        assert.match(criterion.query, /max\(ContainerRestartCount\) - min\(ContainerRestartCount\)/);
        assert.equal(criterion.threshold, 3);
        assert.equal(criterion.operator, "GreaterThanOrEqual");
    });

    it("the Flux alert fires on Warning events of every Flux kind, as an Error by default", async () => {
        const rule = one(await run("prod"), LOG_ALERT, "-flux-reconciliation-failed");
        const [criterion] = rule.inputs.criteria.allOf;
        assert.match(criterion.query, /^KubeEvents/);
        assert.match(criterion.query, /KubeEventType == 'Warning'/);
        for (const kind of [
            "Kustomization",
            "HelmRelease",
            "GitRepository",
            "HelmRepository",
            "OCIRepository",
        ]) {
            assert.match(criterion.query, new RegExp(`'${kind}'`));
        }
        assert.deepEqual(
            criterion.dimensions.map((d: { name: string }) => d.name),
            ["Namespace", "FluxObject"],
        );
        assert.equal(rule.inputs.severity, 1);
    });

    it("the registry alert fires at 80% of the storage included in the stack's ACR SKU", async () => {
        const staging = one(await run("staging"), METRIC_ALERT, "-acr-storage");
        const prod = one(await run("prod"), METRIC_ALERT, "-acr-storage");
        assert.equal(staging.inputs.criteria.allOf[0].threshold, 80 * GIB); // Standard: 100 GiB
        assert.equal(prod.inputs.criteria.allOf[0].threshold, 400 * GIB); // Premium: 500 GiB
        assert.equal(prod.inputs.criteria.allOf[0].metricName, "StorageUsed");
        assert.match(prod.inputs.scopes[0], /Microsoft\.ContainerRegistry\/registries\/acr/);
        assert.equal(prod.inputs.severity, 3);
    });

    it("a webhook URL becomes a webhook receiver whose URL stays secret", async () => {
        const r = await run("staging", {
            "gitops-platform:alertWebhookUrl": secret("https://hooks.example.com/ops/123"),
        });
        const group = one(r, ACTION_GROUP);
        assert.deepEqual(group.inputs.webhookReceivers, [
            { name: "webhook", serviceUri: "https://hooks.example.com/ops/123", useCommonAlertSchema: true },
        ]);
        const wire = group.wireInputs.webhookReceivers;
        assert.ok(
            isWireSecret(wire) || isWireSecret(wire[0]?.serviceUri),
            "the webhook URL is sent as a secret",
        );
    });
});

describe("Monitoring arguments", () => {
    const args: MonitoringArgs = {
        azureNamePrefix: "gitops-test-ops",
        resourceGroupName: "rg",
        location: "westeurope",
        workspaceId: "/w",
        clusterId: "/c",
        registryId: "/r",
        registrySku: "Standard",
        actionGroupShortName: "ops",
        alertEmails: ["ops@contoso.com"],
        thresholds: {
            nodeCpuPercent: 80,
            nodeMemoryPercent: 85,
            podRestarts: 3,
            podsNotReady: 1,
            fluxFailures: 1,
            registryStoragePercent: 80,
        },
        severities: { node: 2, pods: 2, flux: 1, registry: 3 },
        tags: {},
    };

    it("refuses an action group without any email receiver", async () => {
        await run("staging"); // the runtime's mocks are in place
        assert.throws(
            () => new Monitoring("no-receivers", { ...args, alertEmails: [] }),
            /at least one alert email/,
        );
    });

    it("refuses an action group short name longer than Azure's 12 characters", async () => {
        await run("staging");
        assert.throws(
            () => new Monitoring("long-name", { ...args, actionGroupShortName: "ops-production" }),
            /1 to 12/,
        );
    });
});

describe("monitoring builders", () => {
    it("the registry threshold is the percent of the SKU's included storage in bytes", () => {
        assert.equal(registryStorageThresholdBytes("Basic", 50), 5 * GIB);
        assert.equal(registryStorageThresholdBytes("Premium", 100), ACR_INCLUDED_STORAGE_GIB.Premium * GIB);
    });

    it("a quote in the cluster id cannot break out of the KQL string literal", () => {
        assert.match(crashLoopQuery("/x/it's"), /ClusterId =~ '\/x\/it\\'s'/);
    });

    it("Flux kinds cover sources, Kustomizations and HelmReleases", () => {
        for (const kind of [
            "GitRepository",
            "OCIRepository",
            "HelmRepository",
            "Kustomization",
            "HelmRelease",
        ]) {
            assert.ok((FLUX_RECONCILED_KINDS as readonly string[]).includes(kind), kind);
        }
    });
});
