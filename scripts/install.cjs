#!/usr/bin/env node
// `npm install` hook. Nothing depends on it having run (npm may block install
// scripts): at run time lib/backend/select.ts finds a prebuild or a local build,
// or falls back to the JS kernels. Here, in this order, with one line saying
// which: a matching binary (prebuild) → a source build → the JS fallback.
// DENSENODE_BUILD_FROM_SOURCE=1 skips the first step. Always exits 0.
'use strict';
const path = require('node:path');
const { root, log, matchingBinary, buildFromSource } = require('./native-build.cjs');

if (process.env.DENSENODE_SKIP_BUILD) process.exit(0);
const force = process.env.DENSENODE_BUILD_FROM_SOURCE === '1';
const found = force ? null : matchingBinary();
if (found) {
  const kind = found.includes(`${path.sep}prebuilds${path.sep}`) ? 'the prebuilt binary' : 'the local build';
  console.log(`densenode: using ${kind} ${path.relative(root, found)}`);
  process.exit(0);
}
try {
  buildFromSource();
  console.log(
    `densenode: built the native addon from source${force ? ' (DENSENODE_BUILD_FROM_SOURCE=1)' : ''} (build/Release/densenode.node)`,
  );
} catch (error) {
  const why = force ? 'the forced source build failed' : 'no prebuilt binary matches and the source build failed';
  console.log(`densenode: ${why} (${error.message}; see ${log}); the JS fallback will be used.`);
}
process.exit(0);
