// The charts step's public surface: what index.ts, stack/ and other steps may import from it.
export { chartSource } from "./chartMuseum";
export {
    keyVaultNameOfCertificate,
    readChartRepositoryConfig,
    readExternalChartRepositoryConfig,
} from "./config";
export type { ChartRepositoryConfig, ExternalChartRepositoryConfig } from "./config";
