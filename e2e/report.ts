// What the e2e measured and where it kept its logs, printed at the end of a run; and, for `--keep`,
// how to reach the control plane it left running.
import * as fs from "node:fs";
import * as path from "node:path";
import { ControlPlane } from "./cluster/controlPlane";
import { binary, cacheRoot } from "./toolchain/cache";

/**
 * Where a run keeps its certificates, logs, state and PIDs: one folder, reused by the next run.
 * `$GITOPS_E2E_RUN` gives a second checkout its own folder, so two e2e runs never stop each other's processes.
 */
export function runDirectory(): string {
    return process.env.GITOPS_E2E_RUN || path.join(cacheRoot(), "run");
}

export class Report {
    private readonly timings: [string, number][] = [];
    private readonly logFile = path.join(runDirectory(), "logs", "pulumi.log");

    seconds(label: string, value: number): void {
        this.timings.push([label, value]);
    }

    /** Pulumi's own output goes to the run's log, not the test report. */
    log(line: string): void {
        fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
        fs.appendFileSync(this.logFile, line);
    }

    print(): void {
        console.log("\ne2e report (seconds, this run):");
        for (const [label, value] of this.timings) console.log(`  ${label.padEnd(28)} ${value.toFixed(1)}`);
        console.log(`  logs: ${path.dirname(this.logFile)}`);
    }

    kept(cp: ControlPlane, teams: string[]): void {
        this.print();
        console.log("\nThe control plane is running with the platform applied (npm run e2e:stop ends it):");
        console.log(`  export KUBECONFIG=${cp.kubeconfig}`);
        console.log(`  alias kubectl=${binary("kubectl")}`);
        for (const team of teams) {
            console.log(
                `  as ${team}'s member:     kubectl --as=alice@${team} --as-group=gitops:team:${team} ...`,
            );
            console.log(
                `  as ${team}'s reconciler: kubectl --as=system:serviceaccount:${team}:flux-reconciler ...`,
            );
        }
    }
}
