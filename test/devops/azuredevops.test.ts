// The typed Azure DevOps binding (src/azuredevops.ts) against the provider schema it was written from:
// every registration's inputs against the extract in test/fixtures, and the extract against the
// official 3.15.0 schema when ../shared/schemas is beside the project (it is in CI).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AZUREDEVOPS_PROVIDER_VERSION, AZUREDEVOPS_TOKENS } from "../../components/devops/azuredevops";
import { PROJECT_DIR } from "../../tools/offline/stackConfig";
import { RegisteredResource, isWireSecret, run } from "../support/program";

type TypeDescriptor =
    | string
    | { readonly array: TypeDescriptor }
    | { readonly map: TypeDescriptor }
    | { readonly object: Record<string, TypeDescriptor>; readonly required?: readonly string[] };

interface Block {
    readonly inputs: Record<string, TypeDescriptor>;
    readonly required?: readonly string[];
    readonly secret?: readonly string[];
    readonly outputs?: Record<string, TypeDescriptor>;
}

interface Extract {
    readonly provider: string;
    readonly version: string;
    readonly resources: Record<string, Block>;
    readonly functions: Record<string, Block>;
}

const EXTRACT: Extract = JSON.parse(
    readFileSync(join(PROJECT_DIR, "test", "fixtures", "azuredevops-schema-extract.json"), "utf8"),
);
const OFFICIAL_SCHEMA = join(PROJECT_DIR, "..", "shared", "schemas", "azuredevops-3.15.0.schema.json");
const PROVIDER_TOKEN = "pulumi:providers:azuredevops";

const isAzureDevOps = (r: RegisteredResource) =>
    r.type.startsWith("azuredevops:") || r.type === PROVIDER_TOKEN;

/** Problems of `value` against `type`, as `path: what` strings (empty when it conforms). */
function conformance(value: unknown, type: TypeDescriptor, path: string): string[] {
    if (typeof type === "string") {
        const ok =
            (type === "string" && typeof value === "string") ||
            (type === "boolean" && typeof value === "boolean") ||
            (type === "integer" && Number.isInteger(value)) ||
            (type === "number" && typeof value === "number" && Number.isFinite(value));
        return ok ? [] : [`${path}: expected ${type}, got ${JSON.stringify(value)}`];
    }
    if ("array" in type) {
        if (!Array.isArray(value)) return [`${path}: expected an array`];
        return value.flatMap((v, i) => conformance(v, type.array, `${path}[${i}]`));
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
        return [`${path}: expected an object`];
    const entries = Object.entries(value as Record<string, unknown>);
    if ("map" in type) return entries.flatMap(([k, v]) => conformance(v, type.map, `${path}.${k}`));
    return [
        ...entries.flatMap(([k, v]) =>
            k in type.object
                ? conformance(v, type.object[k], `${path}.${k}`)
                : [`${path}.${k}: not in the schema extract`],
        ),
        ...(type.required ?? [])
            .filter((k) => !(k in (value as object)))
            .map((k) => `${path}.${k}: required`),
    ];
}

/** Values at a path such as `variables[].secretValue`, with whether they (or a parent) are wire secrets. */
function valuesAt(wire: unknown, path: string): { value: unknown; secret: boolean }[] {
    let current: { value: unknown; secret: boolean }[] = [{ value: wire, secret: false }];
    for (const step of path.split(".")) {
        const [key, many] = step.endsWith("[]") ? [step.slice(0, -2), true] : [step, false];
        const next: { value: unknown; secret: boolean }[] = [];
        for (const c of current) {
            let v = c.value as any;
            let secret = c.secret || isWireSecret(v);
            if (isWireSecret(v)) v = v.value;
            const child = v?.[key];
            if (child === undefined) continue;
            const childSecret = secret || isWireSecret(child);
            const items = many ? ((isWireSecret(child) ? child.value : child) as unknown[]) : [child];
            for (const item of items) next.push({ value: item, secret: childSecret || isWireSecret(item) });
            secret = childSecret;
        }
        current = next;
    }
    return current;
}

describe("Azure DevOps binding", () => {
    it("declares exactly the resources in the schema extract, pinned to provider 3.15.0", () => {
        assert.equal(AZUREDEVOPS_PROVIDER_VERSION, "3.15.0");
        assert.equal(EXTRACT.version, AZUREDEVOPS_PROVIDER_VERSION);
        const declared = Object.values(AZUREDEVOPS_TOKENS).filter((t) => !t.includes("/get"));
        assert.deepEqual(
            [...declared].sort(),
            Object.keys(EXTRACT.resources)
                .filter((t) => t !== PROVIDER_TOKEN)
                .sort(),
        );
    });

    for (const stack of ["delivery"] as const) {
        describe(`the ${stack} stack`, () => {
            it("registers every resource type the binding declares, and no other Azure DevOps type", async () => {
                const types = new Set((await run(stack)).resources.filter(isAzureDevOps).map((r) => r.type));
                assert.deepEqual([...types].sort(), Object.keys(EXTRACT.resources).sort());
            });

            it("sends only input names and value types of the schema extract, with every required input", async () => {
                const problems = (await run(stack)).resources.filter(isAzureDevOps).flatMap((r) => {
                    const block = EXTRACT.resources[r.type];
                    if (!block) return [`${r.type}: not in the schema extract`];
                    return conformance(
                        r.inputs,
                        { object: block.inputs, required: block.required },
                        `${r.type} ${r.name}`,
                    );
                });
                assert.deepEqual(problems, []);
            });

            it("sends every property the schema marks secret as a secret", async () => {
                const plaintext = (await run(stack)).resources.filter(isAzureDevOps).flatMap((r) =>
                    (EXTRACT.resources[r.type].secret ?? []).flatMap((path) =>
                        valuesAt(r.wireInputs, path)
                            .filter((v) => !v.secret)
                            .map(() => `${r.name}: ${path}`),
                    ),
                );
                assert.deepEqual(plaintext, []);
            });

            it("asks for provider plugin 3.15.0 on every Azure DevOps resource, through the explicit provider", async () => {
                const r = await run(stack);
                const providers = r.resources.filter((x) => x.type === PROVIDER_TOKEN);
                assert.equal(providers.length, 1);
                for (const x of r.resources.filter(isAzureDevOps)) {
                    assert.equal(x.version, "3.15.0", `${x.name} version`);
                    if (x.type !== PROVIDER_TOKEN)
                        assert.ok(
                            x.provider.startsWith(`${providers[0].urn}::`),
                            `${x.name} uses the explicit provider`,
                        );
                }
            });
        });
    }

    it("has an extract that agrees with the official 3.15.0 schema", (t) => {
        if (!existsSync(OFFICIAL_SCHEMA)) {
            t.skip(
                `official schema not found at ${OFFICIAL_SCHEMA}: put shared/schemas beside the project to check the extract`,
            );
            return;
        }
        const schema = JSON.parse(readFileSync(OFFICIAL_SCHEMA, "utf8"));
        const typeOf = (spec: any, used: TypeDescriptor | undefined): TypeDescriptor => {
            if (spec.$ref) {
                const t = schema.types[spec.$ref.replace("#/types/", "")];
                const usedProps = used && typeof used === "object" && "object" in used ? used.object : {};
                const object = Object.fromEntries(
                    Object.entries(usedProps).map(([k, u]) => {
                        assert.ok(t.properties[k], `${spec.$ref} has no property ${k}`);
                        return [k, typeOf(t.properties[k], u)];
                    }),
                );
                return t.required ? { object, required: t.required } : { object };
            }
            if (spec.type === "array")
                return {
                    array: typeOf(
                        spec.items,
                        used && typeof used === "object" && "array" in used ? used.array : undefined,
                    ),
                };
            if (spec.type === "object") return { map: typeOf(spec.additionalProperties, undefined) };
            return spec.type;
        };
        const secretsOf = (spec: any, used: TypeDescriptor, path: string): string[] => {
            const own = spec.secret ? [path] : [];
            if (spec.$ref && typeof used === "object" && "object" in used) {
                const t = schema.types[spec.$ref.replace("#/types/", "")];
                return [
                    ...own,
                    ...Object.entries(used.object).flatMap(([k, u]) =>
                        secretsOf(t.properties[k], u, `${path}.${k}`),
                    ),
                ];
            }
            if (spec.type === "array" && typeof used === "object" && "array" in used)
                return [...own, ...secretsOf(spec.items, used.array, `${path}[]`)];
            return own;
        };
        const check = (
            token: string,
            block: Block,
            inputs: any,
            required: string[] | undefined,
            outputs: any,
        ) => {
            for (const [name, used] of Object.entries(block.inputs)) {
                assert.ok(inputs[name], `${token}: the schema has no input ${name}`);
                assert.deepEqual(typeOf(inputs[name], used), used, `${token}.${name}`);
            }
            assert.deepEqual(block.required ?? [], required ?? [], `${token} required inputs`);
            const secrets = Object.entries(block.inputs).flatMap(([k, u]) => secretsOf(inputs[k], u, k));
            assert.deepEqual(block.secret ?? [], secrets, `${token} secret inputs`);
            for (const [name, type] of Object.entries(block.outputs ?? {})) {
                assert.ok(outputs?.[name], `${token}: the schema has no output ${name}`);
                assert.deepEqual(typeOf(outputs[name], type), type, `${token} output ${name}`);
            }
        };
        for (const [token, block] of Object.entries(EXTRACT.resources)) {
            const r = token === PROVIDER_TOKEN ? schema.provider : schema.resources[token];
            assert.ok(r, `the schema has no resource ${token}`);
            check(token, block, r.inputProperties, r.requiredInputs, r.properties);
        }
        for (const [token, block] of Object.entries(EXTRACT.functions)) {
            const f = schema.functions[token];
            assert.ok(f, `the schema has no function ${token}`);
            check(token, block, f.inputs.properties, f.inputs.required, f.outputs.properties);
        }
    });
});
