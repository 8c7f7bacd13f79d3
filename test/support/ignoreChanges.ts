// Pulumi's `ignoreChanges`, as the engine applies it before asking the provider for a diff
// (pulumi/pulumi at 1b59498: pkg/resource/deploy/step_generator.go `processIgnoreChanges`,
// sdk/go/common/resource/properties_path.go `PropertyPath.Reset`): each ignored path of the new
// inputs takes its value from the old (state) inputs. An array item is reset only where both arrays
// have it, and arrays of different lengths make the path fail: the new inputs then keep their value.

type Value = unknown;
type Path = (string | number)[];

/** `a.b[0].c` as its keys; `["x.y"]` quoting is not needed by the program's paths. */
export function parsePath(path: string): Path {
    return path
        .split(/\.|(?=\[)/)
        .filter((p) => p !== "")
        .map((p) => (/^\[\d+\]$/.test(p) ? Number(p.slice(1, -1)) : p));
}

const isObject = (v: Value): v is Record<string, Value> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

/** Resets `path` in `next` to its value in `old`; false where Pulumi reports a path failure. */
function reset(path: Path, old: Value, next: Value): boolean {
    const [key, ...rest] = path;
    if (typeof key === "number") {
        if (!Array.isArray(old) || !Array.isArray(next)) return !Array.isArray(old) && !Array.isArray(next);
        if (key >= old.length || key >= next.length) return old.length === next.length;
        if (rest.length === 0) {
            next[key] = structuredClone(old[key]);
            return true;
        }
        return reset(rest, old[key], next[key]);
    }
    if (rest.length === 0) {
        if (isObject(old) && key in old) {
            if (!isObject(next)) return false;
            next[key] = structuredClone(old[key]);
        } else if (isObject(next)) {
            delete next[key];
        }
        return true;
    }
    if (!isObject(old) || !isObject(next)) return !isObject(old) && !isObject(next);
    const [hasOld, hasNew] = [key in old, key in next];
    if (hasOld && !hasNew) return false;
    if (!hasOld && !hasNew) return true;
    return reset(rest, old[key], next[key]);
}

/** The new inputs after the engine applied `ignoreChanges` against the old (refreshed) inputs. */
export function applyIgnoreChanges(
    oldInputs: Record<string, Value>,
    newInputs: Record<string, Value>,
    ignoreChanges: readonly string[],
): Record<string, Value> {
    const result = structuredClone(newInputs);
    for (const path of ignoreChanges) reset(parsePath(path), oldInputs, result);
    return result;
}

/** JSON with object keys sorted: equal values, equal text, whatever order the keys came in. */
function canonical(v: Value): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (isObject(v))
        return `{${Object.keys(v)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
            .join(",")}}`;
    return JSON.stringify(v) ?? "undefined";
}

/** Top-level inputs whose value differs between two input maps (what a diff would list). */
export function changedInputs(a: Record<string, Value>, b: Record<string, Value>): string[] {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].filter((k) => canonical(a[k]) !== canonical(b[k])).sort();
}
