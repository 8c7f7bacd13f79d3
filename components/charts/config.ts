import { CHART_REPOSITORY_MODES, ChartRepositoryMode } from "./source";
import { CONFIG_KEYS } from "../../src/config/keys";
import { ConfigReader } from "../../src/config/reader";
import { isDnsLabel, isIpv4Cidr, isSemver } from "../../src/config/validators";

/**
 * How CI (outside the cluster) reaches ChartMuseum to push charts. Flux always reads it in-cluster.
 * - `ingress` (default): an Ingress on the AKS application routing add-on's managed NGINX, the entry
 *   point the platform already runs for the teams' web apps: no extra public IP, TLS with a Key Vault
 *   certificate, and the network policy names one namespace (`app-routing-system`).
 * - `loadbalancer`: the workshop's way, a public Azure load balancer on port 8080 with an Azure DNS
 *   label; only the source ranges in `chartMuseumAllowedCidrs` may connect (required, never open).
 *   The whole Service is exposed, and reads are anonymous: those ranges can also read the index and
 *   download charts without credentials. Prefer `ingress`, which routes the push endpoint only.
 */
export const CHARTMUSEUM_EXPOSURES = ["ingress", "loadbalancer"] as const;
export type ChartMuseumExposure = (typeof CHARTMUSEUM_EXPOSURES)[number];


/** Settings of the ChartMuseum the `chartmuseum` mode installs. */
export interface ChartMuseumConfig {
    /** Exact version of the official chart (https://chartmuseum.github.io/charts); pinned, never a range. */
    readonly chartVersion: string;
    readonly exposure: ChartMuseumExposure;
    /**
     * `ingress`: DNS name CI pushes to (an A record on the app routing ingress IP). Required with
     * `ingress`; unused with `loadbalancer` (the Azure DNS label gives the name).
     */
    readonly host?: string;
    /**
     * `ingress`: Key Vault certificate URI (`https://<vault>.vault.azure.net/certificates/<name>`)
     * the add-on terminates TLS with. Required with `ingress`: pushes carry the basic-auth password.
     * The vault must be the platform's `ingressKeyVaultId`.
     */
    readonly tlsCertificateUri?: string;
    /**
     * Source CIDRs allowed to reach the exposure (CI agents' egress). Required with `loadbalancer`
     * (loadBalancerSourceRanges and the network policy); with `ingress` an optional NGINX allow-list.
     */
    readonly allowedCidrs: readonly string[];
}

export type ChartRepositoryConfig =
    | { readonly mode: "chartmuseum"; readonly chartMuseum: ChartMuseumConfig }
    | { readonly mode: "acr-oci" };

/**
 * Reads `chartRepository` and the `chartMuseum*` keys. The ChartMuseum keys are validated in both
 * modes, so a typo is reported even on a stack that does not use them yet.
 */
export function readChartRepositoryConfig(r: ConfigReader): ChartRepositoryConfig {
    const mode: ChartRepositoryMode = r.oneOf("chartRepository", CHART_REPOSITORY_MODES);
    const exposure = r.oneOf("chartMuseumExposure", CHARTMUSEUM_EXPOSURES);
    const chartVersion = r.string("chartMuseumChartVersion", {
        valid: isSemver,
        allowed: `an exact chart version MAJOR.MINOR.PATCH, e.g. "${CONFIG_KEYS.chartMuseumChartVersion.default}" (no ranges: the platform pins what it installs)`,
    });
    const host = r.optionalString("chartMuseumHost", {
        valid: isDnsName,
        allowed: "a fully qualified DNS name such as \"charts.staging.example.com\"",
    });
    const tlsCertificateUri = r.optionalString("chartMuseumTlsCertificateUri", {
        valid: isKeyVaultCertificateUri,
        allowed: "a Key Vault certificate URI https://<vault>.vault.azure.net/certificates/<name>[/<version>]",
    });
    const allowedCidrs = r.stringList("chartMuseumAllowedCidrs", (cidr) =>
        isIpv4Cidr(cidr) ? undefined : "IPv4 CIDRs such as \"203.0.113.0/24\"",
    );

    if (mode !== "chartmuseum") return { mode };
    if (exposure === "ingress" && host === undefined) {
        r.problem(
            "chartMuseumHost",
            undefined,
            "a DNS name CI pushes to, required with chartMuseumExposure \"ingress\" (or use \"loadbalancer\")",
        );
    }
    if (exposure === "ingress" && tlsCertificateUri === undefined) {
        r.problem(
            "chartMuseumTlsCertificateUri",
            undefined,
            "a Key Vault certificate URI https://<vault>.vault.azure.net/certificates/<name>, required with chartMuseumExposure \"ingress\": every push carries the basic-auth password",
        );
    }
    if (exposure === "loadbalancer" && allowedCidrs.length === 0) {
        r.problem(
            "chartMuseumAllowedCidrs",
            [],
            "at least one IPv4 CIDR with chartMuseumExposure \"loadbalancer\": a public load balancer is never open to all",
        );
    }
    if (exposure === "loadbalancer" && tlsCertificateUri !== undefined) {
        r.problem("chartMuseumTlsCertificateUri", tlsCertificateUri, "unset with chartMuseumExposure \"loadbalancer\" (TLS is terminated by the ingress only)");
    }
    return { mode, chartMuseum: { chartVersion, exposure, host, tlsCertificateUri, allowedCidrs } };
}

/** A fully qualified DNS name: at least two labels, each an RFC 1123 label. */
export function isDnsName(value: string): boolean {
    const labels = value.split(".");
    return value.length <= 253 && labels.length >= 2 && labels.every(isDnsLabel);
}

export function isKeyVaultCertificateUri(value: string): boolean {
    return /^https:\/\/[a-z0-9-]{3,24}\.vault\.azure\.net\/certificates\/[A-Za-z0-9-]{1,127}(\/[0-9a-f]{32})?\/?$/.test(value);
}

/** The vault name of a Key Vault certificate URI (`https://<vault>.vault.azure.net/...`). */
export function keyVaultNameOfCertificate(uri: string): string {
    return new URL(uri).hostname.split(".")[0];
}
