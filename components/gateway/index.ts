// The gateway step's public surface: what index.ts, stack/ and other steps may import from it.
export { SharedGateway } from "./gateway";
export type { SharedGatewayArgs } from "./gateway";
export { teamHosts } from "./manifests";
