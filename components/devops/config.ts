import type * as pulumi from "@pulumi/pulumi";
import { STACK_ROLES, StackRole } from "../../src/config/keys";
import { ConfigReader } from "../../src/config/reader";

/** Azure DevOps CI: where the pipelines live and the credentials Pulumi and the pipelines use. */
export interface DevOpsConfig {
    /** Organization URL without trailing slash: https://dev.azure.com/<org> or https://<org>.visualstudio.com. */
    readonly orgUrl: string;
    /** The organization name taken from `orgUrl`. */
    readonly organization: string;
    /** Name of the organisation's (private) Azure DevOps project. */
    readonly project: string;
    /** PAT Pulumi's Azure DevOps provider acts with; secret. */
    readonly personalAccessToken: pulumi.Output<string>;
    /** GitHub token of the GitHub service connection (reads the app repositories); secret. */
    readonly githubToken: pulumi.Output<string>;
    /** This platform repository, `owner/repo`: the pipelines' templates, and where Helm promotions open pull requests. */
    readonly platformRepository: string;
    /**
     * Each team's GitHub token, by team: its pipelines push the Kustomize staging bump and open
     * promotion pull requests with it, and only its own variable group holds it; secret.
     */
    readonly promotionTokens: Readonly<Record<string, pulumi.Output<string>>>;
    /** Display name of the subscription in the Azure service connections; the subscription id when unset. */
    readonly azureSubscriptionName?: string;
}

const ORG = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?";
const ORG_URLS = [
    new RegExp(`^https://dev\\.azure\\.com/(${ORG})/?$`),
    new RegExp(`^https://(${ORG})\\.visualstudio\\.com/?$`),
];

/** The organization of an Azure DevOps URL, or undefined when it is neither accepted form. */
export function organizationOf(url: string): string | undefined {
    for (const form of ORG_URLS) {
        const match = form.exec(url);
        if (match) return match[1];
    }
    return undefined;
}

/** Azure DevOps project name rules: at most 64 characters, none of the reserved ones, no leading `_` or trailing `.`. */
export function isDevOpsProjectName(value: string): boolean {
    return (
        value.length <= 64 &&
        !/[\\/:*?"<>;#${},+=[\]|]/.test(value) &&
        !value.startsWith("_") &&
        !value.endsWith(".") &&
        value.trim() === value
    );
}

/** What the stack is: an environment, or the organisation's delivery (which creates Azure DevOps). */
export function readStackRole(r: ConfigReader): StackRole {
    return r.oneOf("stackRole", STACK_ROLES);
}

/** The delivery stack's Azure DevOps settings; `teams` are the team files' names (one token each). */
/**
 * The GitHub service connection is authorized for every team's pipeline, and a pipeline's own YAML
 * can keep its token (`checkout` with `persistCredentials: true`): the token must not write. A
 * classic token (`ghp_`) cannot be narrowed, its `repo` scope writes every repository its owner can;
 * a fine-grained one can (Contents and Metadata read, Webhooks and Commit statuses read/write).
 */
export const CLASSIC_GITHUB_TOKEN = {
    when: (value: string) => value.startsWith("ghp_"),
    allowed:
        "a fine-grained GitHub token (github_pat_...) with Contents read-only, Metadata read, Webhooks and Commit statuses read/write: a classic token's repo scope writes every repository, and every team's pipeline can keep this one (pushes use each team's promotion token)",
} as const;

export function readDevOpsConfig(r: ConfigReader, teams: readonly string[]): DevOpsConfig {
    const rawUrl = r.string("devopsOrgUrl", {
        valid: (v) => organizationOf(v) !== undefined,
        allowed:
            "an Azure DevOps organization URL: https://dev.azure.com/<org> or https://<org>.visualstudio.com",
    });
    return {
        orgUrl: rawUrl.replace(/\/$/, ""),
        organization: organizationOf(rawUrl) ?? "",
        project: r.string("devopsProject", {
            valid: isDevOpsProjectName,
            allowed:
                'an Azure DevOps project name: at most 64 characters, none of \\ / : * ? " < > ; # $ { } , + = [ ] |, not starting with _ or ending with .',
        }),
        personalAccessToken: r.requireSecret("devopsPersonalAccessToken"),
        githubToken: r.requireSecret("devopsGithubToken", CLASSIC_GITHUB_TOKEN),
        platformRepository: r.string("platformRepository", {
            valid: (v) => /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(v),
            allowed: 'the platform repository on GitHub as owner/repo, e.g. "one-kubernetes/gitops-platform"',
        }),
        promotionTokens: r.requireSecretMap("devopsPromotionTokens", teams),
        azureSubscriptionName: r.optionalString("devopsAzureSubscriptionName"),
    };
}
