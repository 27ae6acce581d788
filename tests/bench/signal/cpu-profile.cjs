// Preloaded into a server under test when BENCH_PROFILE_DIR is set (NODE_OPTIONS allows --require
// but not --cpu-prof): records a V8 CPU profile and writes it when the process exits.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () => {
  // The main thread's inspector session answers synchronously, so this completes before the process ends.
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(join(process.env.BENCH_PROFILE_DIR, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
