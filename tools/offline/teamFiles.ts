// Teams given as a list (tests, the bench) become team files in a fresh folder, as a user would
// write them, and the stack reads that folder instead of tenants/.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import {
    GUARDRAILS_DIRECTORY,
    guardrailsFileOf,
    splitGuardrails,
    withGuardrails,
} from "../../components/tenants/guardrails";
import { forEnvironment } from "../../components/tenants/teamFiles";
import { readYamlFile } from "../../src/config/yamlFile";

/** Where the program's teams are read from: the real folder's files, in order. */
export const TEAMS_DIRECTORY = "tenants";

/**
 * Writes `team<i>.yaml` for each team of `tenants` into a new temporary folder, its guardrail keys
 * into `guardrails/team<i>.yaml` as the platform team would keep them; returns the folder.
 */
export function writeTeamFiles(tenants: readonly unknown[]): string {
    const dir = mkdtempSync(join(tmpdir(), "gitops-teams-"));
    mkdirSync(join(dir, GUARDRAILS_DIRECTORY));
    tenants.forEach((t, i) => {
        const { team, guardrails } =
            typeof t === "object" && t !== null && !Array.isArray(t)
                ? splitGuardrails(t as Record<string, unknown>)
                : { team: t, guardrails: {} };
        writeFileSync(join(dir, `team${i}.yaml`), stringify(team));
        if (Object.keys(guardrails).length > 0)
            writeFileSync(join(dir, guardrailsFileOf(`team${i}.yaml`)), stringify(guardrails));
    });
    return dir;
}

/** The teams of `projectDir/tenants/` as `environment` sees them (its section merged), as raw data. */
export function environmentTeams(
    projectDir: string,
    environment: string,
    environments: readonly string[],
): Record<string, any>[] {
    const dir = join(projectDir, TEAMS_DIRECTORY);
    const ignore = { problem: () => undefined };
    return readdirSync(dir)
        .filter((n) => n.endsWith(".yaml"))
        .sort()
        .map(
            (n) =>
                forEnvironment(
                    ignore,
                    n,
                    withGuardrails(
                        ignore,
                        join(TEAMS_DIRECTORY, n),
                        readYamlFile(join(dir, n)) as Record<string, unknown>,
                        projectDir,
                    ),
                    environment,
                    environments,
                ) as Record<string, any>,
        );
}
