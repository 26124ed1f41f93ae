#!/usr/bin/env node
// `npm install` hook. Nothing depends on it having run (npm may block install
// scripts): at run time lib/backend/select.ts finds a prebuild or a local build,
// or falls back to the JS kernels. Here we only try a source build when no
// binary matches, and a failed build prints one line and exits 0.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = path.join(root, 'build', 'install.log');

function matchingBinary() {
  try {
    return require('node-gyp-build').resolve(root);
  } catch {
    return null;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  fs.appendFileSync(log, `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}\n`);
  if (result.error) throw new Error(`${command} could not run (${result.error.code ?? result.error.message})`);
  if (result.status !== 0) throw new Error(`${command} exited with status ${result.status}`);
}

// cmake-js when it is installed (a development clone); otherwise plain cmake
// against the Node-API headers that ship with Node itself.
function buildFromSource() {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, '');
  let cmakeJs = null;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {}
  if (cmakeJs) return run(process.execPath, [cmakeJs, 'compile', '--out', 'build']);
  const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  if (!fs.existsSync(path.join(nodeInclude, 'node_api.h'))) throw new Error(`no Node-API headers in ${nodeInclude}`);
  run('cmake', ['-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_JS_INC=${nodeInclude}`]);
  run('cmake', ['--build', 'build', '--config', 'Release']);
}

if (process.env.DENSENODE_SKIP_BUILD) process.exit(0);
const found = matchingBinary();
if (found) {
  console.log(`densenode: using native binary ${path.relative(root, found)}`);
  process.exit(0);
}
try {
  buildFromSource();
  console.log('densenode: built the native addon from source (build/Release/densenode.node)');
} catch (error) {
  console.log(
    `densenode: no prebuilt binary matches and the source build failed (${error.message}; see ${log}); the JS fallback will be used.`,
  );
}
process.exit(0);
