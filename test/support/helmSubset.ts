// Renders a Helm chart with the small subset of Helm's template language the starter kit's chart uses,
// because helm itself cannot be installed here. It is not Helm: the team's own CI runs the real
// `helm lint --strict` and `helm template`. What it does support, it does as Helm does (Go template
// trim markers, missing keys are errors as under `helm lint --strict`, Go truthiness, sprig's
// default/trunc/trimSuffix/replace/printf/quote/toYaml/indent/nindent/required, include/define,
// if/else and with). Anything else (range, variables, parentheses, other functions) throws, so the
// chart cannot outgrow what the tests check without the tests saying so.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";

type Context = Record<string, unknown>;
type Node =
    | { kind: "text"; text: string }
    | { kind: "action"; pipeline: string }
    | { kind: "if" | "with"; pipeline: string; then: Node[]; otherwise: Node[] }
    | { kind: "define"; name: string; body: Node[] };

export interface ChartRelease {
    readonly name: string;
    readonly namespace: string;
}

export interface RenderedChart {
    /** Every manifest, by template path (`templates/deployment.yaml`), as Helm would print it. */
    readonly manifests: Map<string, string>;
    /** The parsed objects of every manifest (empty documents dropped). */
    readonly objects: Record<string, any>[];
}

/** Renders every template of `chartDir` with values.yaml deep-merged with `overrides`. */
export function renderChart(
    chartDir: string,
    release: ChartRelease,
    overrides: Record<string, unknown> = {},
): RenderedChart {
    const chart = parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as Record<string, string>;
    const values = merge(parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) ?? {}, overrides);
    const root: Context = {
        Values: values,
        Chart: {
            Name: chart.name,
            Version: chart.version,
            AppVersion: chart.appVersion,
            ApiVersion: chart.apiVersion,
        },
        Release: {
            Name: release.name,
            Namespace: release.namespace,
            Service: "Helm",
            IsInstall: true,
            IsUpgrade: false,
        },
    };
    const templatesDir = join(chartDir, "templates");
    const files = walk(templatesDir).map((f) => relative(chartDir, f).split("\\").join("/"));
    const parsed = new Map(files.map((f) => [f, parseTemplate(readFileSync(join(chartDir, f), "utf8"), f)]));
    const defines = new Map<string, Node[]>();
    for (const nodes of parsed.values())
        for (const n of nodes) if (n.kind === "define") defines.set(n.name, n.body);

    const manifests = new Map<string, string>();
    for (const [file, nodes] of parsed) {
        const name = file.split("/").pop()!;
        if (name.startsWith("_") || !/\.ya?ml$/.test(name)) continue;
        manifests.set(file, evaluate(nodes, root, root, defines));
    }
    const objects = [...manifests.values()].flatMap((text) =>
        parseAllDocuments(text)
            .map((d) => {
                if (d.errors.length > 0)
                    throw new Error(`rendered YAML does not parse: ${d.errors[0].message}\n${text}`);
                return d.toJS();
            })
            .filter((o) => o !== null && o !== undefined),
    );
    return { manifests, objects };
}

function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((f) => {
        const path = join(dir, f);
        return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

function merge(base: unknown, over: unknown): any {
    if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
    return out;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

/** Go template truthiness, which sprig's `default` and `empty` share. */
function truthy(v: unknown): boolean {
    if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
    if (Array.isArray(v)) return v.length > 0;
    if (isMap(v)) return Object.keys(v).length > 0;
    return true;
}

// ---- parsing -------------------------------------------------------------------------------------

const ACTION = /\{\{(-\s)?\s*([\s\S]*?)\s*(\s-)?\}\}/g;

function parseTemplate(source: string, file: string): Node[] {
    // Tokens, with Go's trim markers applied to the neighbouring text.
    const tokens: ({ text: string } | { action: string })[] = [];
    let last = 0;
    let trimNext = false;
    for (const m of source.matchAll(ACTION)) {
        let text = source.slice(last, m.index);
        if (trimNext) text = text.replace(/^\s+/, "");
        if (m[1]) text = text.replace(/\s+$/, "");
        tokens.push({ text });
        tokens.push({ action: m[2] });
        trimNext = Boolean(m[3]);
        last = m.index! + m[0].length;
    }
    tokens.push({ text: trimNext ? source.slice(last).replace(/^\s+/, "") : source.slice(last) });

    let i = 0;
    const block = (closers: string[]): { nodes: Node[]; closer: string } => {
        const nodes: Node[] = [];
        while (i < tokens.length) {
            const t = tokens[i++];
            if ("text" in t) {
                if (t.text) nodes.push({ kind: "text", text: t.text });
                continue;
            }
            const a = t.action;
            if (a.startsWith("/*")) continue;
            const [keyword, ...rest] = a.split(/\s+/);
            const argument = rest.join(" ");
            if (closers.includes(a)) return { nodes, closer: a };
            if (keyword === "if" || keyword === "with") {
                const then = block(["end", "else"]);
                const otherwise = then.closer === "else" ? block(["end"]).nodes : [];
                nodes.push({ kind: keyword, pipeline: argument, then: then.nodes, otherwise });
            } else if (keyword === "define") {
                nodes.push({ kind: "define", name: JSON.parse(argument), body: block(["end"]).nodes });
            } else if (
                ["range", "else", "end", "template", "block", "break", "continue"].includes(keyword) ||
                a.startsWith("$")
            ) {
                throw new Error(
                    `${file}: {{ ${a} }} is outside the subset this renderer supports (or misplaced)`,
                );
            } else {
                nodes.push({ kind: "action", pipeline: a });
            }
        }
        if (closers.length > 0) throw new Error(`${file}: missing {{ end }}`);
        return { nodes, closer: "" };
    };
    return block([]).nodes;
}

// ---- evaluation ----------------------------------------------------------------------------------

function evaluate(nodes: Node[], dot: unknown, root: Context, defines: Map<string, Node[]>): string {
    let out = "";
    for (const n of nodes) {
        if (n.kind === "text") out += n.text;
        else if (n.kind === "define") continue;
        else if (n.kind === "action") out += print(pipeline(n.pipeline, dot, root, defines));
        else {
            const v = pipeline(n.pipeline, dot, root, defines);
            if (truthy(v)) out += evaluate(n.then, n.kind === "with" ? v : dot, root, defines);
            else out += evaluate(n.otherwise, dot, root, defines);
        }
    }
    return out;
}

function print(v: unknown): string {
    if (v === null || v === undefined) return ""; // Helm replaces "<no value>" with nothing
    if (typeof v === "object")
        throw new Error(`printing a ${Array.isArray(v) ? "list" : "map"} needs toYaml: ${JSON.stringify(v)}`);
    return String(v);
}

/** Splits on `sep` outside double-quoted strings. */
function split(s: string, sep: RegExp): string[] {
    const parts: string[] = [];
    let current = "";
    let quoted = false;
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (c === '"' && s[i - 1] !== "\\") quoted = !quoted;
        if (!quoted && sep.test(c)) {
            parts.push(current);
            current = "";
        } else current += c;
    }
    parts.push(current);
    return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function pipeline(source: string, dot: unknown, root: Context, defines: Map<string, Node[]>): unknown {
    if (/[()]/.test(source.replace(/"(\\.|[^"\\])*"/g, "")))
        throw new Error(`parentheses are outside the subset: ${source}`);
    const commands = split(source, /\|/);
    let piped: unknown[] = [];
    for (const command of commands) {
        const [head, ...args] = split(command, /\s/);
        const values = args.map((a) => operand(a, dot, root));
        if (FUNCTIONS[head]) piped = [FUNCTIONS[head]([...values, ...piped], defines, root)];
        else if (head === "include") {
            const [name, context] = [...values, ...piped] as [string, unknown];
            const body = defines.get(name);
            if (!body) throw new Error(`include of an undefined template "${name}"`);
            piped = [evaluate(body, context, root, defines)];
        } else if (args.length === 0 && piped.length === 0) piped = [operand(head, dot, root)];
        else throw new Error(`unsupported function "${head}" in {{ ${source} }}`);
    }
    return piped[0];
}

function operand(token: string, dot: unknown, root: Context): unknown {
    if (token.startsWith('"')) return JSON.parse(token);
    if (/^-?\d+$/.test(token)) return Number(token);
    if (token === "true" || token === "false") return token === "true";
    if (token === "." || token === "$") return token === "$" ? root : dot;
    if (token.startsWith(".") || token.startsWith("$.")) {
        let v: unknown = token.startsWith("$") ? root : dot;
        for (const key of token.replace(/^\$?\./, "").split(".")) {
            if (!isMap(v)) throw new Error(`${token}: cannot read "${key}" of ${JSON.stringify(v)}`);
            if (!(key in v))
                throw new Error(`${token}: map has no entry for key "${key}" (helm lint --strict fails too)`);
            v = v[key];
        }
        return v;
    }
    throw new Error(`unsupported operand ${token}`);
}

const indent = (n: number, s: string) =>
    String(s)
        .split("\n")
        .map((line) => " ".repeat(n) + line)
        .join("\n");

type Fn = (args: unknown[], defines: Map<string, Node[]>, root: Context) => unknown;
const FUNCTIONS: Record<string, Fn> = {
    default: ([fallback, given]) => (truthy(given) ? given : fallback),
    trunc: ([n, s]) => String(s).slice(0, n as number),
    trimSuffix: ([suffix, s]) =>
        String(s).endsWith(suffix as string) ? String(s).slice(0, -String(suffix).length) : String(s),
    replace: ([from, to, s]) =>
        String(s)
            .split(from as string)
            .join(to as string),
    printf: ([format, ...args]) => {
        let i = 0;
        return String(format).replace(/%[sdv]/g, () => String(args[i++]));
    },
    quote: (args) =>
        args.map((a) => JSON.stringify(a === null || a === undefined ? "" : String(a))).join(" "),
    toYaml: ([v]) =>
        v === null || v === undefined ? "null" : stringify(v, { sortMapEntries: true }).replace(/\n$/, ""),
    indent: ([n, s]) => indent(n as number, s as string),
    nindent: ([n, s]) => `\n${indent(n as number, s as string)}`,
    required: ([message, v]) => {
        if (!truthy(v)) throw new Error(String(message));
        return v;
    },
};
