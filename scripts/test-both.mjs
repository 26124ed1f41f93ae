#!/usr/bin/env node
// `npm test`: the C++ kernel tests once per ISA the CPU has, the whole vitest
// suite once on the native backend (forced, so a broken build fails the run)
// and once on DENSENODE_BACKEND=js, then one summary line over all of it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const extra = process.argv.slice(2);
mkdirSync('build', { recursive: true });
let passed = 0;
let failed = 0;
let ok = true;

// A C++ test binary prints "N passed, M failed" as its last line.
function runNativeTest(label, binary, env) {
  const run = spawnSync(join('build', binary), [], { encoding: 'utf8', env: { ...process.env, ...env } });
  const summary = /(\d+) passed, (\d+) failed/.exec(run.stdout ?? '');
  console.log(`${label}: ${summary ? summary[0] : `no summary (exit ${run.status})`}`);
  if (run.status !== 0) process.stdout.write((run.stdout ?? '') + (run.stderr ?? ''));
  passed += summary ? Number(summary[1]) : 0;
  failed += summary ? Number(summary[2]) : 1;
  ok &&= run.status === 0;
}

console.log('=== native kernel tests (C++): GEMM and layer kernels with each ISA forced in turn ===');
const built = spawnSync('cmake', ['--build', 'build', '--target', 'densenode_native_tests'], { stdio: 'inherit' });
ok &&= built.status === 0;
if (built.status === 0) {
  // A forced ISA above what the CPU has falls back to the best below it.
  for (const isa of process.arch === 'arm64' ? ['portable', 'neon'] : ['portable', 'avx2', 'avx512']) {
    runNativeTest(`native gemm ${isa}`, 'densenode_gemm_test', { DENSENODE_ISA: isa });
    runNativeTest(`native kernels ${isa}`, 'densenode_kernels_test', { DENSENODE_ISA: isa });
  }
}

for (const backend of ['native', 'js']) {
  console.log(`\n=== vitest, DENSENODE_BACKEND=${backend} ===`);
  const report = join('build', `vitest-${backend}.json`);
  const result = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
    { stdio: 'inherit', env: { ...process.env, DENSENODE_BACKEND: backend } },
  );
  ok &&= result.status === 0;
  try {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    passed += summary.numPassedTests;
    failed += summary.numFailedTests + (result.status === 0 ? 0 : summary.numFailedTests === 0 ? 1 : 0);
    console.log(`${backend}: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed`);
  } catch {
    failed += 1;
    console.log(`${backend}: no report (vitest exited with ${result.status})`);
  }
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);
