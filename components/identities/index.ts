// The identities step's public surface: what index.ts, stack/ and other steps may import from it.
export { readIdentitiesConfig } from "./config";
export type { IdentitiesConfig } from "./config";
export { Identities } from "./identities";
export type { CiIdentityIds } from "./identities";
