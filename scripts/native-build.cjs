// `npx densenode build` (and `npm run build:native` in a clone): compiles the addon from source into
// build/Release/densenode.node, where node-gyp-build looks first. No install script runs it: a
// prebuild or the JS fallback loads without it (lib/backend/select.ts names this command).
//
// cmake-js drives CMake with the flags each platform needs (CMAKE_JS_INC/SRC/LIB; on macOS the
// linker's `-undefined dynamic_lookup`; on Windows node.lib generated from node-api-headers' .def,
// CMakeLists.txt's CMAKE_JS_NODELIB_* step). It is a development dependency, not a runtime one
// (9 packages), so: cmake-js when it resolves from here (a clone) → `npm exec` of the same
// cmake-js range (from npm's cache or the registry) → offline on Linux/macOS, plain cmake with
// Node's own headers and the same flags cmake-js would pass. Output goes to build/build.log.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = path.join(root, 'build', 'build.log');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  fs.appendFileSync(log, `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}\n`);
  if (result.error) throw new Error(`${command} could not run (${result.error.code ?? result.error.message})`);
  if (result.status !== 0) throw new Error(`${command} exited with status ${result.status}`);
}

/** The cmake-js range the clone builds with (package.json devDependencies): one place for its version. */
function cmakeJsRange() {
  return require(path.join(root, 'package.json')).devDependencies?.['cmake-js'] ?? '^8.0.0';
}

/**
 * The configure arguments of a build without cmake-js: what cmake-js passes on this platform,
 * with the Node-API headers that ship with Node. Windows needs node.lib, which only cmake-js
 * makes (from node-api-headers), so there the answer is an error.
 */
function plainCmakeArgs(platform, nodeInclude) {
  if (platform === 'win32')
    throw new Error('on Windows the build needs cmake-js (it makes node.lib); install it with `npm install -D cmake-js`');
  const args = ['-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_JS_INC=${nodeInclude}`];
  // Node-API symbols resolve against the node executable at load time, as cmake-js's toolset sets.
  if (platform === 'darwin') args.push('-DCMAKE_SHARED_LINKER_FLAGS=-undefined dynamic_lookup');
  return args;
}

/** Builds build/Release/densenode.node; throws with a one-line reason (the full output is in build/build.log). */
function buildFromSource() {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, '');
  const cmakeJsArgs = ['compile', '--out', 'build'];
  let cmakeJs = null;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {}
  if (cmakeJs) return run(process.execPath, [cmakeJs, ...cmakeJsArgs]);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    return run(npm, ['exec', '--yes', `--package=cmake-js@${cmakeJsRange()}`, '--', 'cmake-js', ...cmakeJsArgs]);
  } catch (error) {
    if (process.platform === 'win32') throw error;
    fs.appendFileSync(log, `(cmake-js unavailable: ${error.message}; plain cmake instead)\n`);
  }
  const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node');
  if (!fs.existsSync(path.join(nodeInclude, 'node_api.h')))
    throw new Error(`cmake-js could not run and there are no Node-API headers in ${nodeInclude}`);
  run('cmake', plainCmakeArgs(process.platform, nodeInclude));
  run('cmake', ['--build', 'build', '--config', 'Release']);
}

module.exports = { root, log, buildFromSource, plainCmakeArgs };
