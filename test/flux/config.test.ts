import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
    isBranchName,
    isGithubOwner,
    isGithubRepositoryName,
    normaliseClusterPath,
} from "../../components/flux/config";
import { run, secret } from "../support/program";

describe("Flux config validators", () => {
    test("GitHub repository names allow letters, digits, dot, dash and underscore only", () => {
        for (const ok of ["fleet-infra", "workshop", "fleet_infra.v2", "a"])
            assert.ok(isGithubRepositoryName(ok), ok);
        for (const bad of [
            "fleet infra",
            "fleet/infra",
            "",
            ".",
            "..",
            "x".repeat(101),
            "fleet.git",
            "flèet",
        ]) {
            assert.ok(!isGithubRepositoryName(bad), bad);
        }
    });

    test("GitHub owners are 1-39 letters, digits and single inner dashes", () => {
        for (const ok of ["one-kubernetes", "octocat", "a1"]) assert.ok(isGithubOwner(ok), ok);
        for (const bad of ["-lead", "trail-", "dou--ble", "has space", "x".repeat(40), ""])
            assert.ok(!isGithubOwner(bad), bad);
    });

    test("branch names reject what git refuses", () => {
        for (const ok of ["main", "release/2025.1", "env_prod"]) assert.ok(isBranchName(ok), ok);
        for (const bad of ["-x", "a..b", "x.lock", "/main", "main/", "a b", "a//b"])
            assert.ok(!isBranchName(bad), bad);
    });

    test("cluster paths are normalised and kept under clusters/", () => {
        assert.equal(normaliseClusterPath("./clusters/prod/"), "clusters/prod");
        assert.equal(normaliseClusterPath("clusters/eu/prod"), "clusters/eu/prod");
        for (const bad of [
            "clusters",
            "clusters/",
            "apps/prod",
            "/clusters/prod",
            "clusters/../secrets",
            "clusters/./prod",
            "clusters//prod",
        ]) {
            assert.equal(normaliseClusterPath(bad), undefined, bad);
        }
    });
});

describe("Flux config errors name the key", () => {
    test("a missing GitHub owner is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:githubOwner": undefined }),
            /gitops-platform:githubOwner/,
        );
    });

    test("an invalid GitHub owner is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:githubOwner": "not an owner" }),
            /gitops-platform:githubOwner: got "not an owner"/,
        );
    });

    test("a fleet repository name GitHub would not accept is refused", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:fleetRepository": "fleet infra" }),
            /gitops-platform:fleetRepository: got "fleet infra"/,
        );
    });

    test("a fleet path outside clusters/ is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:fleetPath": "apps/staging" }),
            /gitops-platform:fleetPath: got "apps\/staging"/,
        );
    });

    test("a fleet path climbing out of clusters/ with .. is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:fleetPath": "clusters/../infra" }),
            /gitops-platform:fleetPath/,
        );
    });

    test("a missing GitHub token is refused with the command that sets it", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:githubToken": undefined }),
            /gitops-platform:githubToken: .*pulumi config set --secret githubToken/,
        );
    });

    test("a GitHub token given in plaintext is refused without echoing it", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:githubToken": "ghp_plaintext" }),
            (e: Error) => {
                assert.match(e.message, /gitops-platform:githubToken/);
                assert.doesNotMatch(e.message, /ghp_plaintext/);
                return true;
            },
        );
    });

    test("a Flux chart version that is not an exact semver is refused", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:fluxChartVersion": "2.x" }),
            /gitops-platform:fluxChartVersion: got "2.x"/,
        );
    });

    test("a Flux chart repository that is not https is refused in an environment stack", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:fluxChartRepository": "http://charts.example.test/flux" }),
            /gitops-platform:fluxChartRepository: got "http:\/\/charts\.example\.test\/flux"; allowed: an https URL of a Helm repository without credentials/,
        );
    });

    test("a Flux chart repository URL carrying credentials is refused", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:fluxChartRepository": "https://user:pw@charts.example.test" }),
            /gitops-platform:fluxChartRepository: .*without credentials/,
        );
    });

    test("an interval that is not a Go duration is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:fluxReconcileInterval": "10 minutes" }),
            /gitops-platform:fluxReconcileInterval/,
        );
    });

    test("an unknown notification provider is refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:fluxNotificationProvider": "pagerduty" }),
            /gitops-platform:fluxNotificationProvider: got "pagerduty"/,
        );
    });

    test("Teams notifications without a webhook URL are refused", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:fluxNotificationProvider": "msteams" }),
            /gitops-platform:fluxNotificationWebhookUrl/,
        );
    });

    test("a webhook URL given in plaintext is refused", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:fluxNotificationProvider": "slack",
                "gitops-platform:fluxNotificationWebhookUrl": "https://hooks.slack.com/x",
            }),
            /gitops-platform:fluxNotificationWebhookUrl/,
        );
    });

    test("GitHub commit statuses without their token are refused", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:fluxNotificationProvider": "github" }),
            /gitops-platform:fluxNotificationToken/,
        );
    });

    test("a secret webhook URL is accepted", async () => {
        const r = await run("staging", {
            "gitops-platform:fluxNotificationProvider": "msteams",
            "gitops-platform:fluxNotificationWebhookUrl": secret("https://example.webhook.office.com/x"),
        });
        assert.ok(r.resources.length > 0);
    });
});
