// Whether the user pools, at their autoscaler maximum, can hold every team's quota at once: the sum of
// the quotas (requests.cpu, requests.memory, pods) against the pools' allocatable resources. Pure,
// shared by the config check (before any resource is registered) and the plan's Capacity section.
import { GUARDRAILS_DIRECTORY } from "../tenants";
import type { ConfigReader } from "../../src/config/reader";
import { isQuantity, quantity } from "../../src/quantity";
import type { NodePoolConfig } from "./nodePools";
import { allocatable, vmSize } from "./vmSizes";

/** What the check reads of a user pool. */
export type PoolCapacity = Pick<NodePoolConfig, "name" | "vmSize" | "maxCount" | "maxPods">;

/** What the check reads of a team: its quota's requests.cpu, requests.memory and pods. */
export interface TeamRequests {
    readonly team: string;
    readonly cpu: string;
    readonly memory: string;
    readonly pods: number;
}

export const RESOURCES = ["cpu", "memory", "pods"] as const;
export type Resource = (typeof RESOURCES)[number];
/** CPU in millicores, memory in bytes, pods in pods. */
export type Amounts = Readonly<Record<Resource, number>>;

export interface PoolFigures {
    readonly pool: PoolCapacity;
    /** What one node of the pool leaves to pods. */
    readonly node: Amounts;
}

export interface CapacityCheck {
    readonly pools: readonly PoolFigures[];
    /** Every pool at maxCount. */
    readonly capacity: Amounts;
    readonly teams: readonly { readonly team: string; readonly requests: Amounts }[];
    /** The sum of the teams' quotas. */
    readonly requested: Amounts;
    /** The resources whose sum of quotas exceeds the capacity. */
    readonly overcommitted: readonly Resource[];
}

/** The quota field each resource comes from, in a team file. */
const QUOTA_FIELDS: Record<Resource, string> = {
    cpu: "quota.cpu",
    memory: "quota.memory",
    pods: "quota.pods",
};
const NAMED_TEAMS = 10;
const UNITS: Record<Resource, string> = { cpu: " CPU", memory: " memory", pods: " pods" };

/** Sums and compares; every pool's VM size must be in the table (see {@link checkCapacity}). */
export function capacityCheck(pools: readonly PoolCapacity[], teams: readonly TeamRequests[]): CapacityCheck {
    const figures = pools.map((pool) => {
        const node = allocatable(vmSize(pool.vmSize)!, pool.maxPods);
        return { pool, node: { cpu: node.millicores, memory: node.memoryBytes, pods: pool.maxPods } };
    });
    const requests = teams.map((t) => ({
        team: t.team,
        requests: {
            cpu: Math.round(quantity(t.cpu) * 1000),
            memory: Math.round(quantity(t.memory)),
            pods: t.pods,
        },
    }));
    const capacity = sum(figures.map((f) => scale(f.node, f.pool.maxCount)));
    const requested = sum(requests.map((t) => t.requests));
    return {
        pools: figures,
        capacity,
        teams: requests,
        requested,
        overcommitted: RESOURCES.filter((k) => requested[k] > capacity[k]),
    };
}

function scale(a: Amounts, n: number): Amounts {
    return { cpu: a.cpu * n, memory: a.memory * n, pods: a.pods * n };
}

function sum(list: readonly Amounts[]): Amounts {
    return list.reduce(
        (s, a) => ({ cpu: s.cpu + a.cpu, memory: s.memory + a.memory, pods: s.pods + a.pods }),
        {
            cpu: 0,
            memory: 0,
            pods: 0,
        },
    );
}

/** An amount as people write it: cores (`11.58`), memory in Gi (`41.1Gi`) or Mi below 1Gi, pods. */
export function formatAmount(resource: Resource, amount: number): string {
    if (resource === "cpu") return String(Number((amount / 1000).toFixed(2)));
    if (resource === "pods") return String(amount);
    return amount >= 2 ** 30
        ? `${Number((amount / 2 ** 30).toFixed(1))}Gi`
        : `${Math.round(amount / 2 ** 20)}Mi`;
}

/** `cpu 3.86, memory 13.7Gi, pods 110`. */
export function amounts(a: Amounts): string {
    return RESOURCES.map((k) => `${k} ${formatAmount(k, a[k])}`).join(", ");
}

/** `cpu 4/11.58 (35%), memory 8Gi/41.1Gi (19%), pods 30/330 (9%)`: a share of the capacity. */
export function share(amounts: Amounts, capacity: Amounts): string {
    return RESOURCES.map((k) => {
        const percent = capacity[k] > 0 ? Math.round((100 * amounts[k]) / capacity[k]) : 100;
        return `${k} ${formatAmount(k, amounts[k])}/${formatAmount(k, capacity[k])} (${percent}%)`;
    }).join(", ");
}

/** One line per team (`dev-team1 cpu 2/12 (17%), ...`), then the sum of all of them. */
export function teamShares(check: CapacityCheck): string[] {
    const width = Math.max(9, ...check.teams.map((t) => t.team.length));
    return [
        ...check.teams.map((t) => `${t.team.padEnd(width)} ${share(t.requests, check.capacity)}`),
        `${"all teams".padEnd(width)} ${share(check.requested, check.capacity)}`,
    ];
}

/** `apps: 3 × Standard_D4ds_v5 at 3.86 CPU each`, for each pool. */
function poolsAt(check: CapacityCheck, resource: Resource): string {
    return check.pools
        .map(
            (f) =>
                `${f.pool.name}: ${f.pool.maxCount} × ${f.pool.vmSize} at ${formatAmount(resource, f.node[resource])}${UNITS[resource]} each`,
        )
        .join("; ");
}

/** The teams asking for `resource`, the largest first: `dev-team1 8, dev-team2 4`. */
function teamsAsking(check: CapacityCheck, resource: Resource): string {
    const asking = [...check.teams]
        .filter((t) => t.requests[resource] > 0)
        .sort(
            (a, b) =>
                b.requests[resource] - a.requests[resource] ||
                a.team.localeCompare(b.team, "en", { numeric: true }),
        );
    const named = asking
        .slice(0, NAMED_TEAMS)
        .map((t) => `${t.team} ${formatAmount(resource, t.requests[resource])}`);
    const more = asking.length - named.length;
    return more > 0 ? `${named.join(", ")} and ${more} more teams` : named.join(", ");
}

/**
 * Reports, on `userPools`, each resource the teams' quotas over-commit: what the pools hold at maxCount,
 * the sum of the quotas and the teams asking. Skipped while a pool's VM size is not in the table or a
 * quota is not a quantity: those are reported on their own keys, and a sum of them would mean nothing.
 */
export function checkCapacity(
    r: ConfigReader,
    pools: readonly PoolCapacity[],
    teams: readonly TeamRequests[],
    teamFiles: { readonly directory: string; readonly environment: string },
): void {
    if (pools.length === 0 || pools.some((p) => !vmSize(p.vmSize))) return;
    if (teams.some((t) => !isQuantity(t.cpu) || !isQuantity(t.memory) || !Number.isInteger(t.pods))) return;
    const check = capacityCheck(pools, teams);
    for (const resource of check.overcommitted) {
        const unit = UNITS[resource];
        r.problem(
            "userPools",
            `${formatAmount(resource, check.capacity[resource])}${unit} allocatable at maxCount`,
            `pools that hold every team's ${QUOTA_FIELDS[resource]} at once (${poolsAt(check, resource)}): ` +
                `the teams ask for ${formatAmount(resource, check.requested[resource])}${unit} in all ` +
                `(${teamsAsking(check, resource)}); raise a pool's maxCount or vmSize, or lower ` +
                `${QUOTA_FIELDS[resource]} in ${teamFiles.directory}/${GUARDRAILS_DIRECTORY}/<team>.yaml (under environments.${teamFiles.environment} for this stack only)`,
        );
    }
}
