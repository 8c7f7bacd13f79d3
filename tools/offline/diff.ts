// The plan's diff: the stack planned at a git ref and at the working tree, compared by URN.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isWireSecret, isUnknown, runProgram } from "./run";
import { PlanJson, PlannedResource, toPlanJson } from "./planJson";
import { show } from "./planView";

export class DiffError extends Error {
    override readonly name = "DiffError";
}

/**
 * Inputs whose change makes the provider delete and recreate the resource instead of updating it in
 * place, by resource type (`*` ends a type prefix). A path also covers what is under it. This is a
 * small table of the changes a reviewer must not miss (names, locations, scopes, immutable keys), not
 * the providers' full schemas: `pulumi preview` in the pull request remains the authority.
 */
export const REPLACE_ON_CHANGE: ReadonlyArray<{ readonly types: string; readonly paths: readonly string[] }> =
    [
        // An Azure resource is addressed by its name, its resource group and its parent's name (a blob
        // container by its account's): changing any of them, or the region, is a new resource.
        {
            types: "azure-native:*",
            paths: [
                "resourceGroupName",
                "location",
                "resourceName",
                "registryName",
                "workspaceName",
                "accountName",
                "containerName",
                "blobServicesName",
                "configName",
                "roleAssignmentName",
                "actionGroupName",
                "ruleName",
                "dataCollectionRuleName",
                "associationName",
                "federatedIdentityCredentialResourceName",
                "extensionName",
                "fluxConfigurationName",
                "diagnosticSettingName",
                "name",
            ],
        },
        // Role assignments are immutable in Azure.
        {
            types: "azure-native:authorization:RoleAssignment",
            paths: ["scope", "principalId", "roleDefinitionId"],
        },
        { types: "azure-native:monitor:DiagnosticSetting", paths: ["resourceUri"] },
        { types: "azure-native:monitor:DataCollectionRuleAssociation", paths: ["resourceUri"] },
        // A Kubernetes object is addressed by kind (part of the type), namespace and name.
        { types: "kubernetes:*", paths: ["metadata.name", "metadata.namespace"] },
        { types: "kubernetes:helm.sh/v3:Release", paths: ["name", "namespace"] },
        {
            types: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
            paths: ["applicationId", "displayName"],
        },
        {
            types: "azuread:index/applicationPassword:ApplicationPassword",
            paths: ["applicationId", "displayName", "endDate", "startDate", "rotateWhenChanged"],
        },
        { types: "azuread:index/servicePrincipal:ServicePrincipal", paths: ["clientId"] },
        {
            types: "github:index/repositoryDeployKey:RepositoryDeployKey",
            paths: ["key", "readOnly", "repository", "title"],
        },
        { types: "github:index/repositoryFile:RepositoryFile", paths: ["repository", "file", "branch"] },
        { types: "tls:index/privateKey:PrivateKey", paths: ["algorithm", "rsaBits", "ecdsaCurve"] },
        {
            types: "random:index/randomPassword:RandomPassword",
            paths: [
                "length",
                "special",
                "upper",
                "lower",
                "numeric",
                "minLower",
                "minUpper",
                "minNumeric",
                "minSpecial",
                "overrideSpecial",
                "keepers",
            ],
        },
        { types: "azuredevops:*", paths: ["projectId"] },
        { types: "time:index/sleep:Sleep", paths: ["triggers"] },
    ];

/** True when a change at `path` (`spec.chart.spec.version`, `agentPoolProfiles[0].count`) of a `type` forces a replacement. */
export function forcesReplacement(type: string, path: string): boolean {
    return REPLACE_ON_CHANGE.some(
        (rule) =>
            (rule.types.endsWith("*") ? type.startsWith(rule.types.slice(0, -1)) : type === rule.types) &&
            rule.paths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)),
    );
}

export interface InputChange {
    readonly path: string;
    /** `undefined` when the input is new. */
    readonly before: unknown;
    /** `undefined` when the input is gone. */
    readonly after: unknown;
    readonly replaces: boolean;
}

export type Operation = "create" | "delete" | "update" | "replace";

export interface ResourceChange {
    readonly op: Operation;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly changes: readonly InputChange[];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(path: string, key: string | number): string {
    if (typeof key === "number") return `${path}[${key}]`;
    if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key)}]`;
    return path ? `${path}.${key}` : key;
}

function isContainer(value: unknown): value is object {
    return !!value && typeof value === "object" && !isWireSecret(value);
}

/** Every leaf that differs between two input trees, as `path: before => after` (secrets compared, never shown). */
export function changedPaths(
    before: unknown,
    after: unknown,
    path = "",
): { path: string; before: unknown; after: unknown }[] {
    if (isContainer(before) && isContainer(after) && Array.isArray(before) === Array.isArray(after)) {
        const keys: (string | number)[] = Array.isArray(before)
            ? Array.from({ length: Math.max(before.length, (after as unknown[]).length) }, (_, i) => i)
            : [...new Set([...Object.keys(before), ...Object.keys(after)])];
        return keys.flatMap((k) => changedPaths((before as any)[k], (after as any)[k], childPath(path, k)));
    }
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

/** Every leaf input of a resource, as `path` and value: what a created resource's lines show. */
export function inputLeaves(value: unknown, path = ""): { path: string; after: unknown }[] {
    const keys = isContainer(value)
        ? Array.isArray(value)
            ? value.map((_, i) => i)
            : Object.keys(value)
        : [];
    if (keys.length === 0) return path ? [{ path, after: value }] : [];
    return keys.flatMap((k) => inputLeaves((value as any)[k], childPath(path, k)));
}

/** What `pulumi up` would do to go from the plan `before` to the plan `after`, keyed by URN. */
export function diffPlans(before: PlanJson, after: PlanJson): ResourceChange[] {
    const old = new Map(before.resources.map((r) => [r.urn, r]));
    const now = new Set(after.resources.map((r) => r.urn));
    const result: ResourceChange[] = [];
    for (const r of after.resources) {
        const previous = old.get(r.urn);
        if (!previous) {
            const changes = inputLeaves(r.inputs).map((c) => ({ ...c, before: undefined, replaces: false }));
            result.push({ op: "create", urn: r.urn, type: r.type, name: r.name, changes });
            continue;
        }
        const changes = resourceChanges(previous, r);
        if (changes.length === 0) continue;
        result.push({
            op: changes.some((c) => c.replaces) ? "replace" : "update",
            urn: r.urn,
            type: r.type,
            name: r.name,
            changes,
        });
    }
    for (const r of before.resources) {
        if (!now.has(r.urn))
            result.push({ op: "delete", urn: r.urn, type: r.type, name: r.name, changes: [] });
    }
    return result;
}

function resourceChanges(before: PlannedResource, after: PlannedResource): InputChange[] {
    const changes: InputChange[] = changedPaths(before.inputs, after.inputs).map((c) => ({
        ...c,
        replaces: forcesReplacement(after.type, c.path),
    }));
    if (before.protect !== after.protect)
        changes.push({ path: "[protect]", before: before.protect, after: after.protect, replaces: false });
    return changes;
}

const SYMBOL: Record<Operation, string> = { create: "+", delete: "-", update: "~", replace: "+-" };

function shown(value: unknown): string {
    return value === undefined ? "(none)" : isUnknown(value) ? "(known after up)" : show(value);
}

/**
 * The diff as a reviewer reads it: one line per changed resource (`+` create, `-` delete, `~` update,
 * `+-` replace), its changed inputs under it, then changed stack outputs and a summary.
 */
export function renderDiff(
    changes: readonly ResourceChange[],
    before: PlanJson,
    after: PlanJson,
    title: string,
): string {
    const lines = [title, ""];
    if (changes.length === 0) lines.push("No resource changes.");
    const typeWidth = Math.max(0, ...changes.map((c) => c.type.length));
    const nameWidth = Math.max(0, ...changes.map((c) => c.name.length));
    for (const c of changes) {
        lines.push(
            `${SYMBOL[c.op].padEnd(4)}${c.type.padEnd(typeWidth)}  ${c.name.padEnd(nameWidth)}  ${c.op}`,
        );
        // A created resource shows its inputs (an onboarding shows the new team's quota and ranges).
        for (const i of c.changes) {
            lines.push(
                c.op === "create"
                    ? `        ${i.path}: ${shown(i.after)}`
                    : `        ${i.path}: ${shown(i.before)} => ${shown(i.after)}${i.replaces ? "  (forces replacement)" : ""}`,
            );
        }
    }

    const outputChanges = changedPaths(before.outputs, after.outputs).filter((c) => c.path);
    if (outputChanges.length > 0) {
        lines.push("", "Outputs:");
        const secret = (path: string) =>
            [...before.secretOutputs, ...after.secretOutputs].some(
                (k) => path === k || path.startsWith(`${k}.`) || path.startsWith(`${k}[`),
            );
        for (const o of outputChanges) {
            lines.push(
                `    ${o.path}: ${secret(o.path) ? "[secret]" : shown(o.before)} => ${secret(o.path) ? "[secret]" : shown(o.after)}`,
            );
        }
    }

    const count = (op: Operation) => changes.filter((c) => c.op === op).length;
    const unchanged = after.resources.length - count("create") - count("update") - count("replace");
    lines.push("", "Resources:");
    for (const [op, words] of [
        ["create", "to create"],
        ["update", "to update"],
        ["replace", "to replace"],
        ["delete", "to delete"],
    ] as const) {
        if (count(op) > 0) lines.push(`    ${SYMBOL[op]} ${count(op)} ${words}`);
    }
    lines.push(`    ${unchanged} unchanged`);
    return lines.join("\n") + "\n";
}

function git(projectDir: string, args: string[]): string {
    const result = spawnSync("git", args, { cwd: projectDir, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
    if (result.status !== 0)
        throw new DiffError(
            `git ${args.join(" ")} failed: ${(result.stderr || result.error?.message || "").trim()}`,
        );
    return result.stdout.trim();
}

/** The tree of `ref`, extracted into a temporary directory that reuses this checkout's node_modules. */
export function checkoutOf(projectDir: string, ref: string): { dir: string; commit: string; remove(): void } {
    let commit: string;
    try {
        commit = git(projectDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    } catch {
        throw new DiffError(`--diff ${ref}: not a commit of this repository (git rev-parse found nothing)`);
    }
    const dir = mkdtempSync(join(tmpdir(), "gitops-plan-diff-"));
    const remove = () => rmSync(dir, { recursive: true, force: true });
    try {
        const archive = spawnSync("git", ["archive", "--format=tar", commit], {
            cwd: projectDir,
            maxBuffer: 1024 * 2 ** 20,
        });
        if (archive.status !== 0)
            throw new DiffError(`git archive ${ref} failed: ${archive.stderr.toString().trim()}`);
        const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
        if (untar.status !== 0)
            throw new DiffError(`extracting ${ref} failed: ${untar.stderr.toString().trim()}`);
        // The ref's program runs with this checkout's dependencies (a ref that changes package.json is
        // planned with the working tree's node_modules).
        rmSync(join(dir, "node_modules"), { recursive: true, force: true });
        symlinkSync(join(projectDir, "node_modules"), join(dir, "node_modules"), "dir");
    } catch (e) {
        remove();
        throw e;
    }
    return { dir, commit, remove };
}

/**
 * The plan of another checkout, in a child process (Pulumi's runtime is global to a process): this
 * checkout's runner and fake cloud run that checkout's program and stack files, so the diff shows
 * what the program and config change, not what the offline tooling changes.
 */
export function planInChild(projectDir: string, stack: string): Promise<PlanJson> {
    const args = [
        ...process.execArgv,
        join(__dirname, "plan.ts"),
        "--stack",
        stack,
        "--json",
        "--project",
        projectDir,
    ];
    return new Promise((resolve, reject) => {
        execFile(process.execPath, args, { maxBuffer: 1024 * 2 ** 20 }, (error, stdout, stderr) => {
            if (error) reject(new DiffError(`planning ${projectDir} failed:\n${stderr || error.message}`));
            else resolve(JSON.parse(stdout) as PlanJson);
        });
    });
}

/** `npm run plan -- --stack <stack> --diff <ref>`: what changes between the ref and the working tree, and whether anything does. */
export async function planDiff(
    stack: string,
    ref: string,
    projectDir: string,
): Promise<{ text: string; changed: boolean }> {
    const checkout = checkoutOf(projectDir, ref);
    try {
        // The ref plans in a child while this process plans the working tree: two cores, one wall time.
        const [before, after] = await Promise.all([
            planInChild(checkout.dir, stack),
            runProgram(stack, {}, undefined, { preview: true, projectDir }).then(toPlanJson),
        ]);
        const changes = diffPlans(before, after);
        const text = renderDiff(
            changes,
            before,
            after,
            `Diff of stack ${stack}: ${ref} (${checkout.commit.slice(0, 12)}) => working tree, offline preview`,
        );
        const outputsChanged = changedPaths(before.outputs, after.outputs).some((c) => c.path);
        return { text, changed: changes.length > 0 || outputsChanged };
    } finally {
        checkout.remove();
    }
}
