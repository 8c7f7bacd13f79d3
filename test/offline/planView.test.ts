import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capacityCheck, teamShares } from "../../components/platform/capacity";
import {
    componentGraph,
    fold,
    mermaid,
    renderCapacity,
    renderPlan,
    summarize,
} from "../../tools/offline/planView";
import type { OfflineRun, RegisteredResource } from "../../tools/offline/run";
import { BuiltInRoles, repositoryPrefixCondition } from "../../src/roles";
import { previewRun } from "../support/program";

function resource(
    urn: string,
    type: string,
    parent = "",
    dependencies: string[] = [],
    inputs: Record<string, any> = {},
): RegisteredResource {
    return {
        urn,
        type,
        name: urn,
        custom: !type.startsWith("gitops:"),
        parent,
        protect: false,
        dependencies,
        provider: "",
        version: "",
        additionalSecretOutputs: [],
        propertyDependencies: {},
        aliases: [],
        inputs,
        wireInputs: inputs,
    };
}

function offlineRun(resources: RegisteredResource[]): OfflineRun {
    return {
        stack: "t",
        preview: false,
        config: { project: "p", values: {}, secretKeys: [], placeholders: {} },
        resources,
        outputs: {},
        secretOutputs: [],
        componentOutputs: {},
        invokes: [],
    };
}

describe("plan view", () => {
    it("draws an edge from a component to the component whose outputs it consumes", () => {
        const run = offlineRun([
            resource("platform", "gitops:platform:Platform"),
            resource("cluster", "azure-native:containerservice:ManagedCluster", "platform"),
            resource("flux", "gitops:flux:Flux"),
            resource("release", "kubernetes:helm.sh/v3:Release", "flux", ["cluster"]),
        ]);
        const text = mermaid(componentGraph(run));
        assert.match(text, /c0\["Platform platform"\]/);
        assert.match(text, /c0 --> c1/);
    });

    it("counts using another component's provider as depending on it", () => {
        const run = offlineRun([
            resource("platform", "gitops:platform:Platform"),
            resource("k8s", "pulumi:providers:kubernetes", "platform"),
            resource("tenant", "gitops:tenants:Tenant"),
            { ...resource("ns", "kubernetes:core/v1:Namespace", "tenant"), provider: "k8s::k8s-id" },
        ]);
        assert.match(mermaid(componentGraph(run)), /c0 --> c1/);
    });

    it("draws no edge for dependencies inside one component", () => {
        const run = offlineRun([
            resource("platform", "gitops:platform:Platform"),
            resource("rg", "azure-native:resources:ResourceGroup", "platform"),
            resource("cluster", "azure-native:containerservice:ManagedCluster", "platform", ["rg"]),
        ]);
        assert.equal(componentGraph(run).edges.size, 0);
    });

    it("names the role and the scope of a role assignment", () => {
        const line = summarize(
            resource("ra", "azure-native:authorization:RoleAssignment", "", [], {
                roleDefinitionId: `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.AcrPush}`,
                scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1",
            }),
        );
        assert.equal(
            line,
            "role=AcrPush scope=…/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1",
        );
    });

    it("names the repositories a conditioned role assignment is narrowed to", () => {
        const line = summarize(
            resource("ra", "azure-native:authorization:RoleAssignment", "", [], {
                roleDefinitionId: `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.AcrRepositoryWriter}`,
                scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1",
                condition: repositoryPrefixCondition("AcrRepositoryWriter", "dev-team1/"),
            }),
        );
        assert.match(line, /^role=AcrRepositoryWriter scope=\S+ repositories=dev-team1\/\*$/);
    });

    it("never shows a secret input", () => {
        const secret = {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            value: "hunter2",
        };
        const r = resource("acr", "azure-native:resources:Resource", "", [], {
            resourceName: secret,
        });
        assert.equal(summarize(r), "resourceName=[secret]");
    });
});

describe("the plan's Capacity section", () => {
    it("prints each pool's node and each team's share of the pools at maxCount", async () => {
        const text = renderCapacity(await previewRun("prod"));
        assert.match(text, /pool apps: 10 × Standard_D8ds_v5, each node cpu 7\.82, memory 29\.7Gi, pods 110/);
        assert.match(
            text,
            /dev-team1 +cpu 8\/78\.2 \(10%\), memory 16Gi\/297\.1Gi \(5%\), pods 60\/1100 \(5%\)/,
        );
        assert.match(
            text,
            /dev-team2 +cpu 4\/78\.2 \(5%\), memory 8Gi\/297\.1Gi \(3%\), pods 30\/1100 \(3%\)/,
        );
        assert.match(text, /all teams +cpu 12\/78\.2 \(15%\)/);
    });

    it("writes a share as the issue's example does", () => {
        const check = capacityCheck(
            [{ name: "apps", vmSize: "Standard_D4ds_v5", maxCount: 1, maxPods: 110 }],
            [{ team: "dev-team1", cpu: "1930m", memory: "1Gi", pods: 11 }],
        );
        assert.equal(
            teamShares(check)[0],
            "dev-team1 cpu 1.93/3.86 (50%), memory 1Gi/13.7Gi (7%), pods 11/110 (10%)",
        );
    });
});

describe("the plan's lines fit a terminal", () => {
    it("fold a resource's settings between settings, never inside a value with spaces", () => {
        assert.deepEqual(fold('a=1 version=">=0.1.0 <1.0.0" b=22 c=333', 24), [
            "a=1",
            'version=">=0.1.0 <1.0.0"',
            "b=22 c=333",
        ]);
    });

    it("keep a setting longer than the width whole, on a line of its own", () => {
        assert.deepEqual(fold(`a=1 id=${"x".repeat(30)} b=2`, 20), ["a=1", `id=${"x".repeat(30)}`, "b=2"]);
    });

    it("hold every settings line of staging's plan within 120 columns but for a setting longer than that", async () => {
        const text = renderPlan(await previewRun("staging"), {
            stackName: "gitops-platform-staging",
            width: 120,
        });
        const settings = text.split("\n").filter((l) => /^ {5}[│ ]/.test(l));
        assert.ok(settings.length > 0);
        for (const line of settings.filter((l) => l.length > 120))
            assert.doesNotMatch(line.replace(/^[\s│]+/, ""), / [\w.[\]"/-]+=/, `${line} could fold`);
    });
});
