// The e2e's translation of a Flux controller's Deployment into a process on 127.0.0.1.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { LOCKDOWN_ARGS } from "../../components/flux/manifests";
import { fluxChartFolder } from "../../e2e/cluster/flux";
import { ControllerDeployment, expandArgument, localCommandLine } from "../../e2e/cluster/fluxDeployments";
import { CONFIG_KEYS } from "../../src/config/keys";

/**
 * source-controller's Deployment as the flux2 chart renders it (charts/flux2/templates/
 * source-controller.yaml of fluxcd-community/helm-charts at 484b12c: its args, then the values'
 * additionalArgs; RUNTIME_NAMESPACE from the Pod's namespace), with the platform's lockdown flags.
 */
function sourceController(env = [runtimeNamespace()]): ControllerDeployment {
    return {
        metadata: { name: "source-controller", namespace: "flux-system" },
        spec: {
            template: {
                spec: {
                    serviceAccountName: "source-controller",
                    containers: [
                        {
                            name: "manager",
                            args: [
                                "--events-addr=http://notification-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.",
                                "--watch-all-namespaces=true",
                                "--log-level=info",
                                "--log-encoding=json",
                                "--enable-leader-election",
                                "--storage-path=/data",
                                "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.",
                                ...LOCKDOWN_ARGS.sourceController,
                            ],
                            env,
                        },
                    ],
                },
            },
        },
    };
}

function runtimeNamespace() {
    return { name: "RUNTIME_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } };
}

const LOCAL = {
    "--events-addr": "http://127.0.0.1:9001",
    "--storage-path": "/tmp/run/flux/storage",
    "--storage-addr": "127.0.0.1:9002",
    "--storage-adv-addr": "127.0.0.1:9002",
    "--metrics-addr": "127.0.0.1:9003",
    "--health-addr": "127.0.0.1:9004",
    "--enable-leader-election": "false",
};

describe("a Flux controller's Deployment as a local process", () => {
    test("passes the Deployment's other arguments through unchanged, the platform's lockdown flags included", () => {
        const line = localCommandLine(sourceController(), LOCAL);
        const kept = line.args.filter((a) => !Object.keys(LOCAL).includes(a.split("=")[0]));
        assert.deepEqual(kept, [
            "--watch-all-namespaces=true",
            "--log-level=info",
            "--log-encoding=json",
            ...LOCKDOWN_ARGS.sourceController,
        ]);
    });

    test("replaces the Pod's Service addresses and volume, and adds the ports the Pod left to defaults, listing each", () => {
        const line = localCommandLine(sourceController(), LOCAL);
        for (const [flag, value] of Object.entries(LOCAL))
            assert.ok(line.args.includes(`${flag}=${value}`), flag);
        assert.deepEqual(line.translated, [
            "--events-addr: http://notification-controller.flux-system.svc.cluster.local. -> http://127.0.0.1:9001",
            "--enable-leader-election: (set, no value) -> false",
            "--storage-path: /data -> /tmp/run/flux/storage",
            "--storage-adv-addr: source-controller.flux-system.svc.cluster.local. -> 127.0.0.1:9002",
            "--storage-addr: (default) -> 127.0.0.1:9002",
            "--metrics-addr: (default) -> 127.0.0.1:9003",
            "--health-addr: (default) -> 127.0.0.1:9004",
        ]);
    });

    test("resolves RUNTIME_NAMESPACE from the Deployment's namespace and runs as its ServiceAccount", () => {
        const line = localCommandLine(sourceController(), LOCAL);
        assert.deepEqual(line.env, { RUNTIME_NAMESPACE: "flux-system" });
        assert.equal(line.serviceAccount, "source-controller");
    });

    test("an env the e2e cannot resolve fails naming the Deployment and the variable", () => {
        const env = [{ name: "GOMAXPROCS", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } }];
        assert.throws(
            () => localCommandLine(sourceController(env as never), LOCAL),
            /Deployment source-controller: env GOMAXPROCS comes from .*resourceFieldRef/,
        );
    });

    test("expands $(VAR) as the kubelet does: unknown names stay, $$ escapes", () => {
        const env = { NS: "flux-system" };
        assert.equal(expandArgument("a.$(NS).b", env), "a.flux-system.b");
        assert.equal(expandArgument("$(OTHER)", env), "$(OTHER)");
        assert.equal(expandArgument("$$(NS)", env), "$(NS)");
    });
});

describe("the flux2 chart the e2e installs (GITOPS_E2E_FLUX_CHART)", () => {
    const withChart = (chartYaml: string, check: (folder: string) => void) => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "flux2-"));
        fs.writeFileSync(path.join(folder, "Chart.yaml"), chartYaml);
        const before = process.env.GITOPS_E2E_FLUX_CHART;
        process.env.GITOPS_E2E_FLUX_CHART = folder;
        try {
            check(folder);
        } finally {
            if (before === undefined) delete process.env.GITOPS_E2E_FLUX_CHART;
            else process.env.GITOPS_E2E_FLUX_CHART = before;
            fs.rmSync(folder, { recursive: true, force: true });
        }
    };

    test("is refused unless it is flux2 at exactly the version the program pins", () => {
        withChart("apiVersion: v2\nname: flux2\nversion: 2.18.3\n", () =>
            assert.throws(
                () => fluxChartFolder(),
                new RegExp(
                    `is flux2 2\\.18\\.3; the program pins flux2 ${CONFIG_KEYS.fluxChartVersion.default}`,
                ),
            ),
        );
    });

    test("at the pinned version, is the chart the e2e installs", () => {
        const pinned = CONFIG_KEYS.fluxChartVersion.default;
        withChart(`apiVersion: v2\nname: flux2\nversion: ${pinned}\n`, (folder) =>
            assert.equal(fluxChartFolder(), folder),
        );
    });
});
