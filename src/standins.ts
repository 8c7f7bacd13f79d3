// STAND-INS, for the lead to delete at merge. They stand for outputs of branches not yet on main, so
// the Azure DevOps step can be wired and tested end to end. Replace, in index.ts:
//   standInCiIdentity(...)   -> the Identities component (ciApplicationId, ciClientId)
//   standInChartSource(...)  -> the chart repository step's ChartSource
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ChartSource } from "./chartSource";

/** STAND-IN for the identities branch: a bare CI application (no roles, no credentials). */
export function standInCiIdentity(base: string): { ciApplicationId: pulumi.Output<string>; ciClientId: pulumi.Output<string> } {
    const app = new azuread.Application(`${base}-ci-standin`, { displayName: `${base}-ci` });
    return { ciApplicationId: app.id, ciClientId: app.clientId };
}

/** STAND-IN for the chart repository branch: ChartMuseum (the default mode) with a generated push password. */
export function standInChartSource(base: string): ChartSource {
    const password = new random.RandomPassword(`${base}-chartmuseum-standin`, { length: 32, special: false });
    return {
        kind: "chartmuseum",
        url: pulumi.output("http://chartmuseum.chartmuseum.svc:8080"),
        pushUrl: pulumi.output(`https://charts.${base}.example.invalid`),
        username: pulumi.output("ci"),
        password: pulumi.secret(password.result),
        namespace: "chartmuseum",
    };
}
