import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { schemaProblems, withCounts } from "../../components/tenants/schemaProblems";
import { guardrailsFileSchema, teamFileSchema } from "../../components/tenants/teamSchema";

const TEAM = teamFileSchema();
const GUARDRAILS = guardrailsFileSchema();
const team = (extra: Record<string, unknown> = {}) => ({
    name: "dev-team3",
    delivery: "helm",
    apps: [{ name: "api", repository: "one-kubernetes/dev-team3", port: 8080 }],
    ...extra,
});

describe("a team file's schema problems, as the project tells them", () => {
    test("none for a file that holds its schema", () => assert.deepEqual(schemaProblems(TEAM, team()), []));

    test("an enum's values, as a sentence, then what the key is for", () =>
        assert.deepEqual(schemaProblems(TEAM, team({ delivery: "argocd" })), [
            { path: "delivery", value: "argocd", allowed: "helm or kustomize: How Flux delivers its apps." },
        ]));

    test("a port out of range, written as a string, is one problem with the value as written and the range", () =>
        assert.deepEqual(
            schemaProblems(TEAM, team({ apps: [{ name: "api", repository: "o/r", port: "70000" }] })),
            [
                {
                    path: "apps[0].port",
                    value: "70000",
                    allowed: "an integer from 1 to 65535: The container port the app listens on.",
                },
            ],
        ));

    test("a port that is not a number at all is one problem too, not one per branch of the schema", () =>
        assert.equal(
            schemaProblems(TEAM, team({ apps: [{ name: "api", repository: "o/r", port: "http" }] })).length,
            1,
        ));

    test("an unknown key gets the closest known key", () =>
        assert.deepEqual(
            schemaProblems(TEAM, team({ apps: [{ name: "api", repository: "o/r", prot: 8080 }] })),
            [{ path: "apps[0].prot", value: 8080, allowed: 'no such key; did you mean "port"?' }],
        ));

    test("a missing key is reported at that key, with what it is", () =>
        assert.match(
            JSON.stringify(schemaProblems(TEAM, { name: "dev-team3", delivery: "helm" })),
            /"path":"apps".*"allowed":"a list of at least 1: What the team ships/,
        ));

    test("a key of an environment's app is reported at its path there, the app by its name", () =>
        assert.deepEqual(
            schemaProblems(
                TEAM,
                team({ environments: { prod: { apps: { api: { digest: "sha256:abc" } } } } }),
            ).map((p) => p.path),
            ["environments.prod.apps.api.digest"],
        ));

    test("a value that is not even an object is one problem at the top of the file", () =>
        assert.deepEqual(
            schemaProblems(TEAM, "dev-team3").map((p) => [p.path, p.allowed.split(":")[0]]),
            [["", "an object"]],
        ));
});

describe("counts written as digits", () => {
    test("are numbers wherever the schema takes a count, at any depth", () =>
        assert.deepEqual(
            withCounts(GUARDRAILS, {
                loadBalancers: "1",
                quota: { pods: "20", cpu: "2" },
                egress: [{ cidr: "10.0.0.0/8", ports: ["5432"] }],
                environments: { prod: { quota: { pods: "40" } } },
            }),
            {
                loadBalancers: 1,
                quota: { pods: 20, cpu: "2" },
                egress: [{ cidr: "10.0.0.0/8", ports: [5432] }],
                environments: { prod: { quota: { pods: 40 } } },
            },
        ));
});
