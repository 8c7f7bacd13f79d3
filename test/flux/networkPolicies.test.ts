// Flux's controllers, attacked: a tenant's pod (or any pod outside flux-system) trying to fetch
// artifacts, post forged events, hit the webhook receiver or scrape metrics is refused; only the
// controllers' own traffic inside flux-system gets through.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FLUX_CONTROLLERS, FLUX_PORTS, fluxNetworkPolicies } from "../../components/flux/networkPolicies";
import { networkPolicies } from "../../components/tenants/networkPolicies";
import { FLUX_NAMESPACE, GATEWAY_NAMESPACE } from "../../src/namespaces";
import { SHARED_GATEWAY } from "../../src/gateway";
import { Pod, connects } from "../support/networkPolicy";
import { validateObject } from "../support/schemas";
import { helmTeamConfig } from "../support/tenants";
import { one, run } from "../support/program";

const flux = fluxNetworkPolicies();
const controller = (name: string): Pod => ({ namespace: FLUX_NAMESPACE, labels: { app: name } });
const { source, kustomize, helm, notification } = FLUX_CONTROLLERS;
const ALL_PORTS = Object.values(FLUX_PORTS);

/** Pods that are not Flux's controllers: a tenant's, one in a namespace without policies, one of the shared Gateway. */
const outsiders: [string, Pod][] = [
    ["a tenant's pod", { namespace: "dev-team1", labels: { "app.kubernetes.io/name": "front" } }],
    ["a pod in default (no policies of its own)", { namespace: "default", labels: {} }],
    [
        "the shared Gateway's proxy",
        { namespace: GATEWAY_NAMESPACE, labels: { "gateway.networking.k8s.io/gateway-name": "shared" } },
    ],
    ["a pod in flux-system posing as nothing", { namespace: FLUX_NAMESPACE, labels: { app: "debug" } }],
    ["a tenant's pod labelled like a controller", { namespace: "dev-team1", labels: { app: kustomize } }],
];

describe("Flux's network policies (attacks from outside)", () => {
    for (const [who, pod] of outsiders) {
        for (const target of Object.values(FLUX_CONTROLLERS)) {
            test(`${who} reaches no port of ${target}`, () => {
                for (const port of ALL_PORTS)
                    assert.ok(!connects(flux, pod, controller(target), port), `${target}:${port}`);
            });
        }
    }

    test("a tenant's pod is refused even if its own namespace's policies let it out", () => {
        const tenantPolicies = networkPolicies({
            tenant: helmTeamConfig({ egress: [{ cidr: "0.0.0.0/0", ports: [9090], apps: [] }] }),
            tenants: [helmTeamConfig()],
            gateway: SHARED_GATEWAY,
        });
        const pod: Pod = { namespace: "dev-team1", labels: {}, ip: "10.244.0.9" };
        assert.ok(!connects([...flux, ...tenantPolicies], pod, controller(notification), FLUX_PORTS.http));
    });
});

describe("Flux's network policies (the node's identity)", () => {
    for (const target of Object.values(FLUX_CONTROLLERS)) {
        test(`attack: ${target} cannot reach IMDS or the WireServer (the node's identity, which reads the whole registry)`, () => {
            for (const ip of ["169.254.169.254", "168.63.129.16"])
                for (const port of [80, 443, 32526])
                    assert.ok(!connects(flux, controller(target), { ip }, port), `${ip}:${port}`);
        });
    }

    test("the controllers still reach GitHub, the registry, Azure AD, the API server and CoreDNS", () => {
        const coreDns: Pod = {
            namespace: "kube-system",
            labels: { "k8s-app": "kube-dns" },
            ip: "10.244.0.5",
        };
        for (const target of Object.values(FLUX_CONTROLLERS)) {
            for (const ip of ["140.82.112.3", "20.49.104.7", "20.190.160.1", "10.0.0.1"])
                assert.ok(connects(flux, controller(target), { ip }, 443), `${target} -> ${ip}`);
            assert.ok(connects(flux, controller(target), coreDns, 53, "UDP"), `${target} -> DNS`);
        }
    });
});

describe("Flux's network policies (the controllers' own traffic)", () => {
    test("kustomize- and helm-controller fetch artifacts from source-controller", () => {
        for (const from of [kustomize, helm])
            assert.ok(connects(flux, controller(from), controller(source), FLUX_PORTS.http), from);
    });

    test("source-, kustomize- and helm-controller post events to notification-controller", () => {
        for (const from of [source, kustomize, helm])
            assert.ok(connects(flux, controller(from), controller(notification), FLUX_PORTS.http), from);
    });

    test("nothing else opens: no metrics, no webhook receiver, not even between controllers", () => {
        assert.ok(!connects(flux, controller(notification), controller(source), FLUX_PORTS.http));
        for (const from of Object.values(FLUX_CONTROLLERS))
            for (const to of Object.values(FLUX_CONTROLLERS))
                for (const port of [FLUX_PORTS.metrics, FLUX_PORTS.webhookReceiver])
                    assert.ok(
                        !connects(flux, controller(from), controller(to), port),
                        `${from} -> ${to}:${port}`,
                    );
    });

    test("every policy is in flux-system, the platform's, and validates against the schema", async () => {
        for (const p of flux) {
            assert.equal(p.metadata.namespace, FLUX_NAMESPACE);
            assert.equal(p.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
            await validateObject(structuredClone(p) as never);
        }
    });
});

describe("Flux's network policies in the program", () => {
    test("flux-system gets them before the controllers start, and the chart's own policies are off", async () => {
        const r = await run("staging");
        const chart = one(r, "kubernetes:helm.sh/v4:Chart", "flux-controllers");
        const registered = r.resources.filter(
            (x) =>
                x.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                x.inputs.metadata.namespace === FLUX_NAMESPACE,
        );
        assert.deepEqual(
            registered.map((p) => p.inputs.metadata.name).sort(),
            flux.map((p) => p.metadata.name).sort(),
        );
        for (const p of registered) assert.ok(chart.dependencies.includes(p.urn), p.name);
        assert.deepEqual(chart.inputs.values.policies, { create: false });
    });
});
