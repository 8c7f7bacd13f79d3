import { join } from "node:path";
import { PROJECT_DIR, ResolvedConfig, resolveStackConfig } from "../../tools/offline/stackConfig";

/**
 * The organisation the product's tests run on: its stack files, team files and CODEOWNERS, as an
 * instance of the platform would hold them. The repository's own instance (tenants/, Pulumi.<stack>.yaml)
 * is checked by `npm run validate` and read by no test, so onboarding a team changes no test's outcome.
 */
export const FIXTURE_INSTANCE = join(__dirname, "..", "fixtures", "instance");

/** The fixture instance's config of `stack`, resolved as an offline run resolves it. */
export function fixtureStackConfig(stack: string): ResolvedConfig {
    return resolveStackConfig(stack, {}, PROJECT_DIR, FIXTURE_INSTANCE);
}
