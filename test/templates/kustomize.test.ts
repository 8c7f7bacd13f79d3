// The Kustomize kit's manifests, rendered by the real `kubectl kustomize` for both overlays: valid
// Kubernetes objects in the team's namespace, pods that pass Pod Security restricted and fit the
// LimitRange, staging on a tag the pipeline bumps, prod pinned by digest with more replicas.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import {
    APP_PORT,
    HELM_KIT,
    KUSTOMIZE_KIT,
    PLACEHOLDER_APP,
    PLACEHOLDER_TEAM,
    podSpecs,
    read,
    renderKustomizeOverlay,
    resourceProblems,
    validateKubernetesObject,
} from "../support/kits";
import { restrictedViolations } from "../support/podSecurity";

type Obj = Record<string, any>;

const OVERLAYS = ["staging", "prod"] as const;
type Overlay = (typeof OVERLAYS)[number];
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const kustomization = (overlay: string) =>
    parse(read(join(KUSTOMIZE_KIT, "deploy", overlay, "kustomization.yaml"))) as Obj;

describe("Kustomize kit: the overlays rendered by kubectl kustomize", () => {
    const rendered = {} as Record<Overlay, Obj[]>;
    const deployment = (overlay: Overlay) => rendered[overlay].find((o) => o.kind === "Deployment")!;
    const container = (overlay: Overlay) => deployment(overlay).spec.template.spec.containers[0];

    before(() => {
        for (const overlay of OVERLAYS) rendered[overlay] = renderKustomizeOverlay(overlay);
    });

    it("renders a Deployment and a Service in each overlay", () => {
        for (const overlay of OVERLAYS)
            assert.deepEqual(rendered[overlay].map((o) => o.kind).sort(), ["Deployment", "Service"], overlay);
    });

    it("renders only objects that validate against the Kubernetes models", async () => {
        for (const overlay of OVERLAYS) for (const o of rendered[overlay]) await validateKubernetesObject(o);
    });

    it("renders only pods that pass Pod Security restricted", () => {
        for (const overlay of OVERLAYS) {
            const specs = rendered[overlay].flatMap(podSpecs);
            assert.ok(specs.length > 0, overlay);
            for (const spec of specs) assert.deepEqual(restrictedViolations(spec), [], overlay);
        }
    });

    it("renders containers with resources within the LimitRange defaults and a read-only root filesystem", () => {
        for (const overlay of OVERLAYS) {
            for (const c of rendered[overlay].flatMap(podSpecs).flatMap((s) => s.containers)) {
                assert.deepEqual(resourceProblems(c.resources), [], `${overlay} ${c.name}`);
                assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${overlay} ${c.name}`);
            }
        }
    });

    it("puts every object in the team's namespace", () => {
        for (const overlay of OVERLAYS)
            for (const o of rendered[overlay])
                assert.equal(o.metadata.namespace, PLACEHOLDER_TEAM, `${overlay} ${o.kind}`);
    });

    it("runs more replicas in prod than in staging", () => {
        const [staging, prod] = OVERLAYS.map((o) => deployment(o).spec.replicas as number);
        assert.ok(prod > staging, `prod ${prod}, staging ${staging}`);
        assert.ok(prod >= 2, "prod survives losing a pod");
    });

    it("pins prod's image by digest, in the team's repository", () => {
        const [reference, digest] = container("prod").image.split("@");
        assert.match(digest, DIGEST);
        assert.match(reference, new RegExp(`^[a-z0-9.-]+/${PLACEHOLDER_TEAM}/${PLACEHOLDER_APP}$`));
    });

    it("runs staging's image by the tag the pipeline writes, in the team's repository", () => {
        assert.match(
            container("staging").image,
            new RegExp(`^[a-z0-9.-]+/${PLACEHOLDER_TEAM}/${PLACEHOLDER_APP}:\\d+\\.\\d+\\.\\d+$`),
        );
    });

    it("labels the pods app.kubernetes.io/name with the app's name, which the Service and the platform's NetworkPolicies select", () => {
        for (const overlay of OVERLAYS) {
            const labels = deployment(overlay).spec.template.metadata.labels;
            assert.equal(labels["app.kubernetes.io/name"], PLACEHOLDER_APP);
            const service = rendered[overlay].find((o) => o.kind === "Service")!;
            for (const [k, v] of Object.entries(service.spec.selector))
                assert.equal(labels[k], v, `${overlay} Service selector ${k}`);
        }
    });

    it("probes /healthz on containerPort 8080, which the Service targets", () => {
        for (const overlay of OVERLAYS) {
            const c = container(overlay);
            assert.deepEqual(c.ports, [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }]);
            assert.deepEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "http" });
            assert.deepEqual(c.readinessProbe.httpGet, { path: "/healthz", port: "http" });
            const service = rendered[overlay].find((o) => o.kind === "Service")!;
            assert.deepEqual(service.spec.ports, [
                { name: "http", port: APP_PORT, protocol: "TCP", targetPort: "http" },
            ]);
        }
    });
});

describe("Kustomize kit: the kustomizations", () => {
    it("give prod a syntactically valid sha256 digest and no tag", () => {
        const [image] = kustomization("prod").images;
        assert.match(image.digest, DIGEST);
        assert.equal(image.newTag, undefined);
    });

    it("rewrite the base's image name in both overlays, as the pipeline's `kustomize edit set image` does", () => {
        const base = parse(read(join(KUSTOMIZE_KIT, "deploy", "base", "deployment.yaml"))) as Obj;
        const name = base.spec.template.spec.containers[0].image;
        for (const overlay of OVERLAYS)
            assert.deepEqual(
                kustomization(overlay).images.map((i: Obj) => i.name),
                [name],
                overlay,
            );
    });

    it("run the app with the same security contexts, resources and probes as the Helm kit", () => {
        const base = parse(read(join(KUSTOMIZE_KIT, "deploy", "base", "deployment.yaml"))) as Obj;
        const values = parse(read(join(HELM_KIT, "chart", "values.yaml"))) as Obj;
        const pod = base.spec.template.spec;
        const [c] = pod.containers;
        assert.deepEqual(pod.securityContext, values.podSecurityContext);
        assert.deepEqual(c.securityContext, values.securityContext);
        assert.deepEqual(c.resources, values.resources);
        assert.deepEqual(c.livenessProbe, values.livenessProbe);
        assert.deepEqual(c.readinessProbe, values.readinessProbe);
        assert.equal(pod.terminationGracePeriodSeconds, values.terminationGracePeriodSeconds);
        assert.equal(pod.automountServiceAccountToken, false);
    });
});

describe("Kustomize kit: the checks themselves", () => {
    it("the model validation refuses an invalid Deployment, so a pass above means something", async () => {
        const invalid = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "x" },
            spec: { template: {} },
        };
        await assert.rejects(validateKubernetesObject(invalid), /Deployment "x": .*selector/);
    });
});
