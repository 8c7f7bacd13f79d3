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
        const r = reader({ "proj:token": "s3cret" }, ["proj:token"]);
        const value = r.requireSecret("token");
        assert.equal(r.problems.length, 0);
        assert.equal(await pulumi.isSecret(value), true);
    });

    it("refuses a secret given in plaintext, without echoing it", () => {
        const r = reader({ "proj:token": "s3cret" });
        r.requireSecret("token");
        assert.equal(r.problems.length, 1);
        assert.equal(r.problems[0].key, "proj:token");
        assert.doesNotMatch(new ConfigError(r.problems).message, /s3cret/);
        assert.match(new ConfigError(r.problems).message, /pulumi config set --secret token/);
    });

    it("reports a missing required secret", () => {
        const r = reader({});
        r.requireSecret("token");
        assert.match(new ConfigError(r.problems).message, /proj:token: got nothing/);
    });

    it("lets an optional secret be absent", () => {
        const r = reader({});
        assert.equal(r.optionalSecret("webhook"), undefined);
        assert.equal(r.problems.length, 0);
    });

    it("parses structured values from JSON", () => {
        const r = reader({ "proj:list": '["a","b"]' });
        assert.deepEqual(r.stringList("list"), ["a", "b"]);
    });

    it("rejects a boolean that is not true or false", () => {
        const r = reader({ "proj:flag": "yes" });
        assert.equal(r.boolean("flag", false), false);
        assert.match(new ConfigError(r.problems).message, /proj:flag: got "yes"; allowed: true or false/);
    });
});
