// Entry of the platform's worker threads. Runs the compiled module it is given, or, when the
// platform itself runs from TypeScript source (tests, benchmarks, a checkout without a build),
// the .ts module through tsx.
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('tsx/cjs');
require(workerData.entry);
