import { ConfigReader } from "./reader";

/** Config of issue #4. Filled in by the capability that owns it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IdentitiesConfig {}

export function readIdentitiesConfig(_r: ConfigReader): IdentitiesConfig {
    return {};
}
