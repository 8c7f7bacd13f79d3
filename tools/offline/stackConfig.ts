import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CONFIG_KEYS, KeyDeclaration, StackRole, stacksReading } from "../../src/config/keys";
import { closest } from "../../src/config/suggest";
import { UsageError } from "./cli";
import { writeTeamFiles } from "./teamFiles";
import { readYamlFile } from "./yamlFile";

/** The override key under which tests and the bench give a list of teams instead of team files. */
export const TENANTS_OVERRIDE = (project: string) => `${project}:tenants`;

/** Where Pulumi.yaml and index.ts live (the product), and by default the stack and team files (the instance). */
export const PROJECT_DIR = join(__dirname, "..", "..");

/** A value handed to `pulumi config set --secret` (stack files hold these as `secure:` ciphertext). */
export interface SecretValue {
    readonly secret: string;
}

/** Config as the Pulumi CLI hands it to the program: fully qualified keys, string values. */
export interface ResolvedConfig {
    readonly project: string;
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
    /** Secret values that are offline placeholders, so tests can look for them in plaintext. */
    readonly placeholders: Record<string, string>;
}

interface Declaration {
    type?: string;
    default?: unknown;
    secret?: boolean;
}

interface ProjectFile {
    name: string;
    config?: Record<string, Declaration | string | number | boolean>;
}

/** The obvious value a declared secret gets offline when the stack file has none. */
export function placeholderFor(key: string): string {
    return `offline-placeholder-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
}

/**
 * Resolves a stack's config the way the CLI does: project defaults from Pulumi.yaml, then the stack
 * file, then `overrides` (tests use them; `undefined` removes a key). Declared secrets without a value
 * get a placeholder, marked secret, so the program runs offline exactly as it would for real.
 *
 * `instanceDir` holds the organisation's stack files and team folder (the product's tests give a
 * fixture instance, so that no team or stack of the repository's own decides which test passes). The
 * program finds its teams relative to itself, so a relative `teamsDirectory` is handed to it relative
 * to `projectDir`.
 */
export function resolveStackConfig(
    stack: string,
    overrides: Record<string, unknown | SecretValue> = {},
    projectDir: string = PROJECT_DIR,
    instanceDir: string = projectDir,
): ResolvedConfig {
    const project = readYamlFile(join(projectDir, "Pulumi.yaml")) as ProjectFile;
    const stackFile = readYamlFile(stackFileOf(instanceDir, stack)) as {
        config?: Record<string, unknown>;
    };
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    const placeholders: Record<string, string> = {};
    const set = (key: string, value: unknown) => {
        const k = qualify(key);
        const entry = configEntry(k, value);
        if (entry.value === undefined) delete values[k];
        else values[k] = entry.value;
        if (entry.placeholder) placeholders[k] = entry.placeholder;
        if (entry.secret) secretKeys.add(k);
        else secretKeys.delete(k);
    };

    const declared = Object.entries(project.config ?? {});
    for (const [key, decl] of declared) {
        if (typeof decl === "object" && decl.default !== undefined) set(key, decl.default);
    }
    for (const [key, value] of Object.entries(stackFile.config ?? {})) set(key, value);
    // What the instance says is relative to it; an override (a test's folder) is the program's own.
    const teamsKey = qualify("teamsDirectory");
    if (resolve(instanceDir) !== resolve(projectDir) && values[teamsKey] !== undefined)
        values[teamsKey] = relative(projectDir, resolve(instanceDir, values[teamsKey])) || ".";
    for (const [key, value] of Object.entries(overrides)) {
        // A list of teams (tests, the bench) is written as team files, which the stack then reads.
        if (qualify(key) === TENANTS_OVERRIDE(project.name))
            set("teamsDirectory", writeTeamFiles(value as unknown[]));
        else set(key, value);
    }
    // Required secrets of the stack's role that neither the stack file nor an override holds (an
    // override of `undefined` removes one on purpose): what CI would decrypt.
    const role = values[qualify("stackRole")] ?? "environment";
    const teams = () => teamNames(resolve(projectDir, values[qualify("teamsDirectory")] ?? "tenants"));
    for (const [key, decl] of Object.entries(CONFIG_KEYS) as [string, KeyDeclaration][]) {
        const k = qualify(key);
        const readHere = stacksReading(decl).includes(role as StackRole);
        if (!decl.secret || decl.optional || !readHere || values[k] !== undefined) continue;
        if (Object.keys(overrides).map(qualify).includes(k)) continue;
        values[k] = placeholders[k] = secretPlaceholder(k, decl.perTeam ? teams() : undefined);
        secretKeys.add(k);
    }
    return { project: project.name, values, secretKeys: [...secretKeys], placeholders };
}

/** Where the stack file of `stack` is; a usage error listing the stacks there are when it has none. */
export function stackFileOf(instanceDir: string, stack: string): string {
    const file = join(instanceDir, `Pulumi.${stack}.yaml`);
    if (existsSync(file)) return file;
    throw new UsageError(unknownStackMessage(stack, stacksOf(instanceDir)));
}

/** The stacks of an instance: one `Pulumi.<stack>.yaml` each. */
export function stacksOf(instanceDir: string): string[] {
    return readdirSync(instanceDir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** `no stack "prd" (no Pulumi.prd.yaml); did you mean "prod"? Stacks: delivery, prod, staging`. */
export function unknownStackMessage(stack: string, stacks: readonly string[]): string {
    const near = closest(stack, stacks);
    return `no stack "${stack}" (no Pulumi.${stack}.yaml)${near ? `; did you mean "${near}"?` : "."} Stacks: ${stacks.join(", ")}`;
}

/** How one config value reaches the program: its string form, whether secret, and a placeholder. */
function configEntry(k: string, value: unknown): { value?: string; secret: boolean; placeholder?: string } {
    if (value === undefined) return { secret: false };
    if (isSecretValue(value)) return { value: value.secret, secret: true };
    // Encrypted in the stack file; offline we cannot decrypt, so it becomes a placeholder.
    if (isSecureCiphertext(value))
        return { value: placeholderFor(k), secret: true, placeholder: placeholderFor(k) };
    if (hasSecureLeaves(value)) {
        // `--secret --path key.leaf`: each encrypted leaf becomes its own placeholder.
        const leaves = Object.entries(value).map(([leaf, v]) => [
            leaf,
            isSecureCiphertext(v) ? placeholderFor(`${k}.${leaf}`) : v,
        ]);
        const text = JSON.stringify(Object.fromEntries(leaves));
        return { value: text, secret: true, placeholder: text };
    }
    return { value: typeof value === "string" ? value : JSON.stringify(value), secret: false };
}

/** A required secret's offline value: one placeholder, or one per team for a per-team secret. */
function secretPlaceholder(k: string, teams?: readonly string[]): string {
    if (!teams) return placeholderFor(k);
    return JSON.stringify(Object.fromEntries(teams.map((t) => [t, placeholderFor(`${k}.${t}`)])));
}

/** The `name` of every team file of a directory (what the delivery stack's per-team secrets are keyed by). */
function teamNames(directory: string): string[] {
    try {
        return readdirSync(directory)
            .filter((f) => f.endsWith(".yaml"))
            .sort()
            .map((f) =>
                String((readYamlFile(join(directory, f)) as { name?: unknown })?.name ?? f.slice(0, -5)),
            );
    } catch {
        return [];
    }
}

function isSecretValue(value: unknown): value is SecretValue {
    return typeof value === "object" && value !== null && Object.keys(value).join() === "secret";
}

/** An object some of whose values are `secure:` ciphertext (set with `pulumi config set --secret --path`). */
function hasSecureLeaves(value: unknown): value is Record<string, unknown> {
    return (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).some(isSecureCiphertext)
    );
}

function isSecureCiphertext(value: unknown): boolean {
    return typeof value === "object" && value !== null && Object.keys(value).join() === "secure";
}
