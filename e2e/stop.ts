// `npm run e2e:stop`: stops what `npm run e2e -- --keep` left running, by the PIDs it recorded.
import { stopAll } from "./cluster/processes";
import { runDirectory } from "./report";

stopAll(runDirectory()).then((stopped) =>
    console.log(stopped.length ? `e2e: stopped ${stopped.join(", ")}` : "e2e: nothing was running"),
);
