// A Flux controller's Deployment, as the program's flux2 chart applied it, turned into the command
// line of a process on 127.0.0.1: the container's args and env exactly, but for what only a Pod has
// (its Service addresses, its volumes, its ports, its ServiceAccount's mounted token). Each change is
// one rule of LOCAL_FLAGS or of the env below, listed in docs/platform-engineer/run-it-locally.md.
import { E2eError } from "./processes";

/** The fields of an apps/v1 Deployment this translation reads. */
export interface ControllerDeployment {
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: {
        readonly template: {
            readonly spec: {
                readonly serviceAccountName?: string;
                readonly containers: readonly ControllerContainer[];
            };
        };
    };
}

interface ControllerContainer {
    readonly name: string;
    readonly command?: readonly string[];
    readonly args?: readonly string[];
    readonly env?: readonly {
        readonly name: string;
        readonly value?: string;
        readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
    }[];
}

/**
 * The flags whose Pod value means nothing to a process on 127.0.0.1, and what each becomes: a Service
 * address, a volume's path or a container port. Set (replacing the Deployment's value) or added.
 */
export const LOCAL_FLAGS = {
    "--metrics-addr": "a free port on 127.0.0.1 (the Pod's http-prom port 8080)",
    "--health-addr": "a free port on 127.0.0.1 (the Pod's healthz port 9440)",
    "--events-addr":
        "notification-controller's receiver on 127.0.0.1 (its Service in the Pod's cluster); notification-controller's own listen address",
    "--receiverAddr": "a free port on 127.0.0.1 (notification-controller's webhook receiver, port 9292)",
    "--storage-path": "a folder in the run folder (the Pod's emptyDir volume at /data)",
    "--storage-addr": "a free port on 127.0.0.1 (source-controller's http port 9090)",
    "--storage-adv-addr": "that same address (source-controller's Service in the Pod's cluster)",
    "--enable-leader-election":
        "false: controller-runtime takes the lease's namespace only from the Pod's mounted ServiceAccount namespace file; one process per controller",
} as const;
export type LocalFlag = keyof typeof LOCAL_FLAGS;

/** What the e2e starts: the binary's arguments and environment, and who it authenticates as. */
export interface LocalCommandLine {
    /** The Deployment's ServiceAccount: the process runs with a token of this account. */
    readonly serviceAccount: string;
    readonly args: string[];
    readonly env: Record<string, string>;
    /** Each change made to the Deployment's arguments, `--flag: pod value -> local value`. */
    readonly translated: string[];
}

/** The controller container: the chart's `manager`, or the only one. */
function controllerContainer(d: ControllerDeployment): ControllerContainer {
    const containers = d.spec.template.spec.containers;
    const container =
        containers.find((c) => c.name === "manager") ?? (containers.length === 1 ? containers[0] : undefined);
    if (!container) throw new E2eError(`Deployment ${d.metadata.name}: no container named manager`);
    if (container.command?.length)
        throw new E2eError(
            `Deployment ${d.metadata.name}: sets command ${JSON.stringify(container.command)}; the e2e runs the controller binary itself`,
        );
    return container;
}

/** The container's environment as the kubelet resolves it; a source the e2e cannot resolve fails. */
function resolveEnv(d: ControllerDeployment, container: ControllerContainer): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace")
            env[e.name] = d.metadata.namespace;
        else
            throw new E2eError(
                `Deployment ${d.metadata.name}: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}, which the e2e does not translate`,
            );
    }
    return env;
}

/** `$(VAR)` in an argument, expanded from the container's env as the kubelet does (`$$` escapes). */
export function expandArgument(arg: string, env: Readonly<Record<string, string>>): string {
    return arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => {
        if (name === undefined) return "$";
        return env[name] ?? match;
    });
}

/**
 * The Deployment's controller as a process: its args (`$(VAR)` expanded) with each flag of `local` set
 * to the given value, its env, its ServiceAccount. Every other argument is passed through unchanged,
 * the platform's lockdown flags included.
 */
export function localCommandLine(
    d: ControllerDeployment,
    local: Partial<Record<LocalFlag, string>>,
): LocalCommandLine {
    const container = controllerContainer(d);
    const env = resolveEnv(d, container);
    const translated: string[] = [];
    const pending = new Map(Object.entries(local));
    const args = (container.args ?? []).map((raw) => {
        const arg = expandArgument(raw, env);
        const flag = arg.split("=")[0];
        const value = pending.get(flag);
        if (value === undefined) return arg;
        const podValue = arg.includes("=") ? arg.slice(flag.length + 1) : "(set, no value)";
        translated.push(`${flag}: ${podValue} -> ${value}`);
        return `${flag}=${value}`;
    });
    for (const [flag, value] of pending) {
        if (args.some((a) => a.split("=")[0] === flag)) continue;
        translated.push(`${flag}: (default) -> ${value}`);
        args.push(`${flag}=${value}`);
    }
    return { serviceAccount: d.spec.template.spec.serviceAccountName ?? "default", args, env, translated };
}
