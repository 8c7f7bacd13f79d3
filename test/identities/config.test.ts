import assert from "node:assert/strict";
import { stackTenants, teamKey } from "../support/tenants";
import { describe, it } from "node:test";
import {
    MAX_PASSWORD_LIFETIME_DAYS,
    endDateProblem,
    normalizeEndDate,
} from "../../components/identities/config";
import { ofType, run } from "../support/program";

const DAY_MS = 24 * 60 * 60 * 1000;
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

/** The staging tenants with `members` set on the first one. */
function tenantsWithMembers(members: unknown[]): unknown[] {
    const tenants = stackTenants("staging");
    return tenants.map((t, i) => (i === 0 ? { ...t, members } : t));
}

describe("identities config", () => {
    it("rejects a tenant member that is neither a GUID nor a UPN, naming the member's key", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:tenants": tenantsWithMembers(["jane.doe"]) }),
            new RegExp(
                `${teamKey(0, "members[0]")}: got "jane\\.doe"; allowed: an Azure AD object id \\(GUID\\) or a user principal name`,
            ),
        );
    });

    it("accepts tenant members given as a GUID or a UPN", async () => {
        const r = await run("staging", {
            "gitops-platform:tenants": tenantsWithMembers([
                "jane@contoso.com",
                "5f0b6a8e-1c2d-4e3f-9a0b-1c2d3e4f5a6b",
            ]),
        });
        assert.equal(ofType(r, "azuread:index/groupMember:GroupMember").length, 2);
    });

    it("rejects a platform admin that is neither a GUID nor a UPN", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:platformAdmins": ["ops-team"] }),
            /gitops-platform:platformAdmins: got "ops-team"/,
        );
    });

    it("rejects a CI password end date in the past, naming the key", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:ciPassword": "true",
                "gitops-platform:ciPasswordEndDate": "2020-01-31",
            }),
            /gitops-platform:ciPasswordEndDate: got "2020-01-31".*in the past/,
        );
    });

    it("rejects a past end date even while the password is off, so a stale value cannot linger", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:ciPasswordEndDate": "2020-01-31" }),
            /gitops-platform:ciPasswordEndDate/,
        );
    });

    it("requires an end date when the CI password is on", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:ciPassword": "true" }),
            /gitops-platform:ciPasswordEndDate: got nothing.*required when ciPassword is true/,
        );
    });

    it("rejects an end date further away than the maximum lifetime", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:ciPassword": "true",
                "gitops-platform:ciPasswordEndDate": inDays(MAX_PASSWORD_LIFETIME_DAYS + 5),
            }),
            /gitops-platform:ciPasswordEndDate.*long-lived secret/,
        );
    });

    it("rejects a date that does not exist", () => {
        assert.match(
            endDateProblem("2027-02-31", new Date("2027-01-01T00:00:00Z")) ?? "",
            /a date YYYY-MM-DD/,
        );
    });

    it("accepts a date or an RFC 3339 timestamp within the lifetime", () => {
        const now = new Date("2027-01-01T00:00:00Z");
        assert.equal(endDateProblem("2027-06-30", now), undefined);
        assert.equal(endDateProblem("2027-06-30T12:00:00+02:00", now), undefined);
    });

    it("normalises the end date to UTC RFC 3339 as Azure AD takes it", () => {
        assert.equal(normalizeEndDate("2027-06-30"), "2027-06-30T00:00:00Z");
        assert.equal(normalizeEndDate("2027-06-30T12:00:00+02:00"), "2027-06-30T10:00:00Z");
    });
});
