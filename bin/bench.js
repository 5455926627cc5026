#!/usr/bin/env node
// `npm run bench`: runs bench/run.ts through tsx (benchmarks are not part of the build).
require('tsx/cjs');
require('../bench/run.ts');
