import { ConfigReader } from "./reader";

/** Config of issue #8. Filled in by the capability that owns it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DevOpsConfig {}

export function readDevOpsConfig(_r: ConfigReader): DevOpsConfig {
    return {};
}
