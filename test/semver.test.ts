// src/semver.ts against Masterminds/semver's own test tables (test/fixtures/masterminds-semver-constraints.json),
// plus the constraint shapes the platform relies on.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
    Constraint,
    Operator,
    Version,
    compareVersions,
    isConstraint,
    isExactVersion,
    parseConstraint,
    parseVersion,
    satisfies,
} from "../src/semver";

interface Table<T> {
    readonly test: string;
    readonly cases: readonly T[];
}

interface CheckCase {
    readonly constraint: string;
    readonly version: string;
    readonly satisfies: boolean;
}

interface ValidityCase {
    readonly input: string;
    readonly valid: boolean;
}

interface Fixture {
    readonly parseConstraint: Table<ValidityCase & { readonly function?: string; readonly version?: string }>;
    readonly constraintCheck: Table<CheckCase>;
    readonly newConstraint: Table<
        ValidityCase & { readonly ors?: number; readonly firstGroupCount?: number }
    >;
    readonly constraintsCheck: Table<CheckCase>;
    readonly constraintsValidate: Table<CheckCase>;
    readonly rewriteRange: Table<{ readonly input: string; readonly rewritten: string }>;
    readonly strictNewVersion: Table<ValidityCase>;
    readonly newVersion: Table<ValidityCase>;
    readonly compare: Table<{ readonly a: string; readonly b: string; readonly expected: number }>;
}

const FIXTURE: Fixture = JSON.parse(
    readFileSync(join(__dirname, "fixtures", "masterminds-semver-constraints.json"), "utf8"),
);

/** Masterminds' constraintOps: the Go function each operator resolves to. */
const GO_FUNCTION: Record<Operator, string> = {
    "": "constraintTildeOrEqual",
    "=": "constraintTildeOrEqual",
    "!=": "constraintNotEqual",
    ">": "constraintGreaterThan",
    "<": "constraintLessThan",
    ">=": "constraintGreaterThanEqual",
    "=>": "constraintGreaterThanEqual",
    "<=": "constraintLessThanEqual",
    "=<": "constraintLessThanEqual",
    "~": "constraintTilde",
    "~>": "constraintTilde",
    "^": "constraintCaret",
};

function version(text: string): Version {
    const v = parseVersion(text);
    assert.ok(v, `fixture version ${JSON.stringify(text)} parses`);
    return v;
}

function constraint(text: string): Constraint {
    const c = parseConstraint(text);
    assert.ok(c, `constraint ${JSON.stringify(text)} parses`);
    return c;
}

/** Go's Version.String(). */
function format(v: Version): string {
    return `${v.major}.${v.minor}.${v.patch}${v.prerelease && `-${v.prerelease}`}${v.metadata && `+${v.metadata}`}`;
}

/** Every comparator, flattened, for comparing two parses. */
function shape(c: Constraint): unknown {
    return c.groups.map((g) => g.comparators.map((k) => ({ ...k, version: format(k.version) })));
}

function checkTable(table: Table<CheckCase>): void {
    describe(table.test, () => {
        for (const tc of table.cases) {
            it(`${JSON.stringify(tc.constraint)} with ${tc.version}`, () => {
                assert.equal(satisfies(version(tc.version), constraint(tc.constraint)), tc.satisfies);
            });
        }
    });
}

describe("Masterminds/semver test tables", () => {
    describe(FIXTURE.parseConstraint.test, () => {
        for (const tc of FIXTURE.parseConstraint.cases) {
            it(JSON.stringify(tc.input), () => {
                const c = parseConstraint(tc.input);
                assert.equal(c !== undefined, tc.valid);
                if (c === undefined) return;
                assert.equal(c.groups.length, 1);
                const [only] = c.groups[0].comparators;
                assert.equal(GO_FUNCTION[only.operator], tc.function);
                assert.equal(format(only.version), tc.version);
            });
        }
    });

    describe(FIXTURE.constraintCheck.test, () => {
        for (const tc of FIXTURE.constraintCheck.cases) {
            it(`${JSON.stringify(tc.constraint)} with ${tc.version}`, () => {
                // Go's unexported parseConstraint("") is `*`; NewConstraint, and so Flux, refuses "".
                const text = tc.constraint === "" ? "*" : tc.constraint;
                if (tc.constraint === "") assert.equal(isConstraint(""), false);
                assert.equal(satisfies(version(tc.version), constraint(text)), tc.satisfies);
            });
        }
    });

    describe(FIXTURE.newConstraint.test, () => {
        for (const tc of FIXTURE.newConstraint.cases) {
            it(JSON.stringify(tc.input), () => {
                const c = parseConstraint(tc.input);
                assert.equal(c !== undefined, tc.valid);
                if (c === undefined) return;
                assert.equal(c.groups.length, tc.ors);
                assert.equal(c.groups[0].comparators.length, tc.firstGroupCount);
            });
        }
    });

    checkTable(FIXTURE.constraintsCheck);
    checkTable(FIXTURE.constraintsValidate);

    describe(FIXTURE.rewriteRange.test, () => {
        for (const tc of FIXTURE.rewriteRange.cases) {
            it(JSON.stringify(tc.input), () => {
                assert.deepEqual(shape(constraint(tc.input)), shape(constraint(tc.rewritten)));
            });
        }
    });

    describe(FIXTURE.strictNewVersion.test, () => {
        for (const tc of FIXTURE.strictNewVersion.cases) {
            it(JSON.stringify(tc.input), () => assert.equal(isExactVersion(tc.input), tc.valid));
        }
    });

    describe(FIXTURE.newVersion.test, () => {
        for (const tc of FIXTURE.newVersion.cases) {
            it(JSON.stringify(tc.input), () => assert.equal(parseVersion(tc.input) !== undefined, tc.valid));
        }
    });

    describe(FIXTURE.compare.test, () => {
        for (const tc of FIXTURE.compare.cases) {
            it(`${tc.a} vs ${tc.b}`, () =>
                assert.equal(compareVersions(version(tc.a), version(tc.b)), tc.expected));
        }
    });
});

describe("constraints the platform relies on", () => {
    for (const text of [
        ">= 1.0.0, < 2.0.0",
        "~1.2",
        "^1.2.3",
        "1.2.x",
        "1.2.3 - 1.4.5",
        ">=0.1.0 <1.0.0",
        "*",
    ]) {
        it(`accepts ${JSON.stringify(text)}`, () => assert.equal(isConstraint(text), true));
    }

    for (const text of [
        ">=",
        "1.2.3 -",
        ">1.0.0 ||",
        "abc",
        "",
        " ",
        "1.2.3 - ",
        "|| 1.0.0",
        ">= 1.0.0,",
        "1|2",
    ]) {
        it(`refuses ${JSON.stringify(text)}`, () => assert.equal(isConstraint(text), false));
    }

    it("reads a hyphen range as both bounds, inclusive", () => {
        const c = constraint("1.2.3 - 1.4.5");
        assert.deepEqual(
            ["1.2.2", "1.2.3", "1.4.5", "1.4.6"].map((v) => satisfies(version(v), c)),
            [false, true, true, false],
        );
    });

    it("reads `1.2.3-1.4.5` without blanks as one version with prerelease 1.4.5", () => {
        const [group] = constraint("1.2.3-1.4.5").groups;
        assert.deepEqual(
            group.comparators.map((c) => [c.operator, format(c.version)]),
            [["", "1.2.3-1.4.5"]],
        );
    });

    it("lets a prerelease through only where the group names one", () => {
        const rc = version("1.5.0-rc.1");
        assert.equal(satisfies(rc, constraint(">= 1.0.0, < 2.0.0")), false);
        assert.equal(satisfies(rc, constraint(">= 1.0.0-0, < 2.0.0")), true);
        assert.equal(satisfies(rc, constraint(">= 1.0.0-0 || < 2.0.0")), true);
        assert.equal(satisfies(rc, constraint("< 2.0.0 || >= 3.0.0-0")), false);
    });

    it("takes an exact pin only as MAJOR.MINOR.PATCH, without a v prefix", () => {
        const pins = [
            "1.2.3",
            "1.2.3-rc.1+build.5",
            "v1.2.3",
            "1.2",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
        ];
        assert.deepEqual(pins.map(isExactVersion), [true, true, false, false, false, false, false, false]);
    });

    it("keeps version numbers up to uint64", () => {
        assert.equal(parseVersion("18446744073709551615.0.0")?.major, 18446744073709551615n);
        assert.equal(parseVersion("18446744073709551616.0.0"), undefined);
        assert.equal(isConstraint(">= 18446744073709551616"), false);
    });

    it("answers quickly on whitespace a backtracking port of validConstraintRegex would choke on", () => {
        const started = Date.now();
        for (const sep of ["  ", "   ", " , "]) isConstraint(Array(200).fill("1").join(sep) + sep + "!");
        assert.ok(Date.now() - started < 1000);
    });
});
