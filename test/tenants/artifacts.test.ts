// Per-team artifacts, played as attacks on the objects the program registers: the admission policies,
// their bindings and each team's namespace (its settings) as the staging run creates them, evaluated by a real CEL
// implementation (test/support/admission.ts). Team B (dev-team2) tries to read team A's (dev-team1)
// charts and to run team A's images; team A's own objects stay admitted.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unwrap } from "../../tools/offline/run";
import { AdmissionRequest, admit } from "../support/admission";
import { OfflineRun, kubernetesObjects, run } from "../support/program";

type Obj = Record<string, any>;

const TEAM_A = "dev-team1";
const TEAM_B = "dev-team2";
const ACR_OCI = { "gitops-platform:chartRepository": "acr-oci" };

/** What the API server would hold: every registered object of a kind, secrets unwrapped. */
const registered = (r: OfflineRun, kind: string): Obj[] =>
    kubernetesObjects(r, kind).map((x) => unwrap(x.wireInputs));

/** Admission of `object` in `namespace` under the run's own policies, bindings and namespaces. */
function decide(r: OfflineRun, namespace: string, object: Obj, oldObject?: Obj) {
    const request: AdmissionRequest = {
        operation: oldObject ? "UPDATE" : "CREATE",
        object: { ...object, metadata: { ...object.metadata, namespace } },
        ...(oldObject ? { oldObject } : {}),
        namespace,
        namespaceLabels: { "toolkit.fluxcd.io/tenant": namespace },
        // A team member or the team's reconciler: rights in its own namespace only.
        user: { username: `system:serviceaccount:${namespace}:flux-reconciler` },
        can: (c) => c.namespace === namespace,
    };
    type Policy = Parameters<typeof admit>[0][number];
    return admit(
        registered(r, "ValidatingAdmissionPolicy") as Policy[],
        registered(r, "ValidatingAdmissionPolicyBinding") as Policy[],
        registered(r, "Namespace"),
        request,
    );
}

/** A team's own Flux object as the platform registered it, without the platform's label (as a team would write it). */
function teamCopy(r: OfflineRun, kind: string, owner: string): Obj {
    const object = registered(r, kind).find((o) => o.metadata.namespace === owner);
    assert.ok(object, `${owner} has a ${kind}`);
    const metadata = { ...object.metadata, name: "stolen" };
    delete metadata.labels;
    return { ...object, metadata };
}

const pod = (image: string): Obj => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "x" },
    spec: { containers: [{ name: "app", image }] },
});

describe("per-team artifacts: Flux reads only the team's own charts", () => {
    test("attack: a HelmRepository in dev-team2 on dev-team1's ChartMuseum repository is refused", async () => {
        const r = await run("staging");
        const stolen = teamCopy(r, "HelmRepository", TEAM_A);
        assert.match(stolen.spec.url, new RegExp(`/${TEAM_A}$`));
        const d = decide(r, TEAM_B, stolen);
        assert.equal(d.admitted, false);
        assert.ok(
            d.refusals.some((m) => /chart sources must be the team's own/.test(m)),
            d.refusals.join(),
        );
    });

    test("the same HelmRepository is admitted in dev-team1, whose repository it reads", async () => {
        const r = await run("staging");
        assert.deepEqual(decide(r, TEAM_A, teamCopy(r, "HelmRepository", TEAM_A)).refusals, []);
    });

    test("attack: a HelmRepository on ChartMuseum's root (every team's charts at depth 0) is refused", async () => {
        const r = await run("staging");
        const root = teamCopy(r, "HelmRepository", TEAM_A);
        root.spec.url = unwrap(r.outputs.chartRepositoryUrl);
        assert.equal(decide(r, TEAM_A, root).admitted, false);
    });

    for (const trick of ["/../dev-team2", "0", "%2F..%2Fdev-team2", "@evil.example.com"]) {
        test(`attack: dev-team1's repository URL with "${trick}" appended is refused (no look-alike prefix)`, async () => {
            const r = await run("staging");
            const tricked = teamCopy(r, "HelmRepository", TEAM_A);
            tricked.spec.url = `${tricked.spec.url}${trick}`;
            assert.equal(decide(r, TEAM_A, tricked).admitted, false);
        });
    }

    test("attack: an OCIRepository in dev-team2 on dev-team1's OCI chart path is refused (acr-oci)", async () => {
        const r = await run("staging", ACR_OCI);
        const stolen = teamCopy(r, "OCIRepository", TEAM_A);
        assert.match(stolen.spec.url, new RegExp(`^oci://[^/]+/${TEAM_A}/helm/`));
        const d = decide(r, TEAM_B, stolen);
        assert.equal(d.admitted, false);
        assert.ok(
            d.refusals.some((m) => /chart sources must be the team's own/.test(m)),
            d.refusals.join(),
        );
        assert.deepEqual(decide(r, TEAM_A, stolen).refusals, []);
    });
});

describe("per-team artifacts: Flux reads a team's OCI charts only as that team (acr-oci)", () => {
    /** dev-team2's own OCIRepository, on its own chart path, as its repository could hold it. */
    const teamBSource = (r: OfflineRun): Obj => {
        const source = teamCopy(r, "OCIRepository", TEAM_A);
        source.spec = { ...source.spec, url: source.spec.url.replace(`/${TEAM_A}/`, `/${TEAM_B}/`) };
        return source;
    };
    const chartReaderRefusal = (d: { refusals: readonly string[] }) =>
        d.refusals.some((m) => /read as the team's chart reader/.test(m));

    test("every OCIRepository the platform registers is admitted in its own namespace, even written by the team", async () => {
        const r = await run("staging", ACR_OCI);
        const sources = registered(r, "OCIRepository");
        assert.ok(sources.length > 0);
        for (const source of sources) {
            const { namespace } = source.metadata;
            const asTeam = { ...source, metadata: { name: source.metadata.name, namespace } };
            assert.deepEqual(decide(r, namespace, asTeam).refusals, [], source.metadata.name);
        }
    });

    test("dev-team2's own OCIRepository, read as its chart reader, is admitted", async () => {
        const r = await run("staging", ACR_OCI);
        assert.deepEqual(decide(r, TEAM_B, teamBSource(r)).refusals, []);
    });

    // Another account of the namespace, or none at all (the controller's or the node's identity).
    for (const serviceAccountName of ["flux-reconciler", "default", "source-controller", undefined]) {
        test(`attack: dev-team2's OCIRepository read as ${serviceAccountName ?? "no service account"} instead of its chart reader is refused`, async () => {
            const r = await run("staging", ACR_OCI);
            const source = teamBSource(r);
            source.spec = { ...source.spec, serviceAccountName };
            if (serviceAccountName === undefined) delete source.spec.serviceAccountName;
            const d = decide(r, TEAM_B, source);
            assert.equal(d.admitted, false);
            assert.ok(chartReaderRefusal(d), d.refusals.join());
        });
    }

    test("attack: dev-team2's OCIRepository with the generic provider is refused", async () => {
        const r = await run("staging", ACR_OCI);
        const source = teamBSource(r);
        source.spec = { ...source.spec, provider: "generic" };
        assert.ok(chartReaderRefusal(decide(r, TEAM_B, source)));
    });

    test("attack: an OCI HelmRepository with the azure provider (it can name no service account) is refused", async () => {
        const r = await run("staging", ACR_OCI);
        const url = teamBSource(r).spec.url.replace(/\/[^/]+$/, "");
        const helm = {
            apiVersion: "source.toolkit.fluxcd.io/v1",
            kind: "HelmRepository",
            metadata: { name: "charts" },
            spec: { type: "oci", url, provider: "azure", interval: "5m" },
        };
        const d = decide(r, TEAM_B, helm);
        assert.equal(d.admitted, false);
        assert.ok(
            d.refusals.some((m) => /HelmRepository cannot name a service account/.test(m)),
            d.refusals.join(),
        );
    });

    test("attack: re-pointing dev-team2's chart reader at dev-team1's identity is refused", async () => {
        const r = await run("staging", ACR_OCI);
        const readers = registered(r, "ServiceAccount").filter(
            (o) => o.metadata.name === "flux-chart-reader",
        );
        const own = readers.find((o) => o.metadata.namespace === TEAM_B)!;
        const other = readers.find((o) => o.metadata.namespace === TEAM_A)!;
        const repointed = { ...own, metadata: { ...own.metadata, annotations: other.metadata.annotations } };
        const d = decide(r, TEAM_B, repointed, own);
        assert.equal(d.admitted, false);
        assert.ok(
            d.refusals.some((m) => /is the platform's/.test(m)),
            d.refusals.join(),
        );
    });
});

describe("per-team artifacts: a team runs only its own images", () => {
    test("attack: dev-team1's image from the environment's own registry is refused in dev-team2's namespace", async () => {
        const r = await run("staging");
        const image = `${unwrap(r.outputs.registryLoginServer)}/${TEAM_A}/front:0.4.7`;
        const d = decide(r, TEAM_B, pod(image));
        assert.equal(d.admitted, false);
        assert.ok(
            d.refusals.some((m) => m.includes(`under ${unwrap(r.outputs.registryLoginServer)}/${TEAM_B}/`)),
            d.refusals.join(),
        );
        assert.deepEqual(decide(r, TEAM_A, pod(image)).refusals, []);
    });

    test("attack: an image under a look-alike team path (dev-team1x/) is refused in dev-team1's namespace", async () => {
        const r = await run("staging");
        const image = `${unwrap(r.outputs.registryLoginServer)}/${TEAM_A}x/front:1`;
        assert.equal(decide(r, TEAM_A, pod(image)).admitted, false);
    });

    test("every image the platform's HelmReleases deploy is under its own team's path", async () => {
        const r = await run("staging");
        const releases = registered(r, "HelmRelease");
        assert.ok(releases.length > 0);
        for (const release of releases) {
            const team = release.metadata.namespace;
            assert.ok(
                release.spec.values.image.repository.startsWith(
                    `${unwrap(r.outputs.registryLoginServer)}/${team}/`,
                ),
                `${team}/${release.metadata.name}`,
            );
        }
    });
});
