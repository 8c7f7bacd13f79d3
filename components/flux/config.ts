import type * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS } from "../../src/config/keys";
import { ConfigReader } from "../../src/config/reader";
import { isDuration, isSemver } from "../../src/config/validators";
import type { FluxNotifications } from "../../src/flux";

export const NOTIFICATION_PROVIDERS = ["none", "msteams", "slack", "github"] as const;
export type NotificationProviderType = (typeof NOTIFICATION_PROVIDERS)[number];

/** Where the fleet repository lives, and so what the Flux step creates around it. */
export type FleetRepositoryConfig =
    | {
          /** On GitHub: read (or created), with a read-only deploy key and the cluster folder seeded. */
          readonly kind: "github";
          /** GitHub user or organisation owning the fleet repository. */
          readonly githubOwner: string;
          /** Token the GitHub provider uses (repo administration, deploy keys, contents); secret. */
          readonly githubToken: pulumi.Output<string>;
          /** Name of the fleet repository Flux syncs from. */
          readonly repository: string;
          /** Create the repository (private, default branch protected) instead of using an existing one. */
          readonly createRepository: boolean;
      }
    | {
          /** Any git server Flux reads over http(s) without credentials (a cluster stack's). */
          readonly kind: "url";
          readonly url: string;
      };

/**
 * Who installs the Flux controllers: the platform from the pinned flux2 chart, or someone else
 * (`flux install`, the e2e), in which case the platform applies only Flux's configuration.
 */
export const FLUX_INSTALLS = ["chart", "external"] as const;
export type FluxInstall = (typeof FLUX_INSTALLS)[number];

/** What `flux bootstrap github --owner --repository --branch --path` took on the command line. */
export interface FluxConfig {
    readonly fleet: FleetRepositoryConfig;
    /** Whether the chart's controllers are the platform's to install. */
    readonly install: FluxInstall;
    /** Branch Flux follows. */
    readonly branch: string;
    /** Folder of this stack's cluster in the repository, without `./`, always under `clusters/`. */
    readonly path: string;
    /** Exact version of the fluxcd-community `flux2` Helm chart, which pins the Flux release. */
    readonly chartVersion: string;
    /** Helm repository the chart is fetched from: fluxcd-community's, or a mirror of it. */
    readonly chartRepository: string;
    /** How often source-controller fetches the fleet repository (Go duration). */
    readonly sourceInterval: string;
    /** How often kustomize-controller re-applies the cluster path (Go duration). */
    readonly reconcileInterval: string;
    readonly notifications: FluxNotifications;
}

/**
 * The flux2 chart lines the platform has vetted, by chart MAJOR.MINOR: the Flux release each ships
 * and the oldest Kubernetes it supports (what the chart's `flux check --pre` hook would check;
 * helm.v4.Chart never runs hooks, so the program checks it). A new line is added here after reading
 * its release notes (removed APIs need `flux migrate` before the bump).
 *
 * Only Flux 2.9: the teams' HelmReleases set `postRenderStrategy`, which helm-controller serves from
 * v1.6 (Flux 2.9) on; an older CRD would refuse the field. The chart repository gives each Flux minor
 * its own chart minor (fluxcd-community/helm-charts, charts/flux2/Chart.yaml: 2.17.0 = Flux 2.7.0 at
 * a9b28a6, 2.17.2 = 2.7.5 at 752ee7c; 2.18.0 = Flux 2.8.1 at 03f465b, 2.18.3 = 2.8.5 at 484b12c);
 * 2.19 is Flux 2.9 (helm-charts#287, merged 2026-07-13, "update charts to upstream version 2.9.1").
 * Flux 2.9 supports Kubernetes 1.34.1 and later (fluxcd/flux2 v2.9.0 release notes).
 */
export const FLUX_CHART_LINES: Readonly<
    Record<string, { readonly flux: string; readonly minimumKubernetes: string }>
> = {
    "2.19": { flux: "2.9", minimumKubernetes: "1.34" },
};

/** The vetted line of an exact chart version, or undefined. */
export function fluxChartLine(chartVersion: string): (typeof FLUX_CHART_LINES)[string] | undefined {
    return FLUX_CHART_LINES[chartVersion.split(".").slice(0, 2).join(".")];
}

function minorOf(version: string): [number, number] {
    const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
    return [major, minor];
}

/**
 * `flux check --pre`: why a cluster running `kubernetesVersion` cannot take the Flux of
 * `chartVersion`, or undefined when it can.
 */
export function fluxPrerequisiteProblem(chartVersion: string, kubernetesVersion: string): string | undefined {
    const line = fluxChartLine(chartVersion);
    if (!line)
        return `flux2 chart ${chartVersion} is not a vetted line (${Object.keys(FLUX_CHART_LINES).join(", ")})`;
    const [major, minor] = minorOf(kubernetesVersion);
    const [minMajor, minMinor] = minorOf(line.minimumKubernetes);
    if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
    return `Flux ${line.flux} (flux2 chart ${chartVersion}) needs Kubernetes ${line.minimumKubernetes} or later; the cluster runs ${kubernetesVersion}`;
}

/** A pinned kubernetesVersion Flux cannot run on is refused before anything is created. */
export function checkFluxPrerequisites(
    r: ConfigReader,
    flux: FluxConfig,
    kubernetesVersion: string | undefined,
    key: "kubernetesVersion" | "clusterKubernetesVersion" = "kubernetesVersion",
): void {
    if (!kubernetesVersion || !fluxChartLine(flux.chartVersion)) return;
    const problem = fluxPrerequisiteProblem(flux.chartVersion, kubernetesVersion);
    if (problem)
        r.problem(
            key,
            kubernetesVersion,
            `a version fluxChartVersion ${flux.chartVersion} supports: ${problem}`,
        );
}

/** GitHub's rule for user and organisation names. */
export function isGithubOwner(value: string): boolean {
    return /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(value);
}

/** GitHub's rule for repository names: up to 100 of letters, digits, `.`, `_`, `-`; not `.` or `..`. */
export function isGithubRepositoryName(value: string): boolean {
    return (
        /^[A-Za-z0-9._-]{1,100}$/.test(value) && value !== "." && value !== ".." && !value.endsWith(".git")
    );
}

/** A branch name git accepts (a conservative subset of `git check-ref-format --branch`). */
export function isBranchName(value: string): boolean {
    return (
        /^[A-Za-z0-9._/-]+$/.test(value) &&
        !value.startsWith("-") &&
        !value.startsWith("/") &&
        !value.endsWith("/") &&
        !value.endsWith(".lock") &&
        !value.includes("..") &&
        !value.includes("//")
    );
}

/**
 * Normalises a fleet path (`./clusters/prod/`, `clusters/prod`) to `clusters/prod`; undefined when the
 * path leaves `clusters/` (absolute, `..` segments, another top folder).
 */
export function normaliseClusterPath(value: string): string | undefined {
    const trimmed = value.replace(/^\.\//, "").replace(/\/+$/, "");
    const segments = trimmed.split("/");
    if (segments[0] !== "clusters" || segments.length < 2) return undefined;
    if (segments.some((s) => s === "" || s === "." || s === ".." || !/^[A-Za-z0-9._-]+$/.test(s)))
        return undefined;
    return trimmed;
}

/** An environment stack's Flux: the fleet on GitHub, the controllers from the chart. */
export function readFluxConfig(r: ConfigReader, stack: string): FluxConfig {
    return {
        fleet: {
            kind: "github",
            githubOwner: r.string("githubOwner", {
                valid: isGithubOwner,
                allowed: 'a GitHub user or organisation name, e.g. "one-kubernetes"',
            }),
            githubToken: r.requireSecret("githubToken"),
            repository: r.string("fleetRepository", {
                valid: isGithubRepositoryName,
                allowed:
                    'a GitHub repository name: 1-100 letters, digits, ".", "_" or "-", e.g. "fleet-infra"',
            }),
            createRepository: r.boolean("fleetRepositoryCreate"),
        },
        install: "chart",
        chartRepository: readChartRepository(r, ["https:"]),
        ...readFluxSettings(r, stack),
    };
}

/** A cluster stack's Flux: a fleet at any http(s) git URL, the controllers from the chart or not ours. */
export function readClusterFluxConfig(r: ConfigReader, stack: string): FluxConfig {
    return {
        fleet: {
            kind: "url",
            url: r.string("fleetRepositoryUrl", {
                valid: (v) => /^https?:\/\/[^\s/]+(\/\S*)?$/.test(v),
                allowed:
                    'an http(s) URL Flux clones without credentials, e.g. "http://127.0.0.1:8174/fleet.git"',
            }),
        },
        install: r.oneOf("fluxInstall", FLUX_INSTALLS),
        chartRepository: readChartRepository(r, ["http:", "https:"]),
        ...readFluxSettings(r, stack),
    };
}

/** The flux2 chart's Helm repository: an absolute URL of one of `schemes`, no credentials in it. */
function readChartRepository(r: ConfigReader, schemes: readonly string[]): string {
    return r.string("fluxChartRepository", {
        valid: (v) => isRepositoryUrl(v, schemes),
        allowed: `an ${schemes.map((s) => s.replace(":", "")).join(" or ")} URL of a Helm repository without credentials, e.g. "${CONFIG_KEYS.fluxChartRepository.default}"`,
    });
}

/** An absolute URL of one of `schemes`, with a host and no user or password in it. */
export function isRepositoryUrl(value: string, schemes: readonly string[]): boolean {
    try {
        const url = new URL(value);
        return schemes.includes(url.protocol) && url.host !== "" && !url.username && !url.password;
    } catch {
        return false;
    }
}

function readFluxSettings(
    r: ConfigReader,
    stack: string,
): Omit<FluxConfig, "fleet" | "install" | "chartRepository"> {
    const provider = r.oneOf("fluxNotificationProvider", NOTIFICATION_PROVIDERS);
    const rawPath = r.optionalString("fleetPath") ?? `clusters/${stack}`;
    const path = normaliseClusterPath(rawPath);
    if (!path) {
        r.problem(
            "fleetPath",
            rawPath,
            'a folder under clusters/, e.g. "clusters/' + stack + '" (no "..", not absolute)',
        );
    }
    return {
        branch: r.string("fleetBranch", {
            valid: isBranchName,
            allowed: 'a git branch name, e.g. "main"',
        }),
        path: path ?? `clusters/${stack}`,
        chartVersion: r.string("fluxChartVersion", {
            valid: (v) => isSemver(v) && fluxChartLine(v) !== undefined,
            allowed: `an exact chart version MAJOR.MINOR.PATCH of a vetted line (${Object.keys(
                FLUX_CHART_LINES,
            )
                .map((l) => `${l}.x`)
                .join(", ")}), e.g. "${CONFIG_KEYS.fluxChartVersion.default}"`,
        }),
        sourceInterval: r.string("fluxSourceInterval", {
            valid: isDuration,
            allowed: 'a Go duration such as "1m" or "30s"',
        }),
        reconcileInterval: r.string("fluxReconcileInterval", {
            valid: isDuration,
            allowed: 'a Go duration such as "10m" or "1h"',
        }),
        notifications: readNotifications(r, provider),
    };
}

function readNotifications(r: ConfigReader, provider: NotificationProviderType): FluxNotifications {
    switch (provider) {
        case "none":
            return { provider };
        case "msteams":
        case "slack":
            return { provider, webhookUrl: r.requireSecret("fluxNotificationWebhookUrl") };
        case "github":
            return { provider, token: r.requireSecret("fluxNotificationToken") };
    }
}
