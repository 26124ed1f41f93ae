// Shared timing helpers for the benchmarks: medians of repeated runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The median of an array of numbers (the upper one of an even count). */
export function median(values) {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

/** Median seconds of `run`, repeated until about `budget` seconds have passed (at least 3 runs). */
export function medianSeconds(run, budget = 0.5) {
  run();
  const times = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budget * 1e3 && times.length < 51)) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1e3);
  }
  return median(times);
}

/** Deterministic floats in [-1, 1). */
export function randomFloats(length, seed) {
  const out = new Float32Array(length);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Writes bench/results/<name>.json. */
export function writeResults(name, data) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
