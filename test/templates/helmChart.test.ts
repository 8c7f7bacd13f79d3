// The Helm kit's chart. helm cannot be installed here, so the chart is checked as files (Chart.yaml,
// values.yaml, the templates' text) and rendered with test/support/helmSubset.ts, a renderer of the
// subset of Helm's template language the chart uses, which throws on anything else. The team's own
// CI runs the real `helm lint --strict` and `helm template` (README.md "Starter kits").
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { renderChart } from "../support/helmSubset";
import {
    APP_PORT,
    HELM_KIT,
    PLACEHOLDER_APP,
    PLACEHOLDER_TEAM,
    podSpecs,
    read,
    resourceProblems,
    validateKubernetesObject,
} from "../support/kits";
import { restrictedViolations } from "../support/podSecurity";
import { connects } from "../support/networkPolicy";
import { appConfig, helmTeamConfig } from "../support/tenants";
import { helmTestLabels, networkPolicies } from "../../components/tenants/networkPolicies";
import { SHARED_GATEWAY } from "../../src/gateway";

type Obj = Record<string, any>;

const CHART_DIR = join(HELM_KIT, "chart");
const CHART = parse(read(join(CHART_DIR, "Chart.yaml"))) as Obj;
const VALUES = parse(read(join(CHART_DIR, "values.yaml"))) as Obj;
const TEMPLATE_FILES = [
    "_helpers.tpl",
    "deployment.yaml",
    "service.yaml",
    "httproute.yaml",
    "tests/test-connection.yaml",
];
const TEMPLATES = new Map(TEMPLATE_FILES.map((f) => [f, read(join(CHART_DIR, "templates", f))]));
const RELEASE = { name: PLACEHOLDER_APP, namespace: PLACEHOLDER_TEAM };
const DIGEST = `sha256:${"ab".repeat(32)}`;

const validate = validateKubernetesObject;
const render = (values: Obj = {}) => renderChart(CHART_DIR, RELEASE, values).objects;
const isTestHook = (o: Obj) => o.metadata?.annotations?.["helm.sh/hook"] === "test";
const one = (objects: Obj[], kind: string, hook = false) => {
    const found = objects.filter((o) => o.kind === kind && isTestHook(o) === hook);
    assert.equal(found.length, 1, `one ${hook ? "test hook " : ""}${kind}`);
    return found[0];
};
const appContainer = (objects: Obj[]) => one(objects, "Deployment").spec.template.spec.containers[0];
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe("Helm kit: Chart.yaml", () => {
    it("is a v2 application chart named after the app", () => {
        assert.equal(CHART.apiVersion, "v2");
        assert.equal(CHART.type, "application");
        assert.equal(CHART.name, PLACEHOLDER_APP);
    });

    it("carries semver placeholders 0.0.0, which the pipeline replaces with the build version at package time", () => {
        assert.match(CHART.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/);
        assert.equal(CHART.version, "0.0.0");
        assert.equal(CHART.appVersion, "0.0.0", "a quoted string, as Helm wants it");
        assert.match(
            read(join(CHART_DIR, "Chart.yaml")),
            /helm package --version \$\(buildVersion\) --app-version \$\(buildVersion\)/,
        );
    });
});

describe("Helm kit: values.yaml", () => {
    it("carries the platform's image contract: image.repository <registry>/<team>/<app>, image.tag and an empty image.digest", () => {
        assert.match(
            VALUES.image.repository,
            new RegExp(`^[a-z0-9.-]+/${PLACEHOLDER_TEAM}/${PLACEHOLDER_APP}$`),
        );
        assert.equal(VALUES.image.tag, "", "defaults to the chart's appVersion, the build version");
        assert.equal(VALUES.image.digest, "", "set by the platform in prod");
    });

    it("carries a pod and a container security context that pass Pod Security restricted", () => {
        const spec = {
            securityContext: VALUES.podSecurityContext,
            containers: [{ name: "app", securityContext: VALUES.securityContext }],
        };
        assert.deepEqual(restrictedViolations(spec), []);
        assert.equal(VALUES.securityContext.readOnlyRootFilesystem, true);
        assert.ok(
            Number.isInteger(VALUES.podSecurityContext.runAsUser) && VALUES.podSecurityContext.runAsUser > 0,
        );
    });

    it("probes liveness and readiness on /healthz at the http port", () => {
        for (const probe of [VALUES.livenessProbe, VALUES.readinessProbe])
            assert.deepEqual(probe.httpGet, { path: "/healthz", port: "http" });
        assert.equal(VALUES.containerPort, APP_PORT);
    });

    it("asks for resources within the tenant LimitRange defaults, requests within limits, for the app and the test pod", () => {
        assert.deepEqual(resourceProblems(VALUES.resources), []);
        assert.deepEqual(resourceProblems(VALUES.tests.resources), []);
    });

    it("names no test image: the test runs the app's own image, from the environment's registry", () => {
        assert.equal(VALUES.tests.image, undefined);
    });

    it("keeps the route off by default, and ships no Ingress nor NGINX setting", () => {
        assert.equal(VALUES.route.enabled, false);
        assert.equal(VALUES.ingress, undefined);
        assert.doesNotMatch(read(join(CHART_DIR, "values.yaml")), /nginx|ingressClass/i);
    });

    it("points the route at the platform's shared Gateway by default", () => {
        assert.deepEqual(VALUES.route.gateway, SHARED_GATEWAY);
    });
});

describe("Helm kit: template files", () => {
    it("read image.repository and image.digest, and the digest decides between repository@digest and repository:tag", () => {
        const helpers = TEMPLATES.get("_helpers.tpl")!;
        const image = /define "app\.image"([\s\S]*?)\{\{- end \}\}\s*$/m.exec(helpers)?.[1] ?? helpers;
        assert.match(image, /if \.Values\.image\.digest/);
        assert.match(image, /\{\{ \.Values\.image\.repository \}\}@\{\{ \.Values\.image\.digest \}\}/);
        assert.match(
            image,
            /\{\{ \.Values\.image\.repository \}\}:\{\{ default \.Chart\.AppVersion \.Values\.image\.tag \}\}/,
        );
        assert.match(TEMPLATES.get("deployment.yaml")!, /image: \{\{ include "app\.image" \. \| quote \}\}/);
    });

    it("hard-code no image: every image comes from the values", () => {
        for (const [file, text] of TEMPLATES) {
            for (const [, ref] of text.matchAll(/^\s*image:\s*(.+)$/gm))
                assert.match(ref, /\{\{.*\.Values|include "app\.image"/, `${file}: image ${ref}`);
        }
    });

    it("have a test hook: a Pod annotated helm.sh/hook: test", () => {
        const text = TEMPLATES.get("tests/test-connection.yaml")!;
        assert.match(text, /^kind: Pod$/m);
        assert.match(text, /^\s+helm\.sh\/hook: test$/m);
    });
});

describe("Helm kit: the chart rendered with its default values", () => {
    const objects = render();

    it("renders a Deployment, a Service and the helm test's Pod, and no HTTPRoute nor NetworkPolicy (the reconciler may not create one)", () => {
        assert.deepEqual(objects.map((o) => `${o.kind}${isTestHook(o) ? " (test)" : ""}`).sort(), [
            "Deployment",
            "Pod (test)",
            "Service",
        ]);
    });

    it("renders only objects that validate against the Kubernetes models", async () => {
        for (const o of objects) await validate(o);
    });

    it("renders pods, the app's and the test's, that pass Pod Security restricted", () => {
        const specs = objects.flatMap(podSpecs);
        assert.equal(specs.length, 2);
        for (const spec of specs) assert.deepEqual(restrictedViolations(spec), []);
    });

    it("renders every container with resources within the LimitRange defaults and a read-only root filesystem", () => {
        for (const c of objects.flatMap(podSpecs).flatMap((s) => s.containers)) {
            assert.deepEqual(resourceProblems(c.resources), [], c.name);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
        }
    });

    it("renders the image as repository:appVersion", () => {
        assert.equal(appContainer(objects).image, `${VALUES.image.repository}:${CHART.appVersion}`);
    });

    it("labels the pods app.kubernetes.io/name with the app's name, which the Service and the platform's NetworkPolicies select", () => {
        const labels = one(objects, "Deployment").spec.template.metadata.labels;
        assert.equal(labels["app.kubernetes.io/name"], PLACEHOLDER_APP);
        assert.ok(matches(one(objects, "Service").spec.selector, labels));
        assert.ok(matches(one(objects, "Deployment").spec.selector.matchLabels, labels));
    });

    it("serves on containerPort 8080 named http, which the probes and the Service target", () => {
        const c = appContainer(objects);
        assert.deepEqual(c.ports, [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }]);
        assert.deepEqual(one(objects, "Service").spec.ports, [
            { name: "http", port: APP_PORT, targetPort: "http", protocol: "TCP" },
        ]);
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        assert.equal(c.readinessProbe.httpGet.path, "/healthz");
        assert.equal(c.env.find((e: Obj) => e.name === "PORT").value, String(APP_PORT));
    });

    it("renders a test pod that calls the Service's /healthz and that the Service does not select", () => {
        const pod = one(objects, "Pod", true);
        const service = one(objects, "Service");
        assert.equal(
            pod.spec.containers[0].env.find((e: Obj) => e.name === "URL").value,
            `http://${service.metadata.name}:${service.spec.ports[0].port}/healthz`,
        );
        assert.equal(pod.spec.restartPolicy, "Never");
        assert.equal(pod.spec.containers[0].image, appContainer(objects).image);
        assert.ok(!matches(service.spec.selector, pod.metadata.labels));
    });

    it("labels the test pod as the platform's policies expect, so only it reaches the app's port", () => {
        const pod = one(objects, "Pod", true);
        const platform = networkPolicies({
            tenant: helmTeamConfig({
                name: PLACEHOLDER_TEAM,
                apps: [appConfig(PLACEHOLDER_APP, { port: APP_PORT })],
            }),
            tenants: [],
            gateway: SHARED_GATEWAY,
        });
        const app = {
            namespace: PLACEHOLDER_TEAM,
            labels: one(objects, "Deployment").spec.template.metadata.labels,
        };
        const test = { namespace: PLACEHOLDER_TEAM, labels: pod.metadata.labels };
        assert.ok(matches(helmTestLabels(PLACEHOLDER_APP), pod.metadata.labels));
        assert.ok(connects(platform, test, app, APP_PORT));
        assert.ok(!connects(platform, test, app, APP_PORT + 1));
    });
});

describe("Helm kit: the chart rendered with the platform's values", () => {
    it("renders repository@digest when the platform sets image.digest, even with a tag", () => {
        const repository = "acrgitopsplatformprod123456.azurecr.io/dev-team1/front";
        const objects = render({ image: { repository, tag: "0.4.0", digest: DIGEST } });
        assert.equal(appContainer(objects).image, `${repository}@${DIGEST}`);
    });

    it("renders repository:tag when a tag is set and no digest", () => {
        assert.equal(
            appContainer(render({ image: { tag: "1.2.3" } })).image,
            `${VALUES.image.repository}:1.2.3`,
        );
    });

    it("renders an HTTPRoute on the team's listener of the shared Gateway for its host, to the app's Service", async () => {
        const objects = render({ route: { enabled: true, host: "my-app.contoso.com" } });
        const route = one(objects, "HTTPRoute");
        await validate(route);
        assert.deepEqual(route.spec.parentRefs, [
            {
                group: "gateway.networking.k8s.io",
                kind: "Gateway",
                ...SHARED_GATEWAY,
                sectionName: "my-app.contoso.com",
            },
        ]);
        assert.deepEqual(route.spec.hostnames, ["my-app.contoso.com"]);
        assert.deepEqual(route.spec.rules[0].backendRefs, [
            { name: one(objects, "Service").metadata.name, port: VALUES.service.port },
        ]);
    });

    it("adds the team's environment variables after the ones the app needs", async () => {
        const objects = render({ env: [{ name: "LOG_LEVEL", value: "debug" }] });
        await validate(one(objects, "Deployment"));
        assert.deepEqual(
            appContainer(objects).env.map((e: Obj) => e.name),
            ["PORT", "APP_NAME", "APP_VERSION", "LOG_LEVEL"],
        );
    });

    it("still passes Pod Security restricted with every option on", () => {
        const objects = render({
            image: { digest: DIGEST },
            route: { enabled: true },
            replicaCount: 3,
        });
        for (const spec of objects.flatMap(podSpecs)) assert.deepEqual(restrictedViolations(spec), []);
    });
});

describe("Helm kit: the test renderer", () => {
    it("refuses a construct outside its subset instead of rendering it wrong", (t) => {
        const dir = mkdtempSync(join(tmpdir(), "chart-"));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        mkdirSync(join(dir, "templates"));
        writeFileSync(join(dir, "Chart.yaml"), "apiVersion: v2\nname: x\nversion: 0.0.0\n");
        writeFileSync(join(dir, "values.yaml"), "items: [a]\n");
        writeFileSync(
            join(dir, "templates", "cm.yaml"),
            "{{- range .Values.items }}\n- {{ . }}\n{{- end }}\n",
        );
        assert.throws(() => renderChart(dir, RELEASE), /range .* outside the subset/);
    });

    it("fails on a value the chart does not define, as helm lint --strict does", (t) => {
        const dir = mkdtempSync(join(tmpdir(), "chart-"));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        mkdirSync(join(dir, "templates"));
        writeFileSync(join(dir, "Chart.yaml"), "apiVersion: v2\nname: x\nversion: 0.0.0\n");
        writeFileSync(join(dir, "values.yaml"), "image: {}\n");
        writeFileSync(join(dir, "templates", "cm.yaml"), "x: {{ .Values.image.missing }}\n");
        assert.throws(() => renderChart(dir, RELEASE), /no entry for key "missing"/);
    });
});
