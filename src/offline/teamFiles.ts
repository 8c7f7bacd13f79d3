// Teams given as a list (tests, the bench) become team files in a fresh folder, as a user would
// write them, and the stack reads that folder instead of tenants/.
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { forEnvironment } from "../../components/tenants/teamFiles";
import { readYamlFile } from "../config/yamlFile";

/** Where the program's teams are read from: the real folder's files, in order. */
export const TEAMS_DIRECTORY = "tenants";

/** Writes `team<i>.yaml` for each team of `tenants` into a new temporary folder; returns the folder. */
export function writeTeamFiles(tenants: readonly unknown[]): string {
    const dir = mkdtempSync(join(tmpdir(), "gitops-teams-"));
    tenants.forEach((t, i) => writeFileSync(join(dir, `team${i}.yaml`), stringify(t)));
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
                    readYamlFile(join(dir, n)) as Record<string, unknown>,
                    environment,
                    environments,
                ) as Record<string, any>,
        );
}
