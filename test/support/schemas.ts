// Validates Kubernetes and Flux objects against their published schemas (the CRDs' OpenAPI schemas,
// generated into @kubernetes-models/flux-cd and @kubernetes-models/gateway-api; Kubernetes' own from
// kubernetes-models).

type Validator = (object: unknown) => void;
interface ModelClass {
    new (data: unknown): { validate(): void };
}

const MODULES: Record<string, string> = {
    "source.toolkit.fluxcd.io/v1": "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1",
    "helm.toolkit.fluxcd.io/v2": "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2",
    "kustomize.toolkit.fluxcd.io/v1": "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1",
    "notification.toolkit.fluxcd.io/v1beta3":
        "@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1beta3",
    "notification.toolkit.fluxcd.io/v1": "@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1",
    v1: "kubernetes-models/v1",
    "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
    "apps/v1": "kubernetes-models/apps/v1",
    "admissionregistration.k8s.io/v1": "kubernetes-models/admissionregistration.k8s.io/v1",
    "gateway.networking.k8s.io/v1": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1",
};

/** Flux API versions the platform may use: the GA ones (notification Provider/Alert are v1beta3 upstream). */
export const FLUX_API_VERSIONS = [
    "source.toolkit.fluxcd.io/v1",
    "helm.toolkit.fluxcd.io/v2",
    "kustomize.toolkit.fluxcd.io/v1",
    "notification.toolkit.fluxcd.io/v1beta3",
    "notification.toolkit.fluxcd.io/v1",
];

export function isFluxApiVersion(apiVersion: string): boolean {
    return apiVersion.includes("toolkit.fluxcd.io/");
}

const cache = new Map<string, Promise<Validator>>();

/** Returns a validator for `apiVersion`/`kind`; throws if no schema is known for it. */
export function validatorFor(apiVersion: string, kind: string): Promise<Validator> {
    const key = `${apiVersion}/${kind}`;
    if (!cache.has(key)) {
        const module = MODULES[apiVersion];
        if (!module) throw new Error(`no schema known for ${key}`);
        cache.set(
            key,
            import(module).then((m: Record<string, ModelClass>) => {
                const Model = m[kind];
                if (!Model) throw new Error(`no schema for kind ${kind} in ${apiVersion}`);
                return (object: unknown) => new Model(object).validate();
            }),
        );
    }
    return cache.get(key)!;
}

/** Validates one object (apiVersion, kind, metadata, spec...) against its schema; throws with the reason. */
export async function validateObject(object: {
    apiVersion: string;
    kind: string;
    [k: string]: unknown;
}): Promise<void> {
    const validate = await validatorFor(object.apiVersion, object.kind);
    try {
        validate(object);
    } catch (e) {
        throw new Error(
            `${object.kind} ${JSON.stringify((object.metadata as { name?: string })?.name)}: ${(e as Error).message}`,
        );
    }
}
