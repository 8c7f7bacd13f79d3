// The Pod Security Standards' `restricted` profile (which includes `baseline`), as a pure function of
// a pod spec: what the Pod Security admission of a `restricted` namespace would refuse. It follows
// https://kubernetes.io/docs/concepts/security/pod-security-standards/ (policy version latest) for the
// fields a workload sets; the AppArmor annotations of old clusters are not checked.

type Obj = Record<string, any>;

/** Volume types `restricted` allows. */
export const RESTRICTED_VOLUME_TYPES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
] as const;

/** Sysctls `baseline` allows. */
const SAFE_SYSCTLS = new Set([
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
]);

const SECCOMP_ALLOWED = new Set(["RuntimeDefault", "Localhost"]);
const SELINUX_TYPES = new Set([
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
]);
const APPARMOR_ALLOWED = new Set(["RuntimeDefault", "Localhost"]);

/**
 * Every violation of Pod Security `restricted` in `podSpec` (a Pod's `spec`, or a workload's
 * `spec.template.spec`), one message per rule and container; empty when the pod is admitted.
 */
export function restrictedViolations(podSpec: Obj): string[] {
    const v: string[] = [];
    const pod: Obj = podSpec.securityContext ?? {};
    const containers: [string, Obj][] = (
        ["initContainers", "containers", "ephemeralContainers"] as const
    ).flatMap((field) =>
        ((podSpec[field] ?? []) as Obj[]).map((c, i): [string, Obj] => [
            `${field}[${i}] ${JSON.stringify(c.name)}`,
            c,
        ]),
    );

    // baseline: host namespaces, host ports, hostPath, privileged, HostProcess, procMount, SELinux, sysctls
    for (const field of ["hostNetwork", "hostPID", "hostIPC"])
        if (podSpec[field] === true) v.push(`pod: ${field} must not be true`);
    if (pod.windowsOptions?.hostProcess === true) v.push("pod: windowsOptions.hostProcess must not be true");
    checkSeLinux(pod.seLinuxOptions, "pod", v);
    checkAppArmor(pod.appArmorProfile, "pod", v);
    for (const s of (pod.sysctls ?? []) as Obj[])
        if (!SAFE_SYSCTLS.has(s.name)) v.push(`pod: sysctl ${s.name} is not a safe sysctl`);

    // restricted: volume types (hostPath, which baseline forbids, is not among them)
    for (const volume of (podSpec.volumes ?? []) as Obj[]) {
        const types = Object.keys(volume).filter((k) => k !== "name");
        for (const type of types) {
            if (!(RESTRICTED_VOLUME_TYPES as readonly string[]).includes(type))
                v.push(`volume ${JSON.stringify(volume.name)}: type ${type} is not allowed`);
        }
    }

    // restricted: pod-level fields that are wrong wherever they are set
    if (pod.runAsNonRoot === false) v.push("pod: runAsNonRoot must not be false");
    if (pod.runAsUser === 0) v.push("pod: runAsUser must not be 0");
    if (pod.seccompProfile?.type !== undefined && !SECCOMP_ALLOWED.has(pod.seccompProfile.type)) {
        v.push(
            `pod: seccompProfile.type must be RuntimeDefault or Localhost, not ${pod.seccompProfile.type}`,
        );
    }

    for (const [at, c] of containers) {
        const sc: Obj = c.securityContext ?? {};
        if (sc.privileged === true) v.push(`${at}: privileged must not be true`);
        if (sc.windowsOptions?.hostProcess === true)
            v.push(`${at}: windowsOptions.hostProcess must not be true`);
        if (sc.procMount !== undefined && sc.procMount !== "Default")
            v.push(`${at}: procMount must be Default`);
        checkSeLinux(sc.seLinuxOptions, at, v);
        checkAppArmor(sc.appArmorProfile, at, v);
        for (const p of (c.ports ?? []) as Obj[])
            if (p.hostPort !== undefined && p.hostPort !== 0)
                v.push(`${at}: hostPort ${p.hostPort} is not allowed`);

        if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation must be false`);
        if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true)
            v.push(`${at}: runAsNonRoot must be true (on the container or the pod)`);
        if (sc.runAsUser === 0) v.push(`${at}: runAsUser must not be 0`);
        const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
        if (!SECCOMP_ALLOWED.has(seccomp))
            v.push(
                `${at}: seccompProfile.type must be RuntimeDefault or Localhost (on the container or the pod)`,
            );
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push(`${at}: capabilities.drop must include ALL`);
        for (const cap of (sc.capabilities?.add ?? []) as string[])
            if (cap !== "NET_BIND_SERVICE") v.push(`${at}: capability ${cap} may not be added`);
    }
    return v;
}

function checkSeLinux(options: Obj | undefined, at: string, v: string[]): void {
    if (!options) return;
    if (!SELINUX_TYPES.has(options.type ?? ""))
        v.push(`${at}: seLinuxOptions.type ${options.type} is not allowed`);
    if (options.user) v.push(`${at}: seLinuxOptions.user must not be set`);
    if (options.role) v.push(`${at}: seLinuxOptions.role must not be set`);
}

function checkAppArmor(profile: Obj | undefined, at: string, v: string[]): void {
    if (profile?.type !== undefined && !APPARMOR_ALLOWED.has(profile.type))
        v.push(`${at}: appArmorProfile.type must be RuntimeDefault or Localhost`);
}
