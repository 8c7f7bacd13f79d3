import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../../src/config/keys";
import { CRDS_ONLY_POST_RENDERER, FLUX_PREFLIGHT_ANNOTATION, seedContent } from "../../components/flux/flux";
import { FLUX_CHART_LINES, fluxPrerequisiteProblem } from "../../components/flux/config";
import { clusterKustomizationYaml } from "../../components/flux/manifests";
import { FAKE_GITHUB_FILES } from "../../tools/offline/cloud";
import { failureOf } from "../support/failingRun";
import {
    STACKS,
    OfflineRun,
    RegisteredResource,
    kubernetesObjects,
    one,
    run,
    runOnce,
} from "../support/program";
import { isFluxApiVersion } from "../support/schemas";

const CHART = "kubernetes:helm.sh/v4:Chart";
const FILE = "github:index/repositoryFile:RepositoryFile";
const key = (k: string) => `gitops-platform:${k}`;

/** Every resource `x` depends on, directly or through its dependencies. */
function dependsOnTransitively(
    r: OfflineRun,
    x: RegisteredResource,
    target: string,
    seen = new Set<string>(),
): boolean {
    for (const urn of x.dependencies) {
        if (urn === target) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const next = r.resources.find((y) => y.urn === urn);
        if (next && dependsOnTransitively(r, next, target, seen)) return true;
    }
    return false;
}

const fluxObject = (r: OfflineRun, kind: string, name: string) =>
    kubernetesObjects(r, kind).find(
        (x) => x.inputs.metadata?.name === name && isFluxApiVersion(x.inputs.apiVersion),
    )!;

for (const stack of STACKS) {
    describe(`Flux install and destroy order (${stack})`, () => {
        test("installs the current flux2 chart line: CRDs and controllers from the same chart and version", async () => {
            const r = await run(stack);
            const [crds, controllers] = [one(r, CHART, "-flux-crds"), one(r, CHART, "-flux-controllers")];
            assert.equal(CONFIG_KEYS.fluxChartVersion.default, "2.19.0");
            for (const chart of [crds, controllers]) {
                assert.equal(chart.inputs.chart, "flux2");
                assert.equal(chart.inputs.version, CONFIG_KEYS.fluxChartVersion.default);
            }
            assert.equal(crds.inputs.values.installCRDs, true);
            assert.equal(controllers.inputs.values.installCRDs, false);
            assert.deepEqual(crds.inputs.postRenderer, {
                command: "node",
                args: ["-e", CRDS_ONLY_POST_RENDERER],
            });
            assert.equal(controllers.inputs.postRenderer, undefined);
        });

        test("keeps the chart's own network policies off (the platform's replace them) and the lockdown flags in both renders", async () => {
            const r = await run(stack);
            for (const chart of [one(r, CHART, "-flux-crds"), one(r, CHART, "-flux-controllers")]) {
                assert.equal(chart.inputs.values.policies.create, false);
                assert.ok(
                    chart.inputs.values.kustomizeController.container.additionalArgs.includes(
                        "--no-cross-namespace-refs=true",
                    ),
                );
            }
        });

        test("creates the controllers after the CRDs, so on destroy the CRDs go last", async () => {
            const r = await run(stack);
            const [crds, controllers] = [one(r, CHART, "-flux-crds"), one(r, CHART, "-flux-controllers")];
            assert.ok(controllers.dependencies.includes(crds.urn));
            assert.ok(!crds.dependencies.includes(controllers.urn));
        });

        test("deletes every Flux object before the controllers that finalize it: each depends on them", async () => {
            const r = await run(stack);
            const controllers = one(r, CHART, "-flux-controllers").urn;
            const fluxObjects = r.resources.filter((x) =>
                isFluxApiVersion(String(x.inputs.apiVersion ?? "")),
            );
            assert.ok(fluxObjects.length >= 6);
            for (const x of fluxObjects) assert.ok(dependsOnTransitively(r, x, controllers), x.name);
        });

        test("makes the fleet Kustomization wait for what it applies, and wait for its removal on destroy", async () => {
            const spec = fluxObject(await run(stack), "Kustomization", "flux-system").inputs.spec;
            assert.equal(spec.wait, true);
            assert.equal(spec.deletionPolicy, "WaitForTermination");
        });

        test("records on flux-system the `flux check --pre` constraint the cluster passed", async () => {
            const namespace = one(await run(stack), "kubernetes:core/v1:Namespace", "flux-namespace");
            assert.equal(
                namespace.inputs.metadata.annotations[FLUX_PREFLIGHT_ANNOTATION],
                "kubernetes>=1.34",
            );
        });

        test("keeps the seeded cluster folder on destroy and adopts it on the next create", async () => {
            const file = one(await run(stack), FILE, "flux-cluster-folder");
            assert.equal(file.lifecycle!.retainOnDelete, true);
            assert.equal(file.inputs.overwriteOnCreate, true);
            assert.deepEqual([...file.lifecycle!.ignoreChanges].sort(), ["commitMessage", "content"]);
            assert.equal(file.inputs.content, clusterKustomizationYaml(stack, `clusters/${stack}`));
        });
    });
}

describe("a second up after a destroy", () => {
    test("rewrites the retained cluster folder with what it already holds, never with the seed", async () => {
        const kept =
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [apps.yaml]\n";
        FAKE_GITHUB_FILES.set("fleet-infra/main/clusters/staging/kustomization.yaml", kept);
        try {
            const file = one(await runOnce("staging", {}, {}), FILE, "flux-cluster-folder");
            assert.equal(file.inputs.content, kept);
            assert.equal(file.inputs.overwriteOnCreate, true);
        } finally {
            FAKE_GITHUB_FILES.clear();
        }
    });

    test("seeds only an absent or empty file", () => {
        assert.equal(seedContent(undefined, "seed"), "seed");
        assert.equal(seedContent("", "seed"), "seed");
        assert.equal(seedContent("mine", "seed"), "mine");
    });
});

describe("flux check --pre", () => {
    test("passes a cluster at or above the chart line's Kubernetes minimum", () => {
        assert.equal(fluxPrerequisiteProblem("2.19.0", "1.34.1"), undefined);
        assert.equal(fluxPrerequisiteProblem("2.19.0", "v1.36.2"), undefined);
    });

    test("fails an older cluster, naming both versions", () => {
        assert.match(
            fluxPrerequisiteProblem("2.19.0", "1.33.9")!,
            /Flux 2.9 \(flux2 chart 2.19.0\) needs Kubernetes 1.34 or later; the cluster runs 1.33.9/,
        );
    });

    test("stops the program before flux-system when AKS runs an older Kubernetes than Flux supports", async () => {
        const failure = await failureOf("staging", {}, { defaultVersion: "1.33.6" });
        assert.match(
            failure ?? "it ran",
            /flux check --pre failed: Flux 2.9 \(flux2 chart 2.19.0\) needs Kubernetes 1.34 or later; the cluster runs 1.33.6/,
        );
    });

    test("knows only vetted chart lines, and refuses another", async () => {
        assert.deepEqual(Object.keys(FLUX_CHART_LINES).sort(), ["2.19"]);
        await assert.rejects(
            run("staging", { [key("fluxChartVersion")]: "2.18.3" }),
            /gitops-platform:fluxChartVersion: got "2.18.3"; allowed: an exact chart version MAJOR.MINOR.PATCH of a vetted line \(2.19.x\)/,
        );
    });
});

describe("the CRDs-only post-renderer", () => {
    test("keeps the CustomResourceDefinitions of a rendered chart and drops everything else", () => {
        const rendered = [
            "---\n# Source: flux2/templates/source-controller.crds.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gitrepositories.source.toolkit.fluxcd.io\nspec:\n  names:\n    kind: GitRepository\n",
            "---\n# Source: flux2/templates/source-controller.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: source-controller\n",
            "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: kustomizations.kustomize.toolkit.fluxcd.io\n",
        ].join("");
        const output = execFileSync(process.execPath, ["-e", CRDS_ONLY_POST_RENDERER], {
            input: rendered,
            encoding: "utf8",
        });
        const docs = output
            .split(/^---$/m)
            .filter((d) => d.trim())
            .map((d) => parse(d));
        assert.deepEqual(
            docs.map((d) => `${d.kind}/${d.metadata.name}`),
            [
                "CustomResourceDefinition/gitrepositories.source.toolkit.fluxcd.io",
                "CustomResourceDefinition/kustomizations.kustomize.toolkit.fluxcd.io",
            ],
        );
    });
});
