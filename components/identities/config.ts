import { ConfigReader } from "../../src/config/reader";
import { isGuid, isUpn } from "../../src/config/validators";

/** The longest a CI password may live: Microsoft's guidance for client secrets is under 12 months. */
export const MAX_PASSWORD_LIFETIME_DAYS = 365;

/**
 * Who may do what on the platform. Team members are not here: they live with their team
 * (`TenantConfig.members` in tenants.ts).
 */
export interface IdentitiesConfig {
    /** Members of the platform-admin group (cluster admin): Azure AD object ids or UPNs. */
    readonly platformAdmins: readonly string[];
    /**
     * Set only when the CI needs a password (a docker-registry service connection that reads the
     * workshop's `registryPassword`): the password's end date, RFC 3339 UTC. Undefined means no
     * password exists anywhere, the CI authenticates by workload identity federation only.
     */
    readonly ciPassword?: { readonly endDate: string };
}

export function readIdentitiesConfig(r: ConfigReader, now: Date = new Date()): IdentitiesConfig {
    const platformAdmins = r.stringList("platformAdmins", (m) =>
        isGuid(m) || isUpn(m)
            ? undefined
            : "an Azure AD object id (GUID) or a user principal name (user@domain)",
    );
    const enabled = r.boolean("ciPassword");
    const endDateText = r.optionalString("ciPasswordEndDate");
    let endDate: string | undefined;
    if (endDateText !== undefined) {
        const problem = endDateProblem(endDateText, now);
        if (problem) r.problem("ciPasswordEndDate", endDateText, problem);
        else endDate = normalizeEndDate(endDateText);
    } else if (enabled) {
        r.problem(
            "ciPasswordEndDate",
            undefined,
            endDateAllowed(now) + " (required when ciPassword is true)",
        );
    }
    return {
        platformAdmins: [...new Set(platformAdmins)],
        ciPassword: enabled && endDate ? { endDate } : undefined,
    };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Why `value` is not an acceptable password end date at `now`, or undefined when it is: a date
 * (`2027-03-31`) or an RFC 3339 timestamp, in the future, at most MAX_PASSWORD_LIFETIME_DAYS away.
 */
export function endDateProblem(value: string, now: Date): string | undefined {
    const time =
        DATE.test(value) || TIMESTAMP.test(value)
            ? Date.parse(DATE.test(value) ? `${value}T00:00:00Z` : value)
            : NaN;
    if (Number.isNaN(time) || (DATE.test(value) && new Date(time).toISOString().slice(0, 10) !== value)) {
        return endDateAllowed(now);
    }
    if (time <= now.getTime())
        return `${endDateAllowed(now)}; this date is in the past, rotate the password with a new end date`;
    if (time > now.getTime() + MAX_PASSWORD_LIFETIME_DAYS * DAY_MS) {
        return `${endDateAllowed(now)}; a password living longer than ${MAX_PASSWORD_LIFETIME_DAYS} days is a long-lived secret`;
    }
    return undefined;
}

function endDateAllowed(now: Date): string {
    return `a date YYYY-MM-DD or RFC 3339 timestamp after ${now.toISOString().slice(0, 10)} and at most ${MAX_PASSWORD_LIFETIME_DAYS} days ahead`;
}

/** The end date as Azure AD takes it: RFC 3339 in UTC, whole seconds. */
export function normalizeEndDate(value: string): string {
    const iso = new Date(DATE.test(value) ? `${value}T00:00:00Z` : value).toISOString();
    return iso.replace(/\.\d{3}Z$/, "Z");
}
