import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AppConfig, FlowConfig, HelmTenant, TenantConfig } from "../../components/tenants/config";
import { appConfig, helmTeamConfig } from "../support/tenants";
import {
    NetworkPolicyManifest,
    networkPolicies,
    resolvedFlows,
} from "../../components/tenants/networkPolicies";
import { validateObject } from "../support/schemas";

const INGRESS = "app-routing-system";

const app = (name: string, extra: Partial<AppConfig> = {}) => appConfig(name, { version: "1.0.0", ...extra });

function team(
    name: string,
    apps: readonly ReturnType<typeof app>[],
    flows: readonly FlowConfig[] = [],
): HelmTenant {
    return helmTeamConfig({ name, apps, flows });
}

const team1: HelmTenant = team(
    "dev-team1",
    [app("back"), app("front", { web: true, port: 3000 })],
    [{ from: "front", to: "back", port: 8080 }],
);
const team2: HelmTenant = team("dev-team2", [app("app", { web: true })]);

const policiesOf = (t: TenantConfig, tenants: TenantConfig[]) =>
    networkPolicies({ tenant: t, tenants, ingressNamespace: INGRESS });
const named = (policies: NetworkPolicyManifest[], name: string) => {
    const found = policies.find((p) => p.metadata.name === name);
    assert.ok(found, `no policy ${name} in ${policies.map((p) => p.metadata.name).join(", ")}`);
    return found;
};
/** Every namespace a policy of `policies` lets traffic come from or go to, besides its own. */
const peerNamespaces = (policies: NetworkPolicyManifest[]) =>
    new Set(
        policies.flatMap((p) =>
            [
                ...(p.spec.ingress ?? []).flatMap((r) => r.from),
                ...(p.spec.egress ?? []).flatMap((r) => r.to),
            ].map(
                (peer) =>
                    peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ??
                    (peer.namespaceSelector ? "<any>" : "<own>"),
            ),
        ),
    );

describe("network policies", () => {
    test("default-deny selects every pod and denies ingress and egress", () => {
        const deny = named(policiesOf(team1, [team1, team2]), "default-deny");
        assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.equal(deny.metadata.namespace, "dev-team1");
    });

    test("every pod may resolve names with CoreDNS in kube-system, on port 53 only", () => {
        const dns = named(policiesOf(team1, [team1, team2]), "allow-dns");
        assert.deepEqual(dns.spec.podSelector, {});
        assert.deepEqual(dns.spec.egress, [
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    },
                ],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]);
    });

    test("the ingress controller's namespace may reach a web app on its port", () => {
        const web = named(policiesOf(team1, [team1, team2]), "allow-ingress-controller-to-front");
        assert.deepEqual(web.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "front" } });
        assert.deepEqual(web.spec.ingress, [
            {
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INGRESS } } }],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
        ]);
    });

    test("an app that is not web gets no ingress from the ingress controller", () => {
        const policies = policiesOf(team1, [team1, team2]);
        assert.ok(!policies.some((p) => p.metadata.name === "allow-ingress-controller-to-back"));
        const toBack = policies.filter(
            (p) => p.spec.ingress && p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === "back",
        );
        assert.ok(toBack.every((p) => !peerNamespaces([p]).has(INGRESS)));
    });

    test("a declared front -> back flow opens front's egress and back's ingress inside the namespace", () => {
        const policies = policiesOf(team1, [team1, team2]);
        const egress = named(policies, "egress-front-to-dev-team1-back-8080");
        assert.deepEqual(egress.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "front" } });
        assert.deepEqual(egress.spec.egress, [
            {
                to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "back" } } }],
                ports: [{ protocol: "TCP", port: 8080 }],
            },
        ]);
        const ingress = named(policies, "ingress-dev-team1-front-to-back-8080");
        assert.deepEqual(ingress.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "back" } });
        assert.deepEqual(ingress.spec.ingress, [
            {
                from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "front" } } }],
                ports: [{ protocol: "TCP", port: 8080 }],
            },
        ]);
    });

    test("without a declared cross-team flow, no policy names another team's namespace", () => {
        for (const t of [team1, team2]) {
            assert.deepEqual(
                [...peerNamespaces(policiesOf(t, [team1, team2]))].sort(),
                ["<own>", INGRESS, "kube-system"].filter((n) => t === team1 || n !== "<own>").sort(),
            );
        }
    });

    test("a cross-team flow declared by the caller opens egress on its side and ingress on the callee's", () => {
        const caller = team("dev-team1", team1.apps, [
            ...team1.flows,
            { from: "front", to: "dev-team2/app", port: 8080 },
        ]);
        const egress = named(policiesOf(caller, [caller, team2]), "egress-front-to-dev-team2-app-8080");
        assert.deepEqual(egress.spec.egress?.[0].to, [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dev-team2" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "app" } },
            },
        ]);
        const ingress = named(policiesOf(team2, [caller, team2]), "ingress-dev-team1-front-to-app-8080");
        assert.equal(ingress.metadata.namespace, "dev-team2");
        assert.deepEqual(ingress.spec.ingress?.[0].from, [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dev-team1" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "front" } },
            },
        ]);
    });

    test("a cross-team flow declared by the callee opens both sides too", () => {
        const callee = team("dev-team2", team2.apps, [{ from: "dev-team1/front", to: "app", port: 8080 }]);
        assert.ok(
            policiesOf(team1, [team1, callee]).some(
                (p) => p.metadata.name === "egress-front-to-dev-team2-app-8080",
            ),
        );
        assert.ok(
            policiesOf(callee, [team1, callee]).some(
                (p) => p.metadata.name === "ingress-dev-team1-front-to-app-8080",
            ),
        );
    });

    test("a cross-team flow opens nothing in a third team", () => {
        const caller = team("dev-team1", team1.apps, [{ from: "front", to: "dev-team2/app", port: 8080 }]);
        const third = team("dev-team3", [app("api")]);
        assert.deepEqual(
            policiesOf(third, [caller, team2, third]).map((p) => p.metadata.name),
            ["default-deny", "allow-dns"],
        );
    });

    test("a flow declared by both teams gives one policy per side, not two", () => {
        const caller = team("dev-team1", team1.apps, [{ from: "front", to: "dev-team2/app", port: 8080 }]);
        const callee = team("dev-team2", team2.apps, [{ from: "dev-team1/front", to: "app", port: 8080 }]);
        assert.equal(resolvedFlows([caller, callee]).length, 1);
        const names = policiesOf(callee, [caller, callee]).map((p) => p.metadata.name);
        assert.equal(new Set(names).size, names.length);
    });

    test("the same config always gives the same policies", () => {
        assert.deepEqual(policiesOf(team1, [team1, team2]), policiesOf(team1, [team1, team2]));
    });

    test("every generated policy validates against the NetworkPolicy schema", async () => {
        const caller = team("dev-team1", team1.apps, [
            ...team1.flows,
            { from: "front", to: "dev-team2/app", port: 8080 },
        ]);
        for (const t of [caller, team2]) {
            for (const p of policiesOf(t, [caller, team2])) await validateObject(structuredClone(p) as never);
        }
    });
});
