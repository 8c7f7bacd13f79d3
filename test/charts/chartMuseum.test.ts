import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    CHARTMUSEUM_CHART_REPO,
    ChartMuseumRole,
    chartMuseumPodLabels,
    chartMuseumArchivesPath,
    chartMuseumTeamRoute,
    chartMuseumPushPath,
    chartMuseumNetworkPolicy,
    pushUrl,
} from "../../components/charts/manifests";
import type { ChartMuseumExposureConfig } from "../../components/charts/config";
import { names } from "../../src/naming";
import { fixtureStackConfig } from "../support/instance";
import { unwrap } from "../../tools/offline/run";
import { validateObject } from "../support/schemas";
import { Pod, connects } from "../support/networkPolicy";
import {
    OfflineRun,
    RegisteredResource,
    STACKS,
    byUrn,
    isWireSecret,
    kubernetesObjects,
    ofType,
    one,
    run,
    runOnce,
} from "../support/program";
import { CHARTMUSEUM_NAMESPACE } from "../../src/namespaces";
import { createHash, generateKeyPairSync } from "node:crypto";
import { CHARTMUSEUM_BEARER_AUTH, signChartPushToken } from "../../components/charts/pushTokens";
import { chartMuseumAuthOptions, chartMuseumAuthorize } from "../support/chartMuseumAuth";

const COMPONENT = "gitops:charts:ChartMuseum";
const ACCOUNT = "azure-native:storage:StorageAccount";
const CONTAINER = "azure-native:storage:BlobContainer";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const SIGNING_KEY = "tls:index/privateKey:PrivateKey";
const LIST_KEYS = "azure-native:storage:listStorageAccountKeys";

const ACR_OCI = { "gitops-platform:chartRepository": "acr-oci" };
const LOAD_BALANCER = {
    "gitops-platform:chartMuseumExposure": "loadbalancer",
    "gitops-platform:chartMuseumAllowedCidrs": ["203.0.113.0/24", "198.51.100.16/28"],
    "gitops-platform:chartMuseumTlsCertificateUri": undefined,
};

/** Every string sent in plaintext (not inside a secret) in a resource's wire inputs. */
function plaintextStrings(value: unknown, found: string[] = []): string[] {
    if (isWireSecret(value)) return found;
    if (typeof value === "string") found.push(value);
    else if (Array.isArray(value)) value.forEach((v) => plaintextStrings(v, found));
    else if (value && typeof value === "object")
        Object.values(value).forEach((v) => plaintextStrings(v, found));
    return found;
}

const TEAMS = ["dev-team1", "dev-team2"];

/** Each team's push token, as the stack exports it for the delivery stack. */
function pushTokens(r: OfflineRun): Record<string, string> {
    return unwrap(r.outputs.chartPushTokens) as never;
}

/** The Secret ChartMuseum reads the tokens' public key from. */
function publicKeySecret(r: OfflineRun): RegisteredResource {
    return one(r, SECRET, "-chartmuseum-push-public-key");
}

/** The claims of a token (its middle part), decoded. */
function claimsOf(token: string): any {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

/**
 * A ChartMuseum instance's answer to a request (test/support/chartMuseumAuth.ts, modelled on its
 * sources), configured from what the program actually gives it: the role's release env and, where the
 * chart mounts it, the public key Secret. The push instance unless `role` says otherwise.
 */
function chartMuseumAnswer(
    r: OfflineRun,
    method: string,
    path: string,
    token?: string,
    opts: { deleteOn?: boolean; role?: ChartMuseumRole } = {},
) {
    const v = values(r, opts.role ?? "push");
    const pem = v.bearerAuth?.secret?.enabled
        ? publicKeySecret(r).inputs.stringData[CHARTMUSEUM_BEARER_AUTH.publicKeyFile]
        : undefined;
    const options = chartMuseumAuthOptions(v.env.open, pem);
    return chartMuseumAuthorize(
        opts.deleteOn ? { ...options, disableDelete: false } : options,
        method,
        path,
        token === undefined ? undefined : `Bearer ${token}`,
    );
}

/** A team's HTTPRoute to ChartMuseum on the shared Gateway (exposure gateway). */
function pushRoute(r: OfflineRun, team: string): RegisteredResource {
    return one(r, ROUTE, `-chartmuseum-route-${team}`);
}

/** The credentials the Secret carries, read from its (unwrapped) inputs. */
function credentials(r: OfflineRun): Record<string, string> {
    return one(r, SECRET, "-chartmuseum-credentials").inputs.stringData;
}

/** A role's release: the read instance keeps the single ChartMuseum's resource name. */
function release(r: OfflineRun, role: ChartMuseumRole): RegisteredResource {
    return one(r, RELEASE, role === "read" ? "-chartmuseum-release" : "-chartmuseum-push-release");
}

function values(r: OfflineRun, role: ChartMuseumRole): any {
    return release(r, role).inputs.values;
}

const ROLES: readonly ChartMuseumRole[] = ["read", "push"];

/** Validates a registered Kubernetes object's inputs against its schema. */
function validates(inputs: Record<string, any>): Promise<void> {
    return validateObject(inputs as { apiVersion: string; kind: string });
}

function isChildOfChartMuseum(r: OfflineRun, x: RegisteredResource): boolean {
    return byUrn(r, x.parent)?.type === COMPONENT;
}

for (const stack of STACKS) {
    describe(`ChartMuseum mode (${stack})`, () => {
        it("creates one ChartMuseum with its storage account, container, release, Secret and network policy", async () => {
            const r = await run(stack);
            const component = one(r, COMPONENT);
            for (const [type, suffix] of [
                [ACCOUNT, "-storage"],
                [CONTAINER, "-container"],
                [RELEASE, "-chartmuseum-release"],
                [RELEASE, "-push-release"],
                [SECRET, "-credentials"],
                [NETPOL, "-chartmuseum-netpol"],
                [NETPOL, "-push-netpol"],
                [SIGNING_KEY, "-push-signing-key"],
                [SECRET, "-push-public-key"],
                ...TEAMS.map((team) => [ROUTE, `-route-${team}`]),
            ]) {
                assert.equal(
                    one(r, type, suffix).parent,
                    component.urn,
                    `${type} is a child of the component`,
                );
            }
        });

        it("puts every Kubernetes object of ChartMuseum in its own namespace through the platform's provider", async () => {
            const r = await run(stack);
            const provider = one(r, "pulumi:providers:kubernetes");
            const objects = r.resources.filter(
                (x) => x.type.startsWith("kubernetes:") && isChildOfChartMuseum(r, x),
            );
            assert.ok(objects.length >= 5);
            for (const x of objects) {
                assert.ok(x.provider.startsWith(`${provider.urn}::`), `${x.name} uses the platform provider`);
                if (x.type !== "kubernetes:core/v1:Namespace") {
                    assert.equal(
                        x.inputs.metadata?.namespace ?? x.inputs.namespace,
                        CHARTMUSEUM_NAMESPACE,
                        x.name,
                    );
                }
            }
        });

        it("enforces Pod Security restricted on the ChartMuseum namespace", async () => {
            const ns = one(await run(stack), "kubernetes:core/v1:Namespace", "-chartmuseum-ns");
            assert.equal(ns.inputs.metadata.name, CHARTMUSEUM_NAMESPACE);
            assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        });

        it("names the storage account deterministically and hardens it: TLS 1.2, HTTPS only, no public blobs", async () => {
            const account = one(await run(stack), ACCOUNT, "-chartmuseum-storage");
            assert.equal(
                account.inputs.accountName,
                names(
                    "gitops-platform",
                    stack,
                    fixtureStackConfig(stack).values["gitops-platform:globalNameSeed"],
                ).storageAccount,
            );
            assert.equal(account.inputs.minimumTlsVersion, "TLS1_2");
            assert.equal(account.inputs.enableHttpsTrafficOnly, true);
            assert.equal(account.inputs.allowBlobPublicAccess, false);
            assert.equal(account.inputs.allowCrossTenantReplication, false);
        });

        it(`${stack === "prod" ? "protects" : "does not protect"} the storage account and its container, as config.protect says`, async () => {
            const r = await run(stack);
            assert.equal(one(r, ACCOUNT, "-chartmuseum-storage").protect, stack === "prod");
            assert.equal(one(r, CONTAINER, "-chartmuseum-container").protect, stack === "prod");
        });

        it("keeps the blob container private", async () => {
            const container = one(await run(stack), CONTAINER, "-chartmuseum-container");
            assert.equal(container.inputs.publicAccess, "None");
            assert.equal(container.inputs.containerName, "charts");
        });

        it("installs the official chart twice, pinned, from its repository: the read release keeps the name chartmuseum, the push one is chartmuseum-push", async () => {
            const r = await run(stack);
            for (const [role, name] of [
                ["read", "chartmuseum"],
                ["push", "chartmuseum-push"],
            ] as const) {
                const x = release(r, role).inputs;
                assert.equal(x.name, name);
                assert.equal(x.values.fullnameOverride, name);
                assert.equal(x.chart, "chartmuseum");
                assert.match(x.version, /^\d+\.\d+\.\d+$/);
                assert.equal(x.repositoryOpts.repo, CHARTMUSEUM_CHART_REPO);
                assert.equal(x.namespace, CHARTMUSEUM_NAMESPACE);
            }
        });

        it("stores both instances' charts in the one blob container with the microsoft backend and the one storage Secret", async () => {
            const r = await run(stack);
            for (const role of ROLES) {
                const env = values(r, role).env;
                assert.equal(env.open.STORAGE, "microsoft", role);
                assert.equal(env.open.STORAGE_MICROSOFT_CONTAINER, one(r, CONTAINER).inputs.containerName);
                assert.equal(env.existingSecret, "chartmuseum-credentials", role);
            }
        });

        it("serves one repository per team (DEPTH 1) on the push instance, every read token-checked, published versions immutable (no ?force either) and never deleted", async () => {
            const open = values(await run(stack), "push").env.open;
            assert.equal(open.DEPTH, 1);
            assert.equal(open.DISABLE_API, false);
            assert.equal(open.AUTH_ANONYMOUS_GET, false);
            assert.equal(open.ALLOW_OVERWRITE, false);
            assert.equal(open.DISABLE_FORCE_OVERWRITE, true);
            assert.equal(open.DISABLE_DELETE, true);
        });

        it("gives the read instance exactly an anonymous reader's settings: no API, no auth, no public key, nothing it writes, the container listed on each index request", async () => {
            const v = values(await run(stack), "read");
            assert.deepEqual(v.env.open, {
                STORAGE: "microsoft",
                STORAGE_MICROSOFT_CONTAINER: "charts",
                DEPTH: 1,
                LOG_JSON: true,
                DISABLE_API: true,
                ALWAYS_REGENERATE_CHART_INDEX: true,
                DISABLE_STATEFILES: true,
            });
            assert.equal(v.bearerAuth, undefined, "the chart's default: no public key mounted");
            assert.equal(v.podAnnotations, undefined);
        });

        it("checks every push itself (bearer auth) against the public key Secret the chart mounts, holding no user or password", async () => {
            const r = await run(stack);
            const env = values(r, "push").env;
            assert.equal(env.open.BEARER_AUTH, true);
            assert.equal(env.open.AUTH_REALM, CHARTMUSEUM_BEARER_AUTH.realm);
            assert.equal(env.open.AUTH_SERVICE, CHARTMUSEUM_BEARER_AUTH.service);
            const secret = publicKeySecret(r);
            assert.equal(secret.inputs.metadata.namespace, CHARTMUSEUM_NAMESPACE);
            assert.deepEqual(values(r, "push").bearerAuth, {
                secret: { enabled: true, publicKeySecret: secret.inputs.metadata.name },
            });
            assert.match(
                secret.inputs.stringData[CHARTMUSEUM_BEARER_AUTH.publicKeyFile],
                /^-----BEGIN PUBLIC KEY-----\n/,
            );
            assert.deepEqual(Object.keys(env.existingSecretMappings).sort(), [
                "AZURE_STORAGE_ACCESS_KEY",
                "AZURE_STORAGE_ACCOUNT",
            ]);
            assert.deepEqual(Object.keys(credentials(r)).sort(), [
                "AZURE_STORAGE_ACCESS_KEY",
                "AZURE_STORAGE_ACCOUNT",
            ]);
            assert.deepEqual(
                ofType(r, PASSWORD).filter((x) => isChildOfChartMuseum(r, x)),
                [],
            );
            assert.equal(
                env.secret,
                undefined,
                "no credential in env.secret, which the chart would template into a Secret of its own",
            );
        });

        it("rolls the push instance when the signing key changes: its pod template carries the public key's checksum", async () => {
            const r = await run(stack);
            const pem = publicKeySecret(r).inputs.stringData[CHARTMUSEUM_BEARER_AUTH.publicKeyFile];
            assert.equal(
                values(r, "push").podAnnotations["checksum/push-public-key"],
                createHash("sha256").update(pem).digest("hex"),
            );
        });

        it("builds the Secret from secret outputs: the listed storage key", async () => {
            const r = await run(stack);
            const secret = one(r, SECRET, "-chartmuseum-credentials");
            assert.ok(isWireSecret(secret.wireInputs.stringData), "stringData travels as a secret");
            assert.ok(r.invokes.includes(LIST_KEYS));
            const creds = credentials(r);
            assert.equal(creds.AZURE_STORAGE_ACCOUNT, one(r, ACCOUNT).inputs.accountName);
            assert.ok(creds.AZURE_STORAGE_ACCESS_KEY.length > 20);
            for (const role of ROLES)
                assert.equal(values(r, role).env.existingSecret, secret.inputs.metadata.name);
        });

        it("signs each team a token granting push and pull on its own repository alone, exported as a secret", async () => {
            const r = await run(stack);
            const key = one(r, SIGNING_KEY, "-push-signing-key");
            assert.deepEqual(key.inputs, { algorithm: "RSA", rsaBits: 3072 });
            const tokens = pushTokens(r);
            assert.deepEqual(Object.keys(tokens).sort(), TEAMS);
            for (const team of TEAMS) {
                const header = JSON.parse(Buffer.from(tokens[team].split(".")[0], "base64url").toString());
                assert.equal(header.alg, "RS256");
                assert.deepEqual(claimsOf(tokens[team]).access, [
                    { type: "artifact-repository", name: team, actions: ["push", "pull"] },
                ]);
            }
            assert.ok(r.secretOutputs.includes("chartPushTokens"));
        });

        it("signs the same tokens on a second run with the same key (a second up changes nothing)", async () => {
            const again = await runOnce(stack, {}, {});
            assert.deepEqual(pushTokens(again), pushTokens(await run(stack)));
        });

        it("lets a team's own token push to its own repository (the check admits what it should)", async () => {
            const r = await run(stack);
            const answer = chartMuseumAnswer(r, "POST", "/api/dev-team1/charts", pushTokens(r)["dev-team1"]);
            assert.deepEqual(answer, { allowed: true, repo: "dev-team1", action: "push" });
        });

        it("attack: dev-team2's token is refused by ChartMuseum on dev-team1's repository, push and provenance", async () => {
            const r = await run(stack);
            for (const path of ["/api/dev-team1/charts", "/api/dev-team1/prov"]) {
                const answer = chartMuseumAnswer(r, "POST", path, pushTokens(r)["dev-team2"]);
                assert.equal(answer.allowed, false, path);
                assert.equal(!answer.allowed && answer.status, 401, path);
            }
        });

        it("attack: deleting dev-team1's chart is refused: no delete route at all, and with one dev-team2's token would still be refused", async () => {
            const r = await run(stack);
            const path = "/api/dev-team1/charts/front/0.1.0";
            const token = pushTokens(r)["dev-team2"];
            assert.deepEqual(chartMuseumAnswer(r, "DELETE", path, token), { allowed: false, status: 404 });
            const enabled = chartMuseumAnswer(r, "DELETE", path, token, { deleteOn: true });
            assert.equal(!enabled.allowed && enabled.status, 401);
        });

        it("attack: a token for dev-team1 signed by another key is refused", async () => {
            const r = await run(stack);
            const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
            const forged = signChartPushToken(
                other.export({ type: "pkcs1", format: "pem" }).toString(),
                "dev-team1",
            );
            const answer = chartMuseumAnswer(r, "POST", "/api/dev-team1/charts", forged);
            assert.equal(!answer.allowed && answer.status, 401);
        });

        it("attack: a push without a token is refused", async () => {
            const answer = chartMuseumAnswer(await run(stack), "POST", "/api/dev-team1/charts");
            assert.equal(!answer.allowed && answer.status, 401);
        });

        it("attack: an anonymous read of dev-team1's archive or index is refused by the push instance, the one the Gateway exposes", async () => {
            const r = await run(stack);
            for (const path of ["/dev-team1/index.yaml", "/dev-team1/charts/front-0.1.0.tgz"]) {
                const answer = chartMuseumAnswer(r, "GET", path);
                assert.equal(!answer.allowed && answer.status, 401, path);
            }
        });

        it("attack: dev-team2's token cannot read dev-team1's archive on the push instance; dev-team1's own can", async () => {
            const r = await run(stack);
            const path = "/dev-team1/charts/front-0.1.0.tgz";
            const other = chartMuseumAnswer(r, "GET", path, pushTokens(r)["dev-team2"]);
            assert.equal(!other.allowed && other.status, 401);
            assert.equal(chartMuseumAnswer(r, "GET", path, pushTokens(r)["dev-team1"]).allowed, true);
        });

        it("attack: an upload or a delete on the read instance finds no route, whatever the token; Flux's anonymous reads pass", async () => {
            const r = await run(stack);
            const read = { role: "read" as const };
            for (const [method, path] of [
                ["POST", "/api/dev-team1/charts"],
                ["POST", "/api/dev-team1/prov"],
                ["DELETE", "/api/dev-team1/charts/front/0.1.0"],
            ])
                assert.deepEqual(chartMuseumAnswer(r, method, path, pushTokens(r)["dev-team1"], read), {
                    allowed: false,
                    status: 404,
                });
            for (const path of ["/dev-team1/index.yaml", "/dev-team1/charts/front-0.1.0.tgz"])
                assert.equal(chartMuseumAnswer(r, "GET", path, undefined, read).allowed, true, path);
        });

        it("never sends a push token, the storage key or a config placeholder in plaintext", async () => {
            const r = await run(stack);
            const forbidden = [
                ...Object.values(pushTokens(r)),
                credentials(r).AZURE_STORAGE_ACCESS_KEY,
                ...Object.values(r.config.placeholders),
            ];
            for (const x of r.resources) {
                for (const text of plaintextStrings(x.wireInputs)) {
                    for (const bad of forbidden)
                        assert.ok(!text.includes(bad), `${x.type} ${x.name} carries a secret in plaintext`);
                }
            }
        });

        it("runs both instances as non-root with no privileges, read-only root and the runtime's seccomp profile", async () => {
            const r = await run(stack);
            for (const role of ROLES) {
                const v = values(r, role);
                assert.equal(v.securityContext.runAsNonRoot, true);
                const c = v.containerSecurityContext;
                assert.equal(c.runAsNonRoot, true);
                assert.equal(c.allowPrivilegeEscalation, false);
                assert.equal(c.readOnlyRootFilesystem, true);
                assert.deepEqual(c.capabilities.drop, ["ALL"]);
                assert.equal(c.seccompProfile.type, "RuntimeDefault");
                assert.equal(v.serviceAccount.automountServiceAccountToken, false);
            }
        });

        it("exports the in-cluster Service URL as the chart repository URL", async () => {
            const r = await run(stack);
            assert.equal(
                r.outputs.chartRepositoryUrl,
                `http://chartmuseum.${CHARTMUSEUM_NAMESPACE}.svc.cluster.local:8080`,
            );
        });

        it("exports the ingress host, over https, as the push URL by default", async () => {
            const r = await run(stack);
            assert.equal(
                r.outputs.chartPushUrl,
                `https://${r.config.values["gitops-platform:chartMuseumHost"]}`,
            );
        });

        it("exposes the push instance through one HTTPRoute per team on the shared Gateway's ChartMuseum listener, both instances behind ClusterIP Services", async () => {
            const r = await run(stack);
            const host = r.config.values["gitops-platform:chartMuseumHost"];
            for (const team of TEAMS) {
                const route = pushRoute(r, team).inputs;
                assert.deepEqual(route.spec.parentRefs, [
                    { namespace: "platform-gateway", name: "shared", sectionName: host },
                ]);
                assert.deepEqual(route.spec.hostnames, [host]);
                for (const rule of route.spec.rules)
                    assert.deepEqual(rule.backendRefs, [{ name: "chartmuseum-push", port: 8080 }]);
                await validates(route);
            }
            assert.deepEqual(ofType(r, INGRESS), []);
            for (const role of ROLES) assert.equal(values(r, role).service.type, "ClusterIP", role);
        });

        it("routes each team's upload endpoint (POST, Exact) and reads of its own archives (GET) alone: no index, no other team, no other path", async () => {
            const r = await run(stack);
            for (const team of TEAMS)
                assert.deepEqual(
                    pushRoute(r, team).inputs.spec.rules.map((rule: any) => rule.matches),
                    [
                        [{ path: { type: "Exact", value: `/api/${team}/charts` }, method: "POST" }],
                        [{ path: { type: "PathPrefix", value: `/${team}/charts` }, method: "GET" }],
                    ],
                );
            assert.equal(chartMuseumPushPath("dev-team1"), "/api/dev-team1/charts");
            assert.equal(chartMuseumArchivesPath("dev-team1"), "/dev-team1/charts");
        });

        it("leaves no push check to the Gateway: no htpasswd Secret exists, only the storage credentials and the public key", async () => {
            const r = await run(stack);
            assert.deepEqual(
                ofType(r, SECRET)
                    .filter((x) => x.inputs.metadata?.namespace === CHARTMUSEUM_NAMESPACE)
                    .map((x) => x.inputs.metadata.name)
                    .sort(),
                ["chartmuseum-credentials", CHARTMUSEUM_BEARER_AUTH.publicKeySecret],
            );
        });

        for (const [role, suffix, name, who, peer] of [
            [
                "read",
                "-chartmuseum-netpol",
                "chartmuseum-ingress",
                "Flux's source-controller",
                { namespace: "flux-system", pods: { app: "source-controller" } },
            ],
            [
                "push",
                "-push-netpol",
                "chartmuseum-push-ingress",
                "the shared Gateway's pods",
                {
                    namespace: "platform-gateway",
                    pods: { "gateway.networking.k8s.io/gateway-name": "shared" },
                },
            ],
        ] as const)
            it(`lets only ${who} reach the ${role} instance`, async () => {
                const r = await run(stack);
                const policy = one(r, NETPOL, suffix).inputs;
                await validates(policy);
                assert.equal(policy.metadata.name, name);
                // The chart labels its pods `chartmuseum.selectorLabels` (chart 3.10.4 _helpers.tpl): the
                // chart's name unless `nameOverride`, and the Helm release's name.
                const helmRelease = release(r, role).inputs;
                assert.equal(helmRelease.values.nameOverride, undefined);
                assert.deepEqual(policy.spec.podSelector.matchLabels, {
                    "app.kubernetes.io/name": helmRelease.chart,
                    "app.kubernetes.io/instance": helmRelease.name,
                });
                assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
                assert.deepEqual(policy.spec.ingress, [
                    {
                        from: [
                            {
                                namespaceSelector: {
                                    matchLabels: { "kubernetes.io/metadata.name": peer.namespace },
                                },
                                podSelector: { matchLabels: peer.pods },
                            },
                        ],
                        ports: [{ protocol: "TCP", port: 8080 }],
                    },
                ]);
            });
    });
}

describe("ChartMuseum options", () => {
    it("refuses chartMuseumAllowedCidrs with the gateway exposure, and the retired value ingress by its new name", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumAllowedCidrs": ["203.0.113.0/24"] }),
            /chartMuseumAllowedCidrs.*unset with chartMuseumExposure "gateway"/s,
        );
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumExposure": "ingress" }),
            /chartMuseumExposure.*"gateway", which replaced "ingress"/s,
        );
    });

    it("keeps charts zone-redundant where the region has zones, locally redundant elsewhere", async () => {
        assert.equal(one(await run("prod"), ACCOUNT).inputs.sku.name, "Standard_ZRS");
        const noZones = await run("staging", { "gitops-platform:location": "westcentralus" });
        assert.equal(one(noZones, ACCOUNT).inputs.sku.name, "Standard_LRS");
    });

    describe("exposed on a load balancer", () => {
        const lb = () => run("staging", LOAD_BALANCER);

        it("makes the push instance's Service a LoadBalancer open to the configured source ranges only; the read instance's stays ClusterIP", async () => {
            const r = await lb();
            assert.equal(values(r, "read").service.type, "ClusterIP");
            const service = values(r, "push").service;
            assert.equal(service.type, "LoadBalancer");
            assert.deepEqual(
                service.loadBalancerSourceRanges,
                LOAD_BALANCER["gitops-platform:chartMuseumAllowedCidrs"],
            );
            assert.equal(service.externalTrafficPolicy, "Local");
        });

        it("creates no Ingress", async () => {
            assert.deepEqual(ofType(await lb(), INGRESS), []);
        });

        it("checks every request per team there too: no anonymous read, each team's own token, dev-team2's refused on dev-team1's repository", async () => {
            const r = await lb();
            assert.equal(values(r, "push").env.open.BEARER_AUTH, true);
            assert.equal(chartMuseumAnswer(r, "GET", "/dev-team1/index.yaml").allowed, false);
            const [own, other] = [pushTokens(r)["dev-team1"], pushTokens(r)["dev-team2"]];
            assert.equal(chartMuseumAnswer(r, "POST", "/api/dev-team1/charts", own).allowed, true);
            assert.equal(chartMuseumAnswer(r, "POST", "/api/dev-team1/charts", other).allowed, false);
        });

        it("pushes to the load balancer's Azure DNS name on port 8080", async () => {
            const r = await lb();
            const label = names(
                "gitops-platform",
                "staging",
                fixtureStackConfig("staging").values["gitops-platform:globalNameSeed"],
            ).chartMuseumDnsLabel;
            assert.equal(
                values(r, "push").service.annotations["service.beta.kubernetes.io/azure-dns-label-name"],
                label,
            );
            assert.deepEqual(values(r, "read").service.annotations, {});
            assert.equal(r.outputs.chartPushUrl, `http://${label}.westeurope.cloudapp.azure.com:8080`);
        });

        it("lets the source ranges in to the push instance through its network policy instead of the Gateway's pods", async () => {
            const policy = one(await lb(), NETPOL, "-push-netpol").inputs;
            await validates(policy);
            assert.deepEqual(policy.spec.ingress[0].from, [
                { ipBlock: { cidr: "203.0.113.0/24" } },
                { ipBlock: { cidr: "198.51.100.16/28" } },
            ]);
        });
    });
});

describe("ACR OCI mode", () => {
    for (const stack of STACKS) {
        it(`creates no ChartMuseum resources at all (${stack})`, async () => {
            const r = await run(stack, ACR_OCI);
            for (const type of [COMPONENT, ACCOUNT, CONTAINER, RELEASE, SIGNING_KEY, ROUTE, NETPOL]) {
                assert.deepEqual(
                    ofType(r, type)
                        .filter((x) => x.name.includes("-chartmuseum"))
                        .map((x) => x.name),
                    [],
                    type,
                );
            }
            assert.deepEqual(
                kubernetesObjects(r, "Secret").filter((x) => x.inputs.metadata?.namespace === "chartmuseum"),
                [],
            );
            assert.ok(!r.invokes.includes(LIST_KEYS));
        });

        it(`exports the registry oci://<registry> as the chart repository and push URL, teams' charts below it (${stack})`, async () => {
            const r = await run(stack, ACR_OCI);
            const loginServer = unwrap(r.outputs.registryLoginServer);
            assert.match(String(loginServer), /\.azurecr\.io$/);
            assert.equal(r.outputs.chartRepositoryUrl, `oci://${loginServer}`);
            assert.equal(r.outputs.chartPushUrl, `oci://${loginServer}`);
        });
    }
});

describe("ChartMuseum builders", () => {
    const gateway: ChartMuseumExposureConfig = {
        kind: "gateway",
        host: "charts.example.com",
        tlsCertificateUri: "https://kv.vault.azure.net/certificates/charts",
    };
    const SHARED = { namespace: "platform-gateway", name: "shared" };

    it("pushes over https through the gateway, which always has a certificate", () => {
        assert.equal(pushUrl(gateway, "label", "westeurope"), "https://charts.example.com");
    });

    it("pushes to the load balancer's DNS name on ChartMuseum's port", () => {
        assert.equal(
            pushUrl({ kind: "loadbalancer", allowedCidrs: ["203.0.113.0/24"] }, "label", "westeurope"),
            "http://label.westeurope.cloudapp.azure.com:8080",
        );
    });

    const clients = { exposure: gateway, sourceControllerNamespace: "flux-system", gateway: SHARED };
    const policies = ROLES.map((role) => chartMuseumNetworkPolicy(role, "cm", clients) as never);
    const pod = (role: ChartMuseumRole): Pod => ({ namespace: "cm", labels: chartMuseumPodLabels(role) });
    const proxy: Pod = {
        namespace: "platform-gateway",
        labels: { "gateway.networking.k8s.io/gateway-name": "shared" },
    };
    const sourceController: Pod = { namespace: "flux-system", labels: { app: "source-controller" } };

    it("attack: a pod of the gateway namespace other than the shared Gateway's proxy cannot reach the push instance's upload API; the proxy can", () => {
        const other: Pod = { namespace: "platform-gateway", labels: { app: "debug" } };
        assert.ok(!connects(policies, other, pod("push"), 8080));
        assert.ok(connects(policies, proxy, pod("push"), 8080));
    });

    it("attack: the Gateway's proxy cannot reach the read instance (no route can expose it); Flux's source-controller reaches it and not the push instance", () => {
        assert.ok(!connects(policies, proxy, pod("read"), 8080));
        assert.ok(connects(policies, sourceController, pod("read"), 8080));
        assert.ok(!connects(policies, sourceController, pod("push"), 8080));
    });

    it("names the namespaces it is given in the network policies, not fixed ones", () => {
        const selected = ROLES.map(
            (role) =>
                (
                    chartMuseumNetworkPolicy(role, "cm", {
                        exposure: gateway,
                        sourceControllerNamespace: "gitops-flux",
                        gateway: { namespace: "gw", name: "g" },
                    }).spec as any
                ).ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
        );
        assert.deepEqual(selected, ["gitops-flux", "gw"]);
    });

    it("attaches its route to the ChartMuseum host's listener of the Gateway it is given", () => {
        const route = chartMuseumTeamRoute("cm", gateway as never, "a", { namespace: "gw", name: "g" });
        assert.deepEqual(route.spec.parentRefs, [
            { namespace: "gw", name: "g", sectionName: "charts.example.com" },
        ]);
    });
});
