#!/usr/bin/env bash
# Prebuilds on CPUs and architectures this machine is not:
# 1. the linux-x64 prebuild under qemu-x86_64 CPU models without AVX-512
#    (Haswell: the AVX2 kernels) and without AVX (Nehalem: the portable ones);
# 2. the linux-arm64 prebuild, cross-compiled and tested under qemu-user, from
# Debian packages only: g++-aarch64-linux-gnu and qemu-user for the build and
# the C++ kernel tests, and Debian's arm64 Node (18.20, unpacked into a sysroot,
# not installed) for a Node-level check: load the prebuild, train the built-in
# data, compare with x64. Debian's arm64 Node is 18, and vitest 4 needs Node 20,
# so the vitest suite itself does not run there.  Usage: bash scripts/platform-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TMPDIR:-/tmp}/densenode-arm64
mkdir -p "$work"

need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}"; fi

node scripts/prebuild.mjs
for cpu in Haswell:avx2 Nehalem:portable; do
  echo "== linux-x64 prebuild under qemu-x86_64 -cpu ${cpu%%:*}"
  qemu-x86_64 -cpu "${cpu%%:*}" "$(command -v node)" -e "
    const b = require('./prebuilds/linux-x64/densenode.napi.glibc.node');
    const n = 67, A = new Float32Array(n * n).fill(0.5), B = new Float32Array(n * n).fill(0.25), C = new Float32Array(n * n);
    b.gemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n, null, false);
    const ok = b.info().isa === '${cpu##*:}' && C.every((v) => v === n / 8);
    console.log((ok ? 'ok ' : 'FAILED ') + b.info().isa + ', C = ' + C[0]);
    process.exit(ok ? 0 : 1);" 2>/dev/null
done

node scripts/prebuild.mjs --cross arm64
# The C++ kernel tests, cross-built with this machine's g++ (the prebuild may come from the
# Debian 11 root of scripts/sysroot.sh, which has no build-prebuild-arm64/).
cmake -S . -B build-prebuild-arm64 -DCMAKE_BUILD_TYPE=Release -DCMAKE_SYSTEM_NAME=Linux \
  -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ >/dev/null
cmake --build build-prebuild-arm64 --target densenode_native_tests
# Each ISA of the arm64 ladder (portable, neon); the GEMM test takes ~4.5 min per ISA under qemu.
for isa in portable neon; do
  for test in densenode_gemm_test densenode_kernels_test; do
    echo "== $test, DENSENODE_ISA=$isa, under qemu-aarch64"
    DENSENODE_ISA=$isa qemu-aarch64 -L /usr/aarch64-linux-gnu "build-prebuild-arm64/$test" | tail -1
  done
done

# An arm64 Node from Debian's packages, unpacked into a sysroot for qemu.
root="$work/sysroot"
if [ ! -x "$root/usr/bin/node" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  mkdir -p "$work/debs" "$root"
  (cd "$work/debs" && apt-get download -qq nodejs:arm64 libnode108:arm64 libc-ares2:arm64 libicu72:arm64 \
    libuv1:arm64 libbrotli1:arm64 libnghttp2-14:arm64 libssl3:arm64 zlib1g:arm64 libc6:arm64 \
    libstdc++6:arm64 libgcc-s1:arm64 node-acorn node-cjs-module-lexer node-undici node-busboy)
  for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$root"; done
fi

# A package folder with only the arm64 prebuild (a local x64 build/ would shadow it).
pkg="$work/package"
rm -rf "$pkg" && mkdir -p "$pkg/prebuilds"
cp -r package.json dist data "$pkg/"
cp -r prebuilds/linux-arm64 "$pkg/prebuilds/"
ln -s "$PWD/node_modules" "$pkg/node_modules"
cat > "$pkg/smoke.mjs" <<'JS'
const dn = await import('./dist/index.js');
const data = dn.breastCancer();
const net = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.1, l2: 1e-3, optimizer: dn.adam({ learningRate: 0.01 }), seed: 1 });
await net.fit(data.xTrain, data.yTrain, { epochs: 30, batchSize: 32 });
console.log(JSON.stringify({ arch: process.arch, node: process.version, ...dn.backendInfo(), accuracy: net.evaluate(data.xTest, data.yTest).accuracy }));
JS
# Node 18 has no zlib.crc32 (20.15+), which dist/data/shard-cache.js imports: a loader hands
# that import a module with the same exports plus a table-driven crc32 (unused by the smoke run).
cat > "$pkg/zlib-shim.mjs" <<'JS'
import zlib from 'node:zlib';
export * from 'node:zlib';
export default zlib;
const table = new Int32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c; });
export function crc32(bytes, value = 0) { let c = ~value; for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8); return ~c >>> 0; }
JS
cat > "$pkg/loader.mjs" <<'JS'
export async function resolve(spec, ctx, next) {
  if (spec === 'node:zlib' && !ctx.parentURL?.endsWith('zlib-shim.mjs')) return { url: new URL('./zlib-shim.mjs', import.meta.url).href, shortCircuit: true };
  return next(spec, ctx);
}
JS
echo "== arm64 Node under qemu-aarch64"
arm=$(cd "$pkg" && DENSENODE_BACKEND=native qemu-aarch64 -L "$root" "$root/usr/bin/node" --no-warnings --experimental-loader ./loader.mjs smoke.mjs)
echo "$arm"
x64=$(cd "$pkg" && DENSENODE_BACKEND=js node smoke.mjs 2>/dev/null)
echo "$x64"
node -e "const [a, b] = process.argv.slice(1).map(JSON.parse);
  if (a.arch !== 'arm64' || a.name !== 'native' || a.isa !== 'neon' || a.accuracy !== b.accuracy) { console.log('arm64: FAILED'); process.exit(1); }
  console.log('arm64: the prebuild loads natively, runs the neon kernels and trains to the same accuracy as x64 (' + a.accuracy + ')');" "$arm" "$x64"
