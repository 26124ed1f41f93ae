#!/usr/bin/env node
// The `densenode` command. `build` compiles the native addon from source (a platform with no
// prebuild; needs cmake and a C++17 compiler) and needs nothing but this package. The other
// commands (train, evaluate, predict, compare, bench, info) are the CLI in dist/cli, whose
// packages (commander, the chart libraries) come with densenode-cli; without them this says so.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function build() {
  const { root, log, buildFromSource } = require('../scripts/native-build.cjs');
  try {
    buildFromSource();
  } catch (error) {
    console.error(`densenode build: ${error.message} (full output in ${log})`);
    return 1;
  }
  console.log(`densenode build: ${path.relative(process.cwd(), path.join(root, 'build', 'Release', 'densenode.node')) || '.'}`);
  return 0;
}

async function run(argv) {
  if (argv[2] === 'build') return build();
  // A clone before its first `npm run build:ts` (npm ci builds nothing).
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'cli', 'main.js'))) {
    console.error('densenode: dist/ is not built; run `npm run build:ts` (or `npm run build`) first');
    return 1;
  }
  let main;
  try {
    ({ main } = await import('../dist/cli/main.js'));
  } catch (error) {
    const { missingPackageMessage } = await import('../dist/cli/cli-packages.js');
    const message = missingPackageMessage(error);
    if (message === undefined) throw error;
    console.error(`densenode: ${message}`);
    return 1;
  }
  return main(argv);
}

run(process.argv).then((code) => {
  process.exitCode = code;
});
