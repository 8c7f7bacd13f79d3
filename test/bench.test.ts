import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { criticalPath, generatedTenants, userPoolsFor } from "../tools/offline/bench";
import type { RegisteredResource } from "../tools/offline/run";
import { run } from "./support/program";

const node = (urn: string, parent = "", dependencies: string[] = [], provider = ""): RegisteredResource =>
    ({
        urn,
        type: `t:m:${urn}`,
        name: urn,
        custom: true,
        parent,
        dependencies,
        provider,
        inputs: {},
    }) as unknown as RegisteredResource;

describe("bench helpers", () => {
    it("the critical path follows both parent and dependency edges to the longest chain", () => {
        const resources = [
            node("a"),
            node("b", "a"),
            node("c", "", ["b"]),
            node("d", "a"),
            node("e", "d", ["c"]),
            node("f", "", ["a"]),
        ];
        assert.deepEqual(
            criticalPath(resources).chain.map((r) => r.urn),
            ["a", "b", "c", "e"],
        );
    });

    it("a resource also waits for its explicit provider", () => {
        const provider = "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s";
        const resources = [
            node("cluster"),
            node(provider, "", ["cluster"]),
            node("ns", "", [], `${provider}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`),
        ];
        assert.deepEqual(
            criticalPath(resources).chain.map((r) => r.urn),
            ["cluster", provider, "ns"],
        );
    });

    it("the generated tenants are a valid tenants config", async () => {
        const r = await run("staging", {
            "gitops-platform:tenants": generatedTenants(4),
            "gitops-platform:userPools": userPoolsFor(4),
        });
        assert.equal((r.outputs.tenantNamespaces as string[]).length, 4);
        assert.ok(r.resources.length > 0);
    });
});
