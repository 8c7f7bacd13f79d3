// A team file or a guardrails file checked against its JSON Schema (teamSchema.ts) with ajv, and
// ajv's errors told as the project tells a problem: the key path as the user wrote it, the value as
// written, what the schema allows (its enum, range, or description), a "did you mean" for an unknown
// key; one problem per mistake, however many of the schema's branches it fails.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { unknownKeyAllowed } from "../../src/config/suggest";

type Schema = Readonly<Record<string, any>>;
type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** One thing wrong in a file: its path as written (`apps[1].port`, `environments.prod.apps.web.version`). */
export interface SchemaProblem {
    readonly path: string;
    readonly value: unknown;
    readonly allowed: string;
}

/** What to say of an unknown key that has a reason of its own (a guardrail in a team file...). */
export type ExplainKey = (
    parent: readonly string[],
    key: string,
    known: readonly string[],
) => string | undefined;

// strictTypes off: a count is `anyOf` integer or digits, which strict typing would log about.
const ajv = new Ajv({ allErrors: true, verbose: true, strictTypes: false });
const compiled = new WeakMap<Schema, ValidateFunction>();

/** A count written as digits ("8080") is the number, wherever the schema takes a count: one rule for every key. */
export function withCounts(schema: Schema | undefined, data: unknown): unknown {
    if (schema === undefined) return data;
    if (isCount(schema)) return typeof data === "string" && /^[0-9]+$/.test(data) ? Number(data) : data;
    if (Array.isArray(data))
        return isObject(schema.items) ? data.map((d) => withCounts(schema.items, d)) : data;
    if (!isObject(data) || schema.type !== "object") return data;
    const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
    return Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, withCounts(schema.properties?.[k] ?? extra, v)]),
    );
}

const isCount = (s: Schema): boolean =>
    Array.isArray(s.anyOf) && s.anyOf.some((b: Schema) => b.type === "integer");

/** Every mistake of `data` (as written) against `schema`, one problem each; none when it holds. */
export function schemaProblems(
    schema: Schema,
    data: unknown,
    explain: ExplainKey = () => undefined,
): SchemaProblem[] {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
    if (validate(withCounts(schema, data))) return [];
    const byPlace = new Map<string, ErrorObject[]>();
    for (const e of validate.errors ?? []) {
        const place = [...pointer(e.instancePath), ...namedKey(e)].join("/");
        byPlace.set(place, [...(byPlace.get(place) ?? []), e]);
    }
    return [...byPlace.values()].map((errors) => problemOf(mainError(errors), data, explain));
}

/** The error that says the mistake: the `anyOf` over its branches' errors, a type over its value's. */
const PRIORITY = ["additionalProperties", "required", "anyOf", "type", "enum", "minItems"];
function mainError(errors: readonly ErrorObject[]): ErrorObject {
    const rank = (e: ErrorObject) =>
        PRIORITY.includes(e.keyword) ? PRIORITY.indexOf(e.keyword) : PRIORITY.length;
    return [...errors].sort((a, b) => rank(a) - rank(b))[0];
}

const pointer = (instancePath: string): string[] =>
    instancePath === ""
        ? []
        : instancePath
              .slice(1)
              .split("/")
              .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));

/** The key an error is about when it is not its object's: the unknown one, or the missing one. */
function namedKey(e: ErrorObject): string[] {
    if (e.keyword === "additionalProperties") return [String(e.params.additionalProperty)];
    if (e.keyword === "required") return [String(e.params.missingProperty)];
    return [];
}

function problemOf(e: ErrorObject, data: unknown, explain: ExplainKey): SchemaProblem {
    const parent = pointer(e.instancePath);
    const [key] = namedKey(e);
    const segments = key === undefined ? parent : [...parent, key];
    const value = valueAt(data, segments);
    const path = written(data, segments);
    const node = e.parentSchema as Schema;
    switch (e.keyword) {
        case "additionalProperties":
            return {
                path,
                value,
                allowed:
                    explain(parent, key, Object.keys(node.properties ?? {})) ??
                    unknownKeyAllowed(key, Object.keys(node.properties ?? {})),
            };
        case "required":
            return { path, value, allowed: allowedBy(node.properties?.[key] ?? {}) };
        default:
            return { path, value, allowed: allowedBy(node) };
    }
}

/** What a schema node allows, in words: its enum or range or type, then its description. */
export function allowedBy(node: Schema): string {
    const description = typeof node.description === "string" ? node.description : "";
    return [kindOf(node), description].filter((s) => s !== "").join(": ");
}

function kindOf(node: Schema): string {
    if (Array.isArray(node.enum)) return orList(node.enum.map(String));
    const count = isCount(node)
        ? node.anyOf.find((b: Schema) => b.type === "integer")
        : node.type === "integer"
          ? node
          : undefined;
    if (count) return rangeOf(count);
    if (node.type === "boolean") return "true or false";
    if (node.type === "array") return node.minItems ? `a list of at least ${node.minItems}` : "a list";
    if (node.type === "object") return "an object";
    if (node.type === "string" && node.pattern === undefined && !node.description) return "a string";
    return "";
}

const rangeOf = (s: Schema): string =>
    s.maximum === undefined
        ? `an integer, ${s.minimum} or more`
        : `an integer from ${s.minimum} to ${s.maximum}`;

const orList = (words: readonly string[]): string =>
    words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;

function valueAt(data: unknown, segments: readonly string[]): unknown {
    let at: unknown = data;
    for (const s of segments) at = Array.isArray(at) ? at[Number(s)] : isObject(at) ? at[s] : undefined;
    return at;
}

/** `apps[1].port`: list items by index, object keys by name, as the YAML reads. */
function written(data: unknown, segments: readonly string[]): string {
    let at: unknown = data;
    let path = "";
    for (const s of segments) {
        path += Array.isArray(at) ? `[${s}]` : path === "" ? s : `.${s}`;
        at = valueAt(at, [s]);
    }
    return path;
}

/**
 * `data` (the file `file` as read) with its counts as numbers, each schema problem reported to `r`
 * at `<file>: <path>`.
 */
export function reportSchemaProblems(
    r: { problem(key: string, value: unknown, allowed: string): void },
    file: string,
    schema: Schema,
    data: unknown,
    explain?: ExplainKey,
): unknown {
    for (const p of schemaProblems(schema, data, explain))
        r.problem(p.path === "" ? `${file}:` : `${file}:.${p.path}`, p.value, p.allowed);
    return withCounts(schema, data);
}
