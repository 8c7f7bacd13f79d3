import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { names } from "../src/naming";

describe("naming", () => {
    it("derives the same names from the same project and stack", () => {
        assert.deepEqual(names("gitops-platform", "prod"), names("gitops-platform", "prod"));
    });

    it("gives each stack its own globally unique registry and storage names", () => {
        const [a, b] = [names("gitops-platform", "staging"), names("gitops-platform", "prod")];
        assert.notEqual(a.registry, b.registry);
        assert.notEqual(a.storageAccount, b.storageAccount);
    });

    it("gives another organisation's deployment other globally unique names through the seed", () => {
        const [ours, theirs] = [
            names("gitops-platform", "prod", "contoso"),
            names("gitops-platform", "prod", "fabrikam"),
        ];
        assert.notEqual(ours.registry, theirs.registry);
        assert.notEqual(ours.storageAccount, theirs.storageAccount);
        assert.equal(ours.cluster, theirs.cluster);
    });

    it("keeps registry names alphanumeric within 5-50 characters", () => {
        const n = names("a-very-long-project-name-for-a-platform-team", "production-europe-west");
        assert.match(n.registry, /^[a-z0-9]{5,50}$/);
    });

    it("keeps storage account names lowercase alphanumeric within 3-24 characters", () => {
        const n = names("a-very-long-project-name-for-a-platform-team", "production-europe-west");
        assert.match(n.storageAccount, /^[a-z0-9]{3,24}$/);
    });
});
