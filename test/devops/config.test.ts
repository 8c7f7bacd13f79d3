import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isDevOpsProjectName, organizationOf } from "../../components/devops/config";
import { one, run, secret } from "../support/program";

const ORG_URL = "gitops-platform:devopsOrgUrl";
const TOKENS = "gitops-platform:devopsPromotionTokens";

describe("Azure DevOps config", () => {
    it("accepts both forms of organization URL and names the organization", () => {
        assert.equal(organizationOf("https://dev.azure.com/contoso"), "contoso");
        assert.equal(organizationOf("https://dev.azure.com/contoso/"), "contoso");
        assert.equal(organizationOf("https://contoso.visualstudio.com"), "contoso");
    });

    it("rejects URLs that are not an organization URL", () => {
        for (const bad of [
            "http://dev.azure.com/contoso",
            "https://dev.azure.com/",
            "https://dev.azure.com/contoso/project",
            "https://github.com/contoso",
            "https://contoso.visualstudio.com.evil.example",
            "dev.azure.com/contoso",
        ]) {
            assert.equal(organizationOf(bad), undefined, bad);
        }
    });

    it("configures the provider with the visualstudio.com form, without the trailing slash", async () => {
        const r = await run("delivery", { [ORG_URL]: "https://contoso.visualstudio.com/" });
        assert.equal(
            one(r, "pulumi:providers:azuredevops").inputs.orgServiceUrl,
            "https://contoso.visualstudio.com",
        );
    });

    it("refuses an organization URL of another form, naming the key", async () => {
        await assert.rejects(
            run("delivery", { [ORG_URL]: "https://github.com/contoso" }),
            /gitops-platform:devopsOrgUrl.*dev\.azure\.com\/<org>/,
        );
    });

    it("refuses a stack without an organization URL, naming the key", async () => {
        await assert.rejects(
            run("delivery", { [ORG_URL]: undefined }),
            /gitops-platform:devopsOrgUrl: got nothing/,
        );
    });

    it("refuses a project name Azure DevOps would reject, naming the key", async () => {
        assert.equal(isDevOpsProjectName("gitops platform"), true);
        await assert.rejects(
            run("delivery", { "gitops-platform:devopsProject": "ci/cd" }),
            /gitops-platform:devopsProject/,
        );
    });

    it("refuses an Azure DevOps PAT given in plaintext, without echoing it", async () => {
        await assert.rejects(
            run("delivery", { "gitops-platform:devopsPersonalAccessToken": "pat-in-clear" }),
            (e: Error) => {
                assert.match(e.message, /gitops-platform:devopsPersonalAccessToken/);
                assert.doesNotMatch(e.message, /pat-in-clear/);
                return true;
            },
        );
    });

    it("refuses a GitHub token given in plaintext, naming the key", async () => {
        await assert.rejects(
            run("delivery", { "gitops-platform:devopsGithubToken": "ghp_clear" }),
            /gitops-platform:devopsGithubToken/,
        );
    });

    it("refuses a delivery stack without a promotion token for every team, naming the team's key", async () => {
        await assert.rejects(
            run("delivery", { [TOKENS]: secret(JSON.stringify({ "dev-team1": "t1" })) }),
            /gitops-platform:devopsPromotionTokens\.dev-team2: got nothing \(the key is not set\); allowed: a secret, set with `pulumi config set --secret --path 'devopsPromotionTokens\.dev-team2' <value>`/,
        );
    });

    it("catches offline a stack file whose committed tokens miss a team (the pull request's plan fails)", async () => {
        const committed = { "dev-team1": { secure: "v1:ciphertext-of-dev-team1" } };
        await assert.rejects(
            run("delivery", { [TOKENS]: committed }),
            /gitops-platform:devopsPromotionTokens\.dev-team2: got nothing/,
        );
    });

    it("refuses a promotion token for a team that has no team file, suggesting the closest", async () => {
        const tokens = { "dev-team1": "t1", "dev-team2": "t2", "dev-tem2": "t3" };
        await assert.rejects(
            run("delivery", { [TOKENS]: secret(JSON.stringify(tokens)) }),
            /gitops-platform:devopsPromotionTokens\.dev-tem2: got "<secret>"; allowed: no such team; did you mean "dev-team2"\?/,
        );
    });

    it("refuses promotion tokens given in plaintext, without echoing them", async () => {
        await assert.rejects(
            run("delivery", { [TOKENS]: JSON.stringify({ "dev-team1": "ghp_one", "dev-team2": "ghp_two" }) }),
            (e: Error) => {
                assert.match(e.message, /gitops-platform:devopsPromotionTokens/);
                assert.doesNotMatch(e.message, /ghp_one|ghp_two/);
                return true;
            },
        );
    });

    it("attack: refuses a classic GitHub token (its repo scope writes every repository) for the connection every team's pipeline uses, without echoing it", async () => {
        await assert.rejects(
            run("delivery", { "gitops-platform:devopsGithubToken": secret("ghp_classic0123456789") }),
            (e: Error) => {
                assert.match(
                    e.message,
                    /gitops-platform:devopsGithubToken: got "<secret>"; allowed: a fine-grained GitHub token \(github_pat_\.\.\.\) with Contents read-only/,
                );
                assert.doesNotMatch(e.message, /ghp_classic0123456789/);
                return true;
            },
        );
    });

    it("takes a fine-grained GitHub token for the connection", async () => {
        const r = await run("delivery", {
            "gitops-platform:devopsGithubToken": secret("github_pat_11AAread"),
        });
        assert.equal(
            one(r, "azuredevops:index/serviceEndpointGitHub:ServiceEndpointGitHub").inputs.authPersonal
                .personalAccessToken,
            "github_pat_11AAread",
        );
    });

    it("takes the PAT and the GitHub token as secrets", async () => {
        const r = await run("delivery", {
            "gitops-platform:devopsPersonalAccessToken": secret("pat"),
            "gitops-platform:devopsGithubToken": secret("ghp"),
        });
        assert.equal(one(r, "pulumi:providers:azuredevops").inputs.personalAccessToken, "pat");
        assert.equal(
            one(r, "azuredevops:index/serviceEndpointGitHub:ServiceEndpointGitHub").inputs.authPersonal
                .personalAccessToken,
            "ghp",
        );
    });

    it("refuses an Azure DevOps key set in an environment stack, which does not read it", async () => {
        await assert.rejects(
            run("staging", { [ORG_URL]: "https://dev.azure.com/contoso" }),
            /gitops-platform:devopsOrgUrl: got "https:\/\/dev\.azure\.com\/contoso"; allowed: unset in an environment stack: only the delivery stack reads it/,
        );
    });

    it("refuses an environment key set in the delivery stack, without echoing a secret", async () => {
        await assert.rejects(
            run("delivery", { "gitops-platform:githubToken": secret("ghp_fleet") }),
            (e: Error) => {
                assert.match(
                    e.message,
                    /gitops-platform:githubToken: got "<secret value>"; allowed: unset in a delivery stack/,
                );
                assert.doesNotMatch(e.message, /ghp_fleet/);
                return true;
            },
        );
    });

    it("refuses a team app without a repository, naming the key and what its pipeline needs", async () => {
        const tenants = [{ name: "dev-team1", delivery: "helm", apps: [{ name: "front", version: "1.x" }] }];
        await assert.rejects(
            run("delivery", { "gitops-platform:tenants": tenants }),
            /team0\.yaml: apps\[0\]\.repository: got nothing.*GitHub repository as owner\/repo/,
        );
    });
});
