import * as pulumi from "@pulumi/pulumi";
import type { ConfigKey } from "../../src/config/keys";
import { ConfigReader } from "../../src/config/reader";
import { isHttpsUrl, isUpn } from "../../src/config/validators";

/** Azure Monitor alert severity: 0 Critical, 1 Error, 2 Warning, 3 Informational, 4 Verbose. */
export type AlertSeverity = 0 | 1 | 2 | 3 | 4;

/** When each alert fires. */
export interface AlertThresholds {
    /** Average node CPU usage over 15 minutes, percent (default 80). */
    readonly nodeCpuPercent: number;
    /** Average node working-set memory over 15 minutes, percent (default 85). */
    readonly nodeMemoryPercent: number;
    /** Container restarts within 15 minutes that count as crash looping (default 3). */
    readonly podRestarts: number;
    /** Pods of one namespace not running for a whole 15-minute window (default 1). */
    readonly podsNotReady: number;
    /** Warning events on Flux objects (failed reconciliations) within 15 minutes (default 1). */
    readonly fluxFailures: number;
    /** Registry storage used, percent of the SKU's included storage (default 80). */
    readonly registryStoragePercent: number;
}

/** Severity of each alert family. */
export interface AlertSeverities {
    /** Node CPU and memory pressure (default 2, Warning). */
    readonly node: AlertSeverity;
    /** Pods not ready and crash looping (default 2, Warning). */
    readonly pods: AlertSeverity;
    /** Failed Flux reconciliations: the platform stopped delivering (default 1, Error). */
    readonly flux: AlertSeverity;
    /** Registry storage near its included quota (default 3, Informational). */
    readonly registry: AlertSeverity;
}

export interface OperationsConfig {
    /** Who gets the alert emails; at least one address. */
    readonly alertEmails: readonly string[];
    /** Optional webhook (Teams, Slack, PagerDuty...) called with the common alert schema; secret. */
    readonly alertWebhookUrl?: pulumi.Output<string>;
    readonly thresholds: AlertThresholds;
    readonly severities: AlertSeverities;
}

const severity = (r: ConfigReader, key: ConfigKey): AlertSeverity =>
    r.integer(key, { min: 0, max: 4 }) as AlertSeverity;

export function readOperationsConfig(r: ConfigReader): OperationsConfig {
    const alertEmails = r.stringList("alertEmails", (email) =>
        isUpn(email) ? undefined : 'email addresses such as "platform-oncall@contoso.com"',
    );
    const raw = r.raw("alertEmails");
    if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
        r.problem(
            "alertEmails",
            raw,
            "a list of at least one email address that receives the platform's alerts",
        );
    }
    return {
        alertEmails,
        alertWebhookUrl: readWebhook(r),
        thresholds: {
            nodeCpuPercent: r.integer("alertNodeCpuPercent", { min: 1, max: 100 }),
            nodeMemoryPercent: r.integer("alertNodeMemoryPercent", { min: 1, max: 100 }),
            podRestarts: r.integer("alertPodRestarts", { min: 1, max: 1000 }),
            podsNotReady: r.integer("alertPodsNotReady", { min: 1, max: 1000 }),
            fluxFailures: r.integer("alertFluxFailures", { min: 1, max: 1000 }),
            registryStoragePercent: r.integer("alertRegistryStoragePercent", { min: 1, max: 100 }),
        },
        severities: {
            node: severity(r, "alertNodeSeverity"),
            pods: severity(r, "alertPodSeverity"),
            flux: severity(r, "alertFluxSeverity"),
            registry: severity(r, "alertRegistrySeverity"),
        },
    };
}

/**
 * The webhook is optional, so it is not declared in Pulumi.yaml (a declared key without a default is
 * required by the CLI, and a secret cannot have a default). It must be a secret and an https URL; the
 * value itself is never echoed in a problem.
 */
function readWebhook(r: ConfigReader): pulumi.Output<string> | undefined {
    const url = r.optionalSecret("alertWebhookUrl");
    const plain = r.raw("alertWebhookUrl");
    if (url && !(typeof plain === "string" && isHttpsUrl(plain))) {
        r.problem(
            "alertWebhookUrl",
            "<secret value>",
            "an https:// URL, set with `pulumi config set --secret alertWebhookUrl`",
        );
        return undefined;
    }
    return url;
}
