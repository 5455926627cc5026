#!/usr/bin/env node
// The `distributary` command. Runs the compiled build (npm install builds it via `prepare`);
// in a source checkout without a build, falls back to running the TypeScript through tsx.
// fsyncs, file writes and DuckDB queries share libuv's thread pool; its default of 4 threads
// made a long lake COPY or a burst of fsyncs hold up the live store's commits.
process.env.UV_THREADPOOL_SIZE ??= '16';
const fs = require('node:fs');
const path = require('node:path');
const built = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(built)) require('tsx/cjs');
const { run } = require(fs.existsSync(built) ? built : path.join(__dirname, '..', 'cli', 'main.ts'));
run(process.argv);
