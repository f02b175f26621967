// Preloaded into a profiled server (NODE_OPTIONS=--import) by `loadtest/rest-profile.ts --heap`.
// V8's sampling heap profiler, with the objects the collector already freed kept in the
// profile: what a request allocates, not what it leaves alive. The first SIGWINCH starts
// sampling, the second writes the profile to HEAP_PROFILE_FILE. Not SIGUSR2: Colyseus
// shuts down on it (nodemon's restart signal). Plain JavaScript: it loads before tsx.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const session = new Session();
session.connect();
let sampling = false;
process.on("SIGWINCH", () => {
  if (!sampling) {
    sampling = true;
    session.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  session.post("HeapProfiler.stopSampling", (err, result) => {
    if (!err) writeFileSync(process.env.HEAP_PROFILE_FILE, JSON.stringify(result.profile));
  });
});
