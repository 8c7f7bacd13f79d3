import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_QUOTA } from "../../components/tenants/config";
import type { HelmTenant, KustomizeTenant, TenantGitSource } from "../../components/tenants/config";
import {
    helmRelease,
    helmRepository,
    ociChartUrl,
    ociRepository,
} from "../../components/tenants/delivery/helm";
import { gitRepository, kustomization } from "../../components/tenants/delivery/kustomize";
import {
    limitRange,
    namespaceManifest,
    reconcilerRole,
    reconcilerRoleBinding,
    reconcilerServiceAccount,
    resourceQuota,
} from "../../components/tenants/manifests";
import { quantity } from "../../src/quantity";
import { HELM_CHART_LAYER } from "../../src/flux";
import Ajv from "ajv";
import { validateObject } from "../support/schemas";
import HELM_RELEASE_2_9_FIELDS from "../fixtures/helm-controller-v1.6.3-helmrelease-spec-fragment.json";
import { appConfig, helmTeamConfig } from "../support/tenants";

const app = appConfig;

const helmTeam: HelmTenant = helmTeamConfig({
    quota: { ...DEFAULT_QUOTA, cpu: "8", memory: "16Gi", pods: 60 },
    apps: [app("back"), app("front", { web: true, dependsOn: ["back"], values: { replicaCount: 2 } })],
    flows: [{ from: "front", to: "back", port: 8080 }],
    timeout: "10m",
    remediationRetries: 4,
    retryInterval: "2m",
});

const git: TenantGitSource = {
    url: "https://github.com/example/dev-team2",
    branch: "main",
    path: "./deploy/staging",
    healthChecks: [],
};
const kustomizeTeam: KustomizeTenant = {
    ...helmTeam,
    name: "dev-team2",
    delivery: "kustomize",
    podSecurity: "baseline",
    apps: [app("app", { web: true })],
    flows: [],
    git,
};
const withGit = (extra: Partial<TenantGitSource>): KustomizeTenant => ({
    ...kustomizeTeam,
    git: { ...git, ...extra },
});

const REGISTRY = "acrtest.azurecr.io";
const valid = (object: unknown) => validateObject(structuredClone(object) as never);

describe("tenant manifests", () => {
    test("the namespace carries the tenant label and enforces, audits and warns at the team's pod security level", () => {
        const labels = namespaceManifest(kustomizeTeam).metadata.labels as Record<string, string>;
        assert.equal(labels["toolkit.fluxcd.io/tenant"], "dev-team2");
        for (const mode of ["enforce", "audit", "warn"])
            assert.equal(labels[`pod-security.kubernetes.io/${mode}`], "baseline");
        assert.equal(
            (namespaceManifest(helmTeam).metadata.labels as Record<string, string>)[
                "pod-security.kubernetes.io/enforce"
            ],
            "restricted",
        );
    });

    test("the quota caps requests at the configured figures and limits at pods times the default limits", () => {
        assert.deepEqual(resourceQuota(helmTeam).spec.hard, {
            "requests.cpu": "8",
            "limits.cpu": "30",
            "requests.memory": "16Gi",
            "limits.memory": "30Gi",
            "requests.ephemeral-storage": "8Gi",
            "limits.ephemeral-storage": "60Gi",
            "requests.storage": "20Gi",
            persistentvolumeclaims: "5",
            pods: "60",
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        });
    });

    for (const team of [helmTeamConfig(), helmTeam]) {
        test(`the quota's sums fit: ${team.quota.pods} pods at the LimitRange defaults stay within every cap`, () => {
            const hard = resourceQuota(team).spec.hard as Record<string, string>;
            const { limits } = team;
            const pods = team.quota.pods;
            const fits = (cap: string, perPod: string) =>
                assert.ok(
                    quantity(hard[cap]) >= pods * quantity(perPod),
                    `${cap} ${hard[cap]} < ${pods} x ${perPod}`,
                );
            fits("requests.cpu", limits.defaultRequestCpu);
            fits("requests.memory", limits.defaultRequestMemory);
            fits("requests.ephemeral-storage", limits.defaultRequestEphemeralStorage);
            fits("limits.cpu", limits.defaultCpu);
            fits("limits.memory", limits.defaultMemory);
            fits("limits.ephemeral-storage", limits.defaultEphemeralStorage);
        });
    }

    test("a team allowed load balancers gets that many, and NodePort Services stay refused at admission instead", () => {
        const hard = resourceQuota(helmTeamConfig({ loadBalancers: 2 })).spec.hard as Record<string, string>;
        assert.equal(hard["services.loadbalancers"], "2");
        assert.equal(hard["services.nodeports"], undefined);
    });

    test("the limit range gives containers the configured default requests and limits, ephemeral storage included", () => {
        assert.deepEqual(limitRange(helmTeam).spec.limits, [
            {
                type: "Container",
                default: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "1Gi" },
                defaultRequest: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "128Mi" },
            },
        ]);
    });

    test("the HelmRepository reads the ChartMuseum URL anonymously, with no secretRef", () => {
        const repository = helmRepository(helmTeam, "http://chartmuseum.chartmuseum.svc:8080");
        assert.equal(repository.metadata.namespace, "dev-team1");
        assert.equal(repository.spec.url, "http://chartmuseum.chartmuseum.svc:8080");
        assert.ok(!("secretRef" in repository.spec));
    });

    test("an OCIRepository follows the app's version on ACR with the Azure provider and selects the chart layer", () => {
        const repo = ociRepository(helmTeam, helmTeam.apps[1], "oci://acr.azurecr.io/helm/front");
        assert.equal(repo.metadata.name, "front");
        assert.deepEqual(repo.spec.ref, { semver: ">=0.1.0 <1.0.0" });
        assert.equal(repo.spec.provider, "azure");
        assert.deepEqual(repo.spec.layerSelector, { mediaType: HELM_CHART_LAYER, operation: "copy" });
    });

    test("a chart's OCI URL is the base and the chart name, whatever the base's trailing slash", () => {
        assert.equal(ociChartUrl("oci://acr.azurecr.io/helm/", "front"), "oci://acr.azurecr.io/helm/front");
        assert.equal(ociChartUrl("oci://acr.azurecr.io/helm", "front"), "oci://acr.azurecr.io/helm/front");
    });

    test("a ChartMuseum HelmRelease names chart, version and the team's HelmRepository", () => {
        const release = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY);
        assert.deepEqual(release.spec.chart, {
            spec: {
                chart: "back",
                version: ">=0.1.0 <1.0.0",
                sourceRef: { kind: "HelmRepository", name: "charts" },
                interval: "5m",
            },
        });
        assert.equal(release.spec.chartRef, undefined);
    });

    test("an ACR HelmRelease references the app's OCIRepository with chartRef", () => {
        const release = helmRelease(helmTeam, helmTeam.apps[1], { kind: "OCIRepository" }, REGISTRY);
        assert.deepEqual(release.spec.chartRef, { kind: "OCIRepository", name: "front" });
        assert.equal(release.spec.chart, undefined);
    });

    test("a HelmRelease runs as the reconciler in the team namespace with install and upgrade remediation", () => {
        const spec = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec;
        assert.equal(spec.serviceAccountName, "flux-reconciler");
        assert.equal(spec.targetNamespace, "dev-team1");
        assert.equal(spec.releaseName, "back");
        assert.equal(spec.timeout, "10m");
        assert.deepEqual(spec.install, { crds: "Skip", remediation: { retries: 4 } });
        assert.deepEqual(spec.upgrade, {
            crds: "Skip",
            cleanupOnFail: true,
            remediation: { retries: 4, remediateLastFailure: true, strategy: "rollback" },
        });
        assert.deepEqual(spec.rollback, { cleanupOnFail: true });
    });

    test("a HelmRelease depends on the releases of the apps it declares and carries its values", () => {
        const front = helmRelease(helmTeam, helmTeam.apps[1], { kind: "HelmRepository" }, REGISTRY);
        assert.deepEqual(front.spec.dependsOn, [{ name: "back" }]);
        assert.deepEqual(front.spec.values, {
            replicaCount: 2,
            image: { repository: "acrtest.azurecr.io/dev-team1/front" },
        });
        assert.equal(
            helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec.dependsOn,
            undefined,
        );
    });

    test("a HelmRelease points the chart's image at the environment's registry, whatever the team's values say", () => {
        const app = appConfig("front", {
            values: { image: { repository: "docker.io/evil/front", tag: "1.0.0" } },
        });
        const values = helmRelease(helmTeamConfig({ apps: [app] }), app, { kind: "HelmRepository" }, REGISTRY)
            .spec.values as Record<string, any>;
        assert.deepEqual(values.image, { repository: "acrtest.azurecr.io/dev-team1/front", tag: "1.0.0" });
    });

    test("a HelmRelease skips the CRDs a chart ships, on install and on upgrade (the reconciler may not create them)", () => {
        const spec = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY)
            .spec as Record<string, any>;
        assert.deepEqual([spec.install.crds, spec.upgrade.crds], ["Skip", "Skip"]);
    });

    test("an app whose chart has another name gets nameOverride: its pods carry the app's name, which the policies select", () => {
        const shop = app("shop", { chart: "nginx-unprivileged" });
        const values = helmRelease(
            helmTeamConfig({ apps: [shop] }),
            shop,
            { kind: "HelmRepository" },
            REGISTRY,
        ).spec.values as Record<string, any>;
        assert.equal(values.nameOverride, "shop");
    });

    test("an app whose chart has its name gets no nameOverride (the chart's own name already is the app's)", () => {
        const values = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec
            .values as Record<string, any>;
        assert.equal(values.nameOverride, undefined);
    });

    test("a HelmRelease runs the chart's Helm tests and fails the release when they fail", () => {
        const spec = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec;
        assert.deepEqual(spec.test, { enable: true, ignoreFailures: false });
    });

    test("a HelmRelease pins the post-render strategy so Flux 2.9's new default cannot change the test hooks", () => {
        const spec = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec;
        assert.equal(spec.postRenderStrategy, "nohooks");
    });

    test("a HelmRelease's Flux 2.9 fields are valid against helm-controller v1.6.3's CRD", () => {
        const spec = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec;
        const validate = new Ajv({ strict: false }).compile(HELM_RELEASE_2_9_FIELDS);
        assert.ok(validate(spec), JSON.stringify(validate.errors));
    });

    test("a HelmRelease corrects drift in the cluster but leaves an autoscaled Deployment's replicas alone", () => {
        const spec = helmRelease(helmTeam, helmTeam.apps[0], { kind: "HelmRepository" }, REGISTRY).spec;
        assert.deepEqual(spec.driftDetection, {
            mode: "enabled",
            ignore: [{ paths: ["/spec/replicas"], target: { kind: "Deployment" } }],
        });
    });

    test("the GitRepository follows the branch unless a tag or commit pins it", () => {
        assert.deepEqual(gitRepository(kustomizeTeam).spec.ref, { branch: "main" });
        assert.deepEqual(gitRepository(withGit({ tag: "v1.2.0" })).spec.ref, { tag: "v1.2.0" });
        const sha = "0123456789abcdef0123456789abcdef01234567";
        assert.deepEqual(gitRepository(withGit({ commit: sha })).spec.ref, { branch: "main", commit: sha });
    });

    test("a private Git repository gets the named credentials secret", () => {
        assert.equal(gitRepository(kustomizeTeam).spec.secretRef, undefined);
        assert.deepEqual(gitRepository(withGit({ secretName: "git-auth" })).spec.secretRef, {
            name: "git-auth",
        });
    });

    test("the Kustomization prunes the team's path into its namespace as the reconciler and waits for health", () => {
        const spec = kustomization(kustomizeTeam).spec;
        assert.deepEqual(spec.sourceRef, { kind: "GitRepository", name: "dev-team2" });
        assert.equal(spec.path, "./deploy/staging");
        assert.equal(spec.prune, true);
        assert.equal(spec.serviceAccountName, "flux-reconciler");
        assert.equal(spec.targetNamespace, "dev-team2");
        assert.equal(spec.retryInterval, "2m");
        assert.equal(spec.timeout, "10m");
        assert.equal(spec.wait, true);
    });

    test("listed health checks replace waiting for everything and are looked up in the team namespace", () => {
        const spec = kustomization(
            withGit({ healthChecks: [{ apiVersion: "apps/v1", kind: "Deployment", name: "app" }] }),
        ).spec;
        assert.equal(spec.wait, false);
        assert.deepEqual(spec.healthChecks, [
            { apiVersion: "apps/v1", kind: "Deployment", name: "app", namespace: "dev-team2" },
        ]);
    });

    test("every manifest validates against its schema", async () => {
        const objects = [
            namespaceManifest(helmTeam),
            reconcilerServiceAccount(helmTeam),
            reconcilerRole(helmTeam),
            reconcilerRoleBinding(helmTeam),
            resourceQuota(helmTeam),
            limitRange(helmTeam),
            helmRepository(helmTeam, "http://chartmuseum.chartmuseum.svc:8080"),
            ociRepository(helmTeam, helmTeam.apps[0], "oci://acr.azurecr.io/helm/back"),
            ...helmTeam.apps.map((a) => helmRelease(helmTeam, a, { kind: "HelmRepository" }, REGISTRY)),
            ...helmTeam.apps.map((a) => helmRelease(helmTeam, a, { kind: "OCIRepository" }, REGISTRY)),
            gitRepository(withGit({ tag: "v1", secretName: "git-auth" })),
            kustomization(
                withGit({ healthChecks: [{ apiVersion: "apps/v1", kind: "Deployment", name: "app" }] }),
            ),
            kustomization(kustomizeTeam),
        ];
        for (const o of objects) await valid(o);
    });
});
