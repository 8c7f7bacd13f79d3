import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GatewayRef, SHARED_GATEWAY_NAME } from "../../src/gateway";
import { ExistingClusterConfig } from "./config";

export interface ExistingClusterArgs {
    readonly config: ExistingClusterConfig;
}

/**
 * The platform of a cluster stack: an existing cluster reached by a kubeconfig. It creates nothing
 * but the Kubernetes provider every in-cluster step uses, and hands on what the stack's config says
 * where an environment's Platform would hand on what Azure made.
 */
export class ExistingCluster extends pulumi.ComponentResource {
    readonly provider: k8s.Provider;
    readonly kubernetesVersion: pulumi.Output<string>;
    readonly registryLoginServer: pulumi.Output<string>;
    /** The Gateway the teams' HTTPRoutes attach to (`shared` in clusterGatewayNamespace). */
    readonly gateway: GatewayRef;
    /** The old ingress controller's namespace still let into web apps during the move, if set. */
    readonly legacyIngressNamespace?: string;

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:ExistingCluster", name, {}, opts);
        const { config } = args;
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            {
                // A path, not the file's content: no credential of the cluster's is copied into the state.
                ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
                context: config.context,
                enableServerSideApply: true,
            },
            { parent: this },
        );
        this.kubernetesVersion = pulumi.output(config.kubernetesVersion.replace(/^v/, ""));
        this.registryLoginServer = pulumi.output(config.registryLoginServer);
        this.gateway = { namespace: config.gatewayNamespace, name: SHARED_GATEWAY_NAME };
        this.legacyIngressNamespace = config.legacyIngressNamespace;
        this.registerOutputs({
            kubernetesVersion: this.kubernetesVersion,
            registryLoginServer: this.registryLoginServer,
        });
    }
}
