import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AppConfig, FlowConfig, HelmTenant, TenantConfig } from "../../components/tenants/config";
import { appConfig, helmTeamConfig } from "../support/tenants";
import {
    APP_LABEL,
    helmTestLabels,
    networkPolicies,
    resolvedFlows,
} from "../../components/tenants/networkPolicies";
import { validateObject } from "../support/schemas";
import { Endpoint, Pod, connects } from "../support/networkPolicy";
import { FORBIDDEN_EGRESS, NetworkPolicyManifest } from "../../src/network";

const INGRESS = "platform-gateway";
const GATEWAY = { namespace: INGRESS, name: "shared" };
const GIT = { url: "https://github.com/example/dev-team2", branch: "main", path: "./", healthChecks: [] };
const pod = (namespace: string, labels: Record<string, string>): Pod => ({ namespace, labels });
/** An address inside a CIDR: the address itself for a /32, else the one after the network address. */
const addressIn = (cidr: string) => {
    const [ip, prefix] = cidr.split("/");
    const octets = ip.split(".");
    if (prefix !== "32") octets[3] = String(Number(octets[3]) + 1);
    return octets.join(".");
};

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
    networkPolicies({ tenant: t, tenants, gateway: GATEWAY });
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

    test("the shared Gateway's pods (only) may reach a web app on its port", () => {
        const web = named(policiesOf(team1, [team1, team2]), "allow-gateway-to-front");
        assert.deepEqual(web.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "front" } });
        assert.deepEqual(web.spec.ingress, [
            {
                from: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INGRESS } },
                        podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "shared" } },
                    },
                ],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
        ]);
    });

    test("during the move, the old ingress namespace still reaches web apps, under the policy's old name", () => {
        const moving = networkPolicies({
            tenant: team1,
            tenants: [team1, team2],
            gateway: GATEWAY,
            legacyIngressNamespace: "app-routing-system",
        });
        const legacy = named(moving, "allow-ingress-controller-to-front");
        assert.deepEqual(legacy.spec.ingress, [
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "app-routing-system" },
                        },
                    },
                ],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
        ]);
        assert.ok(!moving.some((p) => p.metadata.name === "allow-ingress-controller-to-back"));
        assert.ok(
            !policiesOf(team1, [team1, team2]).some((p) => p.metadata.name.startsWith("allow-ingress-")),
        );
    });

    test("an app that is not web gets no ingress from the shared Gateway", () => {
        const policies = policiesOf(team1, [team1, team2]);
        assert.ok(!policies.some((p) => p.metadata.name === "allow-gateway-to-back"));
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
                ["<own>", INGRESS, "kube-system"].sort(),
            );
        }
    });

    test("a cross-team flow both teams declare opens egress on the caller's side and ingress on the callee's", () => {
        const caller = team("dev-team1", team1.apps, [
            ...team1.flows,
            { from: "front", to: "dev-team2/app", port: 8080 },
        ]);
        const callee = team("dev-team2", team2.apps, [{ from: "dev-team1/front", to: "app", port: 8080 }]);
        const egress = named(policiesOf(caller, [caller, callee]), "egress-front-to-dev-team2-app-8080");
        assert.deepEqual(egress.spec.egress?.[0].to, [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dev-team2" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "app" } },
            },
        ]);
        const ingress = named(policiesOf(callee, [caller, callee]), "ingress-dev-team1-front-to-app-8080");
        assert.equal(ingress.metadata.namespace, "dev-team2");
        assert.deepEqual(ingress.spec.ingress?.[0].from, [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dev-team1" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "front" } },
            },
        ]);
    });

    test("attack: a flow into dev-team2 that only dev-team1 declares opens nothing in dev-team2", () => {
        const caller = team("dev-team1", team1.apps, [{ from: "front", to: "dev-team2/app", port: 8080 }]);
        const callee = policiesOf(team2, [caller, team2]);
        assert.ok(![...peerNamespaces(callee)].includes("dev-team1"));
        assert.ok(
            !connects(
                callee,
                pod("dev-team1", { [APP_LABEL]: "front" }),
                pod("dev-team2", { [APP_LABEL]: "app" }),
                8080,
            ),
        );
    });

    test("attack: a flow out of dev-team1 that only dev-team2 declares opens no egress in dev-team1", () => {
        const callee = team("dev-team2", team2.apps, [{ from: "dev-team1/front", to: "app", port: 8080 }]);
        const policies = policiesOf(team1, [team1, callee]);
        assert.ok(!policies.some((p) => p.metadata.name === "egress-front-to-dev-team2-app-8080"));
        assert.ok(![...peerNamespaces(policies)].includes("dev-team2"));
    });

    test("a cross-team flow opens nothing in a third team", () => {
        const caller = team("dev-team1", team1.apps, [{ from: "front", to: "dev-team2/app", port: 8080 }]);
        const callee = team("dev-team2", team2.apps, [{ from: "dev-team1/front", to: "app", port: 8080 }]);
        const third = team("dev-team3", [app("api")]);
        const policies = policiesOf(third, [caller, callee, third]);
        assert.deepEqual(
            policies.filter((p) => /dev-team[12]/.test(p.metadata.name)),
            [],
        );
        assert.ok(![...peerNamespaces(policies)].some((n) => /dev-team[12]/.test(n)));
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
        const callee = team("dev-team2", team2.apps, [{ from: "dev-team1/front", to: "app", port: 8080 }]);
        for (const t of [caller, callee]) {
            for (const p of policiesOf(t, [caller, callee]))
                await validateObject(structuredClone(p) as never);
        }
    });

    test("the helm test pod of an app reaches that app on its port, and nothing else of the namespace", () => {
        const policies = policiesOf(team1, [team1, team2]);
        const test = pod("dev-team1", helmTestLabels("back"));
        assert.ok(connects(policies, test, pod("dev-team1", { [APP_LABEL]: "back" }), 8080));
        assert.ok(!connects(policies, test, pod("dev-team1", { [APP_LABEL]: "back" }), 9090));
        assert.ok(!connects(policies, test, pod("dev-team1", { [APP_LABEL]: "front" }), 3000));
    });

    test("another team's pod labelled as a helm test is refused", () => {
        const policies = [...policiesOf(team1, [team1, team2]), ...policiesOf(team2, [team1, team2])];
        const impostor = pod("dev-team2", helmTestLabels("back"));
        assert.ok(!connects(policies, impostor, pod("dev-team1", { [APP_LABEL]: "back" }), 8080));
    });

    test("a kustomize team gets no helm test policies", () => {
        const kustomize: TenantConfig = { ...team2, delivery: "kustomize", git: GIT };
        const names = policiesOf(kustomize, [team1, kustomize]).map((p) => p.metadata.name);
        assert.ok(!names.some((n) => n.includes("helm-test")), names.join(", "));
    });
});

describe("declared egress", () => {
    const withEgress = (egress: HelmTenant["egress"]) => helmTeamConfig({ ...team1, egress });
    const policiesWith = (egress: HelmTenant["egress"]) =>
        policiesOf(withEgress(egress), [withEgress(egress), team2]);
    const front = pod("dev-team1", { [APP_LABEL]: "front" });
    const back = pod("dev-team1", { [APP_LABEL]: "back" });
    const external = (ip: string): Endpoint => ({ ip });

    test("nothing leaves the namespace but DNS when no egress is declared", () => {
        const policies = policiesOf(team1, [team1, team2]);
        for (const ip of ["203.0.113.10", "8.8.8.8", "20.50.0.1"])
            for (const port of [80, 443, 53])
                assert.ok(!connects(policies, front, external(ip), port), `${ip}:${port}`);
    });

    test("a declared CIDR is reachable on its ports only, from the listed apps only", () => {
        const policies = policiesWith([{ cidr: "203.0.113.0/24", ports: [443], apps: ["back"] }]);
        assert.ok(connects(policies, back, external("203.0.113.10"), 443));
        assert.ok(!connects(policies, back, external("203.0.113.10"), 80));
        assert.ok(!connects(policies, back, external("203.0.114.10"), 443));
        assert.ok(!connects(policies, front, external("203.0.113.10"), 443));
    });

    test("an egress without apps opens the CIDR to every pod of the team", () => {
        const policies = policiesWith([{ cidr: "203.0.113.0/24", ports: [443, 8443], apps: [] }]);
        for (const from of [front, back]) {
            assert.ok(connects(policies, from, external("203.0.113.1"), 443));
            assert.ok(connects(policies, from, external("203.0.113.1"), 8443));
        }
    });

    for (const { cidr, what } of FORBIDDEN_EGRESS) {
        test(`egress to 0.0.0.0/0 still cannot reach ${cidr} (${what.split(" (")[0]})`, () => {
            const policies = policiesWith([{ cidr: "0.0.0.0/0", ports: [80, 443], apps: [] }]);
            const inside = addressIn(cidr);
            for (const port of [80, 443])
                assert.ok(!connects(policies, front, external(inside), port), `${inside}:${port}`);
            assert.ok(connects(policies, front, external("203.0.113.10"), 443));
        });
    }

    test("egress to 0.0.0.0/0 does not open another team's pods", () => {
        const policies = [
            ...policiesWith([{ cidr: "0.0.0.0/0", ports: [8080], apps: [] }]),
            ...policiesOf(team2, [withEgress([]), team2]),
        ];
        const other: Pod = { namespace: "dev-team2", labels: { [APP_LABEL]: "app" }, ip: "10.244.3.7" };
        assert.ok(!connects(policies, front, other, 8080));
    });

    test("every declared egress policy validates against the NetworkPolicy schema", async () => {
        const policies = policiesWith([
            { cidr: "0.0.0.0/0", ports: [443], apps: [] },
            { cidr: "203.0.113.0/24", ports: [5432], apps: ["back"] },
        ]);
        for (const p of policies) await validateObject(structuredClone(p) as never);
    });
});
