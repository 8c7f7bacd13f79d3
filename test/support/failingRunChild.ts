// The child of failingRun.ts: exit code 3 and the error on stderr when the program fails, 0 when it succeeds.
import { FAKE_AKS } from "../../tools/offline/cloud";
import { runProgram } from "../../tools/offline/run";
import { FIXTURE_INSTANCE } from "./instance";

const fail = (e: unknown) => {
    process.stderr.write(String((e as Error)?.message ?? e));
    process.exit(3);
};
process.on("unhandledRejection", fail);
Object.assign(FAKE_AKS, JSON.parse(process.argv[4] ?? "{}"));
runProgram(process.argv[2], JSON.parse(process.argv[3]), undefined, { instanceDir: FIXTURE_INSTANCE }).then(
    () => process.exit(0),
    fail,
);
