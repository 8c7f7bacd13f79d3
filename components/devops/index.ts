// The devops step's public surface: what index.ts, stack/ and other steps may import from it.
export { readDevOpsConfig, readStackRole } from "./config";
export type { DevOpsConfig } from "./config";
export { DevOps } from "./devops";
export { environmentOutputs, environmentStackName } from "./environments";
