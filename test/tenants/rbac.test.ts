// The reconciler's Role, attacked: a team's repository is applied as the reconciler, so whatever the
// Role allows, the team's Git history can do. Each test asks the rules, by RBAC's own matching, for
// something the team must not get.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
    RECONCILER_SERVICE_ACCOUNT,
    reconcilerRole,
    reconcilerRoleBinding,
    reconcilerServiceAccount,
} from "../../components/tenants/manifests";
import { renderHelmKit, renderKustomizeOverlay } from "../support/kits";
import { ALL_VERBS, allows, verbsOn } from "../support/rbac";
import { validateObject } from "../support/schemas";
import { helmTeamConfig } from "../support/tenants";

const team = helmTeamConfig();
const rules = reconcilerRole(team).rules;

/** API group and resource of each kind the starter kits and Helm write. */
const RESOURCES: Record<string, readonly [string, string]> = {
    Deployment: ["apps", "deployments"],
    Service: ["", "services"],
    Pod: ["", "pods"],
    Ingress: ["networking.k8s.io", "ingresses"],
    Secret: ["", "secrets"],
};
const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];

describe("the reconciler's Role (attacks by the team's repository)", () => {
    const guardrails: [string, string][] = [
        ["networking.k8s.io", "networkpolicies"],
        ["cilium.io", "ciliumnetworkpolicies"],
        ["rbac.authorization.k8s.io", "roles"],
        ["rbac.authorization.k8s.io", "rolebindings"],
        ["", "resourcequotas"],
        ["", "limitranges"],
    ];
    for (const [group, resource] of guardrails) {
        test(`has no verb on ${resource}: the team cannot remove, widen or add its guardrails`, () => {
            assert.deepEqual(verbsOn(rules, group, resource), []);
        });
    }

    test("holds no wildcard, so no new API or verb ever widens it", () => {
        for (const rule of rules)
            for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs])
                assert.ok(!value.includes("*"), JSON.stringify(rule));
    });

    test("cannot escalate, bind or impersonate anything", () => {
        for (const rule of rules)
            for (const verb of ["escalate", "bind", "impersonate"]) assert.ok(!rule.verbs.includes(verb));
    });

    test("cannot exec into, attach to or port-forward pods, nor mint service account tokens", () => {
        for (const resource of ["pods/exec", "pods/attach", "pods/portforward", "pods/ephemeralcontainers"])
            assert.deepEqual(verbsOn(rules, "", resource), [], resource);
        assert.deepEqual(verbsOn(rules, "", "serviceaccounts/token"), []);
    });

    test("cannot run a DaemonSet (a pod on every node)", () => {
        assert.deepEqual(verbsOn(rules, "apps", "daemonsets"), []);
    });

    test("may only read and delete Ingresses (prune the one an HTTPRoute replaced), never write one", () => {
        assert.deepEqual(verbsOn(rules, "networking.k8s.io", "ingresses"), [
            "get",
            "list",
            "watch",
            "delete",
        ]);
    });

    test("cannot change the platform's notification Providers and Alerts", () => {
        for (const resource of ["providers", "alerts", "receivers"])
            assert.deepEqual(verbsOn(rules, "notification.toolkit.fluxcd.io", resource), [], resource);
    });

    test("may write every kind the starter kits ship, and the Secrets Helm keeps its releases in", () => {
        const kinds = new Set([
            ...renderHelmKit({ ingress: { enabled: true } }).map((o) => o.kind),
            ...renderKustomizeOverlay("staging").map((o) => o.kind),
            "Secret",
        ]);
        for (const kind of kinds) {
            assert.ok(RESOURCES[kind], `kind ${kind} of a kit has no entry in RESOURCES`);
            const [group, resource] = RESOURCES[kind];
            for (const verb of WRITE) assert.ok(allows(rules, { group, resource, verb }), `${verb} ${kind}`);
        }
    });

    test("may write the Flux objects a kustomize team's repository may hold", () => {
        for (const [group, resource] of [
            ["helm.toolkit.fluxcd.io", "helmreleases"],
            ["source.toolkit.fluxcd.io", "helmrepositories"],
            ["source.toolkit.fluxcd.io", "gitrepositories"],
            ["source.toolkit.fluxcd.io", "ocirepositories"],
            ["kustomize.toolkit.fluxcd.io", "kustomizations"],
        ])
            for (const verb of WRITE)
                assert.ok(allows(rules, { group, resource, verb }), `${verb} ${resource}`);
    });

    test("is bound by a RoleBinding in the team's namespace to the reconciler alone", () => {
        const binding = reconcilerRoleBinding(team);
        assert.equal(binding.metadata.namespace, team.name);
        assert.deepEqual(binding.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: reconcilerRole(team).metadata.name,
        });
        assert.deepEqual(binding.subjects, [
            { kind: "ServiceAccount", name: RECONCILER_SERVICE_ACCOUNT, namespace: team.name },
        ]);
        assert.equal(reconcilerRole(team).metadata.namespace, team.name);
    });

    test("belongs to a ServiceAccount that mounts no token into pods", () => {
        assert.equal(reconcilerServiceAccount(team).automountServiceAccountToken, false);
    });

    test("the matcher used here honours wildcards and subresources, as the API server does", () => {
        const wide = [{ apiGroups: ["*"], resources: ["pods/*", "*/scale"], verbs: ["*"] }];
        assert.ok(allows(wide, { group: "", resource: "pods/exec", verb: "create" }));
        assert.ok(allows(wide, { group: "apps", resource: "deployments/scale", verb: "update" }));
        assert.ok(!allows(wide, { group: "", resource: "pods", verb: "get" }));
        assert.equal(
            verbsOn([{ apiGroups: [""], resources: ["*"], verbs: ["*"] }], "", "x").length,
            ALL_VERBS.length,
        );
    });

    test("the Role and its RoleBinding validate against their schemas", async () => {
        await validateObject(structuredClone(reconcilerRole(team)) as never);
        await validateObject(structuredClone(reconcilerRoleBinding(team)) as never);
        await validateObject(structuredClone(reconcilerServiceAccount(team)) as never);
    });
});
