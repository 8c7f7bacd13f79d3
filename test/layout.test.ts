import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { layoutProblems, relativeImports, stepCycles, violation } from "../tools/layers";

describe("the layout rule (npm run layers)", () => {
    test("holds in this checkout", () => {
        assert.deepEqual(layoutProblems(), []);
    });

    const refused: [string, string, RegExp][] = [
        ["src/naming.ts", "components/tenants", /src imports components, a floor above it/],
        ["src/config/keys.ts", "stack/config", /src imports stack/],
        ["components/flux/flux.ts", "stack/config", /components imports stack/],
        ["components/flux/flux.ts", "components/tenants/networkPolicies", /internals of the tenants step/],
        ["stack/config.ts", "components/tenants/config", /internals of the tenants step/],
        ["index.ts", "components/platform/platform", /internals of the platform step/],
        ["components/charts/chartMuseum.ts", "tools/offline/run", /imports tooling/],
        ["src/flux.ts", "test/support/program", /imports tooling/],
    ];
    for (const [file, target, why] of refused)
        test(`refuses ${file} importing ${target}`, () => assert.match(violation(file, target) ?? "", why));

    const admitted: [string, string][] = [
        ["components/flux/flux.ts", "src/flux"],
        ["components/flux/flux.ts", "components/flux/config"],
        ["components/devops/devops.ts", "components/tenants"],
        ["stack/config.ts", "components/tenants/index"],
        ["index.ts", "stack/config"],
        ["tools/offline/team.ts", "components/tenants/config"],
        ["test/tenants/config.test.ts", "components/tenants/config"],
    ];
    for (const [file, target] of admitted)
        test(`admits ${file} importing ${target}`, () => assert.equal(violation(file, target), undefined));

    test("reads import, export-from, dynamic import and require, not comments", () => {
        const source = [
            'import { a } from "../../src/naming";',
            'export { b } from "./config";',
            'const c = require("../charts");',
            "import { f } from '../../src/flux';",
            'const d = import("./delivery/helm.ts");',
            '// import { e } from "../platform/platform";',
        ].join("\n");
        assert.deepEqual(relativeImports("components/tenants/tenant.ts", source), [
            "src/naming",
            "components/tenants/config",
            "components/charts",
            "src/flux",
            "components/tenants/delivery/helm",
        ]);
    });

    test("names a cycle between steps once", () => {
        const edges = new Map([
            ["flux", new Set(["tenants"])],
            ["tenants", new Set(["charts", "flux"])],
            ["charts", new Set<string>()],
        ]);
        assert.deepEqual(stepCycles(edges), ["flux → tenants → flux"]);
    });

    test("finds no cycle in a chain", () => {
        const edges = new Map([
            ["devops", new Set(["tenants"])],
            ["tenants", new Set(["charts"])],
        ]);
        assert.deepEqual(stepCycles(edges), []);
    });
});
