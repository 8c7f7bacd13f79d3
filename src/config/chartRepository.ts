import { ConfigReader } from "./reader";

/** Config of issue #5. Filled in by the capability that owns it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ChartRepositoryConfig {}

export function readChartRepositoryConfig(_r: ConfigReader): ChartRepositoryConfig {
    return {};
}
