import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_TLS_SERVICE_ACCOUNT, GatewayRef } from "../../src/gateway";
import { GatewayHost, sharedGateway } from "./manifests";

export interface SharedGatewayArgs {
    /** The platform's Kubernetes provider (a cluster running the app routing add-on's Gateway API mode). */
    readonly provider: k8s.Provider;
    /** Where the Gateway is, and its name (`SHARED_GATEWAY`). */
    readonly gateway: GatewayRef;
    /** Every host it serves: the teams' declared hosts, and ChartMuseum's with `exposure: gateway`. */
    readonly hosts: readonly GatewayHost[];
    /** Client id of the platform's gateway TLS identity (Platform.gatewayTlsClientId); the listeners' certificates are read as it. */
    readonly tlsClientId: pulumi.Input<string>;
}

/**
 * The platform's shared Gateway and its namespace: the one entry point of the teams' web traffic and
 * of CI's chart pushes. Teams attach HTTPRoutes to their own listeners only.
 */
export class SharedGateway extends pulumi.ComponentResource {
    readonly gateway: GatewayRef;

    constructor(name: string, args: SharedGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:gateway:SharedGateway", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: args.gateway.namespace,
                    labels: { "pod-security.kubernetes.io/enforce": "baseline" },
                },
            },
            k8sOpts,
        );
        // The add-on's operator mounts listener certificates as this account (workload identity).
        const tlsAccount = new k8s.core.v1.ServiceAccount(
            `${name}-tls`,
            {
                metadata: {
                    name: GATEWAY_TLS_SERVICE_ACCOUNT,
                    namespace: namespace.metadata.name,
                    annotations: { "azure.workload.identity/client-id": args.tlsClientId },
                },
            },
            k8sOpts,
        );
        new k8s.apiextensions.CustomResource(`${name}-gateway`, sharedGateway(args.gateway, args.hosts), {
            ...k8sOpts,
            dependsOn: [namespace, tlsAccount],
        });
        this.gateway = args.gateway;
        this.registerOutputs({ gateway: this.gateway });
    }
}
