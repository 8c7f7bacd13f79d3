// The platform's shared Gateway as pure manifests: one listener per host, each admitting one
// namespace's HTTPRoutes and terminating TLS with that host's owner's certificate.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sharedGateway, teamHosts } from "../../components/gateway/manifests";
import { SHARED_GATEWAY } from "../../src/gateway";
import { validateObject } from "../support/schemas";

const shop = {
    name: "shop",
    hosts: ["web.shop.example.com"],
    certificates: ["https://kv.vault.azure.net/certificates/shop"],
};
const blog = {
    name: "blog",
    hosts: ["blog.example.com"],
    certificates: ["https://kv.vault.azure.net/certificates/blog"],
};
const gateway = sharedGateway(SHARED_GATEWAY, [...teamHosts(shop), ...teamHosts(blog)]);
const listener = (name: string) => gateway.spec.listeners.find((l) => l.name === name)!;

describe("the shared Gateway", () => {
    it("terminates each team's hosts with that team's own certificate, never another team's", () => {
        assert.equal(
            (listener("web.shop.example.com") as any).tls.options[
                "kubernetes.azure.com/tls-cert-keyvault-uri"
            ],
            shop.certificates[0],
        );
        assert.equal(
            (listener("blog.example.com") as any).tls.options["kubernetes.azure.com/tls-cert-keyvault-uri"],
            blog.certificates[0],
        );
    });

    it("admits on each listener the HTTPRoutes of its host's namespace only, by the label the API server sets", () => {
        assert.deepEqual(listener("web.shop.example.com").allowedRoutes, {
            namespaces: {
                from: "Selector",
                selector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } },
            },
            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        });
    });

    it("names each listener after its host, which is what a route's sectionName names", () => {
        for (const l of gateway.spec.listeners) assert.equal(l.name, l.hostname);
    });

    it("serves a team without certificates over plain HTTP", () => {
        const plain = sharedGateway(SHARED_GATEWAY, teamHosts({ ...shop, certificates: [] }));
        assert.equal(plain.spec.listeners[0].protocol, "HTTP");
        assert.equal((plain.spec.listeners[0] as any).tls, undefined);
    });

    it("is the platform's object, on the app routing add-on's Gateway API class", async () => {
        assert.equal(gateway.spec.gatewayClassName, "approuting-istio");
        assert.equal(gateway.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
        assert.deepEqual(
            { namespace: gateway.metadata.namespace, name: gateway.metadata.name },
            SHARED_GATEWAY,
        );
        await validateObject(gateway);
        await validateObject(sharedGateway(SHARED_GATEWAY, teamHosts({ ...shop, certificates: [] })));
    });
});
