#!/usr/bin/env node
// `npm run prebuilds [-- --cross arm64] [-- --old-glibc | --host-toolchain]`: builds the addon
// and writes it, stripped, where node-gyp-build looks:
// prebuilds/<platform>-<arch>/densenode.napi[.glibc|.musl].node — the names and
// tags prebuildify would write. prebuildify itself always runs node-gyp, which
// cannot drive this CMake build (docs/decisions.md).
//
// On Linux the prebuilds are built in the Debian 11 root that scripts/sysroot.sh makes
// (--old-glibc; the default when that root exists): bullseye's g++ 10 and its aarch64 cross
// g++, with -DDENSENODE_OLD_GLIBC=ON, so the file needs glibc 2.28 and no libstdc++
// (checked below with readelf before it is written). --host-toolchain, or a missing root,
// builds with this machine's compilers as before: cmake-js for the host (in
// build-prebuild/, so a local build/ is never touched), plain cmake with Debian's
// g++-aarch64-linux-gnu for --cross arm64; that file needs this machine's glibc and libstdc++.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const cross = args.includes('--cross') ? args[args.indexOf('--cross') + 1] : null;
if (cross !== null && cross !== 'arm64') {
  console.error(`prebuild: expected 'arm64' after --cross, received '${cross}'`);
  process.exit(2);
}
for (const arg of args) {
  if (arg !== '--cross' && arg !== cross && arg !== '--old-glibc' && arg !== '--host-toolchain') {
    console.error(`prebuild: unknown argument '${arg}' (expected --cross arm64, --old-glibc, --host-toolchain)`);
    process.exit(2);
  }
}
if (args.includes('--old-glibc') && args.includes('--host-toolchain')) {
  console.error('prebuild: --old-glibc and --host-toolchain exclude each other');
  process.exit(2);
}
const sysroot = process.env.DENSENODE_SYSROOT ?? join(homedir(), '.cache', 'densenode', 'bullseye-build');
const MAKE_SYSROOT = `make it with \`sudo bash scripts/sysroot.sh ${sysroot}\` (Debian 11 via debootstrap, about 1.2 GB)`;

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`prebuild: ${command} ${commandArgs.join(' ')} failed`);
    process.exit(1);
  }
  return result;
}

// glibc and musl binaries differ on Linux; an untagged file would match either.
function libcTag() {
  if (process.platform !== 'linux') return '';
  const report = process.report?.getReport();
  return report?.header?.glibcVersionRuntime ? '.glibc' : '.musl';
}

function oldGlibcWanted() {
  if (process.platform !== 'linux' || args.includes('--host-toolchain')) return false;
  if (existsSync(join(sysroot, '.densenode-ready'))) return true;
  if (args.includes('--old-glibc')) {
    console.error(`prebuild: --old-glibc needs the build root ${sysroot}, which is missing; ${MAKE_SYSROOT}`);
    process.exit(1);
  }
  console.error(
    `prebuild: warning: no build root at ${sysroot}, so this prebuild needs this machine's glibc and libstdc++ ` +
      `(it will not load on older Linux); ${MAKE_SYSROOT}, or pass --host-toolchain to silence this`,
  );
  return false;
}

const nodeApiHeaders = join(dirname(fileURLToPath(import.meta.resolve('node-api-headers/package.json'))), 'include');

/** Builds in the Debian 11 root: the sources are copied in (the build dirs stay there, so rebuilds are incremental). */
function buildInSysroot(arch) {
  if (process.getuid?.() !== 0) {
    console.error(`prebuild: --old-glibc builds in a chroot (${sysroot}) and needs root`);
    process.exit(1);
  }
  const src = join(sysroot, 'src', 'densenode');
  rmSync(join(sysroot, 'src'), { recursive: true, force: true });
  mkdirSync(join(src, 'scripts'), { recursive: true });
  cpSync(join(root, 'CMakeLists.txt'), join(src, 'CMakeLists.txt'), { preserveTimestamps: true });
  cpSync(join(root, 'native'), join(src, 'native'), { recursive: true, preserveTimestamps: true });
  cpSync(join(root, 'scripts', 'glibc-2.28.h'), join(src, 'scripts', 'glibc-2.28.h'), { preserveTimestamps: true });
  const addonApi = realpathSync(dirname(fileURLToPath(import.meta.resolve('node-addon-api/package.json'))));
  cpSync(addonApi, join(src, 'node_modules', 'node-addon-api'), { recursive: true, preserveTimestamps: true });
  cpSync(nodeApiHeaders, join(sysroot, 'src', 'node-api-headers'), { recursive: true, preserveTimestamps: true });
  // CMakeLists.txt asks node where node-addon-api is; this Node needs glibc 2.28, so it runs there.
  const chrootNode = join(sysroot, 'usr', 'local', 'bin', 'node');
  if (!existsSync(chrootNode) || statSync(chrootNode).size !== statSync(process.execPath).size) {
    mkdirSync(dirname(chrootNode), { recursive: true });
    copyFileSync(process.execPath, chrootNode);
  }
  const out = `/build/${arch}`;
  const crossFlags =
    arch === 'arm64' ? ['-DCMAKE_SYSTEM_NAME=Linux', '-DCMAKE_SYSTEM_PROCESSOR=aarch64', '-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++'] : [];
  const inRoot = (command) => run('chroot', [sysroot, '/usr/bin/env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/root', ...command]);
  inRoot([
    'cmake',
    '-S',
    '/src/densenode',
    '-B',
    out,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DDENSENODE_OLD_GLIBC=ON',
    '-DCMAKE_JS_INC=/src/node-api-headers',
    ...crossFlags,
  ]);
  inRoot(['cmake', '--build', out, '--target', 'densenode']);
  // Stripped there: the root's binutils do not run on the host.
  const strip = arch === 'arm64' ? 'aarch64-linux-gnu-strip' : 'strip';
  inRoot([strip, '--strip-unneeded', '-o', `${out}/densenode.stripped.node`, `${out}/Release/densenode.node`]);
  return join(sysroot, out.slice(1), 'densenode.stripped.node');
}

const compare = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** The old-glibc promise, from the file's version needs (what the loader checks): glibc <= 2.28, no libstdc++. */
function checkOldGlibc(file) {
  const dynamic = run('readelf', ['--dynamic', '--version-info', '-W', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const text = dynamic.stdout.toString();
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const versions = [...new Set([...text.matchAll(/Name: ((?:GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+)/g)].map((m) => m[1]))];
  const glibc = versions.filter((v) => v.startsWith('GLIBC_')).map((v) => v.slice(6));
  const newest = glibc.sort(compare).at(-1) ?? 'none';
  const bad = [
    ...needed.filter((lib) => !/^(libc|libm|libpthread|libdl|ld-linux[^.]*)\.so/.test(lib)).map((lib) => `needs ${lib}`),
    ...glibc.filter((v) => compare(v, '2.28') > 0).map((v) => `needs GLIBC_${v}`),
    ...versions.filter((v) => !v.startsWith('GLIBC_')).map((v) => `needs ${v}`),
  ];
  if (bad.length > 0) {
    console.error(`prebuild: ${file} breaks the old-glibc promise: ${bad.join(', ')}`);
    process.exit(1);
  }
  console.log(`prebuild: needs ${needed.join(', ')}; newest symbol version GLIBC_${newest}, no libstdc++`);
}

let built;
let arch = process.arch;
let strip = 'strip';
const oldGlibc = oldGlibcWanted();
if (cross === 'arm64') {
  arch = 'arm64';
  strip = 'aarch64-linux-gnu-strip';
}
if (oldGlibc) {
  built = buildInSysroot(arch);
} else if (cross === 'arm64') {
  const out = join(root, 'build-prebuild-arm64');
  run('cmake', [
    '-S',
    root,
    '-B',
    out,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DCMAKE_SYSTEM_NAME=Linux',
    '-DCMAKE_SYSTEM_PROCESSOR=aarch64',
    '-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++',
    `-DCMAKE_JS_INC=${nodeApiHeaders}`,
  ]);
  run('cmake', ['--build', out, '--config', 'Release']);
  built = join(out, 'Release', 'densenode.node');
} else {
  const out = join(root, 'build-prebuild');
  run(process.execPath, [join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', out]);
  built = join(out, 'Release', 'densenode.node');
}
const dir = join(root, 'prebuilds', `${process.platform}-${arch}`);
mkdirSync(dir, { recursive: true });
const target = join(dir, `densenode.napi${libcTag()}.node`);
if (oldGlibc) checkOldGlibc(built);
copyFileSync(built, target);
// Apple's strip has no --strip-unneeded; -x drops the local symbols, the same effect on a bundle.
if (process.platform === 'darwin') run('strip', ['-x', target]);
else if (process.platform !== 'win32' && !oldGlibc) run(strip, ['--strip-unneeded', target]);
console.log(`prebuild: ${target} (${Math.round(statSync(target).size / 1024)} KiB)`);
