#!/usr/bin/env node
// `npm run lint` part for C++: every file under native/, bench/ and fuzz/ must be
// clang-formatted (.clang-format). `--fix` rewrites them in place.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const fix = process.argv.includes('--fix');
const files = [];
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (/\.(cc|h)$/.test(entry.name)) files.push(path);
  }
}
for (const dir of ['native', 'bench', 'fuzz']) walk(dir);
const bin = 'node_modules/clang-format/index.js';
const args = fix ? ['-i', ...files] : ['--dry-run', '--Werror', ...files];
const result = spawnSync(process.execPath, [bin, '--style=file', ...args], { stdio: 'inherit' });
if (result.status !== 0) console.error('clang-format: run `node scripts/clang-format-check.mjs --fix`');
process.exit(result.status ?? 1);
