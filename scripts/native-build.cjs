// Finding a matching binary and building the addon from source: shared by the
// install hook (scripts/install.cjs) and `npx densenode build`.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = path.join(root, 'build', 'install.log');

/** The binary node-gyp-build would load (build/Release, then prebuilds/), or null. */
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

/**
 * Builds build/Release/densenode.node: cmake-js when it is installed (a development clone),
 * otherwise plain cmake against the Node-API headers that ship with Node itself. Throws with a
 * one-line reason on failure; the full output is in build/install.log.
 */
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

module.exports = { root, log, matchingBinary, buildFromSource };
