// Where the starter kits live and the platform facts they must fit, shared by test/templates/.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { renderChart } from "./helmSubset";

export const PROJECT_DIR = join(__dirname, "..", "..");
export const TEMPLATES_DIR = join(PROJECT_DIR, "templates");
export const HELM_KIT = join(TEMPLATES_DIR, "helm-app");
export const KUSTOMIZE_KIT = join(TEMPLATES_DIR, "kustomize-app");
export const KITS = { "helm-app": HELM_KIT, "kustomize-app": KUSTOMIZE_KIT } as const;

/** The kits' placeholders a team renames (README.md of each kit). */
export const PLACEHOLDER_TEAM = "my-team";
export const PLACEHOLDER_APP = "my-app";
/** The port the app listens on, the platform's default `apps[].port`. */
export const APP_PORT = 8080;

/**
 * The tenant LimitRange defaults (README, tenants[].limits): a container the kit ships must not ask
 * for more than a container that declares nothing would get.
 */
export const LIMIT_RANGE_DEFAULTS = {
    limits: { cpu: "500m", memory: "512Mi" },
    requests: { cpu: "100m", memory: "128Mi" },
} as const;

export const read = (path: string) => readFileSync(path, "utf8");

const SUFFIXES: Record<string, number> = {
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** A Kubernetes quantity ("50m", "128Mi", "1") as a number (cores or bytes). */
export function quantity(value: string | number): number {
    const match = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(value));
    if (!match) throw new Error(`not a Kubernetes quantity: ${value}`);
    return Number(match[1]) * SUFFIXES[match[2] ?? ""];
}

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

/** What is wrong with a container's resources for the tenant LimitRange; empty when they fit. */
export function resourceProblems(resources: Resources | undefined): string[] {
    const problems: string[] = [];
    for (const kind of ["requests", "limits"] as const) {
        for (const name of ["cpu", "memory"] as const) {
            const value = resources?.[kind]?.[name];
            if (value === undefined) {
                problems.push(`${kind}.${name} is not set`);
                continue;
            }
            if (quantity(value) > quantity(LIMIT_RANGE_DEFAULTS.limits[name])) {
                problems.push(
                    `${kind}.${name} ${value} exceeds the default limit ${LIMIT_RANGE_DEFAULTS.limits[name]}`,
                );
            }
        }
    }
    for (const name of ["cpu", "memory"] as const) {
        const request = resources?.requests?.[name];
        const limit = resources?.limits?.[name];
        if (request !== undefined && limit !== undefined && quantity(request) > quantity(limit)) {
            problems.push(`requests.${name} ${request} exceeds limits.${name} ${limit}`);
        }
    }
    return problems;
}

/** Every pod spec of a rendered object: a Pod's spec, or a workload's pod template spec. */
export function podSpecs(object: Record<string, any>): Record<string, any>[] {
    if (object.kind === "Pod") return [object.spec];
    if (object.spec?.template?.spec) return [object.spec.template.spec];
    if (object.spec?.jobTemplate?.spec?.template?.spec) return [object.spec.jobTemplate.spec.template.spec];
    return [];
}

/** The API group/version of each kind the kits ship, for its model in kubernetes-models. */
const MODEL_GROUPS: Record<string, string> = {
    "apps/v1": "kubernetes-models/apps/v1",
    v1: "kubernetes-models/v1",
    "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
    "policy/v1": "kubernetes-models/policy/v1",
    "gateway.networking.k8s.io/v1": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1",
};

/**
 * Validates a rendered object against its kubernetes-models model, as test/support/schemas.ts does,
 * but importing the one kind's module (`kubernetes-models/v1/Service`) instead of the whole group's
 * index, which takes seconds to load. Throws, naming the object, when it is invalid or unknown.
 */
export async function validateKubernetesObject(object: Record<string, any>): Promise<void> {
    const group = MODEL_GROUPS[object.apiVersion];
    if (!group || !/^[A-Z][A-Za-z]+$/.test(object.kind ?? ""))
        throw new Error(`no model for ${object.apiVersion} ${object.kind}`);
    const module = (await import(`${group}/${object.kind}`)) as Record<
        string,
        new (data: unknown) => { validate(): void }
    >;
    try {
        new module[object.kind](object).validate();
    } catch (e) {
        throw new Error(`${object.kind} ${JSON.stringify(object.metadata?.name)}: ${(e as Error).message}`);
    }
}

type Obj = Record<string, any>;

/** The Helm kit's chart rendered as release `my-app` in `my-team`, with `values` over values.yaml. */
export function renderHelmKit(values: Obj = {}): Obj[] {
    return renderChart(
        join(HELM_KIT, "chart"),
        { name: PLACEHOLDER_APP, namespace: PLACEHOLDER_TEAM },
        values,
    ).objects;
}

function kubectlPath(): string {
    const found = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" });
    if (found.status !== 0 || !found.stdout.trim()) {
        assert.fail(
            "kubectl is not on PATH: these tests render the overlays with `kubectl kustomize`. Install kubectl (it embeds kustomize), e.g. apt-get install kubectl.",
        );
    }
    return found.stdout.trim();
}

/** The Kustomize kit's overlay (`staging`, `prod`) rendered by the real `kubectl kustomize`. */
export function renderKustomizeOverlay(overlay: string): Obj[] {
    const run = spawnSync(kubectlPath(), ["kustomize", join(KUSTOMIZE_KIT, "deploy", overlay)], {
        encoding: "utf8",
        timeout: 30_000,
    });
    assert.equal(run.status, 0, `kubectl kustomize deploy/${overlay}: ${run.stderr || run.error}`);
    return parseAllDocuments(run.stdout)
        .map((d) => d.toJS() as Obj)
        .filter(Boolean);
}
