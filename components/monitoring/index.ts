// The monitoring step's public surface: what index.ts, stack/ and other steps may import from it.
export { readOperationsConfig } from "./config";
export type { OperationsConfig } from "./config";
export { Monitoring } from "./monitoring";
