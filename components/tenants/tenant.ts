import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertNever } from "../../src/assertNever";
import { ChartSource, teamChartSourcePrefix } from "../../src/charts";
import type { FluxNotifications } from "../../src/flux";
import type { GatewayRef } from "../../src/gateway";
import { isolationAnnotations } from "./admissionPolicies";
import type { TenantConfig } from "./config";
import type { DeliveryContext } from "./delivery/context";
import { fluxResource } from "./delivery/context";
import { helmDelivery } from "./delivery/helm";
import { kustomizeDelivery } from "./delivery/kustomize";
import {
    ChartReaderIdentity,
    chartReaderServiceAccount,
    membersRoleBinding,
    limitRange,
    namespaceManifest,
    reconcilerRole,
    reconcilerRoleBinding,
    reconcilerServiceAccount,
    resourceQuota,
    verifierRoleBinding,
} from "./manifests";
import { networkPolicies } from "./networkPolicies";
import { tenantFailureAlert, tenantProvider } from "./notifications";

export interface TenantArgs {
    /** The team: name (= namespace), delivery kind, apps, flows, quota, limits. Validated by ./config.ts. */
    readonly tenant: TenantConfig;
    /** Every team of the stack, so flows other teams declare towards this one open its side too. Must include `tenant`. */
    readonly tenants: readonly TenantConfig[];
    /** The platform's Kubernetes provider; every object of the tenant is created with it. */
    readonly provider: k8s.Provider;
    /**
     * Where charts live (ChartMuseum or ACR OCI); what helm teams read, unused by kustomize teams.
     * Read without any credential in the team namespace: ChartMuseum serves anonymous reads in-cluster
     * (its network policy admits only Flux's source-controller), ACR as the team's chart reader
     * (`chartReader`). The ChartMuseum push token never reaches a tenant.
     */
    readonly chartSource: ChartSource;
    /**
     * The team's own Azure identity for its OCI charts (Identities.fluxChartReaderClientIds): annotates
     * the namespace's chart reader ServiceAccount, which every OCIRepository of the team names.
     * Required with an `acr-oci` chart source, unused with ChartMuseum.
     */
    readonly chartReader?: ChartReaderIdentity;
    /**
     * Azure AD object id of the identity the team's pipelines verify rollouts as (its own CI
     * identity, in the environment builds land in): it may read this namespace only (`view`,
     * HelmReleases and Kustomizations included). None where nothing is verified (prod).
     */
    readonly verifierObjectId?: pulumi.Input<string>;
    /** Login server of the environment's registry: where every HelmRelease's `image.repository` points. */
    readonly registryLoginServer: pulumi.Input<string>;
    /**
     * Bind the team's members (Kubernetes group `gitops:team:<team>`) to its `accessRole` in the
     * namespace: a cluster stack's. Default false: on AKS, Azure RBAC grants the team's Azure AD group.
     */
    readonly membersInCluster?: boolean;
    /** The platform's Gateway: its listeners for the team's hosts, its pods the only way into `web: true` apps. */
    readonly gateway: GatewayRef;
    /** During the move to the Gateway only: the old ingress controller's namespace, still let into `web: true` apps. */
    readonly legacyIngressNamespace?: string;
    /**
     * The Flux installation (its CRDs and controllers). Every Flux object of the tenant depends on it,
     * so it is created after the CRDs exist and deleted before Flux goes. Default: none (then pass it
     * through `opts.dependsOn`).
     */
    readonly fluxInstallation?: pulumi.Resource;
    /**
     * The cluster's tenant admission policies (TenantAdmission). Every Flux object of the tenant
     * depends on them, so no team object is admitted before they hold. Default: none.
     */
    readonly admission?: pulumi.Resource;
    /**
     * Where the team's failed releases are reported (the platform's channel) and the cluster name they
     * are tagged with. Teams and Slack get a Provider and an Alert in the namespace; `none` and
     * `github` (commit statuses on the fleet repository) none. Default: none.
     */
    readonly notifications?: { readonly channel: FluxNotifications; readonly cluster: string };
}

/**
 * One team: its namespace (tenant label, Pod Security Admission, the admission policies' settings as
 * annotations), the reconciler ServiceAccount with a Role that manages the team's workloads but none
 * of its guardrails (the team's people get their rights through Azure RBAC, see Identities), quota and
 * default limits, default-deny NetworkPolicies opened only for the declared flows and egress, the alert on
 * failed releases, (acr-oci) the chart reader its OCIRepositories are read as, and its delivery:
 * HelmReleases from the chart source (helm) or a GitRepository and Kustomization (kustomize), applied
 * as the reconciler.
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
        if (!args.tenants.some((x) => x.name === t.name)) {
            throw new pulumi.ResourceError(
                `tenant ${t.name}: \`tenants\` must include the tenant itself`,
                this,
            );
        }
        const k8sOpts = { parent: this, provider: args.provider };
        const ns = this.namespaceOf(name, t, args, k8sOpts);
        const inNamespace = { ...k8sOpts, dependsOn: [ns] };
        const rbac = this.reconciler(name, t, inNamespace);
        const policies = networkPolicies({
            tenant: t,
            tenants: args.tenants,
            gateway: args.gateway,
            legacyIngressNamespace: args.legacyIngressNamespace,
        });
        this.people(name, t, args, inNamespace);
        const guardrails = [
            ...this.guardrails(name, t, inNamespace),
            ...this.networkPolicyResources(name, policies, inNamespace),
            ...this.chartReader(name, t, args, inNamespace),
        ];

        const ctx: DeliveryContext = {
            name,
            parent: this,
            provider: args.provider,
            dependsOn: [
                ns,
                ...rbac,
                ...guardrails,
                ...(args.fluxInstallation ? [args.fluxInstallation] : []),
                ...(args.admission ? [args.admission] : []),
            ],
        };
        if (args.notifications) this.failureAlert(ctx, t, args.notifications);
        this.namespace = ns.metadata.name;
        this.serviceAccountName = rbac[0].metadata.name;
        this.deliveries = this.delivery(ctx, t, args.chartSource, args.registryLoginServer);
        this.networkPolicies = policies.map((p) => p.metadata.name);
        this.registerOutputs({
            namespace: this.namespace,
            serviceAccountName: this.serviceAccountName,
            deliveries: this.deliveries,
            networkPolicies: this.networkPolicies,
        });
    }

    /** The team's Flux objects, by delivery kind. */
    private delivery(
        ctx: DeliveryContext,
        t: TenantConfig,
        chartSource: ChartSource,
        registryLoginServer: pulumi.Input<string>,
    ): string[] {
        switch (t.delivery) {
            case "helm":
                return helmDelivery(ctx, t, chartSource, registryLoginServer);
            case "kustomize":
                return kustomizeDelivery(ctx, t);
            default:
                return assertNever(t, "delivery kind");
        }
    }

    /** Who reads or writes the namespace besides Flux: the verifying pipeline, the members (cluster stacks). */
    private people(
        name: string,
        t: TenantConfig,
        args: TenantArgs,
        inNamespace: pulumi.CustomResourceOptions,
    ): void {
        if (args.verifierObjectId !== undefined) {
            const verifier = verifierRoleBinding(t, args.verifierObjectId);
            new k8s.rbac.v1.RoleBinding(
                `${name}-pipeline-verifier`,
                { metadata: verifier.metadata, roleRef: verifier.roleRef, subjects: verifier.subjects },
                inNamespace,
            );
        }
        if (args.membersInCluster) {
            const members = membersRoleBinding(t);
            new k8s.rbac.v1.RoleBinding(
                `${name}-members`,
                { metadata: members.metadata, roleRef: members.roleRef, subjects: members.subjects },
                inNamespace,
            );
        }
    }

    /** The ServiceAccount Flux impersonates, its Role and the RoleBinding between them, in the namespace. */
    private reconciler(
        name: string,
        t: TenantConfig,
        opts: pulumi.CustomResourceOptions,
    ): [k8s.core.v1.ServiceAccount, k8s.rbac.v1.Role, k8s.rbac.v1.RoleBinding] {
        const account = reconcilerServiceAccount(t);
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-reconciler`,
            {
                metadata: account.metadata,
                automountServiceAccountToken: account.automountServiceAccountToken,
            },
            opts,
        );
        const rules = reconcilerRole(t);
        const role = new k8s.rbac.v1.Role(
            `${name}-reconciler-role`,
            { metadata: rules.metadata, rules: rules.rules },
            opts,
        );
        const binding = reconcilerRoleBinding(t);
        const roleBinding = new k8s.rbac.v1.RoleBinding(
            `${name}-reconciler-binding`,
            { metadata: binding.metadata, roleRef: binding.roleRef, subjects: binding.subjects },
            opts,
        );
        return [serviceAccount, role, roleBinding];
    }

    /** acr-oci: the ServiceAccount the team's OCIRepositories are read as, before any of them exists. */
    private chartReader(
        name: string,
        t: TenantConfig,
        args: TenantArgs,
        opts: pulumi.CustomResourceOptions,
    ): pulumi.Resource[] {
        if (args.chartSource.kind !== "acr-oci") return [];
        if (!args.chartReader) {
            throw new pulumi.ResourceError(
                `tenant ${t.name}: an acr-oci chart source needs \`chartReader\`, the team's own Azure identity`,
                this,
            );
        }
        const account = chartReaderServiceAccount(t, args.chartReader);
        return [
            new k8s.core.v1.ServiceAccount(
                `${name}-chart-reader`,
                {
                    metadata: account.metadata,
                    automountServiceAccountToken: account.automountServiceAccountToken,
                },
                opts,
            ),
        ];
    }

    /** Ops hear of a failed release: a Provider and an Alert in the namespace, for chat channels. */
    private failureAlert(
        ctx: DeliveryContext,
        t: TenantConfig,
        notifications: NonNullable<TenantArgs["notifications"]>,
    ): void {
        const channel = notifications.channel;
        switch (channel.provider) {
            case "none":
                return;
            case "github":
                // Commit statuses belong to the fleet repository's commits, not a team's releases: those
                // reach ops through the Flux failures log alert (Monitoring), which covers every namespace.
                return;
            case "msteams":
            case "slack": {
                const provider = fluxResource(
                    ctx,
                    `${ctx.name}-alert-provider`,
                    tenantProvider(t, channel.provider, channel.webhookUrl),
                );
                fluxResource(ctx, `${ctx.name}-alert`, tenantFailureAlert(t, notifications.cluster), [
                    provider,
                ]);
                return;
            }
            default:
                assertNever(channel, "notification provider");
        }
    }

    /** The team's namespace, annotated with the settings the admission policies read. */
    private namespaceOf(
        name: string,
        t: TenantConfig,
        args: TenantArgs,
        opts: pulumi.CustomResourceOptions,
    ): k8s.core.v1.Namespace {
        const charts = args.chartSource.url.apply((base) => teamChartSourcePrefix(base, t.name));
        return new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    ...namespaceManifest(t).metadata,
                    annotations: isolationAnnotations(t, args.registryLoginServer, charts, args.gateway),
                },
            },
            opts,
        );
    }

    /** What caps the team: the quota and the default container limits. */
    private guardrails(name: string, t: TenantConfig, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
        const quota = resourceQuota(t);
        const limits = limitRange(t);
        return [
            new k8s.core.v1.ResourceQuota(
                `${name}-quota`,
                { metadata: quota.metadata, spec: quota.spec },
                opts,
            ),
            new k8s.core.v1.LimitRange(
                `${name}-limits`,
                { metadata: limits.metadata, spec: limits.spec },
                opts,
            ),
        ];
    }

    private networkPolicyResources(
        name: string,
        policies: ReturnType<typeof networkPolicies>,
        opts: pulumi.CustomResourceOptions,
    ): pulumi.Resource[] {
        return policies.map(
            (p) =>
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-netpol-${p.metadata.name}`,
                    { metadata: p.metadata, spec: p.spec as k8s.types.input.networking.v1.NetworkPolicySpec },
                    opts,
                ),
        );
    }
}
