import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "../charts/source";
import { TenantConfig, TenantsConfig } from "./config";
import { isSemver } from "../../src/config/validators";
import { networkPolicies } from "./networkPolicies";
import {
    FluxObject,
    gitRepository,
    helmRelease,
    helmRepository,
    kustomization,
    limitRange,
    namespaceManifest,
    ociChartUrl,
    ociRepository,
    reconcilerRoleBinding,
    reconcilerServiceAccount,
    resourceQuota,
} from "./manifests";

export interface TenantArgs {
    /** The team: name (= namespace), delivery kind, apps, flows, quota, limits. Validated by src/config/tenants.ts. */
    readonly tenant: TenantConfig;
    /** Every team of the stack, so flows other teams declare towards this one open its side too. Must include `tenant`. */
    readonly tenants: readonly TenantConfig[];
    /** `range` (staging: charts follow semver ranges) or `exact` (prod: exact versions, pinned Git refs). */
    readonly versionPolicy: TenantsConfig["versionPolicy"];
    /** The platform's Kubernetes provider; every object of the tenant is created with it. */
    readonly provider: k8s.Provider;
    /**
     * Where charts live (ChartMuseum or ACR OCI). Required for helm teams, ignored for kustomize teams.
     * Read without any credential in the team namespace: ChartMuseum serves anonymous reads in-cluster
     * (its network policy admits only Flux's source-controller), ACR is read with the
     * source-controller's workload identity. The ChartMuseum push password never reaches a tenant.
     */
    readonly chartSource?: ChartSource;
    /** Namespace of the ingress controller allowed to reach the team's `web: true` apps (`app-routing-system`). */
    readonly ingressNamespace: string;
    /** Flux's namespace (`flux-system`); a team may never take it. Default `flux-system`. */
    readonly fluxNamespace?: string;
    /**
     * The Flux installation (its CRDs and controllers). Every Flux object of the tenant depends on it,
     * so it is created after the CRDs exist and deleted before Flux goes. Default: none (then pass it
     * through `opts.dependsOn`).
     */
    readonly fluxInstallation?: pulumi.Resource;
}

/**
 * One team: its namespace (tenant label, Pod Security Admission), the reconciler ServiceAccount bound
 * to `admin` in that namespace only (the team's people get their rights through Azure RBAC, see
 * Identities), quota and default limits,
 * default-deny NetworkPolicies opened only for the declared flows, and its delivery: HelmReleases from
 * the chart source (helm) or a GitRepository and Kustomization (kustomize), applied as the reconciler.
 */
export class Tenant extends pulumi.ComponentResource {
    /** The team's namespace. */
    readonly namespace: pulumi.Output<string>;
    /** The ServiceAccount Flux applies the team's objects as. */
    readonly serviceAccountName: pulumi.Output<string>;
    /** Names of the team's HelmReleases (helm) or of its Kustomization (kustomize). */
    readonly deliveries: string[];
    /** Names of the NetworkPolicies in the namespace. */
    readonly networkPolicies: string[];

    constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:tenants:Tenant", name, {}, opts);
        const t = args.tenant;
        this.validate(args);

        const k8sOpts = { parent: this, provider: args.provider };
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: namespaceManifest(t).metadata }, k8sOpts);
        const inNamespace = { ...k8sOpts, dependsOn: [ns] };

        const sa = reconcilerServiceAccount(t);
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-reconciler`, { metadata: sa.metadata }, inNamespace);
        const reconcilerBinding = reconcilerRoleBinding(t);
        const reconcilerAdmin = new k8s.rbac.v1.RoleBinding(
            `${name}-reconciler-admin`,
            { metadata: reconcilerBinding.metadata, roleRef: reconcilerBinding.roleRef, subjects: reconcilerBinding.subjects },
            inNamespace,
        );
        const quota = resourceQuota(t);
        const limits = limitRange(t);
        const guardrails: pulumi.Resource[] = [
            new k8s.core.v1.ResourceQuota(`${name}-quota`, { metadata: quota.metadata, spec: quota.spec }, inNamespace),
            new k8s.core.v1.LimitRange(`${name}-limits`, { metadata: limits.metadata, spec: limits.spec }, inNamespace),
        ];

        const policies = networkPolicies({ tenant: t, tenants: args.tenants, ingressNamespace: args.ingressNamespace });
        for (const p of policies) {
            const policy = new k8s.networking.v1.NetworkPolicy(
                `${name}-netpol-${p.metadata.name}`,
                { metadata: p.metadata, spec: p.spec as k8s.types.input.networking.v1.NetworkPolicySpec },
                inNamespace,
            );
            guardrails.push(policy);
        }

        // Flux objects are created after the CRDs (the Flux installation), the reconciler's RBAC and the
        // namespace's guardrails, so no pod of the team ever runs without its network policies and quota.
        // On destroy they go first, while Flux can still impersonate the reconciler to uninstall and prune.
        const fluxDependsOn: pulumi.Resource[] = [ns, serviceAccount, reconcilerAdmin, ...guardrails];
        if (args.fluxInstallation) fluxDependsOn.push(args.fluxInstallation);
        const flux = (resourceName: string, object: FluxObject, extra: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(resourceName, { ...object }, { ...k8sOpts, dependsOn: [...fluxDependsOn, ...extra] });

        const deliveries: string[] = [];
        if (t.delivery === "helm") {
            const source = args.chartSource!;
            const sources = new Map<string, pulumi.Resource>();
            if (source.kind === "chartmuseum") {
                // No secretRef: a team namespace never holds a chart credential (teams can read its Secrets).
                const repository = flux(`${name}-helmrepository`, helmRepository(t, source.url));
                t.apps.forEach((app) => sources.set(app.name, repository));
            } else {
                for (const app of t.apps) {
                    const url = source.url.apply((base) => ociChartUrl(base, app.chart));
                    sources.set(app.name, flux(`${name}-ocirepository-${app.name}`, ociRepository(t, app, url)));
                }
            }
            const chartKind = source.kind === "chartmuseum" ? "HelmRepository" : "OCIRepository";
            const releases = new Map<string, pulumi.Resource>();
            // Apps in dependency order, so a release also depends (in Pulumi) on the releases it needs.
            for (const app of dependencyOrder(t)) {
                const needs = app.dependsOn.map((d) => releases.get(d)!);
                const release = flux(`${name}-helmrelease-${app.name}`, helmRelease(t, app, { kind: chartKind }), [sources.get(app.name)!, ...needs]);
                releases.set(app.name, release);
                deliveries.push(app.name);
            }
        } else {
            const repository = flux(`${name}-gitrepository`, gitRepository(t));
            flux(`${name}-kustomization`, kustomization(t), [repository]);
            deliveries.push(t.name);
        }

        this.namespace = ns.metadata.name;
        this.serviceAccountName = serviceAccount.metadata.name;
        this.deliveries = deliveries;
        this.networkPolicies = policies.map((p) => p.metadata.name);
        this.registerOutputs({
            namespace: this.namespace,
            serviceAccountName: this.serviceAccountName,
            deliveries: this.deliveries,
            networkPolicies: this.networkPolicies,
        });
    }

    /** Argument combinations the config model already rules out, checked again at the component's edge. */
    private validate(args: TenantArgs): void {
        const t = args.tenant;
        const fail = (message: string) => {
            throw new pulumi.ResourceError(`tenant ${t.name}: ${message}`, this);
        };
        if (t.name === (args.fluxNamespace ?? "flux-system") || t.name === args.ingressNamespace) {
            fail(`the namespace ${t.name} belongs to the platform`);
        }
        if (!args.tenants.some((x) => x.name === t.name)) fail("`tenants` must include the tenant itself");
        if (t.delivery === "helm" && !args.chartSource) fail("a helm team needs a chartSource");
        if (t.delivery === "helm" && t.apps.length === 0) fail("a helm team needs at least one app");
        if (t.delivery === "kustomize" && !t.git) fail("a kustomize team needs a git source");
        if (args.versionPolicy === "exact") {
            for (const app of t.apps) {
                if (t.delivery === "helm" && !isSemver(app.version ?? "")) fail(`app ${app.name} needs an exact version (version policy exact), got ${app.version}`);
            }
            if (t.delivery === "kustomize" && !t.git?.tag && !t.git?.commit) fail("a pinned Git tag or commit is required (version policy exact)");
        }
    }
}

/** The team's apps ordered so every app comes after the apps it depends on (the config rejects cycles). */
function dependencyOrder(t: TenantConfig): TenantConfig["apps"] {
    const ordered: TenantConfig["apps"][number][] = [];
    const visit = (app: TenantConfig["apps"][number]) => {
        if (ordered.includes(app)) return;
        app.dependsOn.forEach((d) => {
            const dep = t.apps.find((a) => a.name === d);
            if (dep) visit(dep);
        });
        ordered.push(app);
    };
    t.apps.forEach(visit);
    return ordered;
}
