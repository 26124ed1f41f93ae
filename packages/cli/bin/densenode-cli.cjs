#!/usr/bin/env node
// `densenode-cli`: the densenode command line (train, evaluate, predict, compare, bench, info).
// Its code is the densenode package's dist/cli (it uses the library's internals); this package
// brings what that code imports — commander, cli-progress, asciichart, vega, vega-lite — which
// densenode lists only as optional peers so a library user does not install them.
'use strict';

import('densenode/cli')
  .then(({ main }) => main(process.argv))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      // Only when the library itself cannot load (a mismatched or broken install); main() reports everything else.
      console.error(`densenode-cli: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
