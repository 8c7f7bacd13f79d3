// What a set of NetworkPolicies lets through, by the networking.k8s.io/v1 semantics: a pod is isolated
// in a direction once a policy of its namespace selects it for that direction, and then only the
// rules' peers and ports get through; a connection needs the caller's egress and the callee's ingress.
// Named ports and SCTP are refused, so a policy this cannot judge fails the test instead of passing it.
import { cidrContains } from "../../components/tenants/egress";

type Labels = Readonly<Record<string, string>>;

interface Selector {
    readonly matchLabels?: Labels;
    readonly matchExpressions?: readonly {
        readonly key: string;
        readonly operator: string;
        readonly values?: readonly string[];
    }[];
}

interface Peer {
    readonly podSelector?: Selector;
    readonly namespaceSelector?: Selector;
    readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

interface Port {
    readonly protocol?: string;
    readonly port?: number | string;
}

/** The part of a NetworkPolicy this judges. */
export interface Policy {
    readonly metadata: { readonly namespace: string };
    readonly spec: {
        readonly podSelector: Selector;
        readonly policyTypes?: readonly string[];
        readonly ingress?: readonly { readonly from?: readonly Peer[]; readonly ports?: readonly Port[] }[];
        readonly egress?: readonly { readonly to?: readonly Peer[]; readonly ports?: readonly Port[] }[];
    };
}

/** A pod: its namespace (and that namespace's extra labels), its labels, and optionally its IP. */
export interface Pod {
    readonly namespace: string;
    readonly labels: Labels;
    readonly namespaceLabels?: Labels;
    readonly ip?: string;
}

/** Something outside the cluster, known by its address only. */
export interface External {
    readonly ip: string;
}

export type Endpoint = Pod | External;

const isPod = (e: Endpoint): e is Pod => "namespace" in e;

export function selects(selector: Selector, labels: Labels): boolean {
    const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    return (
        byLabel &&
        (selector.matchExpressions ?? []).every((e) => {
            switch (e.operator) {
                case "In":
                    return e.values!.includes(labels[e.key]);
                case "NotIn":
                    return !e.values!.includes(labels[e.key]);
                case "Exists":
                    return e.key in labels;
                case "DoesNotExist":
                    return !(e.key in labels);
                default:
                    throw new Error(`unknown selector operator ${e.operator}`);
            }
        })
    );
}

const namespaceLabels = (pod: Pod): Labels => ({
    "kubernetes.io/metadata.name": pod.namespace,
    ...(pod.namespaceLabels ?? {}),
});

function peerMatches(peer: Peer, endpoint: Endpoint, policyNamespace: string): boolean {
    if (peer.ipBlock) {
        const { cidr, except = [] } = peer.ipBlock;
        const ip = `${endpoint.ip}/32`;
        return (
            endpoint.ip !== undefined && cidrContains(cidr, ip) && !except.some((e) => cidrContains(e, ip))
        );
    }
    if (!isPod(endpoint)) return false;
    const inNamespace = peer.namespaceSelector
        ? selects(peer.namespaceSelector, namespaceLabels(endpoint))
        : endpoint.namespace === policyNamespace;
    return inNamespace && selects(peer.podSelector ?? {}, endpoint.labels);
}

function portMatches(ports: readonly Port[] | undefined, port: number, protocol: string): boolean {
    if (!ports || ports.length === 0) return true;
    return ports.some((p) => {
        if (typeof p.port === "string") throw new Error(`named port ${p.port}: not judged here`);
        if (p.protocol === "SCTP") throw new Error("SCTP: not judged here");
        return (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port);
    });
}

function typesOf(p: Policy): readonly string[] {
    return p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

function admits(
    policies: readonly Policy[],
    direction: "Ingress" | "Egress",
    pod: Pod,
    other: Endpoint,
    port: number,
    protocol: string,
): boolean {
    const applicable = policies.filter(
        (p) =>
            p.metadata.namespace === pod.namespace &&
            typesOf(p).includes(direction) &&
            selects(p.spec.podSelector, pod.labels),
    );
    if (applicable.length === 0) return true;
    return applicable.some((p) => {
        const rules =
            direction === "Ingress"
                ? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
                : (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
        return rules.some(
            (r) =>
                portMatches(r.ports, port, protocol) &&
                (!r.peers ||
                    r.peers.length === 0 ||
                    r.peers.some((peer) => peerMatches(peer, other, pod.namespace))),
        );
    });
}

/** Whether `from` may open a connection to `to` on `port`: egress on the caller's side, ingress on the callee's. */
export function connects(
    policies: readonly Policy[],
    from: Endpoint,
    to: Endpoint,
    port: number,
    protocol = "TCP",
): boolean {
    const out = !isPod(from) || admits(policies, "Egress", from, to, port, protocol);
    const into = !isPod(to) || admits(policies, "Ingress", to, from, port, protocol);
    return out && into;
}
