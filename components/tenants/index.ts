// The tenants step's public surface: what index.ts, stack/ and other steps may import from it.
export { TenantAdmission } from "./admission";
export { checkAdmissionPrerequisites } from "./admissionPolicies";
export { readTenantsConfig } from "./config";
export type { AppConfig, TenantConfig, TenantsConfig } from "./config";
export { GUARDRAILS_DIRECTORY, guardrailsFileOf } from "./guardrails";
export { Tenant } from "./tenant";
export type { TenantArgs } from "./tenant";
