import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STACKS, byUrn, isWireSecret, run } from "./support/program";
import { unwrap } from "../tools/offline/run";

/** Walks wire inputs, skipping values that travel as secrets, and yields every plaintext string. */
function* plaintextStrings(value: unknown): Generator<string> {
    if (isWireSecret(value)) return;
    if (typeof value === "string") yield value;
    else if (Array.isArray(value)) for (const v of value) yield* plaintextStrings(v);
    else if (value && typeof value === "object")
        for (const v of Object.values(value)) yield* plaintextStrings(v);
}

for (const stack of STACKS) {
    describe(`the whole program (${stack})`, () => {
        it("never passes a config secret in plaintext to any resource", async () => {
            const r = await run(stack);
            const secrets = Object.values(r.config.placeholders);
            assert.ok(secrets.length > 0 || r.config.secretKeys.length === 0);
            for (const resource of r.resources) {
                for (const text of plaintextStrings(resource.wireInputs)) {
                    for (const s of secrets)
                        assert.ok(
                            !text.includes(s),
                            `${resource.type} ${resource.name} carries a secret in plaintext`,
                        );
                }
            }
        });

        it("exports secret-bearing outputs only as secrets", async () => {
            const r = await run(stack);
            assert.ok(r.secretOutputs.includes("kubeconfig"));
            const secrets = Object.values(r.config.placeholders);
            for (const [key, value] of Object.entries(r.outputs)) {
                if (r.secretOutputs.includes(key)) continue;
                for (const s of secrets)
                    assert.ok(!JSON.stringify(value ?? "").includes(s), `output ${key} leaks a secret`);
            }
        });

        it("types every component of ours with a three-part gitops token", async () => {
            // Components that providers implement (helm.sh/v4 Chart) keep their package's token.
            const providerPackages = ["kubernetes"];
            const components = (await run(stack)).resources.filter(
                (x) => !x.custom && !providerPackages.includes(x.type.split(":")[0]),
            );
            assert.ok(components.length > 0);
            for (const c of components) assert.match(c.type, /^gitops:[a-z]+:[A-Z][A-Za-z]+$/);
        });

        it("places every cloud resource inside a component", async () => {
            const r = await run(stack);
            for (const resource of r.resources.filter((x) => x.custom)) {
                const parent = byUrn(r, resource.parent);
                assert.ok(
                    parent && !parent.custom,
                    `${resource.type} ${resource.name} has no component parent`,
                );
            }
        });

        it("registers every resource under a unique URN", async () => {
            const urns = (await run(stack)).resources.map((x) => x.urn);
            assert.equal(new Set(urns).size, urns.length);
        });
    });
}

describe("components renamed since the first release", () => {
    const renamed = [
        {
            type: "gitops:identities:Identities",
            name: "gitops-platform-staging-identities",
            was: "gitops:identity:Identities::",
        },
        {
            type: "gitops:monitoring:Monitoring",
            name: "gitops-platform-staging-monitoring",
            was: "gitops:ops:Monitoring::gitops-platform-staging-ops",
        },
    ];
    for (const { type, name, was } of renamed) {
        it(`${type} carries an alias to ${was}, so up moves its resources instead of replacing them`, async () => {
            const r = await run("staging");
            const component = r.resources.find((x) => x.type === type && x.name === name);
            assert.ok(component, `${type} ${name} registered`);
            assert.ok(component.aliases.includes(was), JSON.stringify(component.aliases));
        });
    }

    it("keeps the Azure names of the action group and alert rules", async () => {
        const r = await run("staging");
        const group = r.resources.find((x) => x.type === "azure-native:monitor:ActionGroup");
        assert.equal(group?.inputs.actionGroupName, "gitops-platform-staging-ops-ag");
    });
});

describe("the image each environment's HelmReleases run", () => {
    for (const stack of STACKS) {
        it(`${stack}: is <the environment's registry>/<team>/<app>, set by the platform`, async () => {
            const r = await run(stack);
            const loginServer = String(unwrap(r.outputs.registryLoginServer));
            const releases = r.resources.filter(
                (x) => x.type === "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease",
            );
            assert.ok(releases.length > 0);
            for (const release of releases) {
                const team = release.inputs.metadata.namespace;
                assert.equal(
                    release.inputs.spec.values.image.repository,
                    `${loginServer}/${team}/${release.inputs.metadata.name}`,
                );
            }
        });
    }
});
