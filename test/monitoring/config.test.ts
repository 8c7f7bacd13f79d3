import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { run, secret } from "../support/program";

describe("operations config", () => {
    it("defaults give Warning node and pod alerts, Error Flux alerts and an 80% registry budget", async () => {
        const r = await run("prod");
        assert.equal(r.config.values["gitops-platform:alertNodeCpuPercent"], "80");
        assert.equal(r.config.values["gitops-platform:alertFluxSeverity"], "1");
        assert.equal(r.config.values["gitops-platform:alertRegistryStoragePercent"], "80");
    });

    it("an address that is not an email is refused, naming alertEmails", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:alertEmails": ["platform-oncall"] }),
            /gitops-platform:alertEmails: got "platform-oncall"; allowed: email addresses/,
        );
    });

    it("an empty list of alert emails is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:alertEmails": [] }),
            /gitops-platform:alertEmails: .*at least one email/,
        );
    });

    it("a missing list of alert emails is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:alertEmails": undefined }),
            /gitops-platform:alertEmails: got nothing/,
        );
    });

    it("a webhook URL in plaintext is refused without echoing it", async () => {
        const attempt = run("staging", {
            "gitops-platform:alertWebhookUrl": "https://hooks.example.com/leak",
        });
        await assert.rejects(
            attempt,
            /gitops-platform:alertWebhookUrl: got "<plaintext value>"; allowed: a secret/,
        );
        await assert.rejects(attempt, (e: Error) => !e.message.includes("hooks.example.com"));
    });

    it("a webhook URL that is not https is refused without echoing it", async () => {
        const attempt = run("staging", {
            "gitops-platform:alertWebhookUrl": secret("http://hooks.example.com/x"),
        });
        await assert.rejects(
            attempt,
            /gitops-platform:alertWebhookUrl: got "<secret value>"; allowed: an https:\/\/ URL/,
        );
        await assert.rejects(attempt, (e: Error) => !e.message.includes("hooks.example.com"));
    });

    it("a severity outside 0-4 is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:alertPodSeverity": 5 }),
            /gitops-platform:alertPodSeverity: got "5"; allowed: an integer from 0 to 4/,
        );
    });

    it("a percent threshold above 100 is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:alertNodeMemoryPercent": 120 }),
            /gitops-platform:alertNodeMemoryPercent: got "120"; allowed: an integer from 1 to 100/,
        );
    });
});
