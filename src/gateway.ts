// The platform's shared Gateway (Gateway API), named once: the gateway component creates it, the
// tenants' admission policies and network policies and ChartMuseum's route point at it.
import { GATEWAY_NAMESPACE } from "./namespaces";

/** Where a Gateway is: the namespace and name HTTPRoutes' parentRefs name. */
export interface GatewayRef {
    readonly namespace: string;
    readonly name: string;
}

/** The one Gateway every team's and ChartMuseum's HTTPRoutes attach to. */
export const SHARED_GATEWAY_NAME = "shared";

/** The shared Gateway of an environment's cluster, in the platform's gateway namespace. */
export const SHARED_GATEWAY: GatewayRef = { namespace: GATEWAY_NAMESPACE, name: SHARED_GATEWAY_NAME };

/**
 * GatewayClass of the AKS application routing add-on's Gateway API implementation (a meshless Istio
 * control plane that deploys one Envoy proxy per Gateway).
 */
export const APP_ROUTING_GATEWAY_CLASS = "approuting-istio";

/**
 * The ServiceAccount (in the Gateway's namespace) the add-on syncs listener certificates as: federated
 * with the platform's gateway TLS identity, which reads the ingress Key Vault's secrets.
 */
export const GATEWAY_TLS_SERVICE_ACCOUNT = "gateway-tls";

/**
 * The label the Gateway API asks implementations to put on the pods they run for a Gateway (Istio
 * sets it on the Deployment it makes): how network policies admit that Gateway's data plane only.
 */
export const GATEWAY_NAME_POD_LABEL = "gateway.networking.k8s.io/gateway-name";
