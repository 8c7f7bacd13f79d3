import * as pulumi from "@pulumi/pulumi";
import { ConfigKey, declarationOf } from "./keys";
import { closest } from "./suggest";

/** One thing wrong with the stack config: which key, what it holds, what would be accepted. */
export interface ConfigProblem {
    readonly key: string;
    readonly value: unknown;
    readonly allowed: string;
}

/**
 * Every config problem of a stack at once, thrown before any resource is registered. A RunError, so
 * the engine prints the message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly problems: readonly ConfigProblem[],
        /** The file the config came from, e.g. `Pulumi.staging.yaml`. */
        readonly file?: string,
    ) {
        super(
            `Invalid stack config${file ? ` in ${file}` : ""} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems
                    .map(
                        (p) =>
                            `  - ${p.key}${p.key.endsWith(":") ? "" : ":"} got ${describe(p.value)}; allowed: ${p.allowed}`,
                    )
                    .join("\n"),
        );
        this.name = "ConfigError";
    }
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing (the key is not set)";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

// `isConfigSecret` is marked @internal in the SDK's typings but is the only way to tell whether the
// engine handed us a key as a secret; without it a plaintext token would pass silently.
const runtimeInternals = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };

interface StringOptions {
    readonly oneOf?: readonly string[];
    /** Predicate the value must satisfy; see `validators.ts`. */
    readonly valid?: (value: string) => boolean;
    /** Human description of the allowed values, used when `valid` rejects the value. */
    readonly allowed?: string;
}

interface IntegerOptions {
    readonly min: number;
    readonly max: number;
}

/**
 * Reads stack config and collects problems instead of throwing at the first one, so the user sees
 * every bad key in one run. Only `src/config/` uses it; components take values through their args.
 */
/** A kind of secret value to refuse (told by its form, never echoed), and what is allowed instead. */
export interface SecretRefusal {
    readonly when: (value: string) => boolean;
    readonly allowed: string;
}

export class ConfigReader {
    private readonly config: pulumi.Config;
    private readonly found: ConfigProblem[] = [];

    constructor(readonly project: string) {
        this.config = new pulumi.Config(project);
    }

    get problems(): readonly ConfigProblem[] {
        return this.found;
    }

    /** Records a problem found by section-specific validation. */
    problem(key: string, value: unknown, allowed: string): void {
        // A team file's keys read `tenants/dev-team1.yaml: apps[0].version`; the file itself `tenants/dev-team1.yaml:`.
        this.found.push({ key: this.qualified(key).replace(/\.(ya?ml):\.?(?=.)/, ".$1: "), value, allowed });
    }

    qualified(key: string): string {
        return key.includes(":") ? key : `${this.project}:${key}`;
    }

    /** A raw value (string, or parsed JSON for structured keys), undefined when unset. */
    raw(key: string): unknown {
        const text = this.config.get(key);
        if (text === undefined) return undefined;
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    }

    string(key: ConfigKey, options: StringOptions = {}): string {
        const value = this.config.get(key) ?? defaultOf<string>(key);
        if (value === undefined || value === "") {
            this.problem(key, value, options.allowed ?? describeOneOf(options.oneOf) ?? "a non-empty string");
            return "";
        }
        return this.check(key, value, options) ? value : "";
    }

    optionalString(key: ConfigKey, options: StringOptions = {}): string | undefined {
        const value = this.config.get(key) ?? defaultOf<string>(key);
        if (value === undefined || value === "") return undefined;
        return this.check(key, value, options) ? value : undefined;
    }

    /** One of `allowed`; a value in `renamed` is refused naming the value that replaced it. */
    oneOf<T extends string>(
        key: ConfigKey,
        allowed: readonly T[],
        renamed: Readonly<Record<string, T>> = {},
    ): T {
        const value = this.config.get(key) ?? defaultOf<string>(key);
        if (value !== undefined && Object.hasOwn(renamed, value)) {
            this.problem(
                key,
                value,
                `"${renamed[value]}", which replaced "${value}" (${describeOneOf(allowed)})`,
            );
            return renamed[value];
        }
        if (value === undefined || !(allowed as readonly string[]).includes(value)) {
            this.problem(key, value, describeOneOf(allowed)!);
            return allowed[0];
        }
        return value as T;
    }

    integer(key: ConfigKey, options: IntegerOptions): number {
        const text = this.config.get(key);
        const value = text === undefined ? defaultOf<number>(key) : Number(text);
        const allowed = `an integer from ${options.min} to ${options.max}`;
        if (value === undefined || !Number.isInteger(value) || value < options.min || value > options.max) {
            this.problem(key, text ?? value, allowed);
            return defaultOf<number>(key) ?? options.min;
        }
        return value;
    }

    boolean(key: ConfigKey): boolean {
        const defaultValue = defaultOf<boolean>(key) ?? false;
        const text = this.config.get(key);
        if (text === undefined) return defaultValue;
        if (text !== "true" && text !== "false") {
            this.problem(key, text, "true or false");
            return defaultValue;
        }
        return text === "true";
    }

    /** A list of strings, each checked by `each` (which returns a description of what is allowed, or undefined). */
    stringList(key: ConfigKey, each?: (item: string) => string | undefined): readonly string[] {
        const value = this.raw(key);
        if (value === undefined) return [];
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
            this.problem(key, value, "a list of strings");
            return [];
        }
        for (const item of value as string[]) {
            const allowed = each?.(item);
            if (allowed) this.problem(key, item, allowed);
        }
        return value as string[];
    }

    /**
     * A secret that must be set with `pulumi config set --secret`. A value given in plaintext is a
     * problem: it would sit unencrypted in the stack file.
     */
    requireSecret(key: ConfigKey, refuse?: SecretRefusal): pulumi.Output<string> {
        return this.secret(key, true, refuse) ?? pulumi.secret("");
    }

    optionalSecret(key: ConfigKey): pulumi.Output<string> | undefined {
        return this.secret(key, false);
    }

    /**
     * One secret per name (per team), set with `pulumi config set --secret --path '<key>.<name>'`:
     * every name needs one, and a name not in `names` is a problem. Values are never echoed.
     */
    requireSecretMap(key: ConfigKey, names: readonly string[]): Record<string, pulumi.Output<string>> {
        const setWith = (name: string) =>
            `a secret, set with \`pulumi config set --secret --path '${key}.${name}' <value>\``;
        const given = this.raw(key);
        const isSecret = runtimeInternals.isConfigSecret?.(this.qualified(key)) ?? true;
        if (given !== undefined && (!isSecret || !isPlainObject(given))) {
            this.problem(key, "<not an object of secrets>", setWith("<team>"));
            return Object.fromEntries(names.map((n) => [n, pulumi.secret("")]));
        }
        const values = (given ?? {}) as Record<string, unknown>;
        for (const extra of Object.keys(values).filter((k) => !names.includes(k))) {
            const near = closest(extra, names);
            this.problem(
                `${key}.${extra}`,
                "<secret>",
                `no such team${near ? `; did you mean "${near}"?` : `; teams: ${names.join(", ")}`}`,
            );
        }
        const all =
            given === undefined ? undefined : this.config.requireSecretObject<Record<string, string>>(key);
        return Object.fromEntries(
            names.map((name) => {
                const value = values[name];
                if (typeof value !== "string" || value === "" || !all) {
                    this.problem(`${key}.${name}`, undefined, setWith(name));
                    return [name, pulumi.secret("")];
                }
                return [name, all.apply((m) => m[name])];
            }),
        );
    }

    private secret(
        key: string,
        required: boolean,
        refuse?: SecretRefusal,
    ): pulumi.Output<string> | undefined {
        const plain = this.config.get(key);
        if (plain === undefined || plain === "") {
            if (required)
                this.problem(key, undefined, `a secret, set with \`pulumi config set --secret ${key}\``);
            return undefined;
        }
        const isSecret = runtimeInternals.isConfigSecret?.(this.qualified(key)) ?? true;
        if (!isSecret) {
            // Never echo the plaintext value back into logs.
            this.problem(
                key,
                "<plaintext value>",
                `a secret, set with \`pulumi config set --secret ${key}\``,
            );
            return undefined;
        }
        if (refuse?.when(plain)) this.problem(key, "<secret>", refuse.allowed);
        return this.config.requireSecret(key);
    }

    private check(key: string, value: string, options: StringOptions): boolean {
        if (options.oneOf && !options.oneOf.includes(value)) {
            this.problem(key, value, describeOneOf(options.oneOf)!);
            return false;
        }
        if (options.valid && !options.valid(value)) {
            this.problem(key, value, options.allowed ?? "a valid value");
            return false;
        }
        return true;
    }
}

/** The key table's default; an empty string is no value (Pulumi.yaml cannot declare an optional string). */
function defaultOf<T extends string | number | boolean>(key: ConfigKey): T | undefined {
    const value = declarationOf(key)?.default;
    return value === "" ? undefined : (value as T | undefined);
}

function describeOneOf(values?: readonly string[]): string | undefined {
    return values ? `one of ${values.map((v) => JSON.stringify(v)).join(", ")}` : undefined;
}

/** Freezes a config object and everything in it, so no component can change what was validated. */
export function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !pulumi.Output.isInstance(value)) {
        for (const child of Object.values(value as object)) deepFreeze(child);
        Object.freeze(value);
    }
    return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
