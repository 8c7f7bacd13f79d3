import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
    CI_IDENTITY_ACCESS,
    CI_RIGHTS,
    INVOKE_RIGHTS,
    WRITE_RIGHTS,
    rightsTable,
} from "../../components/identities/ciRights";
import { CLUSTER_ACCESS } from "../../components/platform/platform";
import { CONFIG_KEYS, KeyDeclaration } from "../../src/config/keys";
import { FAKE_SUBSCRIPTION_ID } from "../../tools/offline/cloud";
import { PROJECT_DIR } from "../../tools/offline/stackConfig";
import { FIXTURE_INSTANCE, fixtureStackConfig } from "../support/instance";
import { roleDefinitionId } from "../../src/roles";
import { STACKS, ofType, run, previewRun } from "../support/program";

const key = (k: string) => `gitops-platform:${k}`;
const ROLE = "azure-native:authorization:RoleAssignment";
const ACR_OCI = { [key("chartRepository")]: "acr-oci" };
const UPN_ADMINS = { [key("platformAdmins")]: ["ops@contoso.com"] };

describe("the CI identities' rights", () => {
    it("give the preview identity nothing that writes or owns, in Azure, Graph or Kubernetes", () => {
        for (const right of CI_RIGHTS.preview) assert.doesNotMatch(right.right, WRITE_RIGHTS, right.right);
    });

    it("make neither identity Owner or User Access Administrator of anything", () => {
        for (const rights of Object.values(CI_RIGHTS)) {
            for (const right of rights)
                assert.doesNotMatch(right.right, /^Owner$|User Access Administrator/, right.right);
        }
    });

    it("list, for the cluster, exactly the roles the program grants each identity", () => {
        for (const [identity, access] of Object.entries(CI_IDENTITY_ACCESS) as [
            keyof typeof CI_RIGHTS,
            keyof typeof CLUSTER_ACCESS,
        ][]) {
            const granted = CI_RIGHTS[identity].filter((r) => r.byProgram);
            assert.equal(granted.length, CLUSTER_ACCESS[access].length, identity);
        }
    });

    it("are the first-up page's rights table (rendered from components/identities/ciRights.ts)", () => {
        const docs = readFileSync(join(PROJECT_DIR, "docs", "platform-engineer", "first-up.md"), "utf8");
        assert.ok(
            docs.includes(rightsTable()),
            "docs/platform-engineer/first-up.md's rights table is out of date: paste rightsTable()",
        );
    });
});

for (const stack of STACKS) {
    describe(`what the program grants the CI identities (${stack})`, () => {
        const ids = (k: string) => JSON.parse(fixtureStackConfig(stack).values[key(k)]) as string[];

        it("grants each named identity the cluster roles of its kind, on the cluster, and never a write role to a previewer", async () => {
            const r = await run(stack);
            for (const [list, kind] of [
                ["previewerObjectIds", "previewer"],
                ["deployerObjectIds", "deployer"],
            ] as const) {
                for (const id of ids(list)) {
                    const roles = ofType(r, ROLE)
                        .filter((a) => a.inputs.principalId === id)
                        .map((a) => a.inputs.roleDefinitionId)
                        .sort();
                    assert.deepEqual(
                        roles,
                        CLUSTER_ACCESS[kind]
                            .map((role) => roleDefinitionId(FAKE_SUBSCRIPTION_ID, role))
                            .sort(),
                        `${kind} ${id}`,
                    );
                }
            }
        });

        it("needs at preview no data source that reads a secret, and classifies every one it reads", async () => {
            for (const r of [
                await previewRun(stack),
                await previewRun(stack, { ...ACR_OCI, ...UPN_ADMINS }),
            ]) {
                const invoked = [...new Set(r.invokes)];
                assert.ok(invoked.length > 0);
                for (const token of invoked) {
                    assert.ok(
                        token in INVOKE_RIGHTS,
                        `${token} reads something: say in INVOKE_RIGHTS which right it needs`,
                    );
                    assert.equal(
                        INVOKE_RIGHTS[token].secret,
                        false,
                        `${token} needs ${INVOKE_RIGHTS[token].right} at preview`,
                    );
                }
            }
        });

        it("reads the ChartMuseum storage key only in an update, with the deploy identity", async () => {
            assert.ok(
                !(await previewRun(stack)).invokes.includes("azure-native:storage:listStorageAccountKeys"),
            );
            assert.ok((await run(stack)).invokes.includes("azure-native:storage:listStorageAccountKeys"));
        });
    });
}

describe("secrets for CI", () => {
    const environmentSecrets = (Object.entries(CONFIG_KEYS) as [string, KeyDeclaration][])
        .filter(([, d]) => d.secret && !d.optional && (d.stacks ?? "environment") !== "delivery")
        .map(([k]) => k);

    for (const stack of STACKS) {
        it(`are committed as ciphertext in Pulumi.${stack}.yaml, under the stack's own Azure Key Vault key`, () => {
            const file = parse(readFileSync(join(FIXTURE_INSTANCE, `Pulumi.${stack}.yaml`), "utf8"));
            assert.equal(
                file.secretsprovider,
                `azurekeyvault://kv-gitops-${stack}.vault.azure.net/keys/pulumi-${stack}`,
            );
            assert.ok(environmentSecrets.length > 0);
            for (const k of environmentSecrets) {
                const value = file.config[key(k)];
                assert.deepEqual(
                    Object.keys(value ?? {}),
                    ["secure"],
                    `${k} is committed as secure: ciphertext`,
                );
            }
        });
    }
});
