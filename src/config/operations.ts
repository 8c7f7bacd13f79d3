import { ConfigReader } from "./reader";

/** Config of issue #9. Filled in by the capability that owns it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OperationsConfig {}

export function readOperationsConfig(_r: ConfigReader): OperationsConfig {
    return {};
}
