import { CHART_REPOSITORY_MODES, ChartRepositoryMode } from "../../src/charts";
import { assertNever } from "../../src/assertNever";
import { CONFIG_KEYS } from "../../src/config/keys";
import { ConfigReader } from "../../src/config/reader";
import { isDnsName, isIpv4Cidr, isSemver } from "../../src/config/validators";

/**
 * How CI (outside the cluster) reaches ChartMuseum's push instance. Flux always reads the read
 * instance, in-cluster.
 * - `gateway` (default): an HTTPRoute on the platform's shared Gateway (Gateway API), the entry point
 *   the platform already runs for the teams' web apps: no extra public IP, TLS with a Key Vault
 *   certificate on the ChartMuseum host's listener, and the network policy admits the Gateway's pods.
 * - `loadbalancer`: the workshop's way, a public Azure load balancer on port 8080 with an Azure DNS
 *   label; only the source ranges in `chartMuseumAllowedCidrs` may connect (required, never open).
 *   The push instance's whole Service is exposed (every request still needs a team's token, reads
 *   included), in plain HTTP. Prefer `gateway`, which routes each team's endpoints only, over TLS.
 */
export const CHARTMUSEUM_EXPOSURES = ["gateway", "loadbalancer"] as const;
export type ChartMuseumExposure = (typeof CHARTMUSEUM_EXPOSURES)[number];
/** Exposures of earlier versions, and what replaced them: refused with the new name, never mapped silently. */
const RENAMED_EXPOSURES: Readonly<Record<string, ChartMuseumExposure>> = { ingress: "gateway" };

/**
 * How CI reaches ChartMuseum, with what each way needs and nothing it cannot use: the gateway always
 * has a host and a TLS certificate (pushes carry the team's bearer token), the load balancer always
 * has source ranges and never a certificate.
 */
export type ChartMuseumExposureConfig =
    | {
          readonly kind: "gateway";
          /** DNS name CI pushes to (an A record on the shared Gateway's IP), and its listener's name. */
          readonly host: string;
          /** Key Vault certificate URI the Gateway terminates TLS with; in the platform's `ingressKeyVaultId`. */
          readonly tlsCertificateUri: string;
      }
    | {
          readonly kind: "loadbalancer";
          /** Source CIDRs allowed to connect (loadBalancerSourceRanges and the network policy); never empty. */
          readonly allowedCidrs: readonly string[];
      };

/** Settings of the ChartMuseum the `chartmuseum` mode installs. */
export interface ChartMuseumConfig {
    /** Exact version of the official chart (https://chartmuseum.github.io/charts); pinned, never a range. */
    readonly chartVersion: string;
    readonly exposure: ChartMuseumExposureConfig;
}

export type ChartRepositoryConfig =
    { readonly mode: "chartmuseum"; readonly chartMuseum: ChartMuseumConfig } | { readonly mode: "acr-oci" };

/**
 * Reads `chartRepository` and the `chartMuseum*` keys. The ChartMuseum keys are validated in both
 * modes, so a typo is reported even on a stack that does not use them yet.
 */
export function readChartRepositoryConfig(r: ConfigReader): ChartRepositoryConfig {
    const mode: ChartRepositoryMode = r.oneOf("chartRepository", CHART_REPOSITORY_MODES);
    const exposure = r.oneOf("chartMuseumExposure", CHARTMUSEUM_EXPOSURES, RENAMED_EXPOSURES);
    const chartVersion = r.string("chartMuseumChartVersion", {
        valid: isSemver,
        allowed: `an exact chart version MAJOR.MINOR.PATCH, e.g. "${CONFIG_KEYS.chartMuseumChartVersion.default}" (no ranges: the platform pins what it installs)`,
    });
    const host = r.optionalString("chartMuseumHost", {
        valid: isDnsName,
        allowed: 'a fully qualified DNS name such as "charts.staging.example.com"',
    });
    const tlsCertificateUri = r.optionalString("chartMuseumTlsCertificateUri", {
        valid: isKeyVaultCertificateUri,
        allowed:
            "a Key Vault certificate URI https://<vault>.vault.azure.net/certificates/<name>[/<version>]",
    });
    const allowedCidrs = r.stringList("chartMuseumAllowedCidrs", (cidr) =>
        isIpv4Cidr(cidr) ? undefined : 'IPv4 CIDRs such as "203.0.113.0/24"',
    );

    if (mode !== "chartmuseum") return { mode };
    return {
        mode,
        chartMuseum: {
            chartVersion,
            exposure: readExposure(r, exposure, { host, tlsCertificateUri, allowedCidrs }),
        },
    };
}

function readExposure(
    r: ConfigReader,
    kind: ChartMuseumExposure,
    given: { host?: string; tlsCertificateUri?: string; allowedCidrs: readonly string[] },
): ChartMuseumExposureConfig {
    const { host, tlsCertificateUri, allowedCidrs } = given;
    switch (kind) {
        case "gateway":
            if (host === undefined) {
                r.problem(
                    "chartMuseumHost",
                    undefined,
                    'a DNS name CI pushes to, required with chartMuseumExposure "gateway" (or use "loadbalancer")',
                );
            }
            if (tlsCertificateUri === undefined) {
                r.problem(
                    "chartMuseumTlsCertificateUri",
                    undefined,
                    'a Key Vault certificate URI https://<vault>.vault.azure.net/certificates/<name>, required with chartMuseumExposure "gateway": every push carries the team\'s push token',
                );
            }
            if (allowedCidrs.length > 0) {
                r.problem(
                    "chartMuseumAllowedCidrs",
                    allowedCidrs,
                    'unset with chartMuseumExposure "gateway": the Gateway API has no per-route source-range filter (the NGINX allow-list went with the Ingress); every push is authenticated',
                );
            }
            return { kind, host: host ?? "", tlsCertificateUri: tlsCertificateUri ?? "" };
        case "loadbalancer":
            if (allowedCidrs.length === 0) {
                r.problem(
                    "chartMuseumAllowedCidrs",
                    [],
                    'at least one IPv4 CIDR with chartMuseumExposure "loadbalancer": a public load balancer is never open to all',
                );
            }
            if (tlsCertificateUri !== undefined) {
                r.problem(
                    "chartMuseumTlsCertificateUri",
                    tlsCertificateUri,
                    'unset with chartMuseumExposure "loadbalancer" (TLS is terminated by the gateway only)',
                );
            }
            return { kind, allowedCidrs };
        default:
            return assertNever(kind, "chartMuseumExposure");
    }
}

export function isKeyVaultCertificateUri(value: string): boolean {
    return /^https:\/\/[a-z0-9-]{3,24}\.vault\.azure\.net\/certificates\/[A-Za-z0-9-]{1,127}(\/[0-9a-f]{32})?\/?$/.test(
        value,
    );
}

/** The vault name of a Key Vault certificate URI (`https://<vault>.vault.azure.net/...`). */
export function keyVaultNameOfCertificate(uri: string): string {
    return new URL(uri).hostname.split(".")[0];
}

/** A cluster stack's chart repository: ChartMuseum-style, run by whoever runs the cluster. */
export interface ExternalChartRepositoryConfig {
    /** Base URL; a team's repository is `<url>/<team>`. */
    readonly url: string;
    /** Namespace it runs in, which Flux's network policy admits (when it runs in the cluster). */
    readonly namespace: string;
}

export function readExternalChartRepositoryConfig(r: ConfigReader): ExternalChartRepositoryConfig {
    return {
        url: r.string("chartRepositoryUrl", {
            valid: (v) => /^https?:\/\/[^\s/]+(\/\S*)?$/.test(v) && !v.endsWith("/"),
            allowed:
                'an http(s) URL without a trailing slash, e.g. "http://chartmuseum.chartmuseum.svc:8080"',
        }),
        namespace: r.string("chartRepositoryNamespace", {
            valid: (v) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v),
            allowed: "a namespace name",
        }),
    };
}
