#!/usr/bin/env node
// `npm run prebuild`: builds the addon with cmake-js (in build-prebuild/, so a
// local build/ is never touched) and writes it, stripped, where node-gyp-build
// looks: prebuilds/<platform>-<arch>/densenode.napi[.glibc|.musl].node — the
// names and tags prebuildify would write. prebuildify itself always runs
// node-gyp, which cannot drive this CMake build (docs/decisions.md).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build-prebuild');

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

run(process.execPath, [join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', out]);
const built = join(out, 'Release', 'densenode.node');
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, `densenode.napi${libcTag()}.node`);
copyFileSync(built, target);
if (process.platform !== 'win32') run('strip', ['--strip-unneeded', target]);
console.log(`prebuild: ${target} (${Math.round(statSync(target).size / 1024)} KiB)`);
