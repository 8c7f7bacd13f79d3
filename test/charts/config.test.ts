import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CHARTMUSEUM_EXPOSURES, isKeyVaultCertificateUri } from "../../components/charts/config";
import { isDnsName } from "../../src/config/validators";
import { CHART_REPOSITORY_MODES } from "../../src/charts";
import { CONFIG_KEYS } from "../../src/config/keys";
import { PROJECT_DIR } from "../../tools/offline/stackConfig";
import { ofType, run } from "../support/program";

const project = parse(readFileSync(join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, { type: string; default?: unknown; description?: string }>;
};

describe("chart repository config", () => {
    it("rejects an unknown chartRepository mode, naming the key and the allowed modes", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartRepository": "harbor" }),
            (e: Error) =>
                /gitops-platform:chartRepository/.test(e.message) &&
                /"chartmuseum", "acr-oci"/.test(e.message),
        );
    });

    it("rejects a chart version range, since the platform pins what it installs", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumChartVersion": "^3.10.0" }),
            /gitops-platform:chartMuseumChartVersion/,
        );
    });

    it("rejects a chart version that is not semver", async () => {
        await assert.rejects(
            run("prod", { "gitops-platform:chartMuseumChartVersion": "latest" }),
            /gitops-platform:chartMuseumChartVersion/,
        );
    });

    it("rejects an unknown exposure", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumExposure": "nodeport" }),
            /gitops-platform:chartMuseumExposure/,
        );
    });

    it("requires a host name when ChartMuseum is exposed through the ingress", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumHost": undefined }),
            /gitops-platform:chartMuseumHost/,
        );
    });

    it("rejects a host that is not a DNS name", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumHost": "http://charts" }),
            /gitops-platform:chartMuseumHost/,
        );
    });

    it("requires source CIDRs for a public load balancer", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumExposure": "loadbalancer" }),
            /gitops-platform:chartMuseumAllowedCidrs/,
        );
    });

    it("rejects a source range that is not an IPv4 CIDR", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:chartMuseumExposure": "loadbalancer",
                "gitops-platform:chartMuseumAllowedCidrs": ["0.0.0.0"],
            }),
            /gitops-platform:chartMuseumAllowedCidrs/,
        );
    });

    it("rejects a TLS certificate that is not a Key Vault certificate URI", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:chartMuseumTlsCertificateUri": "https://example.com/cert.pem",
            }),
            /gitops-platform:chartMuseumTlsCertificateUri/,
        );
    });

    it("requires a TLS certificate with the gateway exposure, since pushes carry a credential", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:chartMuseumTlsCertificateUri": undefined }),
            /gitops-platform:chartMuseumTlsCertificateUri: got nothing .*required with chartMuseumExposure "gateway"/,
        );
    });

    it("requires the ingress Key Vault the certificate lives in", async () => {
        await assert.rejects(
            run("staging", { "gitops-platform:ingressKeyVaultId": undefined }),
            /gitops-platform:ingressKeyVaultId: got nothing \(the key is not set\); allowed: the resource id of Key Vault "kv-gitops-staging"/,
        );
    });

    it("rejects a certificate from another vault than the ingress Key Vault", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:chartMuseumTlsCertificateUri":
                    "https://kv-elsewhere.vault.azure.net/certificates/charts",
            }),
            /gitops-platform:chartMuseumTlsCertificateUri: got "https:\/\/kv-elsewhere[^;]*; allowed: a certificate in the ingress Key Vault "kv-gitops-staging"/,
        );
    });

    it("rejects a TLS certificate with the load balancer exposure, which cannot use it", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:chartMuseumExposure": "loadbalancer",
                "gitops-platform:chartMuseumAllowedCidrs": ["203.0.113.0/24"],
                "gitops-platform:chartMuseumTlsCertificateUri":
                    "https://kv-gitops.vault.azure.net/certificates/charts",
            }),
            /gitops-platform:chartMuseumTlsCertificateUri/,
        );
    });

    it("rejects the retired anonymous GET key, whatever its value: reads are always anonymous in-cluster", async () => {
        for (const value of ["false", "true"]) {
            await assert.rejects(
                run("staging", { "gitops-platform:chartMuseumAnonymousGet": value }),
                /gitops-platform:chartMuseumAnonymousGet: got (false|true); allowed: unset \(retired\)/,
            );
        }
    });

    it("still validates the ChartMuseum keys when the stack uses ACR", async () => {
        await assert.rejects(
            run("staging", {
                "gitops-platform:chartRepository": "acr-oci",
                "gitops-platform:chartMuseumChartVersion": "3.x",
            }),
            /gitops-platform:chartMuseumChartVersion/,
        );
    });

    it("does not require a ChartMuseum host when the stack uses ACR", async () => {
        const r = await run("staging", {
            "gitops-platform:chartRepository": "acr-oci",
            "gitops-platform:chartMuseumHost": undefined,
        });
        assert.match(String(r.outputs.chartRepositoryUrl), /^oci:\/\//);
    });

    it("installs the pinned default chart version, for both instances, when the stack sets none", async () => {
        const releases = ofType(await run("staging"), "kubernetes:helm.sh/v3:Release");
        assert.deepEqual(
            releases.map((x) => x.inputs.version),
            [CONFIG_KEYS.chartMuseumChartVersion.default, CONFIG_KEYS.chartMuseumChartVersion.default],
        );
    });

    it("installs the chart version the stack pins, for both instances", async () => {
        const r = await run("staging", { "gitops-platform:chartMuseumChartVersion": "3.10.3" });
        const releases = ofType(r, "kubernetes:helm.sh/v3:Release");
        assert.deepEqual(
            releases.map((x) => x.inputs.version),
            ["3.10.3", "3.10.3"],
        );
    });
});

describe("chart repository keys in Pulumi.yaml", () => {
    it("declares chartRepository defaulting to chartmuseum and lists the modes in its description", () => {
        const key = project.config.chartRepository;
        assert.equal(key.type, "string");
        assert.equal(key.default, "chartmuseum");
        for (const mode of CHART_REPOSITORY_MODES) assert.ok(key.description?.includes(mode), mode);
    });

    it("declares the same default chart version as the code", () => {
        assert.equal(
            String(project.config.chartMuseumChartVersion.default),
            CONFIG_KEYS.chartMuseumChartVersion.default,
        );
    });

    it("declares the exposure defaulting to gateway and lists every exposure", () => {
        const key = project.config.chartMuseumExposure;
        assert.equal(key.default, "gateway");
        for (const exposure of CHARTMUSEUM_EXPOSURES)
            assert.ok(key.description?.includes(exposure), exposure);
    });

    it("no longer declares the retired anonymous GET key", () => {
        assert.equal(project.config.chartMuseumAnonymousGet, undefined);
        assert.ok("chartMuseumAllowedCidrs" in project.config, "the section is still there");
    });

    it("declares the allowed CIDRs as an array, empty by default", () => {
        assert.equal(project.config.chartMuseumAllowedCidrs.type, "array");
        assert.deepEqual(project.config.chartMuseumAllowedCidrs.default, []);
    });
});

describe("chart repository validators", () => {
    it("accepts fully qualified DNS names and refuses single labels, URLs and upper case", () => {
        assert.ok(isDnsName("charts.staging.example.com"));
        assert.ok(!isDnsName("charts"));
        assert.ok(!isDnsName("https://charts.example.com"));
        assert.ok(!isDnsName("Charts.example.com"));
    });

    it("accepts Key Vault certificate URIs with or without a version, nothing else", () => {
        assert.ok(isKeyVaultCertificateUri("https://kv-gitops.vault.azure.net/certificates/charts"));
        assert.ok(
            isKeyVaultCertificateUri(
                "https://kv-gitops.vault.azure.net/certificates/charts/0123456789abcdef0123456789abcdef",
            ),
        );
        assert.ok(!isKeyVaultCertificateUri("https://kv-gitops.vault.azure.net/secrets/charts"));
        assert.ok(!isKeyVaultCertificateUri("http://kv-gitops.vault.azure.net/certificates/charts"));
    });
});
