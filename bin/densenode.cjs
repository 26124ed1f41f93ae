#!/usr/bin/env node
// The `densenode` command. `densenode build` compiles the native addon from
// source (for installs where npm blocked the install script, or a platform
// with no prebuild); `densenode info` says which backend loads and why.
'use strict';
const path = require('node:path');

const USAGE = 'usage: densenode build | densenode info';

async function main(command) {
  if (command === 'build') {
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
  if (command === 'info') {
    const dn = await import('../dist/index.js');
    const { version } = require('../package.json');
    const info = dn.backendInfo();
    console.log(`densenode ${version}\nbackend: ${info.name} (${info.reason})\nisa: ${info.isa}\nthreads: ${info.threads}`);
    return 0;
  }
  console.error(command ? `densenode: unknown command '${command}'\n${USAGE}` : USAGE);
  return 2;
}

main(process.argv[2]).then((code) => {
  process.exitCode = code;
});
