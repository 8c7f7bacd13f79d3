import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../../src/config/keys";
import {
    FLUX_CONTROLLER_RESOURCES,
    LOCKDOWN_ARGS,
    FLUX_INSTALL,
    GITHUB_SSH_HOST_KEYS,
    clusterKustomizationYaml,
    fleetHtmlUrl,
    fleetSource,
    fleetSshUrl,
    fleetSync,
    fluxChartValues,
    gitSshSecretData,
    githubKnownHosts,
    objectIdentityClusterRole,
    objectIdentityClusterRoleBinding,
} from "../../components/flux/manifests";
import { FLUX_RECONCILED_KINDS, alert, notificationProvider } from "../../src/flux";
import { validateObject } from "../support/schemas";

const meta = { name: "flux-system", namespace: "flux-system" };
type ControllerValues = { container: { additionalArgs: string[] } };
/** The chart's four controllers, by their values key. */
const CONTROLLERS = [
    "sourceController",
    "kustomizeController",
    "helmController",
    "notificationController",
] as const;

describe("Flux chart values", () => {
    const values = fluxChartValues() as Record<string, ControllerValues> & Record<string, unknown>;

    const lockdown: [controller: string, why: string, first: string[]][] = [
        [
            "kustomizeController",
            "refuses cross-namespace references and remote bases and defaults to the namespace's default account",
            ["--no-cross-namespace-refs=true", "--no-remote-bases=true", "--default-service-account=default"],
        ],
        [
            "helmController",
            "refuses cross-namespace references and defaults to the namespace's default account, kubeconfig included",
            [
                "--no-cross-namespace-refs=true",
                "--default-service-account=default",
                "--default-kubeconfig-service-account=default",
            ],
        ],
        [
            "notificationController",
            "refuses cross-namespace references and authenticates Providers as the namespace's default account",
            ["--no-cross-namespace-refs=true", "--default-service-account=default"],
        ],
    ];
    for (const [controller, why, first] of lockdown)
        test(`${controller} ${why}`, () => {
            assert.deepEqual(values[controller].container.additionalArgs.slice(0, first.length), first);
        });

    test("kustomize-controller decrypts and reaches remote clusters as the namespace's default account, never its own identity", () => {
        const args = values.kustomizeController.container.additionalArgs;
        assert.ok(args.includes("--default-decryption-service-account=default"), args.join(" "));
        assert.ok(args.includes("--default-kubeconfig-service-account=default"), args.join(" "));
    });

    for (const controller of ["kustomizeController", "helmController"] as const) {
        test(`${controller} cancels a failed rollout's health check when a new revision arrives`, () => {
            // One --feature-gates flag per gate: component-base's MapStringBool merges repeated flags.
            assert.ok(
                values[controller].container.additionalArgs.includes(
                    "--feature-gates=CancelHealthCheckOnNewRevision=true",
                ),
            );
        });
    }

    test("attack: an OCIRepository with provider azure and no service account is read as the namespace's default account, not the node's identity", () => {
        assert.ok(
            values.sourceController.container.additionalArgs.includes("--default-service-account=default"),
        );
    });

    test("every controller given a default service account runs the ObjectLevelWorkloadIdentity gate, without which Flux refuses to start", () => {
        for (const controller of CONTROLLERS) {
            const args = values[controller].container.additionalArgs;
            if (args.some((a) => /^--default-(kubeconfig-|decryption-)?service-account=/.test(a)))
                assert.ok(args.includes("--feature-gates=ObjectLevelWorkloadIdentity=true"), controller);
        }
    });

    test("the chart's own multitenancy switch stays off so no flag is set twice", () => {
        assert.deepEqual(values.multitenancy, { enabled: false });
    });

    test("the CRDs are installed by the chart and image automation is left out, as flux bootstrap does", () => {
        assert.equal(values.installCRDs, true);
        assert.deepEqual(values.imageAutomationController, { create: false });
        assert.deepEqual(values.imageReflectionController, { create: false });
    });

    test("source-controller gets no workload identity of its own (no service account annotations, no labels)", () => {
        assert.deepEqual(values.sourceController, {
            resources: FLUX_CONTROLLER_RESOURCES.sourceController,
            container: { additionalArgs: [...LOCKDOWN_ARGS.sourceController] },
        });
    });

    test("the chart's own network policies are off: they admit every namespace (components/flux/networkPolicies.ts replaces them)", () => {
        assert.deepEqual(values.policies, { create: false });
    });

    test("every controller gets the upstream manifests' requests and limits (1 CPU, 1Gi at most)", () => {
        for (const controller of CONTROLLERS) {
            const resources = (
                values[controller] as unknown as { resources: Record<string, Record<string, string>> }
            ).resources;
            assert.deepEqual(resources.limits, { cpu: "1000m", memory: "1Gi" }, controller);
            assert.equal(resources.requests.memory, "64Mi", controller);
        }
    });

    test("the installation is the upstream flux2 chart of the fluxcd-community repository", () => {
        assert.equal(FLUX_INSTALL.chart, "flux2");
        assert.equal(
            CONFIG_KEYS.fluxChartRepository.default,
            "https://fluxcd-community.github.io/helm-charts",
        );
    });
});

describe("source-controller's object-level workload identity RBAC", () => {
    test("the ClusterRole reads service accounts and mints the chart readers' tokens, nothing else", () => {
        assert.deepEqual(objectIdentityClusterRole().rules, [
            { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "list", "watch"] },
            {
                apiGroups: [""],
                resources: ["serviceaccounts/token"],
                verbs: ["create"],
                resourceNames: ["flux-chart-reader"],
            },
        ]);
    });

    test("attack: it cannot mint a token for kustomize-controller (cluster-admin) or any account but a chart reader", () => {
        // What the API server's RBAC authorizer decides for `create serviceaccounts/token` on one account.
        const mayMint = (account: string) =>
            objectIdentityClusterRole().rules.some(
                (r: { resources: string[]; verbs: string[]; resourceNames?: string[] }) =>
                    r.resources.includes("serviceaccounts/token") &&
                    r.verbs.includes("create") &&
                    (r.resourceNames === undefined || r.resourceNames.includes(account)),
            );
        assert.equal(mayMint("kustomize-controller"), false);
        assert.equal(mayMint("flux-reconciler"), false);
        assert.equal(mayMint("flux-chart-reader"), true);
    });

    test("it is bound to source-controller's service account alone", () => {
        const binding = objectIdentityClusterRoleBinding("flux-system");
        assert.deepEqual(binding.subjects, [
            { kind: "ServiceAccount", name: "source-controller", namespace: "flux-system" },
        ]);
        assert.deepEqual(binding.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: objectIdentityClusterRole().metadata.name,
        });
    });

    test("both validate against Kubernetes' schemas", async () => {
        await validateObject(objectIdentityClusterRole());
        await validateObject(objectIdentityClusterRoleBinding("flux-system"));
    });
});

describe("Fleet Git access", () => {
    test("known_hosts lists github.com with each of GitHub's published host key types", () => {
        const lines = githubKnownHosts().trim().split("\n");
        assert.deepEqual(
            lines.map((l) => l.split(" ").slice(0, 2).join(" ")),
            ["github.com ssh-ed25519", "github.com ecdsa-sha2-nistp256", "github.com ssh-rsa"],
        );
        assert.equal(lines.length, GITHUB_SSH_HOST_KEYS.length);
    });

    test("the sync Secret's data has the identity, identity.pub and known_hosts keys flux bootstrap writes", () => {
        const data = gitSshSecretData("PRIVATE", "PUBLIC");
        assert.deepEqual(Object.keys(data).sort(), ["identity", "identity.pub", "known_hosts"]);
        assert.equal(data.identity, "PRIVATE");
        assert.equal(data["identity.pub"], "PUBLIC");
        assert.equal(data.known_hosts, githubKnownHosts());
    });

    test("the fleet is cloned over ssh://git@github.com/<owner>/<repository>", () => {
        assert.equal(
            fleetSshUrl("one-kubernetes", "workshop"),
            "ssh://git@github.com/one-kubernetes/workshop",
        );
        assert.equal(
            fleetHtmlUrl("one-kubernetes", "workshop"),
            "https://github.com/one-kubernetes/workshop",
        );
    });

    test("the seeded kustomization.yaml is an empty kustomize Kustomization", () => {
        const seed = parse(clusterKustomizationYaml("staging", "clusters/staging"));
        assert.deepEqual(seed, {
            apiVersion: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: [],
        });
    });
});

describe("Flux objects", () => {
    const source = fleetSource({
        metadata: meta,
        url: "ssh://git@github.com/one-kubernetes/fleet-infra",
        branch: "main",
        interval: "1m",
        secretName: "flux-system",
    });
    const sync = fleetSync({
        metadata: meta,
        path: "clusters/prod",
        interval: "10m",
        sourceName: "flux-system",
        serviceAccountName: "kustomize-controller",
    });
    const teams = notificationProvider({
        metadata: { name: "ops", namespace: "flux-system" },
        type: "msteams",
        secretName: "hook",
    });
    const status = notificationProvider({
        metadata: { name: "ops", namespace: "flux-system" },
        type: "github",
        secretName: "token",
        address: "https://github.com/one-kubernetes/fleet-infra",
    });
    const failures = alert({
        metadata: { name: "failures", namespace: "flux-system" },
        providerName: "ops",
        severity: "error",
        kinds: FLUX_RECONCILED_KINDS,
        eventMetadata: { cluster: "prod" },
    });

    test("the GitRepository follows the branch with the deploy key's Secret", () => {
        assert.deepEqual(source.spec.ref, { branch: "main" });
        assert.deepEqual(source.spec.secretRef, { name: "flux-system" });
        assert.equal(source.spec.url, "ssh://git@github.com/one-kubernetes/fleet-infra");
    });

    test("the Kustomization applies ./<path> of the GitRepository with pruning", () => {
        assert.equal(sync.spec.path, "./clusters/prod");
        assert.equal(sync.spec.prune, true);
        assert.deepEqual(sync.spec.sourceRef, { kind: "GitRepository", name: "flux-system" });
        assert.equal(sync.spec.serviceAccountName, "kustomize-controller");
    });

    test("a path given with ./ is not doubled", () => {
        const again = fleetSync({
            metadata: meta,
            path: "./clusters/prod",
            interval: "10m",
            sourceName: "s",
            serviceAccountName: "a",
        });
        assert.equal(again.spec.path, "./clusters/prod");
    });

    test("a webhook Provider has no address of its own: the URL stays in the Secret", () => {
        assert.deepEqual(teams.spec, { type: "msteams", secretRef: { name: "hook" } });
    });

    test("a github Provider addresses the fleet repository", () => {
        assert.equal(status.spec.address, "https://github.com/one-kubernetes/fleet-infra");
    });

    test("the Alert names its provider and watches deploys and sources at the given severity", () => {
        assert.deepEqual(failures.spec.providerRef, { name: "ops" });
        assert.equal(failures.spec.eventSeverity, "error");
        const kinds = (failures.spec.eventSources as { kind: string; name: string }[]).map((s) => s.kind);
        for (const kind of [
            "Kustomization",
            "HelmRelease",
            "GitRepository",
            "HelmRepository",
            "OCIRepository",
        ]) {
            assert.ok(kinds.includes(kind), kind);
        }
        assert.ok((failures.spec.eventSources as { name: string }[]).every((s) => s.name === "*"));
        assert.deepEqual(failures.spec.eventMetadata, { cluster: "prod" });
    });

    test("the Alert never names another namespace (cross-namespace references are locked down)", () => {
        assert.ok((failures.spec.eventSources as object[]).every((s) => !("namespace" in s)));
    });

    for (const object of [source, sync, teams, status, failures]) {
        test(`the ${object.kind} ${object.spec.type ?? ""} validates against Flux's CRD schema`, async () => {
            await validateObject(object as never);
        });
    }
});
