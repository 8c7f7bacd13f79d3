import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { forEnvironment } from "../../components/tenants/teamFiles";
import { FIXTURE_INSTANCE } from "../support/instance";
import { KITS, Kit, teamFileText } from "../../tools/offline/team";
import { STACKS, run, secret } from "../support/program";
import { placeholderFor } from "../../tools/offline/stackConfig";

const TEAMS = "gitops-platform:teamsDirectory";
const TOKENS = "gitops-platform:devopsPromotionTokens";
const HELM_RELEASE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";

/** A copy of the fixture instance's tenants/ plus `extra` files, as a teams folder override. */
function teams(extra: Record<string, string> = {}): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), "teams-"));
    cpSync(join(FIXTURE_INSTANCE, "tenants"), dir, { recursive: true });
    for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
    // (`guardrails/<team>.yaml` keys land in the copied guardrails folder.)
    return { [TEAMS]: dir };
}

/** Inputs with the two runs' temporary team folders named alike (the delivery stack's `teamFile` variables). */
const sameFolder = (inputs: unknown) =>
    JSON.parse(JSON.stringify(inputs).replace(/\/tmp\/teams-[A-Za-z0-9]+\//g, "<teams>/"));

// A quota below the default, which the platform team sets in the team's guardrails file: staging's
// pools hold 11.58 CPU at their autoscaler maximum (3 × Standard_D4ds_v5), which the capacity check
// refuses to over-commit with a third team of 4 CPU.
const NEW_TEAM_GUARDRAILS = `quota: { cpu: "2", memory: 4Gi, pods: 20 }\n`;
const NEW_TEAM = `name: dev-team3
delivery: helm
apps:
  - { name: api, repository: one-kubernetes/dev-team3, port: 8080 }
environments:
  staging:
    apps:
      api: { version: ">=1.0.0 <2.0.0" }
  prod:
    apps:
      api: { version: "1.0.0", digest: "sha256:${"a".repeat(64)}" }
`;

/** dev-team3's file, and its guardrails file (the platform team's), as a new team's pull requests add them. */
const newTeam = (team = NEW_TEAM, guardrails = NEW_TEAM_GUARDRAILS) => ({
    "dev-team3.yaml": team,
    "guardrails/dev-team3.yaml": guardrails,
});

/** The delivery stack's promotion tokens with dev-team3's committed beside the others (what the plan reads). */
const newTeamToken = {
    [TOKENS]: secret(
        JSON.stringify(
            Object.fromEntries(
                ["dev-team1", "dev-team2", "dev-team3"].map((t) => [t, placeholderFor(`${TOKENS}.${t}`)]),
            ),
        ),
    ),
};

describe("team files (tenants/<team>.yaml)", () => {
    test("staging follows each app's range from its file's staging section", async () => {
        const r = await run("staging");
        const back = r.resources.find((x) => x.type === HELM_RELEASE && x.inputs.metadata.name === "back");
        assert.equal(back?.inputs.spec.chart.spec.version, ">=0.1.0 <1.0.0");
    });

    test("prod runs each app's pinned version and image digest from its file's prod section", async () => {
        const r = await run("prod");
        const front = r.resources.find((x) => x.type === HELM_RELEASE && x.inputs.metadata.name === "front");
        assert.equal(front?.inputs.spec.chart.spec.version, "0.4.0");
        assert.match(front?.inputs.spec.values.image.digest, /^sha256:[0-9a-f]{64}$/);
    });

    for (const stack of [...STACKS, "delivery"] as const) {
        test(`${stack}: adding a team file plans that team and changes nothing else`, async () => {
            const before = await run(stack, teams());
            const after = await run(stack, {
                ...teams(newTeam()),
                ...(stack === "delivery" ? newTeamToken : {}),
            });
            const byUrn = new Map(before.resources.map((x) => [x.urn, x]));
            for (const x of after.resources) {
                const was = byUrn.get(x.urn);
                if (was) assert.deepEqual(sameFolder(x.inputs), sameFolder(was.inputs), `${x.urn} changed`);
                else assert.match(x.urn, /dev-team3/, `${x.urn} is new but not the new team's`);
            }
            assert.ok(after.resources.length > before.resources.length, "the new team's resources");
            if (stack !== "delivery")
                assert.deepEqual(after.outputs.tenantNamespaces, ["dev-team1", "dev-team2", "dev-team3"]);
        });
    }

    test("a section for an environment that does not exist is refused, naming the file", () =>
        assert.rejects(
            run("staging", teams(newTeam(NEW_TEAM.replace("  prod:", "  prd:")))),
            /dev-team3\.yaml: environments\.prd: .*no such environment; did you mean "prod"\?/,
        ));

    test("settings for an app the team does not have are refused, naming the file", () =>
        assert.rejects(
            run(
                "staging",
                teams({
                    "dev-team3.yaml": NEW_TEAM.replace(
                        '      api: { version: ">=',
                        '      apu: { version: ">=',
                    ),
                }),
            ),
            /dev-team3\.yaml: environments\.staging\.apps\.apu: .*no such app; did you mean "api"\?/,
        ));

    test("a prod pin that is a range is refused, naming the file and the key", () =>
        assert.rejects(
            run(
                "prod",
                teams({ "dev-team3.yaml": NEW_TEAM.replace('version: "1.0.0"', 'version: "^1.0.0"') }),
            ),
            /dev-team3\.yaml: environments\.prod\.apps\.api\.version: got "\^1\.0\.0"; allowed: an exact semver version/,
        ));

    test("two files declaring the same team are refused, naming both", () =>
        assert.rejects(
            run("staging", teams({ "z-copy.yaml": NEW_TEAM, "dev-team3.yaml": NEW_TEAM })),
            /z-copy\.yaml: name: got "dev-team3"; allowed: a team name no other file declares \(.*dev-team3\.yaml declares dev-team3\)/,
        ));

    test("a file that is not valid YAML is refused with its line and column", () =>
        assert.rejects(
            run("staging", teams({ "dev-team3.yaml": "name: [dev-team3\napps: x\n" })),
            /dev-team3\.yaml:\d+:\d+: not valid YAML/,
        ));

    test("a version missing in an environment is reported where that environment writes it, the app by name", () =>
        assert.rejects(
            run(
                "staging",
                teams(newTeam(NEW_TEAM.replace('      api: { version: ">=1.0.0 <2.0.0" }\n', "      {}\n"))),
            ),
            /dev-team3\.yaml: environments\.staging\.apps\.api\.version: got nothing/,
        ));

    test("a mistake in a team file is reported in that file only: the flows other files declare to it are not blamed", async () => {
        const dev1 = readFileSync(join(FIXTURE_INSTANCE, "tenants", "dev-team1.yaml"), "utf8");
        const withFlows = {
            "dev-team1.yaml": dev1.replace(
                "flows:\n",
                "flows:\n  - { from: dev-team3/api, to: back, port: 8080 }\n",
            ),
            "dev-team3.yaml": `${NEW_TEAM}flows:\n  - { from: api, to: dev-team1/back, port: 8080 }\n`,
            "guardrails/dev-team3.yaml": NEW_TEAM_GUARDRAILS,
        };
        await run("staging", teams(withFlows));
        const mistake = {
            ...withFlows,
            "dev-team3.yaml": withFlows["dev-team3.yaml"].replace("name: api", "name: Api"),
        };
        await assert.rejects(run("staging", teams(mistake)), (e: Error) => {
            const problems = e.message.split("\n").filter((l) => l.startsWith("  - "));
            assert.match(e.message, /dev-team3\.yaml: apps\[0\]\.name: got "Api"/);
            assert.deepEqual(
                problems.filter((l) => !/dev-team3\.yaml: /.test(l)),
                [],
            );
            return true;
        });
    });

    test("a team file named .yml is refused, naming the file and its .yaml name, not ignored", () =>
        assert.rejects(
            run("staging", teams({ "dev-team3.yml": NEW_TEAM })),
            /dev-team3\.yml: got "<a \.yml file>"; allowed: a team file named <team>\.yaml: rename it dev-team3\.yaml to be read/,
        ));

    test("an unknown key in a team file is refused with the closest known key", () =>
        assert.rejects(
            run(
                "staging",
                teams({
                    "dev-team3.yaml": NEW_TEAM.replace(
                        "delivery: helm",
                        "delivery: helm\nqouta: { pods: 5 }",
                    ),
                }),
            ),
            /dev-team3\.yaml: qouta: .*did you mean "quota"\?/,
        ));

    /** The problems of a run refused for its team files, one line each. */
    const problemsOf = async (
        overrides: Record<string, unknown>,
        stack: (typeof STACKS)[number] = "staging",
    ) => {
        const error = await run(stack, overrides).then(
            () => assert.fail("the plan went through"),
            (e: Error) => e,
        );
        return error.message.split("\n").filter((l) => l.startsWith("  - "));
    };

    test("a count written as a string is checked as the number, reported once, as written, where its environment writes it", async () => {
        const file = NEW_TEAM.replace('api: { version: "1.0.0",', 'api: { port: "70000", version: "1.0.0",');
        assert.deepEqual(
            (await problemsOf(teams(newTeam(file)), "prod")).map((l) =>
                l.replace(/^.*dev-team3\.yaml: /, ""),
            ),
            [
                'environments.prod.apps.api.port: got "70000"; allowed: an integer from 1 to 65535: The container port the app listens on.',
            ],
        );
    });

    test("a misspelt key in an environment's app is refused once, with the closest key, and nothing else of that file", async () => {
        const file = NEW_TEAM.replace(
            'api: { version: ">=1.0.0 <2.0.0" }',
            'api: { versoin: ">=1.0.0 <2.0.0" }',
        );
        const problems = await problemsOf(teams(newTeam(file)));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            /dev-team3\.yaml: environments\.staging\.apps\.api\.versoin: got ">=1\.0\.0 <2\.0\.0"; allowed: no such key; did you mean "version"\?/,
        );
    });

    test("one mistake, one error: a team file the schema refuses is not blamed again in the file whose flows name that team", async () => {
        const flow = (from: string, to: string) => `flows:\n  - { from: ${from}, to: ${to}, port: 8080 }\n`;
        const caller = NEW_TEAM.replace("environments:", `${flow("api", "dev-team4/api")}environments:`);
        const broken = NEW_TEAM.replace("dev-team3", "dev-team4")
            .replace("one-kubernetes/dev-team3", "one-kubernetes/dev-team4")
            .replace("environments:", `interval: 5 minutes\n${flow("dev-team3/api", "api")}environments:`);
        const problems = await problemsOf(teams({ ...newTeam(caller), "dev-team4.yaml": broken }));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            /dev-team4\.yaml: interval: got "5 minutes"; allowed: a duration such as 1m, 5m or 1h/,
        );
    });

    test("a list where the schema wants an object is one error at that key, none for what it holds", async () => {
        const file = NEW_TEAM.replace('      api: { version: ">=1.0.0 <2.0.0" }', "      - api");
        assert.deepEqual(
            (await problemsOf(teams(newTeam(file)))).map((l) => l.replace(/^.*dev-team3\.yaml: /, "")),
            [
                'environments.staging.apps: got ["api"]; allowed: an object: Settings by app name, over the app\'s own (e.g. { back: { version: "0.4.2" } }).',
            ],
        );
    });
});

describe("team files: the kits' templates (npm run team -- add)", () => {
    for (const kit of Object.keys(KITS) as Kit[])
        for (const stack of STACKS)
            test(`${stack}: the ${kit} kit's team file plans as written, its app not in prod until promoted`, async () => {
                const file = teamFileText(kit, "dev-team3", "my-app", "one-kubernetes/dev-team3");
                const r = await run(stack, teams(newTeam(file)));
                assert.ok((r.outputs.tenantNamespaces as string[]).includes("dev-team3"));
                const delivered = r.resources.filter(
                    (x) =>
                        x.type.startsWith("kubernetes:") &&
                        x.inputs.metadata?.namespace === "dev-team3" &&
                        /HelmRelease|Kustomization$/.test(x.type),
                );
                assert.equal(delivered.length, stack === "prod" ? 0 : 1);
            });
});

describe("team files: a new app waits for its first promotion (pending)", () => {
    const PIN = `api: { version: "1.0.0", digest: "sha256:${"a".repeat(64)}" }`;
    const pendingTeam = NEW_TEAM.replace(PIN, "api: { pending: true }");
    const releasesOf = (r: Awaited<ReturnType<typeof run>>, namespace: string) =>
        r.resources.filter((x) => x.type === HELM_RELEASE && x.inputs.metadata.namespace === namespace);

    test("prod deploys no release of a pending app, so nothing fails and pages ops before its pin", async () => {
        assert.notEqual(pendingTeam, NEW_TEAM);
        const r = await run("prod", teams(newTeam(pendingTeam)));
        assert.deepEqual(releasesOf(r, "dev-team3"), []);
        assert.ok((r.outputs.tenantNamespaces as string[]).includes("dev-team3"), "the team itself is there");
        assert.equal(releasesOf(r, "dev-team1").length, 2, "other teams unchanged");
    });

    test("staging refuses pending: it deploys every build", () =>
        assert.rejects(
            run(
                "staging",
                teams(
                    newTeam(NEW_TEAM.replace('api: { version: ">=1.0.0 <2.0.0" }', "api: { pending: true }")),
                ),
            ),
            /dev-team3\.yaml: environments\.staging\.apps\.api\.pending: got true; allowed: no pending key here/,
        ));

    test("pending and a pin at once are refused", () =>
        assert.rejects(
            run("prod", teams(newTeam(NEW_TEAM.replace(PIN, 'api: { pending: true, version: "1.0.0" }')))),
            /environments\.prod\.apps\.api\.pending: got true; allowed: either pending or a pin/,
        ));
});

describe("team files: guardrails are the platform team's (tenants/guardrails/<team>.yaml)", () => {
    test("the guardrails file's settings apply: dev-team1's prod quota comes from tenants/guardrails/dev-team1.yaml", async () => {
        const quota = (await run("prod")).resources.find(
            (x) =>
                x.type === "kubernetes:core/v1:ResourceQuota" && x.inputs.metadata.namespace === "dev-team1",
        );
        assert.equal(quota?.inputs.spec.hard["requests.cpu"], "8");
    });

    test("attack: renaming a team file without its guardrails file is refused, naming the orphan (no silent default quota)", () => {
        const overrides = teams();
        const dir = overrides[TEAMS];
        renameSync(join(dir, "dev-team1.yaml"), join(dir, "a-team1.yaml"));
        return assert.rejects(
            run("prod", overrides),
            /guardrails\/dev-team1\.yaml: .*allowed: guardrails of a team file dev-team1\.yaml beside it/,
        );
    });

    test("a guardrails file that is not named like a team file (dev-team1.yml) is refused, not ignored", () =>
        assert.rejects(
            run("prod", teams({ "guardrails/dev-team1.yml": 'quota: { cpu: "1" }\n' })),
            /guardrails\/dev-team1\.yml:.*allowed: guardrails of a team file dev-team1\.yml beside it/,
        ));

    test("the guardrails file is found by the team file's path, not by the name inside it (which the team edits)", async () => {
        const renamed = NEW_TEAM.replace("name: dev-team3", "name: dev-team3x");
        const r = await run("prod", teams(newTeam(renamed)));
        const quota = r.resources.find(
            (x) =>
                x.type === "kubernetes:core/v1:ResourceQuota" && x.inputs.metadata.namespace === "dev-team3x",
        );
        assert.equal(quota?.inputs.spec.hard["requests.cpu"], "2", "dev-team3.yaml's guardrails still apply");
    });

    for (const [key, line] of [
        ["quota", 'quota: { cpu: "64", memory: 256Gi, pods: 500 }'],
        ["podSecurity", "podSecurity: baseline"],
        ["accessRole", "accessRole: admin"],
        ["loadBalancers", "loadBalancers: 5"],
        ["egress", "egress: [{ cidr: 0.0.0.0/0, ports: [443] }]"],
        ["certificates", "certificates: [https://kv.vault.azure.net/certificates/shop]"],
    ] as const) {
        test(`attack: a team file that sets its own ${key} is refused, naming the guardrails file`, () =>
            assert.rejects(
                run("staging", teams(newTeam(NEW_TEAM.replace("delivery: helm", `delivery: helm\n${line}`)))),
                new RegExp(
                    `dev-team3\\.yaml: ${key}: got .*; allowed: set by the platform team in \\S*guardrails/dev-team3\\.yaml \\(a team cannot change its own guardrails\\)`,
                ),
            ));
    }

    test("attack: a guardrail in a team file's environment section is refused too", () =>
        assert.rejects(
            run(
                "staging",
                teams(newTeam(NEW_TEAM.replace("  staging:\n", "  staging:\n    loadBalancers: 3\n"))),
            ),
            /dev-team3\.yaml: environments\.staging\.loadBalancers: got 3; allowed: set by the platform team/,
        ));

    test("a bad per-environment guardrail is reported at its line of the guardrails file", () =>
        assert.rejects(
            run("prod", teams(newTeam(NEW_TEAM, 'environments:\n  prod:\n    quota: { cpu: "lots" }\n'))),
            /guardrails\/dev-team3\.yaml: environments\.prod\.quota\.cpu: got "lots"/,
        ));

    test("a bad guardrail value is reported in the guardrails file, where it is set", () =>
        assert.rejects(
            run("staging", teams(newTeam(NEW_TEAM, `${NEW_TEAM_GUARDRAILS}podSecurity: privileged\n`))),
            /guardrails\/dev-team3\.yaml: podSecurity: got "privileged"; allowed: restricted or baseline/,
        ));

    /** Staging planned with the new team's guardrails naming `uri` as its certificate. */
    const withCertificate = (uri: string) =>
        run("staging", teams(newTeam(NEW_TEAM, `${NEW_TEAM_GUARDRAILS}certificates: [${uri}]\n`)));

    test("a team's certificate outside the ingress Key Vault is refused in its guardrails file, naming the vault the Gateway reads", () =>
        assert.rejects(
            withCertificate("https://kv-elsewhere.vault.azure.net/certificates/shop"),
            /guardrails\/dev-team3\.yaml: certificates\[0\]: got "https:\/\/kv-elsewhere\.vault\.azure\.net\/certificates\/shop"; allowed: a certificate in the ingress Key Vault "kv-gitops-staging"/,
        ));

    test("a certificate that is not a versionless Key Vault certificate URI is refused in the guardrails file", () =>
        assert.rejects(
            withCertificate("https://kv.vault.azure.net/secrets/shop"),
            /guardrails\/dev-team3\.yaml: certificates\[0\]: got "https:\/\/kv\.vault\.azure\.net\/secrets\/shop"; allowed: a Key Vault certificate URI/,
        ));

    test("the guardrails file's certificates are what the team's namespace allows its Ingresses", async () => {
        const uri = "https://kv-gitops-staging.vault.azure.net/certificates/api";
        const r = await run(
            "staging",
            teams(newTeam(NEW_TEAM, `${NEW_TEAM_GUARDRAILS}certificates: [${uri}]\n`)),
        );
        const namespace = r.resources.find(
            (x) => x.type === "kubernetes:core/v1:Namespace" && x.inputs.metadata.name === "dev-team3",
        );
        assert.equal(
            namespace?.inputs.metadata.annotations["isolation.tenants.gitops-platform/certificates"],
            uri,
        );
    });

    test("a key that is not a guardrail is refused in the guardrails file, with the closest one", () =>
        assert.rejects(
            run("staging", teams(newTeam(NEW_TEAM, `${NEW_TEAM_GUARDRAILS}egres: []\napps: []\n`))),
            (e: Error) => {
                assert.match(e.message, /guardrails\/dev-team3\.yaml: egres: .*did you mean "egress"\?/);
                assert.match(e.message, /guardrails\/dev-team3\.yaml: apps: .*no such key/);
                return true;
            },
        ));
});

describe("team files: what an environment replaces", () => {
    test("an environment's hosts, egress and loadBalancers replace the team's own: each environment has its own names and ways out", () => {
        const problems: string[] = [];
        const r = { problem: (key: string) => void problems.push(key) };
        const raw = {
            name: "t",
            hosts: ["a.example.com"],
            egress: [{ cidr: "203.0.113.0/24", ports: [443] }],
            environments: {
                prod: { hosts: ["b.example.com"], egress: [], loadBalancers: 1 },
            },
        };
        const prod = forEnvironment(r, "t.yaml", raw, "prod", ["staging", "prod"]);
        assert.deepEqual(prod.hosts, ["b.example.com"]);
        assert.deepEqual(prod.egress, []);
        assert.equal(prod.loadBalancers, 1);
        const staging = forEnvironment(r, "t.yaml", raw, "staging", ["staging", "prod"]);
        assert.deepEqual(staging.hosts, ["a.example.com"]);
        assert.deepEqual(problems, []);
    });
});
