#!/usr/bin/env node
// `npm run prebuild [-- --cross arm64]`: builds the addon and writes it,
// stripped, where node-gyp-build looks:
// prebuilds/<platform>-<arch>/densenode.napi[.glibc|.musl].node — the names and
// tags prebuildify would write. prebuildify itself always runs node-gyp, which
// cannot drive this CMake build (docs/decisions.md). The host build uses
// cmake-js (in build-prebuild/, so a local build/ is never touched); --cross
// arm64 uses plain cmake with Debian's g++-aarch64-linux-gnu and the
// architecture-independent Node-API headers of the node-api-headers package.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cross = process.argv.includes('--cross') ? process.argv[process.argv.indexOf('--cross') + 1] : null;
if (cross !== null && cross !== 'arm64') {
  console.error(`prebuild: expected 'arm64' after --cross, received '${cross}'`);
  process.exit(2);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`prebuild: ${command} ${args.join(' ')} failed`);
    process.exit(1);
  }
}

// glibc and musl binaries differ on Linux; an untagged file would match either.
function libcTag() {
  if (process.platform !== 'linux') return '';
  const report = process.report?.getReport();
  return report?.header?.glibcVersionRuntime ? '.glibc' : '.musl';
}

let built;
let arch = process.arch;
let strip = 'strip';
if (cross === 'arm64') {
  const out = join(root, 'build-prebuild-arm64');
  const headers = join(dirname(fileURLToPath(import.meta.resolve('node-api-headers/package.json'))), 'include');
  run('cmake', [
    '-S',
    root,
    '-B',
    out,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DCMAKE_SYSTEM_NAME=Linux',
    '-DCMAKE_SYSTEM_PROCESSOR=aarch64',
    '-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++',
    `-DCMAKE_JS_INC=${headers}`,
  ]);
  run('cmake', ['--build', out, '--config', 'Release']);
  built = join(out, 'Release', 'densenode.node');
  arch = 'arm64';
  strip = 'aarch64-linux-gnu-strip';
} else {
  const out = join(root, 'build-prebuild');
  run(process.execPath, [join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', out]);
  built = join(out, 'Release', 'densenode.node');
}
const dir = join(root, 'prebuilds', `${process.platform}-${arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, `densenode.napi${libcTag()}.node`);
copyFileSync(built, target);
if (process.platform !== 'win32') run(strip, ['--strip-unneeded', target]);
console.log(`prebuild: ${target} (${Math.round(statSync(target).size / 1024)} KiB)`);
