import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../../src/config/keys";
import {
    DEPENDENCY_REQUEUE_ARGS,
    FEATURE_GATE_ARGS,
    GITHUB_SSH_HOST_KEYS,
    LOCKDOWN_ARGS,
} from "../../components/flux/manifests";
import { fakeKeyPair } from "../../tools/offline/cloud";
import {
    STACKS,
    OfflineRun,
    RegisteredResource,
    isWireSecret,
    kubernetesObjects,
    one,
    ofType,
    run,
    secret,
} from "../support/program";
import { isFluxApiVersion, validateObject } from "../support/schemas";

const T = {
    component: "gitops:flux:Flux",
    githubProvider: "pulumi:providers:github",
    repository: "github:index/repository:Repository",
    branchDefault: "github:index/branchDefault:BranchDefault",
    protection: "github:index/branchProtection:BranchProtection",
    file: "github:index/repositoryFile:RepositoryFile",
    deployKey: "github:index/repositoryDeployKey:RepositoryDeployKey",
    tlsKey: "tls:index/privateKey:PrivateKey",
    chart: "kubernetes:helm.sh/v4:Chart",
    secret: "kubernetes:core/v1:Secret",
    k8sProvider: "pulumi:providers:kubernetes",
};

const GITHUB_TOKEN_PLACEHOLDER = "offline-placeholder-gitops-platform-githubToken";
const WEBHOOK = "https://example.webhook.office.com/webhookb2/secret-part";
const STATUS_TOKEN = "github_pat_status_only";

/** Paths in `value` where `needle` shows in plaintext (outside a secret wire value). */
function plaintextPaths(value: unknown, needle: string, path = "$"): string[] {
    if (isWireSecret(value)) return [];
    if (typeof value === "string") return value.includes(needle) ? [path] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => plaintextPaths(v, needle, `${path}[${i}]`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => plaintextPaths(v, needle, `${path}.${k}`));
    }
    return [];
}

function plaintextAnywhere(r: OfflineRun, needle: string): string[] {
    return r.resources.flatMap((x) =>
        plaintextPaths(x.wireInputs, needle).map((p) => `${x.type} ${x.name} ${p}`),
    );
}

function fluxObject(r: OfflineRun, kind: string, name: string): RegisteredResource {
    const found = kubernetesObjects(r, kind).filter(
        (x) =>
            x.inputs.metadata?.name === name &&
            x.inputs.metadata?.namespace === "flux-system" &&
            isFluxApiVersion(x.inputs.apiVersion),
    );
    assert.equal(found.length, 1, `one ${kind} ${name}`);
    return found[0];
}

const privateKeyOf = (r: OfflineRun) =>
    fakeKeyPair("ED25519", one(r, T.tlsKey, "flux-deploy-key").name).privateKeyOpenssh as string;
const publicKeyOf = (r: OfflineRun) =>
    fakeKeyPair("ED25519", one(r, T.tlsKey, "flux-deploy-key").name).publicKeyOpenssh as string;

for (const stack of STACKS) {
    describe(`Flux bootstrap (${stack})`, () => {
        test("the GitHub provider gets the owner from config and the token only as a secret", async () => {
            const r = await run(stack);
            const provider = one(r, T.githubProvider, "flux-github");
            assert.equal(provider.inputs.owner, "one-kubernetes");
            assert.ok(isWireSecret(provider.wireInputs.token));
            assert.deepEqual(plaintextAnywhere(r, GITHUB_TOKEN_PLACEHOLDER), []);
        });

        test("the GitHub token never reaches the cluster, not even as a Secret", async () => {
            const r = await run(stack);
            const inCluster = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
            assert.ok(inCluster.length > 0);
            for (const object of inCluster)
                assert.ok(!JSON.stringify(object.inputs).includes(GITHUB_TOKEN_PLACEHOLDER), object.name);
        });

        test("an existing fleet repository is looked up by owner/name and not created", async () => {
            const r = await run(stack);
            assert.ok(r.invokes.includes("github:index/getRepository:getRepository"));
            assert.equal(ofType(r, T.repository).length, 0);
            assert.equal(ofType(r, T.protection).length, 0);
        });

        test("the deploy key is an ed25519 key generated in the stack", async () => {
            const r = await run(stack);
            assert.equal(one(r, T.tlsKey, "flux-deploy-key").inputs.algorithm, "ED25519");
        });

        test("the deploy key is read-only and carries the generated key's public half", async () => {
            const r = await run(stack);
            const deployKey = one(r, T.deployKey, "flux-deploy-key");
            assert.equal(deployKey.inputs.readOnly, true);
            assert.equal(deployKey.inputs.key, publicKeyOf(r));
            assert.equal(deployKey.inputs.repository, "fleet-infra");
            assert.ok(deployKey.dependencies.includes(one(r, T.tlsKey, "flux-deploy-key").urn));
            assert.ok(deployKey.provider.startsWith(one(r, T.githubProvider, "flux-github").urn));
        });

        test("the private key travels only inside secret inputs", async () => {
            const r = await run(stack);
            const privateKey = privateKeyOf(r);
            assert.deepEqual(plaintextAnywhere(r, "fake-private-"), []);
            const syncSecret = one(r, T.secret, "flux-sync-secret");
            assert.ok(isWireSecret(syncSecret.wireInputs.stringData));
            assert.equal(syncSecret.inputs.stringData.identity, privateKey);
        });

        test("the sync Secret holds the key pair and GitHub's published host keys", async () => {
            const r = await run(stack);
            const data = one(r, T.secret, "flux-sync-secret").inputs.stringData;
            assert.equal(data["identity.pub"], publicKeyOf(r));
            for (const hostKey of GITHUB_SSH_HOST_KEYS)
                assert.ok(data.known_hosts.includes(`github.com ${hostKey}`));
            assert.deepEqual(one(r, T.secret, "flux-sync-secret").inputs.metadata, {
                name: "flux-system",
                namespace: "flux-system",
            });
        });

        test(`the cluster folder clusters/${stack} is seeded with a kustomization.yaml on main`, async () => {
            const r = await run(stack);
            const file = one(r, T.file, "flux-cluster-folder");
            assert.equal(file.inputs.file, `clusters/${stack}/kustomization.yaml`);
            assert.equal(file.inputs.branch, "main");
            assert.equal(parse(file.inputs.content).kind, "Kustomization");
        });

        test("the Flux controllers come from the flux2 chart at the pinned version", async () => {
            const r = await run(stack);
            const chart = one(r, T.chart, "flux-controllers");
            assert.equal(chart.inputs.chart, "flux2");
            assert.equal(chart.inputs.repositoryOpts.repo, "https://fluxcd-community.github.io/helm-charts");
            assert.equal(chart.inputs.version, CONFIG_KEYS.fluxChartVersion.default);
            assert.equal(chart.inputs.namespace, "flux-system");
            assert.ok(
                chart.dependencies.includes(one(r, "kubernetes:core/v1:Namespace", "flux-namespace").urn),
            );
        });

        test("the multi-tenancy lockdown flags reach kustomize, helm and notification controllers", async () => {
            const r = await run(stack);
            const values = one(r, T.chart, "flux-controllers").inputs.values;
            for (const controller of [
                "kustomizeController",
                "helmController",
                "notificationController",
            ] as const) {
                assert.ok(
                    values[controller].container.additionalArgs.includes("--no-cross-namespace-refs=true"),
                    controller,
                );
            }
            for (const controller of ["kustomizeController", "helmController"] as const) {
                assert.ok(
                    values[controller].container.additionalArgs.includes("--default-service-account=default"),
                    controller,
                );
            }
            assert.deepEqual(values.kustomizeController.container.additionalArgs, [
                ...LOCKDOWN_ARGS.kustomizeController,
                ...FEATURE_GATE_ARGS.kustomizeController,
                ...DEPENDENCY_REQUEUE_ARGS.kustomizeController,
            ]);
        });

        test("kustomize- and helm-controller look again at an object waiting on another every 5 s, not 30", async () => {
            const r = await run(stack);
            const values = one(r, T.chart, "flux-controllers").inputs.values;
            for (const controller of ["kustomizeController", "helmController"] as const)
                assert.ok(
                    values[controller].container.additionalArgs.includes("--requeue-dependency=5s"),
                    controller,
                );
        });

        test("the installation goes through the platform's Kubernetes provider", async () => {
            const r = await run(stack);
            const platformProvider = one(r, T.k8sProvider).urn;
            const chart = one(r, T.chart, "flux-controllers");
            assert.ok(chart.provider.startsWith(platformProvider));
            const inCluster = [
                one(r, T.secret, "flux-sync-secret"),
                ...kubernetesObjects(r, "GitRepository"),
                ...kubernetesObjects(r, "Kustomization"),
            ];
            for (const object of inCluster) {
                assert.ok(object.provider.startsWith(platformProvider), object.name);
            }
        });

        test("the flux-system GitRepository clones the fleet over ssh from main with the sync Secret", async () => {
            const r = await run(stack);
            const spec = fluxObject(r, "GitRepository", "flux-system").inputs.spec;
            assert.equal(spec.url, "ssh://git@github.com/one-kubernetes/fleet-infra");
            assert.deepEqual(spec.ref, { branch: "main" });
            assert.deepEqual(spec.secretRef, { name: "flux-system" });
            assert.equal(spec.interval, "1m");
        });

        test(`the flux-system Kustomization applies ./clusters/${stack} with pruning as the controller's account`, async () => {
            const r = await run(stack);
            const spec = fluxObject(r, "Kustomization", "flux-system").inputs.spec;
            assert.equal(spec.path, `./clusters/${stack}`);
            assert.equal(spec.prune, true);
            assert.deepEqual(spec.sourceRef, { kind: "GitRepository", name: "flux-system" });
            assert.equal(spec.serviceAccountName, "kustomize-controller");
            assert.equal(spec.interval, "10m");
        });

        test("every Flux custom resource depends on the installation", async () => {
            const r = await run(stack);
            const chart = one(r, T.chart, "flux-controllers").urn;
            const fluxObjects = r.resources.filter(
                (x) => x.type.startsWith("kubernetes:") && isFluxApiVersion(x.inputs.apiVersion ?? ""),
            );
            assert.ok(fluxObjects.length >= 2);
            for (const object of fluxObjects) assert.ok(object.dependencies.includes(chart), object.name);
        });

        test("the GitRepository waits for the deploy key, the seeded folder and the sync Secret", async () => {
            const r = await run(stack);
            const deps = fluxObject(r, "GitRepository", "flux-system").dependencies;
            for (const [type, name] of [
                [T.deployKey, "flux-deploy-key"],
                [T.file, "flux-cluster-folder"],
                [T.secret, "flux-sync-secret"],
            ]) {
                assert.ok(deps.includes(one(r, type, name).urn), name);
            }
        });

        test("every Flux object validates against Flux's CRD schemas", async () => {
            const r = await run(stack);
            const fluxObjects = r.resources.filter(
                (x) => x.type.startsWith("kubernetes:") && isFluxApiVersion(x.inputs.apiVersion ?? ""),
            );
            for (const object of fluxObjects) await validateObject(object.inputs as never);
        });

        test("no notification objects exist when notifications are off", async () => {
            const r = await run(stack);
            assert.equal(kubernetesObjects(r, "Alert").length, 0);
            assert.equal(
                kubernetesObjects(r, "Provider").filter((x) => isFluxApiVersion(x.inputs.apiVersion ?? ""))
                    .length,
                0,
            );
        });

        test("the fleet repository URL and the Flux namespace are stack outputs", async () => {
            const r = await run(stack);
            assert.equal(r.outputs.fleetRepositoryUrl, "https://github.com/one-kubernetes/fleet-infra");
            assert.equal(r.outputs.fluxNamespace, "flux-system");
        });
    });
}

describe("Flux reading teams' OCI charts as the teams (acr-oci)", () => {
    const ACR_OCI = { "gitops-platform:chartRepository": "acr-oci" };
    const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
    const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";

    test("source-controller runs with the ObjectLevelWorkloadIdentity feature gate and no Azure identity of its own", async () => {
        const r = await run("staging", ACR_OCI);
        const source = one(r, T.chart, "flux-controllers").inputs.values.sourceController;
        assert.deepEqual(source.container.additionalArgs, [...LOCKDOWN_ARGS.sourceController]);
        assert.ok(
            source.container.additionalArgs.includes("--feature-gates=ObjectLevelWorkloadIdentity=true"),
        );
        assert.equal(source.serviceAccount, undefined);
        assert.equal(source.labels, undefined);
    });

    test("source-controller may read service accounts and mint the chart readers' tokens cluster-wide, before it starts", async () => {
        const r = await run("staging", ACR_OCI);
        const role = one(r, ROLE, "flux-object-identity-role");
        assert.deepEqual(role.inputs.rules, [
            { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "list", "watch"] },
            {
                apiGroups: [""],
                resources: ["serviceaccounts/token"],
                verbs: ["create"],
                resourceNames: ["flux-chart-reader"],
            },
        ]);
        const binding = one(r, BINDING, "flux-object-identity-binding");
        assert.equal(binding.inputs.roleRef.name, role.inputs.metadata.name);
        assert.deepEqual(binding.inputs.subjects, [
            { kind: "ServiceAccount", name: "source-controller", namespace: "flux-system" },
        ]);
        const controllers = one(r, T.chart, "flux-controllers").dependencies;
        assert.ok(controllers.includes(role.urn) && controllers.includes(binding.urn));
    });

    test("with ChartMuseum no token RBAC exists (the gate stays on for the lockdown flags, but no token can be minted)", async () => {
        const r = await run("staging");
        assert.deepEqual(
            [...ofType(r, ROLE), ...ofType(r, BINDING)].filter((x) => x.name.includes("object-identity")),
            [],
        );
    });
});

describe("Fleet repository created by the stack", () => {
    const created = (stack: "staging" | "prod") =>
        run(stack, { "gitops-platform:fleetRepositoryCreate": "true" });

    test("it is private, initialised and archived rather than deleted on destroy", async () => {
        const r = await created("staging");
        const repo = one(r, T.repository, "flux-fleet-repo");
        assert.equal(repo.inputs.name, "fleet-infra");
        assert.equal(repo.inputs.visibility, "private");
        assert.equal(repo.inputs.autoInit, true);
        assert.equal(repo.inputs.archiveOnDestroy, true);
        assert.ok(!r.invokes.includes("github:index/getRepository:getRepository"));
    });

    test("it is protected from deletion where the platform is (prod)", async () => {
        assert.equal(one(await created("prod"), T.repository, "flux-fleet-repo").protect, true);
        assert.equal(one(await created("staging"), T.repository, "flux-fleet-repo").protect, false);
    });

    test("its default branch is main", async () => {
        const r = await created("staging");
        const branch = one(r, T.branchDefault, "flux-fleet-default-branch");
        assert.equal(branch.inputs.branch, "main");
        assert.equal(branch.inputs.repository, "fleet-infra");
    });

    test("main is protected after the seed commit: reviewed pull requests, no force push, no deletion", async () => {
        const r = await created("prod");
        const protection = one(r, T.protection, "flux-fleet-branch-protection");
        assert.equal(protection.inputs.pattern, "main");
        assert.equal(protection.inputs.allowsForcePushes, false);
        assert.equal(protection.inputs.allowsDeletions, false);
        assert.equal(protection.inputs.requiredPullRequestReviews[0].requiredApprovingReviewCount, 1);
        assert.match(protection.inputs.repositoryId, /^R_/);
        assert.ok(protection.dependencies.includes(one(r, T.repository, "flux-fleet-repo").urn));
        assert.ok(protection.dependencies.includes(one(r, T.file, "flux-cluster-folder").urn));
    });

    test("the seed commit waits for the default branch", async () => {
        const r = await created("staging");
        assert.ok(
            one(r, T.file, "flux-cluster-folder").dependencies.includes(
                one(r, T.branchDefault, "flux-fleet-default-branch").urn,
            ),
        );
    });
});

describe("Fleet settings from config", () => {
    test("a custom branch and path reach the GitRepository, the Kustomization and the seeded file", async () => {
        const r = await run("prod", {
            "gitops-platform:fleetBranch": "release",
            "gitops-platform:fleetPath": "./clusters/eu/prod/",
            "gitops-platform:fleetRepository": "workshop",
        });
        assert.deepEqual(fluxObject(r, "GitRepository", "flux-system").inputs.spec.ref, {
            branch: "release",
        });
        assert.equal(
            fluxObject(r, "GitRepository", "flux-system").inputs.spec.url,
            "ssh://git@github.com/one-kubernetes/workshop",
        );
        assert.equal(fluxObject(r, "Kustomization", "flux-system").inputs.spec.path, "./clusters/eu/prod");
        assert.equal(
            one(r, T.file, "flux-cluster-folder").inputs.file,
            "clusters/eu/prod/kustomization.yaml",
        );
        assert.equal(one(r, T.file, "flux-cluster-folder").inputs.branch, "release");
    });

    test("the chart version and intervals come from config", async () => {
        const r = await run("staging", {
            "gitops-platform:fluxChartVersion": "2.19.1",
            "gitops-platform:fluxSourceInterval": "5m",
            "gitops-platform:fluxReconcileInterval": "1h",
        });
        assert.equal(one(r, T.chart, "flux-controllers").inputs.version, "2.19.1");
        assert.equal(fluxObject(r, "GitRepository", "flux-system").inputs.spec.interval, "5m");
        assert.equal(fluxObject(r, "Kustomization", "flux-system").inputs.spec.interval, "1h");
    });
});

describe("Notifications", () => {
    const teams = (stack: "staging" | "prod") =>
        run(stack, {
            "gitops-platform:fluxNotificationProvider": "msteams",
            "gitops-platform:fluxNotificationWebhookUrl": secret(WEBHOOK),
        });
    const statuses = () =>
        run("prod", {
            "gitops-platform:fluxNotificationProvider": "github",
            "gitops-platform:fluxNotificationToken": secret(STATUS_TOKEN),
        });

    test("the Teams webhook URL is stored only in a secret Secret under `address`", async () => {
        const r = await teams("prod");
        const hook = one(r, T.secret, "flux-notification-secret");
        assert.ok(isWireSecret(hook.wireInputs.stringData));
        assert.deepEqual(hook.inputs.stringData, { address: WEBHOOK });
        assert.deepEqual(plaintextAnywhere(r, "secret-part"), []);
    });

    test("the Provider is of type msteams and reads that Secret", async () => {
        const r = await teams("staging");
        const provider = fluxObject(r, "Provider", "platform-ops");
        assert.equal(provider.inputs.spec.type, "msteams");
        assert.deepEqual(provider.inputs.spec.secretRef, {
            name: one(r, T.secret, "flux-notification-secret").inputs.metadata.name,
        });
    });

    test("the Alert sends error events of Kustomizations, HelmReleases and sources to the Provider", async () => {
        const r = await teams("staging");
        const alert = fluxObject(r, "Alert", "reconciliation-failures");
        assert.equal(
            alert.inputs.spec.providerRef.name,
            fluxObject(r, "Provider", "platform-ops").inputs.metadata.name,
        );
        assert.equal(alert.inputs.spec.eventSeverity, "error");
        const kinds = alert.inputs.spec.eventSources.map((s: { kind: string }) => s.kind);
        for (const kind of ["Kustomization", "HelmRelease", "GitRepository", "HelmRepository"])
            assert.ok(kinds.includes(kind), kind);
        assert.deepEqual(alert.inputs.spec.eventMetadata, { cluster: "staging" });
        assert.ok(alert.dependencies.includes(fluxObject(r, "Provider", "platform-ops").urn));
    });

    test("GitHub commit statuses address the fleet repository with a secret token", async () => {
        const r = await statuses();
        const provider = fluxObject(r, "Provider", "platform-ops");
        assert.equal(provider.inputs.spec.type, "github");
        assert.equal(provider.inputs.spec.address, "https://github.com/one-kubernetes/fleet-infra");
        const token = one(r, T.secret, "flux-notification-secret");
        assert.ok(isWireSecret(token.wireInputs.stringData));
        assert.deepEqual(token.inputs.stringData, { token: STATUS_TOKEN });
        assert.deepEqual(plaintextAnywhere(r, STATUS_TOKEN), []);
    });

    test("GitHub commit statuses report every Kustomization event, successes included", async () => {
        const r = await statuses();
        const alert = fluxObject(r, "Alert", "reconciliation-failures");
        assert.equal(alert.inputs.spec.eventSeverity, "info");
        assert.deepEqual(alert.inputs.spec.eventSources, [{ kind: "Kustomization", name: "*" }]);
    });

    test("the Provider and the Alert wait for the Flux installation and their namespace", async () => {
        const r = await teams("prod");
        const chart = one(r, T.chart, "flux-controllers").urn;
        const namespace = one(r, "kubernetes:core/v1:Namespace", "flux-namespace").urn;
        for (const object of [
            fluxObject(r, "Provider", "platform-ops"),
            fluxObject(r, "Alert", "reconciliation-failures"),
        ]) {
            assert.ok(object.dependencies.includes(chart), object.name);
            assert.ok(object.dependencies.includes(namespace), object.name);
        }
    });

    test("the notification objects validate against Flux's CRD schemas", async () => {
        for (const r of [await teams("prod"), await statuses()]) {
            for (const kind of ["Provider", "Alert"]) {
                for (const object of kubernetesObjects(r, kind).filter((x) =>
                    isFluxApiVersion(x.inputs.apiVersion ?? ""),
                )) {
                    assert.equal(object.inputs.apiVersion, "notification.toolkit.fluxcd.io/v1beta3");
                    await validateObject(object.inputs as never);
                }
            }
        }
    });
});

test("the Flux component is registered as gitops:flux:Flux and parents all its resources", async () => {
    const r = await run("staging");
    const component = one(r, T.component, "flux");
    const children = r.resources.filter((x) => x.parent === component.urn);
    for (const type of [T.githubProvider, T.tlsKey, T.deployKey, T.file, T.chart, T.secret]) {
        assert.ok(
            children.some((x) => x.type === type),
            type,
        );
    }
    assert.ok(children.every((x) => x.name.startsWith(`${component.name}-`)));
});

for (const stack of STACKS) {
    test(`every tenant's Flux object waits for the Flux installation (${stack})`, async () => {
        const r = await run(stack);
        const installation = one(r, T.chart, "-flux-controllers");
        const tenantNamespaces = new Set(r.outputs.tenantNamespaces as string[]);
        const tenantFluxObjects = r.resources.filter(
            (x) =>
                isFluxApiVersion(String(x.inputs.apiVersion ?? "")) &&
                tenantNamespaces.has(x.inputs.metadata?.namespace),
        );
        assert.ok(tenantFluxObjects.length >= 4, "both teams' sources and deliveries");
        for (const object of tenantFluxObjects) {
            assert.ok(
                object.dependencies.includes(installation.urn),
                `${object.name} does not wait for the Flux CRDs`,
            );
        }
    });
}
