#!/usr/bin/env node
// The `densenode` command. `build` compiles the native addon from source (for
// installs where npm blocked the install script, or a platform with no
// prebuild) and works without dist/; every other command is the TypeScript
// CLI in dist/cli/main.js (train, evaluate, predict, compare, bench, info).
'use strict';
const path = require('node:path');

async function run(argv) {
  if (argv[2] === 'build') {
    const { root, log, buildFromSource } = require('../scripts/native-build.cjs');
    try {
      buildFromSource();
    } catch (error) {
      console.error(`densenode build: ${error.message} (full output in ${log})`);
      return 1;
    }
    console.log(`densenode build: ${path.relative(process.cwd(), path.join(root, 'build', 'Release', 'densenode.node'))}`);
    return 0;
  }
  const { main } = await import('../dist/cli/main.js');
  return main(argv);
}

run(process.argv).then((code) => {
  process.exitCode = code;
});
