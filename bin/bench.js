#!/usr/bin/env node
// `npm run bench`: runs bench/run.ts through tsx (benchmarks are not part of the build).
// fsyncs, file writes and DuckDB queries share libuv's thread pool; its default of 4 threads
// made a long lake COPY or a burst of fsyncs hold up the live store's commits.
process.env.UV_THREADPOOL_SIZE ??= '16';
require('tsx/cjs');
require('../bench/run.ts');
