import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REPOSITORY_DATA_ACTIONS, repositoryPrefixCondition } from "../src/roles";
import { evaluateCondition } from "./support/abac";

const ACTION = (a: string) => `Microsoft.ContainerRegistry/registries/repositories/${a}`;

describe("repository conditions (ACR ABAC)", () => {
    it("confines every data action of the Writer role to the prefix", () => {
        const condition = repositoryPrefixCondition("AcrRepositoryWriter", "dev-team1/");
        for (const action of REPOSITORY_DATA_ACTIONS.AcrRepositoryWriter!) {
            const request = { action: ACTION(action) };
            assert.equal(evaluateCondition(condition, { ...request, repository: "dev-team2/back" }), false);
            assert.equal(evaluateCondition(condition, { ...request, repository: "dev-team1/front" }), true);
        }
    });

    it("refuses a prefix that is not a repository path ending in '/'", () => {
        for (const prefix of ["dev-team1", "", "dev-team1/'", "Dev/"])
            assert.throws(
                () => repositoryPrefixCondition("AcrRepositoryReader", prefix),
                /repository prefix/,
            );
    });

    it("refuses a condition on a role without repository actions", () => {
        assert.throws(() => repositoryPrefixCondition("AcrPull", "dev-team1/"), /not a repository role/);
    });
});
