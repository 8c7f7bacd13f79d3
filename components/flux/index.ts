// The flux step's public surface: what index.ts, stack/ and other steps may import from it.
export { checkFluxPrerequisites, readClusterFluxConfig, readFluxConfig } from "./config";
export type { FluxConfig } from "./config";
export { Flux } from "./flux";
