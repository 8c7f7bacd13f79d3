// Pure builders of what `flux bootstrap github` would have written: the Flux installation's values,
// the flux-system GitRepository and Kustomization, the notification Provider and Alert, the sync
// Secret's data and the seed of the cluster folder. No Pulumi resources here, so they test plainly.

import {
    CHART_READER_SERVICE_ACCOUNT,
    FluxMetadata,
    FluxObject,
    gitRepository,
    kustomization,
} from "../../src/flux";
/** Name `flux bootstrap` gives the fleet GitRepository, Kustomization and their SSH Secret. */
export const FLUX_SYNC_NAME = "flux-system";

/**
 * How the Flux controllers are installed: THE one place this choice is made.
 *
 * Upstream Flux through the fluxcd-community `flux2` Helm chart, rendered by Pulumi's helm.v4.Chart,
 * rather than AKS's `microsoft.flux` cluster extension:
 * - upgrade path: the chart version is an exact pin in config (`fluxChartVersion`), bumped by PR and
 *   previewed like any change; the extension follows Microsoft's release train, which lags upstream;
 * - patching: a Flux CVE fix is a chart bump the day upstream ships it, not an extension rollout;
 * - multi-tenancy lockdown: the controllers' flags are ours to set (`--no-cross-namespace-refs`,
 *   `--default-service-account`, `--no-remote-bases`) exactly as fluxcd/flux2-multi-tenancy does;
 *   the extension exposes only part of them;
 * - first `pulumi up`: helm.v4.Chart registers each rendered object (the CRDs included) as its own
 *   resource in this program, so the Kubernetes provider knows the Flux kinds while previewing the
 *   GitRepository and Kustomization that depend on the installation.
 */
export const FLUX_INSTALL = {
    method: "fluxcd-community flux2 Helm chart (helm.v4.Chart)",
    chart: "flux2",
    releaseName: "flux2",
} as const;

/** The service account a tenant's Kustomization or HelmRelease runs as when it names none. */
export const DEFAULT_TENANT_SERVICE_ACCOUNT = "default";

/**
 * The flag that lets source-controller read an OCIRepository as its `serviceAccountName` (Flux 2.6+,
 * fluxcd.io "Microsoft Azure" integration, object level): it asks the API server for that account's
 * token and exchanges it for the Azure identity the account's annotations name. Every controller given
 * a default service account below needs it too: without it Flux refuses to start ("cannot set default
 * service accounts when the feature gate ObjectLevelWorkloadIdentity is not enabled", fluxcd/pkg auth).
 * Harmless where nothing names a cloud provider: no token is minted then.
 */
export const OBJECT_LEVEL_WORKLOAD_IDENTITY_ARG = "--feature-gates=ObjectLevelWorkloadIdentity=true";

/**
 * Multi-tenancy lockdown flags per controller, as fluxcd/flux2-multi-tenancy patches them and Flux's
 * security best practices list them (Flux 2.6+, fluxcd/flux2#5465): no Flux object may reference a
 * source or provider in another namespace, kustomize may not pull remote bases, and every
 * service-account field left empty falls back to the namespace's `default` account (which has no
 * rights and no Azure identity) instead of the controller's own identity or the node's:
 * `--default-service-account` for what an object applies (kustomize, helm) or authenticates as
 * (source: an OCIRepository with `provider: azure`; notification: a Provider), and on kustomize-
 * and helm-controller `--default-kubeconfig-service-account` (`kubeConfig.configMapRef`), on
 * kustomize-controller `--default-decryption-service-account` (SOPS with Key Vault). Without them an
 * object naming a cloud provider and no account is read as the kubelet's identity, which reads the
 * whole registry.
 */
export const LOCKDOWN_ARGS = {
    sourceController: [
        `--default-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        OBJECT_LEVEL_WORKLOAD_IDENTITY_ARG,
    ],
    kustomizeController: [
        "--no-cross-namespace-refs=true",
        "--no-remote-bases=true",
        `--default-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        `--default-decryption-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        `--default-kubeconfig-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        OBJECT_LEVEL_WORKLOAD_IDENTITY_ARG,
    ],
    helmController: [
        "--no-cross-namespace-refs=true",
        `--default-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        `--default-kubeconfig-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        OBJECT_LEVEL_WORKLOAD_IDENTITY_ARG,
    ],
    notificationController: [
        "--no-cross-namespace-refs=true",
        `--default-service-account=${DEFAULT_TENANT_SERVICE_ACCOUNT}`,
        OBJECT_LEVEL_WORKLOAD_IDENTITY_ARG,
    ],
} as const;

/**
 * Feature gates the platform turns on. CancelHealthCheckOnNewRevision (kustomize-controller since v1.7.0,
 * helm-controller since v1.5.0, their CHANGELOGs; internal/features/features.go, off by default; the
 * e2e runs Flux 2.9.1's helm-controller with it): a new revision cancels the
 * health check of a failed rollout, so a fix lands at once instead of after the failed one's timeout.
 */
export const FEATURE_GATE_ARGS = {
    kustomizeController: ["--feature-gates=CancelHealthCheckOnNewRevision=true"],
    helmController: ["--feature-gates=CancelHealthCheckOnNewRevision=true"],
} as const;

/**
 * How soon kustomize- and helm-controller look again at an object waiting on another (`dependsOn`, or a
 * HelmRelease whose HelmChart has not caught up with a new source): `--requeue-dependency`, 30 s by
 * default (main.go of both). A team app that `dependsOn` another, or a chart whose source moved with
 * its version unchanged (no new artifact revision to wake helm-controller), waited up to those 30 s
 * after what it waits on was ready: seen in the e2e, where the same promotion took 13 s or 44 s.
 */
export const DEPENDENCY_REQUEUE_ARGS = {
    kustomizeController: ["--requeue-dependency=5s"],
    helmController: ["--requeue-dependency=5s"],
} as const;

/** The service account the fleet's own Kustomization runs as: the controller's, which is cluster-admin. */
export const FLEET_SERVICE_ACCOUNT = "kustomize-controller";

/** The service account the flux2 chart runs source-controller as. */
export const SOURCE_CONTROLLER_SERVICE_ACCOUNT = "source-controller";

/** Name of the ClusterRole and ClusterRoleBinding of source-controller's object-level workload identity. */
export const OBJECT_IDENTITY_RBAC_NAME = "flux-source-object-identity";

/**
 * What object-level workload identity needs beyond the chart's `crd-controller` ClusterRole, which
 * lacks both (fluxcd-community/helm-charts#286; upstream Flux's own `crd-controller` has them): read
 * the object's ServiceAccount for its annotations, through the controller's cache (list and watch:
 * Flux caches every kind but Secrets and ConfigMaps), and mint its token. Cluster-wide, since every
 * team namespace has a chart reader; tokens only for the chart readers, never for another account
 * (kustomize-controller's is cluster-admin).
 */
export const OBJECT_IDENTITY_RULES = [
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "list", "watch"] },
    {
        apiGroups: [""],
        resources: ["serviceaccounts/token"],
        verbs: ["create"],
        resourceNames: [CHART_READER_SERVICE_ACCOUNT],
    },
] as const;

/** The ClusterRole of `OBJECT_IDENTITY_RULES`. */
export function objectIdentityClusterRole() {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "ClusterRole" as const,
        metadata: { name: OBJECT_IDENTITY_RBAC_NAME },
        rules: OBJECT_IDENTITY_RULES.map((rule) => ({
            apiGroups: [...rule.apiGroups],
            resources: [...rule.resources],
            verbs: [...rule.verbs],
            ...("resourceNames" in rule ? { resourceNames: [...rule.resourceNames] } : {}),
        })),
    };
}

/** Binds that ClusterRole to source-controller's service account, and to nothing else. */
export function objectIdentityClusterRoleBinding(namespace: string) {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1" as const,
        kind: "ClusterRoleBinding" as const,
        metadata: { name: OBJECT_IDENTITY_RBAC_NAME },
        roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: OBJECT_IDENTITY_RBAC_NAME,
        },
        subjects: [{ kind: "ServiceAccount", name: SOURCE_CONTROLLER_SERVICE_ACCOUNT, namespace }],
    };
}

/**
 * Requests and limits of the upstream Flux manifests (each controller's config/manager/deployment.yaml),
 * which the chart leaves unset: a controller cannot starve the node it shares with tenants.
 */
export const FLUX_CONTROLLER_RESOURCES = {
    sourceController: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1000m", memory: "1Gi" } },
    kustomizeController: {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "1000m", memory: "1Gi" },
    },
    helmController: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1000m", memory: "1Gi" } },
    notificationController: {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "1000m", memory: "1Gi" },
    },
} as const;

/**
 * Values of the flux2 chart: source, kustomize, helm and notification controllers with the lockdown
 * flags and upstream resources; image automation off (`flux bootstrap` leaves it out too); the
 * chart's network policies off (they admit every namespace): networkPolicies.ts has the platform's.
 * Source-controller reads each OCIRepository as the ServiceAccount it names (the RBAC to mint the
 * chart readers' tokens exists with OCI charts on ACR only); it never carries an Azure identity of its own.
 */
export function fluxChartValues(): Record<string, unknown> {
    return {
        installCRDs: true,
        // The chart's own switch would add the same flags; they are set explicitly below, once, so the
        // lockdown is visible and complete (notification-controller and --no-remote-bases included).
        multitenancy: { enabled: false },
        watchAllNamespaces: true,
        policies: { create: false },
        imageAutomationController: { create: false },
        imageReflectionController: { create: false },
        kustomizeController: {
            container: {
                additionalArgs: [
                    ...LOCKDOWN_ARGS.kustomizeController,
                    ...FEATURE_GATE_ARGS.kustomizeController,
                    ...DEPENDENCY_REQUEUE_ARGS.kustomizeController,
                ],
            },
            resources: FLUX_CONTROLLER_RESOURCES.kustomizeController,
        },
        helmController: {
            container: {
                additionalArgs: [
                    ...LOCKDOWN_ARGS.helmController,
                    ...FEATURE_GATE_ARGS.helmController,
                    ...DEPENDENCY_REQUEUE_ARGS.helmController,
                ],
            },
            resources: FLUX_CONTROLLER_RESOURCES.helmController,
        },
        notificationController: {
            container: { additionalArgs: [...LOCKDOWN_ARGS.notificationController] },
            resources: FLUX_CONTROLLER_RESOURCES.notificationController,
        },
        sourceController: {
            resources: FLUX_CONTROLLER_RESOURCES.sourceController,
            container: { additionalArgs: [...LOCKDOWN_ARGS.sourceController] },
        },
    };
}

/**
 * GitHub's published SSH host keys (https://api.github.com/meta `ssh_keys`, and GitHub's docs
 * "GitHub's SSH key fingerprints"), so source-controller verifies github.com instead of trusting on
 * first use.
 */
export const GITHUB_SSH_HOST_KEYS = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
] as const;

/** A known_hosts file for github.com, one line per published host key. */
export function githubKnownHosts(): string {
    return GITHUB_SSH_HOST_KEYS.map((key) => `github.com ${key}`).join("\n") + "\n";
}

/**
 * The data of the Secret source-controller clones with, in the layout `flux bootstrap` writes:
 * `identity` (private key), `identity.pub`, `known_hosts`. Callers must wrap the result as a secret.
 */
export function gitSshSecretData(
    privateKeyOpenssh: string,
    publicKeyOpenssh: string,
): Record<string, string> {
    return { identity: privateKeyOpenssh, "identity.pub": publicKeyOpenssh, known_hosts: githubKnownHosts() };
}

/** The SSH URL Flux clones the fleet repository with (the form `flux bootstrap github` uses). */
export function fleetSshUrl(owner: string, repository: string): string {
    return `ssh://git@github.com/${owner}/${repository}`;
}

/** The fleet repository's web address. */
export function fleetHtmlUrl(owner: string, repository: string): string {
    return `https://github.com/${owner}/${repository}`;
}

/**
 * The `kustomization.yaml` seeded into the cluster folder so a fresh repository reconciles. Pulumi
 * writes it once; after that the platform team owns it (list new files under `resources`).
 */
export function clusterKustomizationYaml(stack: string, path: string): string {
    return [
        `# Cluster ${stack}: what Flux applies from ./${path} (Kustomization flux-system/${FLUX_SYNC_NAME}).`,
        "# Seeded by Pulumi; owned by the platform team from now on. List the manifests of this folder",
        "# under resources. The Flux installation itself is managed by Pulumi, not from this folder.",
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources: []",
        "",
    ].join("\n");
}

/** The fleet GitRepository: the ssh URL, the branch, the deploy key's Secret. */
export function fleetSource(args: {
    readonly metadata: FluxMetadata;
    readonly url: string;
    readonly branch: string;
    readonly interval: string;
    /** The deploy key's Secret; none for a fleet read without credentials. */
    readonly secretName?: string;
}): FluxObject {
    return gitRepository({ ...args, ref: { branch: args.branch } });
}

/**
 * The fleet Kustomization: applies `./<path>` of the GitRepository, pruning what was removed from Git.
 * Ready only once what it applied is ready (`wait`), so `pulumi up` reports a broken fleet; on
 * destroy it waits until everything it applied is gone, while the controllers still run to process
 * their finalizers.
 */
export function fleetSync(args: {
    readonly metadata: FluxMetadata;
    readonly path: string;
    readonly interval: string;
    readonly sourceName: string;
    readonly serviceAccountName: string;
}): FluxObject {
    const sync = kustomization({
        ...args,
        path: `./${args.path.replace(/^\.\//, "")}`,
        retryInterval: "1m",
        health: { wait: true },
    });
    return { ...sync, spec: { ...sync.spec, deletionPolicy: "WaitForTermination" } };
}
