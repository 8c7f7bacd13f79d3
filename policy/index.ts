// The platform's policy pack: `pulumi preview --policy-pack policy` (after `npm ci --prefix policy`).
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("gitops-platform", {
    description:
        "Invariants of the GitOps platform: Azure AD-only AKS, resource-scoped roles, no ACR admin, no public blobs, tenant isolation.",
    policies,
});
