import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    TYPES,
    checkAksAuthentication,
    checkFluxServiceAccount,
    checkRegistryAdminUser,
    checkRoleAssignmentScope,
    checkStoragePublicAccess,
    checkTenantDefaultDeny,
    policies,
} from "../policy/policies";
import { ofType, run } from "./support/program";

const SUB = "/subscriptions/00000000-0000-4000-8000-000000000001";

describe("policy pack", () => {
    it("declares six mandatory policies with unique names", () => {
        assert.equal(policies.length, 6);
        assert.equal(new Set(policies.map((p) => p.name)).size, 6);
        for (const p of policies) assert.equal(p.enforcementLevel, "mandatory", p.name);
    });

    describe("aks-azure-ad-only", () => {
        it("passes a cluster with local accounts off and managed Azure AD with Azure RBAC", () => {
            assert.deepEqual(
                checkAksAuthentication({
                    disableLocalAccounts: true,
                    enableRBAC: true,
                    aadProfile: { managed: true, enableAzureRBAC: true },
                }),
                [],
            );
        });
        it("fails a cluster that keeps local accounts or Kubernetes-only RBAC", () => {
            const found = checkAksAuthentication({
                disableLocalAccounts: false,
                enableRBAC: true,
                aadProfile: { managed: true },
            });
            assert.equal(found.length, 2);
            assert.match(found.join(), /disableLocalAccounts/);
            assert.match(found.join(), /enableAzureRBAC/);
        });
    });

    describe("role-assignments-resource-scoped", () => {
        it("passes an assignment scoped to a registry", () => {
            assert.deepEqual(
                checkRoleAssignmentScope({
                    scope: `${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1`,
                }),
                [],
            );
        });
        it("fails assignments scoped to a subscription or a resource group", () => {
            assert.match(checkRoleAssignmentScope({ scope: SUB }).join(), /not a subscription/);
            assert.match(
                checkRoleAssignmentScope({ scope: `${SUB}/resourceGroups/rg/` }).join(),
                /not a resource group/,
            );
            assert.match(
                checkRoleAssignmentScope({
                    scope: "/providers/Microsoft.Management/managementGroups/root",
                }).join(),
                /management group/,
            );
        });
    });

    describe("acr-admin-user-disabled", () => {
        it("passes a registry without the admin user", () => {
            assert.deepEqual(checkRegistryAdminUser({ adminUserEnabled: false }), []);
        });
        it("fails a registry with the admin user enabled", () => {
            assert.match(checkRegistryAdminUser({ adminUserEnabled: true }).join(), /admin user disabled/);
        });
    });

    describe("storage-no-public-blob-access", () => {
        it("passes an account that forbids public blob access and a private container", () => {
            assert.deepEqual(
                checkStoragePublicAccess(TYPES.storageAccount, { allowBlobPublicAccess: false }),
                [],
            );
            assert.deepEqual(checkStoragePublicAccess(TYPES.blobContainer, { publicAccess: "None" }), []);
        });
        it("fails an account that does not forbid it, and a container open to anonymous reads", () => {
            assert.match(
                checkStoragePublicAccess(TYPES.storageAccount, {}).join(),
                /allowBlobPublicAccess: false/,
            );
            assert.match(
                checkStoragePublicAccess(TYPES.blobContainer, { publicAccess: "Blob" }).join(),
                /anonymous/,
            );
        });
    });

    describe("flux-tenant-service-account", () => {
        const release = (metadata: object, spec: object) => ({ kind: "HelmRelease", metadata, spec });
        it("passes a tenant HelmRelease that impersonates the tenant's service account, and a platform object in flux-system", () => {
            assert.deepEqual(
                checkFluxServiceAccount(
                    release({ name: "back", namespace: "dev-team1" }, { serviceAccountName: "dev-team1" }),
                ),
                [],
            );
            assert.deepEqual(
                checkFluxServiceAccount(release({ name: "infra", namespace: "flux-system" }, {})),
                [],
            );
        });
        it("fails a tenant object without serviceAccountName, even when it lives in flux-system", () => {
            assert.match(
                checkFluxServiceAccount(release({ name: "back", namespace: "dev-team1" }, {})).join(),
                /dev-team1\/back .*serviceAccountName/,
            );
            const labelled = release(
                {
                    name: "dev-team2",
                    namespace: "flux-system",
                    labels: { "toolkit.fluxcd.io/tenant": "dev-team2" },
                },
                {},
            );
            assert.equal(checkFluxServiceAccount(labelled).length, 1);
        });
    });

    describe("tenant-namespace-default-deny", () => {
        const namespace = {
            type: TYPES.namespace,
            urn: "urn:ns",
            props: { metadata: { name: "dev-team1", labels: { "toolkit.fluxcd.io/tenant": "dev-team1" } } },
        };
        const denyAll = {
            type: TYPES.networkPolicy,
            props: {
                metadata: { name: "default-deny", namespace: "dev-team1" },
                spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
            },
        };
        it("passes a tenant namespace with a default-deny NetworkPolicy", () => {
            assert.deepEqual(checkTenantDefaultDeny([namespace, denyAll]), []);
        });
        it("fails a tenant namespace whose only policy allows ingress or selects some pods", () => {
            const allow = {
                ...denyAll,
                props: {
                    ...denyAll.props,
                    spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] },
                },
            };
            const partial = {
                ...denyAll,
                props: {
                    ...denyAll.props,
                    spec: { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress"] },
                },
            };
            const found = checkTenantDefaultDeny([namespace, allow, partial]);
            assert.equal(found.length, 1);
            assert.equal(found[0].urn, "urn:ns");
            assert.match(found[0].message, /dev-team1 has no default-deny/);
        });
    });

    it("the resource policies dispatch on type and report what the checks find", () => {
        const registryPolicy = policies.find((p) => p.name === "acr-admin-user-disabled")!;
        const reported: string[] = [];
        const validate = (
            registryPolicy as { validateResource: (a: unknown, r: (m: string) => void) => void }
        ).validateResource;
        validate({ type: TYPES.registry, props: { adminUserEnabled: true } }, (m) => reported.push(m));
        validate({ type: TYPES.cluster, props: { adminUserEnabled: true } }, (m) => reported.push(m));
        assert.equal(reported.length, 1);
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`${stack}: the program's own Azure resources pass the resource policies`, async () => {
            const r = await run(stack);
            const found = [
                ...ofType(r, TYPES.cluster).flatMap((x) => checkAksAuthentication(x.inputs)),
                ...ofType(r, TYPES.roleAssignment).flatMap((x) => checkRoleAssignmentScope(x.inputs)),
                ...ofType(r, TYPES.registry).flatMap((x) => checkRegistryAdminUser(x.inputs)),
                ...[TYPES.storageAccount, TYPES.blobContainer].flatMap((t) =>
                    ofType(r, t).flatMap((x) => checkStoragePublicAccess(t, x.inputs)),
                ),
                ...[TYPES.helmRelease, TYPES.kustomization].flatMap((t) =>
                    ofType(r, t).flatMap((x) => checkFluxServiceAccount(x.inputs)),
                ),
                ...checkTenantDefaultDeny(
                    r.resources.map((x) => ({ type: x.type, props: x.inputs, urn: x.urn })),
                ).map((v) => v.message),
            ];
            assert.deepEqual(found, []);
            assert.ok(ofType(r, TYPES.roleAssignment).length > 0);
        });
    }
});
