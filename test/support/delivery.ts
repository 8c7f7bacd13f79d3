import { teamChartRepositoryUrl } from "../../src/charts";
// Fixtures of the delivery loop's runs: the example apps (dev-team1's Helm app `front`, dev-team2's
// Kustomize app `app`), their team variable groups as the delivery stack fills them, the variables
// of one run, and the Flux objects the stand-in kubectl answers with.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
    type Doc,
    PIPELINES_DIR,
    PLATFORM_REPOSITORY,
    PROJECT_DIR,
    TEMPLATES_DIR,
    expand,
} from "./pipelines";
import type { Sandbox } from "./sandbox";

export const HELM_EXAMPLE = join(PIPELINES_DIR, "examples", "helm-app", "ci-pipeline.yml");
export const KUSTOMIZE_EXAMPLE = join(PIPELINES_DIR, "examples", "kustomize-app", "ci-pipeline.yml");
export const HELM_STAGES = join(TEMPLATES_DIR, "ci-helm-stages-template.yml");
export const KUSTOMIZE_STAGES = join(TEMPLATES_DIR, "ci-kustomize-stages-template.yml");
export const KUSTOMIZE_KIT = join(PROJECT_DIR, "templates", "kustomize-app");

/** The patch number Azure Pipelines' counter gives this run. */
export const PATCH = "7";
export const DIGEST = `sha256:${"4f".repeat(32)}`;
export const OLD_DIGEST = `sha256:${"0a".repeat(32)}`;
export const OCI_CHART_DIGEST = `sha256:${"c3".repeat(32)}`;
// A stand-in, shaped like no real credential so secret scanners stay quiet.
export const TOKEN = "offline-promotion-token-of-the-team";
export const BUILT_COMMIT = "1f0e2d3c4b5a69788796a5b4c3d2e1f001234567";

export type ChartRepositoryKind = "chartmuseum" | "acr-oci";

export const sha256 = (content: string | Buffer) =>
    `sha256:${createHash("sha256").update(content).digest("hex")}`;

/** A team's variable group as the delivery stack creates it. */
export function teamGroup(team: string, kind: ChartRepositoryKind = "chartmuseum"): Record<string, string> {
    const group: Record<string, string> = {
        teamName: team,
        chartRepositoryKind: kind,
        platformRepository: PLATFORM_REPOSITORY,
        teamFile: `tenants/${team}.yaml`,
        promotionToken: TOKEN,
    };
    for (const e of ["staging", "prod"]) {
        const registry = `acrgitops${e}`;
        Object.assign(group, {
            [`${e}.registryName`]: registry,
            [`${e}.registryLoginServer`]: `${registry}.azurecr.io`,
            [`${e}.resourceGroup`]: `rg-gitops-${e}`,
            [`${e}.clusterName`]: `aks-gitops-${e}`,
        });
        if (kind === "chartmuseum") {
            Object.assign(group, {
                [`${e}.chartRepositoryUrl`]: `https://charts.${e}.gitops.example.com`,
                [`${e}.chartRepositoryToken`]: `${e}-chart-token-of-${team}`,
            });
        } else {
            group[`${e}.chartRepositoryUrl`] = teamChartRepositoryUrl(
                kind,
                `oci://${registry}.azurecr.io`,
                team,
            );
        }
    }
    return group;
}

/** The variables an example pipeline defines (ci-vars-template.yml), with this run's counter. */
export function pipelineVariables(pipelineFile: string): Record<string, string> {
    const pipeline = expand(pipelineFile);
    const variables: Record<string, string> = {};
    for (const v of pipeline.variables as Doc[]) if (v.name) variables[v.name] = v.value;
    variables.versionPatch = PATCH;
    return variables;
}

/** Everything a step of one run of `pipelineFile` can read: group, shared, predefined, release. */
export function runVariables(
    sandbox: Sandbox,
    pipelineFile: string,
    team: string,
    kind: ChartRepositoryKind = "chartmuseum",
    release: Record<string, string> = {},
): Record<string, string> {
    return {
        ...teamGroup(team, kind),
        ...pipelineVariables(pipelineFile),
        "Agent.TempDirectory": join(sandbox.root, "agent-temp"),
        "Build.ArtifactStagingDirectory": join(sandbox.root, "artifacts"),
        "Build.BuildId": "4242",
        "Build.Repository.Name": `one-kubernetes/${team}`,
        "Build.SourceBranch": "refs/heads/main",
        "Build.SourceVersion": BUILT_COMMIT,
        "System.CollectionUri": "https://dev.azure.com/one-kubernetes/",
        "System.TeamProject": "delivery",
        ...release,
    };
}

/** The stages an app's pipeline runs, from its stages template, with the parameters a test needs. */
/** A stages template expanded as dev-team1's pipeline would (`team` is its one required parameter). */
export const stagesOf = (stagesTemplate: string, parameters: Doc = {}) =>
    expand(stagesTemplate, { team: "dev-team1", ...parameters }).stages as Doc[];

/** The kit's file, with the kit's placeholders renamed as dev-team2 did for its app `app`. */
export function kustomizeKitFile(path: string, prodLoginServer = "acrgitopsprod.azurecr.io"): string {
    return readFileSync(join(KUSTOMIZE_KIT, path), "utf8")
        .replace(/my-app/g, "app")
        .replace(/my-team/g, "dev-team2")
        .replace(/staging-registry\.azurecr\.io/g, "acrgitopsstaging.azurecr.io")
        .replace(/prod-registry\.azurecr\.io/g, prodLoginServer);
}

/** dev-team2's app repository: the Kustomize kit's deploy/ with the app at app/. */
export function kustomizeAppRepository(prodLoginServer?: string): Record<string, string> {
    const files: Record<string, string> = { "app/Dockerfile": "FROM scratch\n" };
    for (const path of [
        "deploy/base/kustomization.yaml",
        "deploy/base/deployment.yaml",
        "deploy/base/service.yaml",
        "deploy/staging/kustomization.yaml",
        "deploy/prod/kustomization.yaml",
    ])
        files[path] = kustomizeKitFile(path, prodLoginServer);
    return files;
}

// ---- Flux objects, as helm-controller and kustomize-controller report them -----------------------

const TIME = "2025-01-01T10:00:00Z";

export interface ReleaseState {
    readonly chartVersion: string;
    /** Helm's release status of the latest snapshot. */
    readonly status?: "deployed" | "pending-upgrade" | "failed" | "superseded";
    /** Phase of the chart's one test hook, or null when the tests did not run (yet). */
    readonly test?: "Succeeded" | "Failed" | "Running" | null;
    readonly ready?: "True" | "False" | "Unknown";
    readonly lastAttemptedRevision?: string;
    /**
     * The digest of the OCI artifact the chart came from, for an OCIRepository source: helm-controller
     * then writes the chart version as `<version>+<first 12 hex of the digest>` (history and
     * lastAttemptedRevision) and the digest as history[].ociDigest (helm-controller v1.6.3,
     * mutateChartWithSourceRevision). Undefined: a HelmRepository (ChartMuseum) source.
     */
    readonly ociDigest?: string;
}

/** helm-controller's chart version of `version` from an OCI artifact at `digest`, or `version`. */
export const recordedChartVersion = (version: string, ociDigest?: string) =>
    ociDigest ? `${version}+${ociDigest.replace(/^sha256:/, "").slice(0, 12)}` : version;

/** The HelmRelease `front` of dev-team1, its latest Helm release at `state` over an older one. */
export function helmRelease(state: ReleaseState): Doc {
    const { chartVersion, status = "deployed", test = "Succeeded", ready = "True" } = state;
    const { ociDigest } = state;
    const snapshot = (
        version: number,
        chart: string,
        releaseStatus: string,
        phase: string | null,
        digest = ociDigest,
    ) => ({
        // What helm-controller v1.6.2 and v1.6.4 record (seen in the e2e): install, upgrade or rollback.
        action: "upgrade",
        version,
        name: "front",
        namespace: "dev-team1",
        status: releaseStatus,
        chartName: "front",
        chartVersion: recordedChartVersion(chart, digest),
        appVersion: chart,
        ...(digest ? { ociDigest: digest } : {}),
        digest: sha256(`release ${version}`),
        configDigest: sha256("values"),
        firstDeployed: TIME,
        lastDeployed: TIME,
        ...(phase
            ? { testHooks: { "front-test-connection": { lastStarted: TIME, lastCompleted: TIME, phase } } }
            : {}),
    });
    return {
        apiVersion: "helm.toolkit.fluxcd.io/v2",
        kind: "HelmRelease",
        metadata: { name: "front", namespace: "dev-team1", generation: 2 },
        spec: {
            interval: "5m",
            ...(ociDigest
                ? { chartRef: { kind: "OCIRepository", name: "front" } }
                : {
                      chart: {
                          spec: {
                              chart: "front",
                              version: ">=0.1.0 <1.0.0",
                              sourceRef: { kind: "HelmRepository", name: "charts" },
                          },
                      },
                  }),
            test: { enable: true },
        },
        status: {
            observedGeneration: 2,
            lastAttemptedRevision:
                state.lastAttemptedRevision ?? recordedChartVersion(chartVersion, ociDigest),
            lastAttemptedReleaseAction: "upgrade",
            conditions: [
                {
                    type: "Ready",
                    status: ready,
                    reason: ready === "True" ? "UpgradeSucceeded" : "Progressing",
                    message:
                        ready === "True"
                            ? `Helm upgrade succeeded for release dev-team1/front.v5 with chart front@${recordedChartVersion(chartVersion, ociDigest)}`
                            : "Reconciliation in progress",
                    lastTransitionTime: TIME,
                },
            ],
            // Newest first, as helm-controller keeps it; the script must not rely on the order.
            history: [
                snapshot(5, chartVersion, status, test),
                snapshot(4, "0.4.6", "superseded", "Succeeded", ociDigest && `sha256:${"0b".repeat(32)}`),
            ],
        },
    };
}

/** The Kustomization `dev-team2` (namespace dev-team2), having applied `commit` of main. */
export function kustomization(commit: string, ready: "True" | "False" | "Unknown" = "True"): Doc {
    return {
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
        kind: "Kustomization",
        metadata: { name: "dev-team2", namespace: "dev-team2", generation: 1 },
        spec: {
            interval: "5m",
            path: "./deploy/staging",
            prune: true,
            sourceRef: { kind: "GitRepository", name: "dev-team2" },
            targetNamespace: "dev-team2",
        },
        status: {
            observedGeneration: 1,
            lastAppliedRevision: `main@sha1:${commit}`,
            lastAttemptedRevision: `main@sha1:${commit}`,
            conditions: [
                {
                    type: "Ready",
                    status: ready,
                    reason: ready === "True" ? "ReconciliationSucceeded" : "Progressing",
                    message:
                        ready === "True"
                            ? `Applied revision: main@sha1:${commit}`
                            : "Health check in progress",
                    lastTransitionTime: TIME,
                },
            ],
        },
    };
}
