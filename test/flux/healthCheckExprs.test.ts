// The health checks the platform gives kustomize-controller for what kstatus cannot judge (Gateway
// API routes and gateways), evaluated by a real CEL implementation the way kustomize-controller
// evaluates them: fluxcd/pkg runtime/cel/status_evaluator.go `Evaluate` (InProgress while
// status.observedGeneration lags metadata.generation; then inProgress, failed, current in that order;
// InProgress when none holds; an evaluation error leaves the object Unknown, so the wait goes on).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Ajv from "ajv";
import { isCelError, run } from "@bufbuild/cel";
import { HEALTH_CHECK_EXPRS } from "../../src/flux";
import { fleetSync } from "../../components/flux/manifests";
import { kustomization } from "../../components/tenants/delivery/kustomize";
import { appConfig, helmTeamConfig } from "../support/tenants";
import type { KustomizeTenant } from "../../components/tenants/config";
import { toCel } from "../support/admission";
import KUSTOMIZATION_2_9_FIELDS from "../fixtures/kustomize-controller-v1.9.4-kustomization-spec-fragment.json";

/** A Kustomize team as its file declares it (the e2e's blog team, in short). */
function kustomizeTeamConfig(): KustomizeTenant {
    return {
        ...helmTeamConfig(),
        name: "dev-team2",
        delivery: "kustomize",
        podSecurity: "baseline",
        apps: [appConfig("app", { web: true })],
        flows: [],
        git: {
            url: "https://github.com/example/dev-team2",
            branch: "main",
            path: "./deploy/staging",
            healthChecks: [],
        },
    };
}

type Health = "Current" | "Failed" | "InProgress" | "Unknown";
type Obj = Record<string, any>;

function health(object: Obj): Health {
    const check = HEALTH_CHECK_EXPRS.find((h) => h.kind === object.kind);
    assert.ok(check, `no health check for ${object.kind}`);
    const observed = object.status?.observedGeneration;
    if (observed !== undefined && observed !== object.metadata.generation) return "InProgress";
    const bindings = toCel(object) as Map<string, unknown>;
    const order: [string | undefined, Health][] = [
        ["inProgress" in check ? (check.inProgress as string) : undefined, "InProgress"],
        [check.failed, "Failed"],
        [check.current, "Current"],
    ];
    for (const [expression, verdict] of order) {
        if (!expression) continue;
        const result = run(expression, Object.fromEntries(bindings) as never);
        if (isCelError(result)) return "Unknown";
        assert.equal(typeof result, "boolean", expression);
        if (result) return verdict;
    }
    return "InProgress";
}

const condition = (type: string, status: string, observedGeneration = 2) => ({
    type,
    status,
    observedGeneration,
    reason: type,
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
});

function route(...parents: Obj[][]): Obj {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "web", namespace: "dev-team1", generation: 2 },
        spec: {},
        status: {
            parents: parents.map((conditions) => ({
                parentRef: { name: "teams", namespace: "gateway" },
                controllerName: "approuting.kubernetes.azure.com/gateway",
                conditions,
            })),
        },
    };
}

function gateway(...conditions: Obj[]): Obj {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "teams", namespace: "gateway", generation: 2 },
        spec: {},
        status: { conditions },
    };
}

const ACCEPTED = condition("Accepted", "True");
const RESOLVED = condition("ResolvedRefs", "True");

describe("health checks kstatus cannot make (healthCheckExprs)", () => {
    test("the fleet's Kustomization and a Kustomize team's Kustomization both carry them", () => {
        const fleet = fleetSync({
            metadata: { name: "flux-system", namespace: "flux-system" },
            path: "clusters/staging",
            interval: "10m",
            sourceName: "flux-system",
            serviceAccountName: "kustomize-controller",
        });
        assert.deepEqual(fleet.spec.healthCheckExprs, HEALTH_CHECK_EXPRS);
        assert.deepEqual(kustomization(kustomizeTeamConfig()).spec.healthCheckExprs, HEALTH_CHECK_EXPRS);
    });

    test("they are valid against kustomize-controller v1.9.4's CRD (Flux 2.9)", () => {
        const validate = new Ajv({ strict: false }).compile(KUSTOMIZATION_2_9_FIELDS);
        const spec = kustomization(kustomizeTeamConfig()).spec;
        assert.ok(validate(spec), JSON.stringify(validate.errors));
    });

    test("a route every parent accepted, with its backends resolved, is Current", () => {
        assert.equal(health(route([ACCEPTED, RESOLVED], [ACCEPTED, RESOLVED])), "Current");
    });

    test("a route one parent refused (e.g. a hostname its listener does not allow) is Failed at once", () => {
        const refused = condition("Accepted", "False");
        assert.equal(health(route([ACCEPTED, RESOLVED], [refused, RESOLVED])), "Failed");
    });

    test("a route whose backend is not resolved yet stays InProgress (until the Kustomization's timeout)", () => {
        assert.equal(health(route([ACCEPTED, condition("ResolvedRefs", "False")])), "InProgress");
    });

    test("a route accepted only for an older generation stays InProgress", () => {
        assert.equal(
            health(route([condition("Accepted", "True", 1), condition("ResolvedRefs", "True", 1)])),
            "InProgress",
        );
    });

    test("a route no gateway has answered yet is not Current", () => {
        assert.equal(health(route()), "InProgress");
        const fresh = route();
        delete fresh.status;
        assert.equal(health(fresh), "Unknown");
    });

    test("a Gateway accepted and programmed is Current; refused is Failed; waiting for its address stays InProgress", () => {
        assert.equal(health(gateway(ACCEPTED, condition("Programmed", "True"))), "Current");
        assert.equal(health(gateway(condition("Accepted", "False"))), "Failed");
        assert.equal(health(gateway(ACCEPTED, condition("Programmed", "False"))), "InProgress");
    });
});
