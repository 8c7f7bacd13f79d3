// Tenant config fixtures: the stack files' teams (to modify in overrides) and generated teams.
import { DEFAULT_LIMITS, DEFAULT_QUOTA } from "../../components/tenants/config";
import type { HelmAppConfig, HelmTenant } from "../../components/tenants/config";
import { GUARDRAIL_KEYS } from "../../components/tenants/guardrails";
import { environmentTeams } from "../../tools/offline/teamFiles";
import { FIXTURE_INSTANCE } from "./instance";
import type { StackName } from "./program";

export const TENANTS_KEY = "gitops-platform:tenants";
export const USER_POOLS_KEY = "gitops-platform:userPools";
/** Pools that hold `count` generated teams (the capacity check refuses more than the stack's own pools hold). */
export { userPoolsFor } from "../../tools/offline/bench";

type RawTenant = Record<string, any>;

/** The teams of the fixture instance's tenants/ as the stack sees them (its section of each file merged), as raw data to modify. */
export function stackTenants(stack: StackName): RawTenant[] {
    return environmentTeams(FIXTURE_INSTANCE, stack, ["staging", "prod"]);
}

/**
 * The problem key of `path` in the `index`th team given as a list override (written as `team<i>.yaml`),
 * as a regular expression source: `teamKey(2, "name")` matches `.../team2.yaml: name`, and
 * `teamKey(2, "quota.cpu")` matches `.../guardrails/team2.yaml: quota.cpu`.
 */
export function teamKey(index: number, path: string): string {
    // A guardrail key is reported in the team's guardrails file (same file name, under guardrails/).
    const guardrail = (GUARDRAIL_KEYS as readonly string[]).includes(path.split(/[.[]/)[0]);
    return `${guardrail ? "guardrails/" : ""}team${index}\\.yaml: ${path.replace(/[[\].]/g, (c) => `\\${c}`)}`;
}

/**
 * `count` identical helm teams `team-000`, `team-001`..., each with a web `front` calling its `back`,
 * and each `front` calling the next team's `back` (a ring, both teams declaring each flow), so every
 * team has the same objects.
 */
export function generatedTenants(count: number, version = ">=1.0.0 <2.0.0"): RawTenant[] {
    const name = (i: number) => `team-${String(i).padStart(3, "0")}`;
    return Array.from({ length: count }, (_, i) => ({
        name: name(i),
        delivery: "helm",
        apps: [
            { name: "back", repository: `example/${name(i)}`, version, port: 8080 },
            {
                name: "front",
                repository: `example/${name(i)}`,
                version,
                port: 3000,
                web: true,
                dependsOn: ["back"],
            },
        ],
        // Each cross-team flow is declared by both teams, as they must: the caller and the callee.
        flows: [
            { from: "front", to: "back", port: 8080 },
            { from: "front", to: `${name((i + 1) % count)}/back`, port: 8080 },
            { from: `${name((i + count - 1) % count)}/front`, to: "back", port: 8080 },
        ],
    }));
}

/** A validated app, as src/config/tenants.ts returns it, with test defaults. */
export function appConfig(name: string, extra: Partial<HelmAppConfig> = {}): HelmAppConfig {
    return {
        name,
        repository: "example/repo",
        pipelinePath: "ci.yml",
        chart: name,
        version: ">=0.1.0 <1.0.0",
        web: false,
        port: 8080,
        dependsOn: [],
        values: {},
        ...extra,
    };
}

/** A validated helm team `dev-team1` (back, and a web front depending on it), with test defaults. */
export function helmTeamConfig(extra: Partial<HelmTenant> = {}): HelmTenant {
    return {
        name: "dev-team1",
        delivery: "helm",
        podSecurity: "restricted",
        members: [],
        quota: DEFAULT_QUOTA,
        limits: DEFAULT_LIMITS,
        apps: [appConfig("back"), appConfig("front", { web: true, dependsOn: ["back"] })],
        flows: [],
        interval: "5m",
        timeout: "5m",
        remediationRetries: 3,
        retryInterval: "1m",
        accessRole: "edit",
        hosts: [],
        loadBalancers: 0,
        egress: [],
        certificates: [],
        ...extra,
    };
}
