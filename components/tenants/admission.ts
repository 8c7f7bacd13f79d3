import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TENANT_POLICIES, admissionPolicy, admissionPolicyBinding } from "./admissionPolicies";

export interface TenantAdmissionArgs {
    /** The platform's Kubernetes provider (a cluster of Kubernetes `ADMISSION_POLICY_MINIMUM_KUBERNETES` or later, admissionregistration.k8s.io/v1: config refuses an older pin). */
    readonly provider: k8s.Provider;
}

/**
 * The admission policies every tenant namespace is held to (admissionPolicies.ts), once per cluster:
 * one ValidatingAdmissionPolicy and one binding per rule, bound by the tenant label. Each Tenant
 * annotates its namespace with its settings; its Flux objects wait for this component, so no team
 * object is admitted before it.
 */
export class TenantAdmission extends pulumi.ComponentResource {
    /** Names of the policies (and of their bindings). */
    readonly policies: string[];

    constructor(name: string, args: TenantAdmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:tenants:Admission", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        for (const rule of TENANT_POLICIES) {
            const policy = admissionPolicy(rule);
            const created = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                `${name}-${rule.name}`,
                { metadata: policy.metadata, spec: policy.spec },
                k8sOpts,
            );
            const binding = admissionPolicyBinding(rule);
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                `${name}-${rule.name}-binding`,
                { metadata: binding.metadata, spec: binding.spec },
                { ...k8sOpts, dependsOn: [created] },
            );
        }
        this.policies = TENANT_POLICIES.map((rule) => rule.name);
        this.registerOutputs({ policies: this.policies });
    }
}
