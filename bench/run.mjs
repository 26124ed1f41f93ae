#!/usr/bin/env node
// `npm run bench -- <name>`: runs one benchmark (or the default set: gemm, kernels, train and
// tabular; peers takes ~15 minutes, stream and predict run when named), each printing the machine
// (bench/machine.mjs), then a table, and writing bench/results/<name>.json. Benchmarks never assert a time.
// Flags (--…, with their values) are passed on to each benchmark, e.g. `npm run bench -- peers --update-readme`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = {
  gemm: 'gemm.mjs',
  kernels: 'kernels.mjs',
  train: 'train.mjs',
  tabular: 'tabular-prep.mjs',
  peers: 'peers.mjs',
  stream: 'stream.mjs',
  predict: 'predict.mjs',
};
const args = process.argv.slice(2);
// Names first, then flags and their values (`stream --file big.csv`), passed on as they are.
const firstFlag = args.findIndex((a) => a.startsWith('--'));
const wanted = firstFlag < 0 ? args : args.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : args.slice(firstFlag);
const names = wanted.length > 0 ? wanted : ['gemm', 'kernels', 'train', 'tabular'];
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
let status = 0;
for (const name of names) {
  const file = benches[name];
  if (!file) {
    console.error(`bench: unknown benchmark '${name}'; choose from ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, [join(here, file), ...flags], { stdio: 'inherit' });
  status ||= result.status ?? 1;
}
process.exit(status);
