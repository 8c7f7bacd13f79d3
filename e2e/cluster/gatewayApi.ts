// The Gateway API's standard-channel CRDs from the module sigs.k8s.io/gateway-api (what AKS's managed
// Gateway API installs), so HTTPRoutes, Gateways and ReferenceGrants are admitted or refused by the
// real API server. No gateway controller runs: admission needs none.
import { assetFiles } from "../toolchain/cache";
import { ControlPlane, kubectl } from "./controlPlane";
import { E2eError } from "./processes";

export function installGatewayApi(cp: ControlPlane): void {
    const crds = assetFiles("gateway-api", "crds");
    if (crds.length === 0)
        throw new E2eError(
            "the Gateway API CRDs are missing: run `npm run e2e:toolchain -- --only gateway-api`",
        );
    for (const file of crds) kubectl(cp, ["apply", "--server-side", "-f", file]);
    kubectl(cp, ["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
}
