import type { OfflineRun, RegisteredResource } from "./run";

/** One planned resource as a diff compares it: identity, options that matter, inputs as on the wire. */
export type PlannedResource = Pick<
    RegisteredResource,
    "urn" | "type" | "name" | "custom" | "parent" | "protect"
> & {
    /** Inputs as sent to the engine: secrets still wrapped, unknowns as the engine's marker. */
    readonly inputs: Record<string, unknown>;
};

/** A stack's plan in a form another process can hand over (the ref side of a diff runs in one). */
export interface PlanJson {
    readonly stack: string;
    readonly resources: readonly PlannedResource[];
    readonly outputs: Record<string, unknown>;
    readonly secretOutputs: readonly string[];
}

export function toPlanJson(run: OfflineRun): PlanJson {
    return {
        stack: run.stack,
        resources: run.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            custom: r.custom,
            parent: r.parent,
            protect: r.protect,
            inputs: r.wireInputs,
        })),
        outputs: run.outputs,
        secretOutputs: run.secretOutputs,
    };
}
