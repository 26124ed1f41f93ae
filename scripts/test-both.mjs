#!/usr/bin/env node
// `npm test`: the whole suite once on the native backend (forced, so a broken
// build fails the run) and once on DENSENODE_BACKEND=js, then one summary line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const extra = process.argv.slice(2);
mkdirSync('build', { recursive: true });
let passed = 0;
let failed = 0;
let ok = true;
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
