// The platform step's public surface: what index.ts, stack/ and other steps may import from it.
export { checkCapacity } from "./capacity";
export { readClusterEnvironment, readExistingClusterConfig, readPlatformConfig } from "./config";
export type { ExistingClusterConfig, PlatformConfig } from "./config";
export { ExistingCluster } from "./existingCluster";
export { CLUSTER_ACCESS, Platform } from "./platform";
