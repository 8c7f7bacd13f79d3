import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigReader } from "../../src/config/reader";

function reader(values: Record<string, string>, secretKeys: string[] = []): ConfigReader {
    pulumi.runtime.setAllConfig(values, secretKeys);
    return new ConfigReader("proj");
}

describe("config reader", () => {
    it("accepts a secret set with --secret", async () => {
        const r = reader({ "proj:githubToken": "s3cret" }, ["proj:githubToken"]);
        const value = r.requireSecret("githubToken");
        assert.equal(r.problems.length, 0);
        assert.equal(await pulumi.isSecret(value), true);
    });

    it("refuses a secret given in plaintext, without echoing it", () => {
        const r = reader({ "proj:githubToken": "s3cret" });
        r.requireSecret("githubToken");
        assert.equal(r.problems.length, 1);
        assert.equal(r.problems[0].key, "proj:githubToken");
        assert.doesNotMatch(new ConfigError(r.problems).message, /s3cret/);
        assert.match(new ConfigError(r.problems).message, /pulumi config set --secret githubToken/);
    });

    it("reports a missing required secret", () => {
        const r = reader({});
        r.requireSecret("githubToken");
        assert.match(new ConfigError(r.problems).message, /proj:githubToken: got nothing/);
    });

    it("lets an optional secret be absent", () => {
        const r = reader({});
        assert.equal(r.optionalSecret("alertWebhookUrl"), undefined);
        assert.equal(r.problems.length, 0);
    });

    it("parses structured values from JSON", () => {
        const r = reader({ "proj:platformAdmins": '["a","b"]' });
        assert.deepEqual(r.stringList("platformAdmins"), ["a", "b"]);
    });

    it("rejects a boolean that is not true or false", () => {
        const r = reader({ "proj:protect": "yes" });
        assert.equal(r.boolean("protect"), false);
        assert.match(new ConfigError(r.problems).message, /proj:protect: got "yes"; allowed: true or false/);
    });
});
