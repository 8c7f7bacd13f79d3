import { ConfigReader } from "./reader";

/** Config of issue #6. Filled in by the capability that owns it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FluxConfig {}

export function readFluxConfig(_r: ConfigReader): FluxConfig {
    return {};
}
