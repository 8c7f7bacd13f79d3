// restrictedViolations(), the Pod Security Standards `restricted` check the kits' pods are held to:
// pods that the admission would admit pass, and each rule, broken alone, is reported.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RESTRICTED_VOLUME_TYPES, restrictedViolations } from "../support/podSecurity";

type Obj = Record<string, any>;

const container = (name = "app", securityContext: Obj = {}): Obj => ({
    name,
    image: "example.azurecr.io/team/app:1.0.0",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, ...securityContext },
});

/** A pod `restricted` admits, with the common settings at pod level. */
const compliant = (): Obj => ({
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
    initContainers: [container("init")],
    containers: [container("app")],
});

/** `compliant()` changed by `change`, which may mutate it. */
function pod(change: (p: Obj) => void): Obj {
    const p = compliant();
    change(p);
    return p;
}

function assertOneViolation(spec: Obj, pattern: RegExp): void {
    const violations = restrictedViolations(spec);
    assert.equal(violations.length, 1, JSON.stringify(violations));
    assert.match(violations[0], pattern);
}

describe("restrictedViolations: pods restricted admits", () => {
    it("admits a pod with runAsNonRoot and seccomp at pod level and every container hardened", () => {
        assert.deepEqual(restrictedViolations(compliant()), []);
    });

    it("admits a pod whose every container sets runAsNonRoot and seccomp itself", () => {
        const spec = {
            containers: [container("a", { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } })],
            ephemeralContainers: [
                container("debug", {
                    runAsNonRoot: true,
                    seccompProfile: { type: "Localhost", localhostProfile: "p.json" },
                }),
            ],
        };
        assert.deepEqual(restrictedViolations(spec), []);
    });

    it("admits adding the NET_BIND_SERVICE capability after dropping ALL", () => {
        assert.deepEqual(
            restrictedViolations(
                pod((p) => (p.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"])),
            ),
            [],
        );
    });

    it("admits every volume type restricted allows", () => {
        const volumes = RESTRICTED_VOLUME_TYPES.map((type, i) => ({ name: `v${i}`, [type]: {} }));
        assert.deepEqual(restrictedViolations(pod((p) => (p.volumes = volumes))), []);
    });

    it("admits a Localhost seccomp profile at pod level, a safe sysctl and hostPort 0", () => {
        const spec = pod((p) => {
            p.securityContext.seccompProfile = { type: "Localhost", localhostProfile: "profiles/app.json" };
            p.securityContext.sysctls = [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }];
            p.containers[0].ports = [{ containerPort: 8080, hostPort: 0 }];
        });
        assert.deepEqual(restrictedViolations(spec), []);
    });
});

describe("restrictedViolations: each rule, broken alone, is reported", () => {
    it("reports a container without runAsNonRoot when the pod does not set it either", () => {
        const spec = pod((p) => {
            delete p.securityContext.runAsNonRoot;
            p.initContainers[0].securityContext.runAsNonRoot = true;
        });
        assertOneViolation(spec, /^containers\[0\] "app": runAsNonRoot must be true/);
    });

    it("reports a container that sets runAsNonRoot false under a pod that sets it true", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.runAsNonRoot = false)),
            /"app": runAsNonRoot must be true/,
        );
    });

    it("reports a pod that sets runAsNonRoot false even when every container sets it true", () => {
        const spec = pod((p) => {
            p.securityContext.runAsNonRoot = false;
            for (const c of [...p.initContainers, ...p.containers]) c.securityContext.runAsNonRoot = true;
        });
        assertOneViolation(spec, /^pod: runAsNonRoot must not be false/);
    });

    it("reports runAsUser 0 on the pod", () => {
        assertOneViolation(
            pod((p) => (p.securityContext.runAsUser = 0)),
            /^pod: runAsUser must not be 0/,
        );
    });

    it("reports runAsUser 0 on a container", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.runAsUser = 0)),
            /"app": runAsUser must not be 0/,
        );
    });

    it("reports an init container that does not set allowPrivilegeEscalation false", () => {
        assertOneViolation(
            pod((p) => delete p.initContainers[0].securityContext.allowPrivilegeEscalation),
            /initContainers\[0\] "init": allowPrivilegeEscalation/,
        );
    });

    it("reports a container with allowPrivilegeEscalation true", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.allowPrivilegeEscalation = true)),
            /"app": allowPrivilegeEscalation must be false/,
        );
    });

    it("reports a container that does not drop ALL capabilities", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.capabilities.drop = ["NET_RAW"])),
            /"app": capabilities.drop must include ALL/,
        );
    });

    it("reports a container that adds a capability other than NET_BIND_SERVICE", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.capabilities.add = ["NET_ADMIN"])),
            /capability NET_ADMIN may not be added/,
        );
    });

    it("reports a container without a seccomp profile when the pod has none", () => {
        const spec = pod((p) => {
            delete p.securityContext.seccompProfile;
            p.initContainers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
        });
        assertOneViolation(
            spec,
            /containers\[0\] "app": seccompProfile.type must be RuntimeDefault or Localhost/,
        );
    });

    it("reports a container whose seccomp profile is Unconfined", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.seccompProfile = { type: "Unconfined" })),
            /"app": seccompProfile/,
        );
    });

    it("reports a pod whose seccomp profile is Unconfined even when every container sets RuntimeDefault", () => {
        const spec = pod((p) => {
            p.securityContext.seccompProfile = { type: "Unconfined" };
            for (const c of [...p.initContainers, ...p.containers])
                c.securityContext.seccompProfile = { type: "RuntimeDefault" };
        });
        assertOneViolation(
            spec,
            /^pod: seccompProfile.type must be RuntimeDefault or Localhost, not Unconfined/,
        );
    });

    it("reports a privileged container", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.privileged = true)),
            /"app": privileged must not be true/,
        );
    });

    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
        it(`reports ${field}`, () => {
            assertOneViolation(
                pod((p) => (p[field] = true)),
                new RegExp(`^pod: ${field} must not be true`),
            );
        });
    }

    it("reports a hostPath volume", () => {
        assertOneViolation(
            pod((p) => (p.volumes = [{ name: "root", hostPath: { path: "/" } }])),
            /volume "root": type hostPath is not allowed/,
        );
    });

    it("reports a volume type restricted does not allow, such as nfs", () => {
        assertOneViolation(
            pod((p) => (p.volumes = [{ name: "share", nfs: { server: "nfs", path: "/" } }])),
            /volume "share": type nfs is not allowed/,
        );
    });

    it("reports a hostPort", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].ports = [{ containerPort: 8080, hostPort: 8080 }])),
            /"app": hostPort 8080 is not allowed/,
        );
    });

    it("reports a Windows HostProcess container", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.windowsOptions = { hostProcess: true })),
            /"app": windowsOptions.hostProcess/,
        );
    });

    it("reports an unmasked /proc mount", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.procMount = "Unmasked")),
            /"app": procMount must be Default/,
        );
    });

    it("reports an SELinux user", () => {
        assertOneViolation(
            pod((p) => (p.securityContext.seLinuxOptions = { user: "system_u" })),
            /^pod: seLinuxOptions.user must not be set/,
        );
    });

    it("reports an unconfined AppArmor profile", () => {
        assertOneViolation(
            pod((p) => (p.containers[0].securityContext.appArmorProfile = { type: "Unconfined" })),
            /"app": appArmorProfile/,
        );
    });

    it("reports an unsafe sysctl", () => {
        assertOneViolation(
            pod((p) => (p.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }])),
            /^pod: sysctl kernel.msgmax is not a safe sysctl/,
        );
    });

    it("names every container at fault, not only the first", () => {
        const spec = pod((p) => {
            p.containers.push(container("sidecar"));
            for (const c of p.containers) c.securityContext.privileged = true;
        });
        assert.deepEqual(
            restrictedViolations(spec).map((v) => v.split(":")[0]),
            ['containers[0] "app"', 'containers[1] "sidecar"'],
        );
    });
});
