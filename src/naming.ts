import { createHash } from "node:crypto";

/**
 * Deterministic names derived from project and stack, so a re-run (or a second machine) computes the
 * same names and replaces nothing. Globally unique Azure names get a short hash of project/stack/seed.
 */
export interface Names {
    /** `<project>-<stack>`, the base of every dashed name. */
    readonly base: string;
    readonly resourceGroup: string;
    readonly workspace: string;
    readonly cluster: string;
    readonly dnsPrefix: string;
    /** Alphanumeric, 5-50 characters, globally unique. */
    readonly registry: string;
    /** Lowercase alphanumeric, 3-24 characters, globally unique. */
    readonly storageAccount: string;
    /**
     * Prefix of the Azure names of the action group and alert rules. Kept from the first release
     * (`<base>-ops`), since a new name would replace every rule.
     */
    readonly alerts: string;
    /** Azure DNS label of ChartMuseum's load balancer (`<label>.<region>.cloudapp.azure.com`), unique per region. */
    readonly chartMuseumDnsLabel: string;
}

/**
 * `seed` (config `globalNameSeed`, e.g. the organisation's name) goes into the hash of the globally
 * unique names, so two organisations deploying this project with the same stack names do not collide.
 */
export function names(project: string, stack: string, seed = ""): Names {
    const base = `${slug(project)}-${slug(stack)}`;
    const hash = createHash("sha256")
        .update(seed ? `${project}/${stack}/${seed}` : `${project}/${stack}`)
        .digest("hex")
        .slice(0, 6);
    const compact = base.replace(/[^a-z0-9]/g, "");
    return {
        base,
        resourceGroup: `rg-${base}`,
        workspace: `log-${base}`,
        cluster: `aks-${base}`,
        dnsPrefix: base.slice(0, 54),
        registry: `acr${compact.slice(0, 41)}${hash}`,
        storageAccount: `st${compact.slice(0, 16)}${hash}`,
        alerts: `${base}-ops`,
        chartMuseumDnsLabel: `${base.slice(0, 48).replace(/-$/, "")}-charts-${hash}`,
    };
}

function slug(value: string): string {
    return value
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "-")
        .replace(/-+/g, "-")
        .replace(/^-|-$/g, "");
}
