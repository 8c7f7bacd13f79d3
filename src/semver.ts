// The version and constraint grammar of github.com/Masterminds/semver/v3, which Flux uses to read a
// HelmRelease's `spec.chart.spec.version` (`semver.NewConstraint`). Ported from v3.4.0 (constraints.go
// and version.go, as vendored in kubernetes/kubernetes under vendor/github.com/Masterminds/semver/v3)
// with the library defaults: `CoerceNewVersion = true`, `IncludePrerelease = false`. The regular
// expressions are the library's, character for character, except that Go's `\s` is spelled out
// (below) and the AND-group validation runs as a scanner (see `isValidGroup`).
// test/fixtures/masterminds-semver-constraints.json holds the library's own test cases.

/** A parsed version. The numbers are `bigint` because Masterminds parses them as uint64. */
export interface Version {
    readonly major: bigint;
    readonly minor: bigint;
    readonly patch: bigint;
    /** Without the leading `-`; empty when there is none. */
    readonly prerelease: string;
    /** Without the leading `+`; empty when there is none. Ignored by every comparison. */
    readonly metadata: string;
    /** The text as given, `v` prefix included. */
    readonly original: string;
}

/** The comparison operators of a comparator; `""` is a bare version (`1.2.3`, `1.2.x`). */
export type Operator = "" | "=" | "!=" | ">" | "<" | ">=" | "=>" | "<=" | "=<" | "~" | "~>" | "^";

/** One comparator, e.g. `>=1.2` (Masterminds' unexported `constraint`). */
export interface Comparator {
    readonly operator: Operator;
    /** The version as written after the operator, e.g. `4.x`. */
    readonly original: string;
    /** The version compared with: wildcards and missing parts become 0, e.g. `4.x` is 4.0.0. */
    readonly version: Version;
    /** The major, minor or patch part was a wildcard or missing. */
    readonly dirty: boolean;
    /** The minor part (and so the patch) was a wildcard or missing: `1`, `1.x`. */
    readonly minorDirty: boolean;
    /** Only the patch part was a wildcard or missing: `1.2`, `1.2.x`. */
    readonly patchDirty: boolean;
}

/** Comparators that must all hold; one `||` alternative of a constraint. */
export interface ComparatorGroup {
    readonly comparators: readonly Comparator[];
    /** Some comparator names a prerelease, which lets prerelease versions satisfy the whole group. */
    readonly includesPrerelease: boolean;
}

/** A parsed constraint: satisfied when any group is. */
export interface Constraint {
    readonly groups: readonly ComparatorGroup[];
}

const MAX_UINT64 = (1n << 64n) - 1n;

// Go's `\s` is ASCII `[\t\n\f\r ]`; JavaScript's would also take \v and Unicode spaces.
const S = "[\\t\\n\\f\\r ]";
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const CV =
    String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?` +
    String.raw`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?` +
    String.raw`(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const LOOSE_VERSION_REGEX = new RegExp(
    "^" +
        String.raw`v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?` +
        String.raw`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?` +
        String.raw`(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?` +
        "$",
);
const CONSTRAINT_REGEX = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const CONSTRAINT_RANGE_REGEX = new RegExp(`${S}*(${CV})${S}+-${S}+(${CV})${S}*`, "g");
const FIND_CONSTRAINT_REGEX = new RegExp(`(${OPS})${S}*(${CV})`, "g");
const COMPARATOR_AT_START = new RegExp(`^(?:${OPS})${S}*(?:${CV})`);
const LEADING_SPACE = new RegExp(`^${S}*`);
const ALL_DIGITS = /^[0-9]+$/;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;

/** Parses a version as Masterminds `NewVersion` does: `v` prefix, missing minor/patch, leading zeros allowed. */
export function parseVersion(text: string): Version | undefined {
    const m = LOOSE_VERSION_REGEX.exec(text);
    if (m === null) return undefined;
    const major = parseUint64(m[1]);
    const minor = m[2] === undefined ? 0n : parseUint64(m[2].slice(1));
    const patch = m[3] === undefined ? 0n : parseUint64(m[3].slice(1));
    const prerelease = m[5] ?? "";
    const metadata = m[8] ?? "";
    if (major === undefined || minor === undefined || patch === undefined) return undefined;
    if (prerelease !== "" && !isValidPrerelease(prerelease)) return undefined;
    if (metadata !== "" && !isValidMetadata(metadata)) return undefined;
    return { major, minor, patch, prerelease, metadata, original: text };
}

/**
 * True for a strict `MAJOR.MINOR.PATCH[-pre][+meta]`, exactly what Masterminds `StrictNewVersion`
 * accepts: all three parts, no leading zeros, and no `v` prefix. Flux would also pin on `v1.2.3`, but the
 * platform requires the canonical spelling charts publish (and `1.2` is no pin to Flux: it reads `~1.2`).
 */
export function isExactVersion(text: string): boolean {
    return strictVersion(text) !== undefined;
}

function strictVersion(text: string): Version | undefined {
    const [majorText, minorText, ...rest] = text.split(".");
    if (minorText === undefined || rest.length === 0) return undefined;
    let patchText = rest.join(".");
    let metadata = "";
    let prerelease = "";
    const plus = patchText.indexOf("+");
    if (plus >= 0) {
        [patchText, metadata] = [patchText.slice(0, plus), patchText.slice(plus + 1)];
        if (!isValidMetadata(metadata)) return undefined;
    }
    const dash = patchText.indexOf("-");
    if (dash >= 0) {
        [patchText, prerelease] = [patchText.slice(0, dash), patchText.slice(dash + 1)];
        if (!isValidPrerelease(prerelease)) return undefined;
    }
    if ([majorText, minorText, patchText].some((p) => p.length > 1 && p.startsWith("0"))) return undefined;
    const [major, minor, patch] = [majorText, minorText, patchText].map(parseUint64);
    if (major === undefined || minor === undefined || patch === undefined) return undefined;
    return { major, minor, patch, prerelease, metadata, original: text };
}

/** Orders two versions as Masterminds `Version.Compare`: -1, 0 or 1; metadata is ignored. */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
    for (const [x, y] of [
        [a.major, b.major],
        [a.minor, b.minor],
        [a.patch, b.patch],
    ]) {
        if (x !== y) return x < y ? -1 : 1;
    }
    if (a.prerelease === "" && b.prerelease === "") return 0;
    if (a.prerelease === "") return 1;
    if (b.prerelease === "") return -1;
    return comparePrerelease(a.prerelease, b.prerelease);
}

function comparePrerelease(a: string, b: string): -1 | 0 | 1 {
    const [aParts, bParts] = [a.split("."), b.split(".")];
    for (let i = 0; i < Math.max(aParts.length, bParts.length); i++) {
        const d = comparePrereleasePart(aParts[i] ?? "", bParts[i] ?? "");
        if (d !== 0) return d;
    }
    return 0;
}

function comparePrereleasePart(s: string, o: string): -1 | 0 | 1 {
    if (s === o) return 0;
    if (s === "") return -1;
    if (o === "") return 1;
    const [si, oi] = [parseUint64(s), parseUint64(o)];
    if (si === undefined && oi === undefined) return s > o ? 1 : -1;
    if (oi === undefined) return -1;
    if (si === undefined) return 1;
    return si > oi ? 1 : -1;
}

/**
 * Parses a constraint as Masterminds `NewConstraint` does: hyphen ranges (`1.2.3 - 1.4.5`) rewritten to
 * `>= 1.2.3, <= 1.4.5`, `||` alternatives, comparators separated by spaces or commas, wildcards `x`,
 * `X`, `*`. Undefined where `NewConstraint` returns an error (the empty string included).
 */
export function parseConstraint(text: string): Constraint | undefined {
    const groups: ComparatorGroup[] = [];
    for (const segment of rewriteRange(text).split("||")) {
        if (!isValidGroup(segment)) return undefined;
        const pieces = Array.from(segment.matchAll(FIND_CONSTRAINT_REGEX), (m) => m[0]);
        const comparators: Comparator[] = [];
        for (const piece of pieces.length > 0 ? pieces : [segment]) {
            const comparator = parseComparator(piece);
            if (comparator === undefined) return undefined;
            comparators.push(comparator);
        }
        groups.push({
            comparators,
            includesPrerelease: comparators.some((c) => c.version.prerelease !== ""),
        });
    }
    return { groups };
}

/** True when Masterminds `NewConstraint` (and so Flux) accepts the text. */
export function isConstraint(text: string): boolean {
    return parseConstraint(text) !== undefined;
}

/**
 * Masterminds `Constraints.Check`: some group whose comparators all hold. A prerelease version only
 * satisfies a group in which some comparator names a prerelease (`>=1.2.3-0`); `*` alone refuses it.
 */
export function satisfies(version: Version, constraint: Constraint): boolean {
    return constraint.groups.some((group) =>
        group.comparators.every(
            (c) => (version.prerelease === "" || group.includesPrerelease) && CHECKS[c.operator](version, c),
        ),
    );
}

function rewriteRange(text: string): string {
    let out = text;
    for (const m of text.matchAll(CONSTRAINT_RANGE_REGEX)) {
        const at = out.indexOf(m[0]);
        if (at >= 0) out = out.slice(0, at) + `>= ${m[1]}, <= ${m[11]} ` + out.slice(at + m[0].length);
    }
    return out;
}

/**
 * Masterminds' `validConstraintRegex`, `^(\s*(ops)\s*(cv)\s*)((?:\s+|,\s*)(ops)\s*(cv)\s*)*$`, as a
 * scanner: a comparator, then comparators each after blanks or after a comma with optional blanks.
 * The regex itself splits whitespace runs between neighbouring `\s*` in exponentially many ways, which
 * Go's RE2 never tries but a backtracking engine does before rejecting (`1   1   1 … !` takes minutes).
 * Taking the first comparator match at each step loses nothing: a comparator cannot end where a
 * shorter one would leave a blank, a comma or the end.
 */
function isValidGroup(segment: string): boolean {
    let rest = segment.replace(LEADING_SPACE, "");
    for (;;) {
        const m = COMPARATOR_AT_START.exec(rest);
        if (m === null) return false;
        const after = rest.slice(m[0].length);
        rest = after.replace(LEADING_SPACE, "");
        if (rest === "") return true;
        if (rest.startsWith(",")) rest = rest.slice(1).replace(LEADING_SPACE, "");
        else if (rest === after) return false;
    }
}

function parseComparator(text: string): Comparator | undefined {
    const m = CONSTRAINT_REGEX.exec(text);
    if (m === null) return undefined;
    const [operator, original, major, minor, patch, pre] = [1, 2, 3, 4, 5, 6].map((i) => m[i] ?? "");
    let versionText = original;
    let [dirty, minorDirty, patchDirty] = [false, false, false];
    if (isX(major) || major === "") {
        versionText = `0.0.0${pre}`;
        dirty = true;
    } else if (isX(minor.slice(1)) || minor === "") {
        versionText = `${major}.0.0${pre}`;
        [dirty, minorDirty] = [true, true];
    } else if (isX(patch.slice(1)) || patch === "") {
        versionText = `${major}${minor}.0${pre}`;
        [dirty, patchDirty] = [true, true];
    }
    // The version regex is looser than it looks (`|` is in its digit class): NewVersion has the last word.
    const version = parseVersion(versionText);
    if (version === undefined) return undefined;
    return { operator: operator as Operator, original, version, dirty, minorDirty, patchDirty };
}

function isX(part: string): boolean {
    return part === "x" || part === "X" || part === "*";
}

// Go's strconv.ParseUint(s, 10, 64): digits only, at most 2^64-1.
function parseUint64(text: string): bigint | undefined {
    if (!ALL_DIGITS.test(text)) return undefined;
    const n = BigInt(text);
    return n <= MAX_UINT64 ? n : undefined;
}

function isValidPrerelease(prerelease: string): boolean {
    return prerelease.split(".").every((p) => {
        if (ALL_DIGITS.test(p)) return !(p.length > 1 && p.startsWith("0"));
        return IDENTIFIER.test(p);
    });
}

function isValidMetadata(metadata: string): boolean {
    return metadata.split(".").every((p) => IDENTIFIER.test(p));
}

type Check = (v: Version, c: Comparator) => boolean;

const CHECKS: Record<Operator, Check> = {
    "": tildeOrEqual,
    "=": tildeOrEqual,
    "!=": notEqual,
    ">": greaterThan,
    "<": (v, c) => compareVersions(v, c.version) < 0,
    ">=": (v, c) => compareVersions(v, c.version) >= 0,
    "=>": (v, c) => compareVersions(v, c.version) >= 0,
    "<=": lessThanEqual,
    "=<": lessThanEqual,
    "~": tilde,
    "~>": tilde,
    "^": caret,
};

function notEqual(v: Version, c: Comparator): boolean {
    const con = c.version;
    if (c.dirty) {
        if (con.major !== v.major) return true;
        if (con.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (con.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) {
            if (v.prerelease === "" && con.prerelease === "") return false;
            return comparePrerelease(v.prerelease, con.prerelease) !== 0;
        }
    }
    return compareVersions(v, con) !== 0;
}

function greaterThan(v: Version, c: Comparator): boolean {
    const con = c.version;
    if (!c.dirty) return compareVersions(v, con) === 1;
    if (v.major !== con.major) return v.major > con.major;
    // `>11` wants 12 or later, `>11.1` wants 11.2 or later.
    if (c.minorDirty) return false;
    if (c.patchDirty) return v.minor > con.minor;
    return compareVersions(v, con) === 1;
}

function lessThanEqual(v: Version, c: Comparator): boolean {
    const con = c.version;
    if (!c.dirty) return compareVersions(v, con) <= 0;
    if (v.major > con.major) return false;
    return !(v.major === con.major && v.minor > con.minor && !c.minorDirty);
}

function tilde(v: Version, c: Comparator): boolean {
    const con = c.version;
    if (compareVersions(v, con) < 0) return false;
    const zero = con.major === 0n && con.minor === 0n && con.patch === 0n;
    if (zero && !c.minorDirty && !c.patchDirty) return true;
    if (v.major !== con.major) return false;
    return v.minor === con.minor || c.minorDirty;
}

function tildeOrEqual(v: Version, c: Comparator): boolean {
    return c.dirty ? tilde(v, c) : compareVersions(v, c.version) === 0;
}

function caret(v: Version, c: Comparator): boolean {
    const con = c.version;
    if (compareVersions(v, con) < 0) return false;
    if (con.major > 0n || c.minorDirty) return v.major === con.major;
    if (v.major > 0n) return false;
    if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
    if (v.minor > 0n) return false;
    return v.patch === con.patch;
}
