// Preloaded by `npm run bench` (NODE_OPTIONS=--require) into the processes it times: on exit, prints
// the CPU time the process used, so a busy machine does not hide what the process itself costs.
"use strict";
process.on("exit", () => {
    const { user, system } = process.cpuUsage();
    process.stderr.write(`\ngitops-bench-cpu-ms ${(user + system) / 1000}\n`);
});
