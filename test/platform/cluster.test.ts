// A cluster stack (stackRole: cluster) under mocks: the in-cluster half of an environment and nothing
// of Azure. The e2e (npm run e2e) applies the same stack to a real API server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StackName, kubernetesObjects, one, ofType, run } from "../support/program";

const key = (k: string) => `gitops-platform:${k}`;
const LOCAL = "local" as StackName;
/** The fixture instance's local stack and teams: dev-team1 (Helm, accessRole edit) and dev-team2 (Kustomize). */
const cluster = (overrides: Record<string, unknown> = {}) => run(LOCAL, overrides);

describe("a cluster stack", () => {
    for (const trusted of ["clusterGatewayNamespace", "legacyIngressNamespace", "chartRepositoryNamespace"])
        test(`attack: a team named after the ${trusted} (trusted by every web app's network policy) is refused`, () =>
            assert.rejects(
                cluster({ [key(trusted)]: "dev-team2" }),
                new RegExp(`${trusted}: got "dev-team2"; allowed: a namespace no team is named after`),
            ));

    test("registers only Kubernetes objects and the platform's components: nothing of Azure, GitHub, tls or random", async () => {
        const r = await cluster();
        const foreign = r.resources.filter(
            (x) => !/^(kubernetes:|gitops:|pulumi:pulumi:Stack$|pulumi:providers:kubernetes$)/.test(x.type),
        );
        assert.deepEqual(
            foreign.map((x) => x.type),
            [],
        );
    });

    test("applies every team's tenant from the environment it plays (clusterEnvironment)", async () => {
        const r = await cluster();
        const names = kubernetesObjects(r, "Namespace").map((n) => n.inputs.metadata.name);
        assert.deepEqual(names.sort(), ["dev-team1", "dev-team2"]);
    });

    test("with fluxInstall external, leaves flux-system to whoever installed Flux: a destroy keeps their Flux", async () => {
        const r = await cluster();
        const fluxSystem = kubernetesObjects(r, "Namespace").filter(
            (n) => n.inputs.metadata.name === "flux-system",
        );
        assert.deepEqual(fluxSystem, []);
    });

    test("with fluxInstall chart, flux-system is the platform's", async () => {
        const r = await cluster({ [key("fluxInstall")]: "chart" });
        const fluxSystem = kubernetesObjects(r, "Namespace").filter(
            (n) => n.inputs.metadata.name === "flux-system",
        );
        assert.equal(fluxSystem.length, 1);
    });

    test("binds each team's members group to its accessRole in its own namespace only", async () => {
        const r = await cluster();
        const binding = one(r, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "dev-team1-members");
        assert.equal(binding.inputs.metadata.namespace, "dev-team1");
        assert.deepEqual(binding.inputs.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "edit",
        });
        assert.deepEqual(binding.inputs.subjects, [
            { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "gitops:team:dev-team1" },
        ]);
    });

    test("with fluxInstall external, installs no Flux chart but the lockdown's network policies", async () => {
        const r = await cluster();
        assert.deepEqual(ofType(r, "kubernetes:helm.sh/v4:Chart"), []);
        const fluxPolicies = kubernetesObjects(r, "NetworkPolicy").filter(
            (p) => p.inputs.metadata.namespace === "flux-system",
        );
        assert.ok(fluxPolicies.length > 0);
    });

    test("with fluxInstall chart, installs the Flux CRDs and controllers from the pinned chart", async () => {
        const r = await cluster({ [key("fluxInstall")]: "chart" });
        assert.equal(ofType(r, "kubernetes:helm.sh/v4:Chart").length, 2);
    });

    test("with fluxInstall chart, fetches both flux2 charts from fluxChartRepository, http allowed (the e2e's chart repository)", async () => {
        const repo = "http://127.0.0.1:8179/flux";
        const r = await cluster({ [key("fluxInstall")]: "chart", [key("fluxChartRepository")]: repo });
        const charts = ofType(r, "kubernetes:helm.sh/v4:Chart");
        assert.deepEqual(
            charts.map((c) => c.inputs.repositoryOpts.repo),
            [repo, repo],
        );
    });

    test("syncs the fleet from fleetRepositoryUrl without credentials", async () => {
        const r = await cluster();
        const source = one(r, "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", "flux-git-repository");
        assert.equal(source.inputs.spec.url, "http://git.git.svc:8080/fleet.git");
        assert.equal(source.inputs.spec.secretRef, undefined);
    });

    test("admits images from registryLoginServer only: the team's prefix is in its params", async () => {
        const r = await cluster({ [key("registryLoginServer")]: "registry.example.test:5000" });
        const namespace = kubernetesObjects(r, "Namespace").find(
            (n) => n.inputs.metadata.name === "dev-team1",
        );
        assert.match(
            JSON.stringify(namespace?.inputs.metadata.annotations),
            /registry\.example\.test:5000\/dev-team1\//,
        );
    });

    test("reaches the cluster through the context the stack names, never the current one", async () => {
        const r = await cluster();
        assert.equal(one(r, "pulumi:providers:kubernetes").inputs.context, "kind-kind");
    });

    test("refuses a cluster stack without clusterContext, naming the key", async () => {
        await assert.rejects(
            cluster({ [key("clusterContext")]: undefined }),
            /gitops-platform:clusterContext: got nothing \(the key is not set\)/,
        );
    });

    test("refuses a cluster stack without clusterKubernetesVersion, naming the key", async () => {
        await assert.rejects(
            cluster({ [key("clusterKubernetesVersion")]: undefined }),
            /gitops-platform:clusterKubernetesVersion: got nothing \(the key is not set\)/,
        );
    });

    test("refuses a Kubernetes the admission policies cannot run on", async () => {
        await assert.rejects(
            cluster({ [key("clusterKubernetesVersion")]: "1.29.4" }),
            /gitops-platform:clusterKubernetesVersion: got "1\.29\.4"; allowed: Kubernetes 1\.30 or later/,
        );
    });

    test("refuses an AKS key set in a cluster stack, which does not read it", async () => {
        await assert.rejects(
            cluster({ [key("location")]: "westeurope" }),
            /gitops-platform:location: got "westeurope"; allowed: unset in a cluster stack: only the environment stacks read it/,
        );
    });

    test("refuses a clusterEnvironment that is not one of environments, listing them", async () => {
        await assert.rejects(
            cluster({ [key("clusterEnvironment")]: "qa" }),
            /gitops-platform:clusterEnvironment: got "qa"; allowed: one of environments: staging, prod/,
        );
    });

    test("refuses a cluster key set in an environment stack", async () => {
        await assert.rejects(
            run("staging", { [key("registryLoginServer")]: "127.0.0.1:5000" }),
            /gitops-platform:registryLoginServer: .*unset in an environment stack: only the cluster stack reads it/,
        );
    });
});
