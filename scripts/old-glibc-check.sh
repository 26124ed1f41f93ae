#!/usr/bin/env bash
# The Linux prebuilds on an older userland. linux-x64: a Debian 11 (bullseye, glibc 2.31) root
# made with debootstrap (minbase: no compiler, GCC 10's libstdc++), cached in
# ${DENSENODE_CHECK_ROOT:-~/.cache/densenode/bullseye-check}. Into it go this machine's Node
# binary (process.execPath: it needs glibc 2.28 and GLIBCXX_3.4.21, so it runs there), the
# package's dist/ and data/, its production dependencies and only prebuilds/linux-x64 (no
# build/). In a chroot, with DENSENODE_BACKEND=native, dist/ must pick the prebuild, report
# the native backend and train the built-in data. As a control, the local build/Release
# addon (this machine's g++ 12 and glibc) must fail to load there, so the check can fail.
# Debian 10 (glibc 2.28 itself) is no longer on the Debian mirror this machine reaches; that
# the file asks for nothing above GLIBC_2.28 is checked from its version needs instead.
#
# linux-arm64 (when prebuilt): see below.
# Usage: sudo bash scripts/old-glibc-check.sh   (after `node scripts/prebuild.mjs --old-glibc [--cross arm64]`)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${DENSENODE_CHECK_ROOT:-$HOME/.cache/densenode/bullseye-check}
prebuild=prebuilds/linux-x64/densenode.napi.glibc.node
[ -f "$prebuild" ] || { echo "old-glibc-check: no $prebuild; run node scripts/prebuild.mjs --old-glibc" >&2; exit 1; }

# The mirror the host's apt already uses (deb822 or one-line sources), else debootstrap's default.
mirror=$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+/debian/?$' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE '[a-z]+://[^[:space:]]+' | head -1 || true)
if [ ! -f "$root/.densenode-ready" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
  rm -rf "$root" && mkdir -p "$root"
  debootstrap --variant=minbase --arch=amd64 bullseye "$root" ${mirror:+"$mirror"} >"$root.log" 2>&1 ||
    { tail -20 "$root.log"; exit 1; }
  touch "$root/.densenode-ready"
fi

echo "== root: $root: Debian $(cat "$root/etc/debian_version"), $(chroot "$root" ldd --version | head -1)"
max() { objdump -T "$1" | grep -oE "\($2_[0-9.]+\)" | tr -d '()' | sort -uV | tail -1 | grep . || echo none; }
echo "== $prebuild: newest GLIBC version $(max "$prebuild" GLIBC), newest GLIBCXX $(max "$prebuild" GLIBCXX);" \
  "needs $(objdump -p "$prebuild" | awk '/NEEDED/ {printf "%s ", $2}')"

npx tsc -p tsconfig.build.json
pkg="$root/opt/densenode"
rm -rf "$pkg" && mkdir -p "$pkg/prebuilds" "$pkg/node_modules"
cp -r package.json dist data "$pkg/"
cp -r prebuilds/linux-x64 "$pkg/prebuilds/"
# The production dependencies, as `npm ls` resolves them, copied (a symlink would point outside the root).
npm ls --omit=dev --all --parseable 2>/dev/null | grep "/node_modules/" | while read -r dir; do
  rel=${dir#"$PWD/"}
  mkdir -p "$pkg/$(dirname "$rel")"
  [ -e "$pkg/$rel" ] || cp -rL "$dir" "$pkg/$rel"
done
mkdir -p "$root/usr/local/bin"
cp "$(node -p process.execPath)" "$root/usr/local/bin/node"
cat >"$pkg/smoke.mjs" <<'JS'
import assert from 'node:assert/strict';
const dn = await import('./dist/index.js');
const info = dn.backendInfo();
assert.equal(info.name, 'native', `backend ${info.name}: ${info.reason}`);
assert.match(info.reason ?? '', /prebuilds\/linux-x64\/densenode\.napi\.glibc\.node/);
const data = dn.breastCancer();
const net = dn.mlp([30, 16, 8, 1], { batchNorm: true, optimizer: dn.adam({ learningRate: 0.01 }), seed: 1 });
await net.fit(data.xTrain, data.yTrain, { epochs: 20, batchSize: 32 });
const { accuracy } = net.evaluate(data.xTest, data.yTest);
assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);
console.log(JSON.stringify({ node: process.version, ...info, accuracy }));
JS
inroot() { chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root "$@"; }

echo "== in the root: load the prebuild through dist/ and train (DENSENODE_BACKEND=native)"
inroot DENSENODE_BACKEND=native sh -c 'cd /opt/densenode && node smoke.mjs'

if [ -f build/Release/densenode.node ]; then
  echo "== control: build/Release/densenode.node (newest GLIBC $(max build/Release/densenode.node GLIBC)) must not load there"
  cp build/Release/densenode.node "$pkg/control.node"
  if out=$(inroot node -e "require('/opt/densenode/control.node')" 2>&1); then
    echo "old-glibc-check: FAILED: the control loaded, so the root is not older than this machine"
    exit 1
  fi
  echo "refused as expected: $(echo "$out" | grep -oE "version \`[^']+' not found[^)]*\)" | head -1)"
fi

# linux-arm64: a Debian 11 arm64 root, unpacked only (debootstrap --foreign, then dpkg -x of
# what it fetched), run under qemu-aarch64. Its Node is bullseye's 12.22 (Node-API 8, but too
# old for dist/), so this loads the prebuild itself and checks a GEMM and ten Adam steps
# against the x64 prebuild's, bit for bit.
arm="$root-arm64"
arm_prebuild=prebuilds/linux-arm64/densenode.napi.glibc.node
if [ -f "$arm_prebuild" ]; then
  command -v qemu-aarch64 >/dev/null || { apt-get update -qq && apt-get install -y -qq qemu-user; }
  if [ ! -f "$arm/.densenode-ready" ]; then
    rm -rf "$arm" && mkdir -p "$arm"
    debootstrap --foreign --variant=minbase --arch=arm64 --include=nodejs bullseye "$arm" ${mirror:+"$mirror"} \
      >"$arm.log" 2>&1 || { tail -20 "$arm.log"; exit 1; }
    for deb in "$arm"/var/cache/apt/archives/*.deb; do dpkg -x "$deb" "$arm"; done
    touch "$arm/.densenode-ready"
  fi
  echo "== arm64 root: $arm: $(qemu-aarch64 -L "$arm" "$arm/usr/bin/getconf" GNU_LIBC_VERSION)"
  echo "== $arm_prebuild: newest GLIBC version $(max "$arm_prebuild" GLIBC), newest GLIBCXX $(max "$arm_prebuild" GLIBCXX)"
  cat >"$pkg/kernels.cjs" <<'JS'
const b = require(process.argv[process.argv.length - 1]);
const n = 67, A = new Float32Array(n * n).fill(0.5), B = new Float32Array(n * n).fill(0.25), C = new Float32Array(n * n);
b.gemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n, null, false);
const k = 1000, p = new Float32Array(k), g = new Float32Array(k), m = new Float32Array(k), v = new Float32Array(k);
for (let i = 0; i < k; i++) { p[i] = Math.sin(i); g[i] = Math.cos(i * 0.7) * 0.1; }
for (let s = 1; s <= 10; s++) b.adamUpdate(k, p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, s, 0, 0);
let h = 0;
for (const x of new Uint32Array(p.buffer)) h = (Math.imul(h, 31) + x) >>> 0;
console.log(JSON.stringify({ node: process.version, arch: process.arch, isa: b.info().isa, gemm: C.every((x) => x === n / 8), adamHash: h }));
JS
  a=$(qemu-aarch64 -L "$arm" "$arm/usr/bin/nodejs" "$pkg/kernels.cjs" "$PWD/$arm_prebuild")
  x=$(node "$pkg/kernels.cjs" "$PWD/$prebuild")
  echo "$a"
  node -e "const [a, x] = process.argv.slice(1).map(JSON.parse);
    if (a.arch !== 'arm64' || !a.gemm || a.adamHash !== x.adamHash) { console.log('arm64: FAILED against x64', x); process.exit(1); }
    console.log('arm64: loads under glibc 2.31, GEMM right, Adam bit-identical to x64');" "$a" "$x"
fi
echo "old-glibc-check: ok"
