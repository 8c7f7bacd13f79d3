import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isDnsLabel, isGuid, isSemver, isSemverRange, isUpn } from "../../src/config/validators";

describe("validators", () => {
    it("accepts exact semver and rejects partial versions", () => {
        assert.ok(isSemver("1.2.3") && isSemver("0.1.0-rc.1"));
        assert.ok(!isSemver("1.2") && !isSemver("v1.2.3") && !isSemver("latest"));
    });

    it("accepts the semver ranges Flux understands", () => {
        for (const r of [
            ">=0.1.0 <1.0.0",
            "~1.2",
            "^1.2.0",
            "1.x",
            "*",
            "1.2.3",
            ">=1.0.0 || <0.5.0",
            ">= 1.0.0, < 2.0.0",
            "1.2.3 - 1.4.5",
            "1.2.x",
            "^1.2.3",
        ]) {
            assert.ok(isSemverRange(r), r);
        }
    });

    it("refuses the ranges Flux refuses", () => {
        for (const r of ["latest", ">>1", "", ">=", "1.2.3 -", ">1.0.0 ||"]) assert.ok(!isSemverRange(r), r);
    });

    it("accepts DNS labels only", () => {
        assert.ok(isDnsLabel("dev-team1"));
        for (const bad of ["Dev", "-a", "a-", "a_b", "x".repeat(64)]) assert.ok(!isDnsLabel(bad), bad);
    });

    it("tells GUIDs and UPNs apart from anything else", () => {
        assert.ok(isGuid("7f951dda-4ed3-4680-a7ca-43fe172d538d"));
        assert.ok(isUpn("jane.doe@contoso.com"));
        assert.ok(!isGuid("jane") && !isUpn("jane"));
    });
});
