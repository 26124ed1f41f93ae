#!/usr/bin/env node
// `npm run bench -- <name>`: runs one benchmark (or all), each printing a table
// and writing bench/results/<name>.json. Benchmarks never assert a time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = { gemm: 'gemm.mjs', kernels: 'kernels.mjs', train: 'train.mjs' };
const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(benches);
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
  const result = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  status ||= result.status ?? 1;
}
process.exit(status);
