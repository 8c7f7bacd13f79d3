import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { STACKS, run } from "../support/program";
import { TENANTS_KEY, stackTenants, teamKey } from "../support/tenants";
import { isGitUrl } from "../../components/tenants/config";

/** The staging teams with `change` applied, as a `tenants` override. */
function staging(change: (tenants: Record<string, any>[]) => void): Record<string, unknown> {
    const tenants = stackTenants("staging");
    change(tenants);
    return { [TENANTS_KEY]: tenants };
}

/** `key` is `[<team index>].<path>`: the problem names that team's file and the path in it. */
const rejectsNaming = (
    overrides: Record<string, unknown>,
    key: string,
    stack: (typeof STACKS)[number] = "staging",
) => {
    const [, index, path] = /^\[(\d+)\]\.(.*)$/.exec(key)!;
    return assert.rejects(run(stack, overrides), new RegExp(`${teamKey(Number(index), path)}:`));
};

describe("tenants config", () => {
    for (const stack of STACKS) {
        test(`the ${stack} stack file's teams are valid`, async () => {
            const r = await run(stack);
            assert.deepEqual(r.outputs.tenantNamespaces, ["dev-team1", "dev-team2"]);
        });
    }

    test("a duplicate team is refused, naming the second entry", () =>
        rejectsNaming(
            staging((t) => t.push({ ...t[0] })),
            "[2].name",
        ));

    test("a team name that is not a DNS label is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].name = "Dev_Team1")),
            "[0].name",
        ));

    for (const reserved of ["kube-system", "flux-system", "default", "kube-anything"]) {
        test(`the reserved namespace ${reserved} is refused`, () =>
            rejectsNaming(
                staging((t) => (t[1].name = reserved)),
                "[1].name",
            ));
    }

    test("an unknown delivery kind is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].delivery = "argocd")),
            "[0].delivery",
        ));

    test("a flow naming an unknown team is refused", () =>
        rejectsNaming(
            staging((t) => t[0].flows.push({ from: "front", to: "dev-team9/api" })),
            "[0].flows[1].to",
        ));

    test("a flow naming an unknown app of a known team is refused", () =>
        rejectsNaming(
            staging((t) => t[0].flows.push({ from: "front", to: "dev-team2/api" })),
            "[0].flows[1].to",
        ));

    test("attack: a flow into another team's app that team does not declare is refused, naming the file that must", async () => {
        await assert.rejects(
            run("staging", {
                [TENANTS_KEY]: stackTenants("staging").map((t, i) =>
                    i === 1
                        ? { ...t, flows: [...(t.flows ?? []), { from: "app", to: "dev-team1/back" }] }
                        : t,
                ),
            }),
            /team1\.yaml: flows\[\d\]: got "app -> dev-team1\/back"; allowed: a flow team dev-team1 agrees to: \S*team0\.yaml must declare the same flow, \{ from: dev-team2\/app, to: back, port: 8080 \}/,
        );
    });

    // main gets every push; develop stands for any other branch the team pushes to.
    for (const branch of ["main", "develop"]) {
        test(`attack: a Kustomize team whose prod follows ${branch} (pushes, unverified) is refused`, () => {
            const tenants = stackTenants("prod");
            tenants[1].git = { ...tenants[1].git, branch };
            return assert.rejects(
                run("prod", { [TENANTS_KEY]: tenants }),
                new RegExp(
                    `${teamKey(1, "git.branch")}: got "${branch}"; allowed: prod, the branch only promotion pull requests change`,
                ),
            );
        });
    }

    test("attack: a Kustomize team whose prod follows a tag (which it can move) is refused", () => {
        const tenants = stackTenants("prod");
        tenants[1].git = { ...tenants[1].git, tag: "v1.2.7" };
        return assert.rejects(
            run("prod", { [TENANTS_KEY]: tenants }),
            new RegExp(`${teamKey(1, "git.tag")}: got "v1\\.2\\.7"; allowed: no tag here`),
        );
    });

    test("a Kustomize team pending in prod (before its first promotion) gets no GitRepository or Kustomization there", async () => {
        const tenants = stackTenants("prod");
        tenants[1].git = { url: tenants[1].git.url, pending: true };
        const r = await run("prod", { [TENANTS_KEY]: tenants });
        const flux = r.resources.filter(
            (x) => /GitRepository|Kustomization/.test(x.type) && x.inputs.metadata?.namespace === "dev-team2",
        );
        assert.deepEqual(flux, []);
        assert.ok((r.outputs.tenantNamespaces as string[]).includes("dev-team2"), "the team itself is there");
    });

    test("a Kustomize team pending in staging is refused: staging deploys every build", () => {
        const tenants = stackTenants("staging");
        tenants[1].git = { ...tenants[1].git, pending: true };
        return assert.rejects(
            run("staging", { [TENANTS_KEY]: tenants }),
            new RegExp(`${teamKey(1, "git.pending")}: got true; allowed: no pending key here`),
        );
    });

    test("a Kustomize team's staging may follow main", async () => {
        const tenants = stackTenants("staging");
        tenants[1].git = { ...tenants[1].git, branch: "main" };
        await run("staging", { [TENANTS_KEY]: tenants });
    });

    test("a flow between two other teams is refused", () =>
        rejectsNaming(
            staging((t) => (t[1].flows = [{ from: "dev-team1/front", to: "dev-team1/back" }])),
            "[1].flows[0].from",
        ));

    test("a helm team without apps is refused", () =>
        rejectsNaming(
            staging((t) => delete t[0].apps),
            "[0].apps",
        ));

    test("a helm app without a version is refused where its environment writes it, the app by name", () =>
        rejectsNaming(
            staging((t) => delete t[0].apps[1].version),
            "[0].environments.staging.apps.front.version",
        ));

    test("a privileged pod security level is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].podSecurity = "privileged")),
            "[0].podSecurity",
        ));

    test("a misspelt key is refused rather than ignored", () =>
        rejectsNaming(
            staging((t) => (t[0].apps[1].dependson = ["back"])),
            "[0].apps[1].dependson",
        ));

    test("an app that depends on a pending app (not promoted yet) is refused: it would wait forever", () => {
        const tenants = stackTenants("prod");
        const back = tenants[0].apps.find((a: { name: string }) => a.name === "back");
        delete back.version;
        delete back.digest;
        back.pending = true;
        return assert.rejects(
            run("prod", { [TENANTS_KEY]: tenants }),
            /team0\.yaml: apps\[1\]\.dependsOn: got "back"; allowed: an app deployed here: back is pending/,
        );
    });

    test("a dependsOn cycle between apps is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].apps[0].dependsOn = ["front"])),
            "[0].apps",
        ));

    test("a default request above the default limit is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].limits = { defaultMemory: "256Mi", defaultRequestMemory: "1Gi" })),
            "[0].limits.defaultRequestMemory",
        ));

    test("git on a helm team is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].git = t[1].git)),
            "[0].git",
        ));

    test("a kustomize team without git is refused", () =>
        rejectsNaming(
            staging((t) => delete t[1].git),
            "[1].git",
        ));

    test("an access role other than view, edit or admin is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].accessRole = "cluster-admin")),
            "[0].accessRole",
        ));

    test("remediation retries above 10 are refused", () =>
        rejectsNaming(
            staging((t) => (t[0].remediationRetries = 50)),
            "[0].remediationRetries",
        ));

    test("prod refuses a version range: it pins exact versions", () => {
        const tenants = stackTenants("prod");
        tenants[0].apps[0].version = "^0.3.0";
        return rejectsNaming({ [TENANTS_KEY]: tenants }, "[0].apps[0].version", "prod");
    });

    test("prod refuses a helm app without an image digest: it runs exactly what staging verified", () => {
        const tenants = stackTenants("prod");
        delete tenants[0].apps[1].digest;
        return rejectsNaming({ [TENANTS_KEY]: tenants }, "[0].environments.prod.apps.front.digest", "prod");
    });

    test("an image digest that is not sha256 and 64 hex digits is refused", () => {
        const tenants = stackTenants("prod");
        tenants[0].apps[0].digest = "sha256:abc";
        return rejectsNaming({ [TENANTS_KEY]: tenants }, "[0].apps[0].digest", "prod");
    });

    test("every problem is reported at once", async () => {
        const overrides = staging((t) => {
            t[0].delivery = "argocd";
            t[1].name = "kube-system";
        });
        await assert.rejects(run("staging", overrides), (e: Error) => {
            assert.match(e.message, new RegExp(teamKey(0, "delivery")));
            assert.match(e.message, new RegExp(teamKey(1, "name")));
            return true;
        });
    });

    test("a quota that cannot hold its pods at the default requests is refused, naming the keys and numbers", () =>
        assert.rejects(
            run(
                "staging",
                staging((t) => (t[0].quota = { cpu: "2", pods: 30 })),
            ),
            new RegExp(
                `${teamKey(0, "quota.cpu")}: got "2"; allowed: at least 3: quota\\.pods \\(30\\) pods at limits\\.defaultRequestCpu \\(100m\\) each`,
            ),
        ));

    test("an ephemeral storage quota too small for the pods at the default request is refused", () =>
        assert.rejects(
            run(
                "staging",
                staging((t) => (t[0].quota = { ephemeralStorage: "1Gi" })),
            ),
            /quota\.ephemeralStorage: got "1Gi"; allowed: at least 3840Mi: quota\.pods \(30\)/,
        ));

    test("a quota key that does not exist (limitsCpu: limits are derived) is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].quota = { limitsCpu: "100" })),
            "[0].quota.limitsCpu",
        ));

    test("a default ephemeral storage request above its default limit is refused", () =>
        rejectsNaming(
            staging(
                (t) =>
                    (t[0].limits = {
                        defaultEphemeralStorage: "64Mi",
                        defaultRequestEphemeralStorage: "128Mi",
                    }),
            ),
            "[0].limits.defaultRequestEphemeralStorage",
        ));

    test("a negative PVC count is refused", () =>
        rejectsNaming(
            staging((t) => (t[0].quota = { persistentVolumeClaims: -1 })),
            "[0].quota.persistentVolumeClaims",
        ));

    for (const host of ["*.example.com", "https://shop.example.com", "Shop.example.com", "shop"]) {
        test(`a host ${host} is refused: Ingress hosts are exact lowercase names`, () =>
            rejectsNaming(
                staging((t) => (t[0].hosts = [host])),
                "[0].hosts[0]",
            ));
    }

    test("a host another team declared is refused, naming its owner", () =>
        assert.rejects(
            run(
                "staging",
                staging((t) => {
                    t[0].hosts = ["shop.example.com"];
                    t[1].hosts = ["shop.example.com"];
                }),
            ),
            new RegExp(
                `${teamKey(1, "hosts[0]")}: got "shop\\.example\\.com"; allowed: a host no other team declares \\(dev-team1 does\\)`,
            ),
        ));

    test("the chart repository's host is refused: it is the platform's", () =>
        assert.rejects(
            run(
                "staging",
                staging((t) => (t[1].hosts = ["charts.staging.gitops.example.com"])),
            ),
            /chartMuseumHost: got "charts\.staging\.gitops\.example\.com"; allowed: a host no team declares: team dev-team2 lists it/,
        ));

    for (const loadBalancers of [6, -1, "one", "1.5", true]) {
        test(`loadBalancers ${JSON.stringify(loadBalancers)} is refused (an integer from 0 to 5)`, () =>
            rejectsNaming(
                staging((t) => (t[0].loadBalancers = loadBalancers)),
                "[0].loadBalancers",
            ));
    }

    const egress = (entry: Record<string, unknown>) => staging((t) => (t[0].egress = [entry]));
    for (const [cidr, why] of [
        ["169.254.169.254/32", "the Instance Metadata Service"],
        ["168.63.129.16/32", "the WireServer"],
        ["10.244.7.0/24", "the pods"],
        ["10.0.0.10/32", "the Services"],
        ["10.224.0.0/16", "the nodes"],
        ["203.0.113.7/24", "host bits set"],
        ["203.0.113.0", "no prefix"],
        ["203.0.113.0/33", "a prefix above 32"],
        ["2001:db8::/32", "IPv6"],
    ]) {
        test(`an egress to ${cidr} is refused (${why})`, () =>
            rejectsNaming(egress({ cidr, ports: [443] }), "[0].egress[0].cidr"));
    }

    test("an egress to IMDS is refused, naming what it is", () =>
        assert.rejects(
            run("staging", egress({ cidr: "169.254.169.254/32", ports: [80] })),
            /egress\[0\]\.cidr: got "169\.254\.169\.254\/32"; allowed: a range outside 169\.254\.169\.254\/32, the Azure Instance Metadata Service/,
        ));

    test("an egress without ports is refused: nothing opens a whole range", () =>
        rejectsNaming(egress({ cidr: "203.0.113.0/24", ports: [] }), "[0].egress[0].ports"));

    test("an egress port out of range is refused", () =>
        rejectsNaming(egress({ cidr: "203.0.113.0/24", ports: [0] }), "[0].egress[0].ports[0]"));

    test("an egress from an app the team does not have is refused", () =>
        rejectsNaming(
            egress({ cidr: "203.0.113.0/24", ports: [443], apps: ["api"] }),
            "[0].egress[0].apps[0]",
        ));

    test("an egress to a host name is refused, saying why (no FQDN policies on this cluster)", () =>
        assert.rejects(
            run("staging", egress({ host: "api.example.com", ports: [443] })),
            /egress\[0\]\.host: got "api\.example\.com"; allowed: nothing: host names need FQDN network policies/,
        ));

    test("a misspelt egress key is refused", () =>
        rejectsNaming(egress({ cidr: "203.0.113.0/24", port: 443 }), "[0].egress[0].port"));

    test("an app named <app>-test next to <app> is refused (its pods would pass for the Helm test)", () =>
        rejectsNaming(
            staging((t) => t[0].apps.push({ ...t[0].apps[0], name: "back-test" })),
            "[0].apps[2].name",
        ));
});

describe("tenants config: a number written as a string", () => {
    const cases: [string, (t: Record<string, any>[], n: (v: number) => unknown) => void][] = [
        ["apps[].port", (t, n) => (t[0].apps[0].port = n(8080))],
        ["flows[].port", (t, n) => (t[0].flows[0].port = n(8080))],
        ["remediationRetries", (t, n) => (t[0].remediationRetries = n(2))],
        ["loadBalancers (guardrails file)", (t, n) => (t[0].loadBalancers = n(1))],
        ["quota.pods (guardrails file)", (t, n) => (t[0].quota = { pods: n(20) })],
        [
            "egress[].ports (guardrails file)",
            (t, n) => (t[0].egress = [{ cidr: "10.20.0.0/16", ports: [n(5432)] }]),
        ],
    ];
    for (const [key, set] of cases)
        test(`plans exactly as the number in ${key}, as "2" and 2 do in a quota's cpu`, async () => {
            const [asNumber, asString] = await Promise.all([
                run(
                    "staging",
                    staging((t) => set(t, (v) => v)),
                ),
                run(
                    "staging",
                    staging((t) => set(t, (v) => String(v))),
                ),
            ]);
            assert.deepEqual(
                asString.resources.map((x) => x.inputs),
                asNumber.resources.map((x) => x.inputs),
            );
        });
});

describe("a Kustomize team's repository URL", () => {
    const accepted = [
        "https://github.com/one-kubernetes/dev-team2",
        "ssh://git@github.com/one-kubernetes/dev-team2",
        "http://127.0.0.1:8174/dev-team2.git",
        "http://localhost/dev-team2.git",
    ];
    for (const url of accepted) {
        test(`accepts ${url}`, () => assert.equal(isGitUrl(url), true));
    }
    const refused = [
        "http://git.example.com/dev-team2.git",
        "http://127.0.0.1.evil.example/dev-team2.git",
        "http://localhost.evil.example/x.git",
        "git@github.com:one-kubernetes/dev-team2.git",
        "file:///srv/git/dev-team2.git",
    ];
    for (const url of refused) {
        test(`attack: refuses ${url} (plain http leaves the machine, or no Flux transport)`, () =>
            assert.equal(isGitUrl(url), false));
    }
});
