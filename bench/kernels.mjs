// Memory-bound kernels in GB/s: Adam over a 1M-parameter arena and batch-norm
// forward (training) and backward on [128, 256] and [1024, 1024], native on 1
// and all threads and the JS fallback, beside a plain copy's bandwidth
// (TypedArray.set, a memmove) of the same bytes measured in the same run.
import { jsBackend } from '../dist/backend/js/index.js';
import { selectBackend } from '../dist/backend/select.js';
import { printMachine, usableThreads } from './machine.mjs';
import { medianSeconds, randomFloats, writeResults } from './timing.mjs';

const machine = printMachine();
const native = selectBackend({ DENSENODE_BACKEND: 'native' }).backend;
const allThreads = usableThreads();
const budget = Number(process.env.BENCH_SECONDS ?? 1);

// Each case: the bytes the kernel must move at least, and a runner per backend.
function adamCase(count) {
  const p = randomFloats(count, 1);
  const g = randomFloats(count, 2);
  const m = new Float32Array(count);
  const v = new Float32Array(count);
  let step = 0;
  return {
    label: `adam ${count / 1e6}M params`,
    bytes: count * 4 * 7, // read p, g, m, v; write p, m, v
    run: (b) => b.adamUpdate(count, p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, ++step, 0, 0),
  };
}

function batchNormCases(batch, features) {
  const n = batch * features;
  const x = randomFloats(n, 3);
  const y = new Float32Array(n);
  const dy = randomFloats(n, 4);
  const dx = new Float32Array(n);
  const vec = () => randomFloats(features, features).map((v) => v + 1.5);
  const [gamma, beta, rm, rv, sm, si, dg, db] = Array.from({ length: 8 }, vec);
  return [
    {
      label: `bn forward [${batch},${features}]`,
      bytes: n * 4 * 2, // read x, write y
      run: (b) => b.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.99, rm, rv, sm, si, y, false),
    },
    {
      label: `bn backward [${batch},${features}]`,
      bytes: n * 4 * 3, // read x, dy; write dx
      run: (b) => b.batchNormBackward(batch, features, x, null, dy, gamma, sm, si, dx, dg, db),
    },
  ];
}

function copyBandwidth(bytes) {
  // Half the bytes read, half written, like the kernels.
  const n = Math.max(1, Math.round(bytes / 8));
  const from = randomFloats(n, 5);
  const to = new Float32Array(n);
  return bytes / medianSeconds(() => to.set(from), budget) / 1e9;
}

const cases = [adamCase(1_000_000), ...batchNormCases(128, 256), ...batchNormCases(1024, 1024)];
const rows = [];
console.log(`kernels, GB/s (median of runs), ${allThreads} cores`);
console.log(
  [
    'kernel'.padEnd(26),
    'copy'.padStart(7),
    'nat 1T'.padStart(7),
    '%copy'.padStart(6),
    `nat ${allThreads}T`.padStart(7),
    '%copy'.padStart(6),
    'js'.padStart(6),
    'nat/js'.padStart(7),
  ].join(' '),
);
for (const c of cases) {
  const copy = copyBandwidth(c.bytes);
  native.setThreads(1);
  const one = c.bytes / medianSeconds(() => c.run(native), budget) / 1e9;
  native.setThreads(allThreads);
  const all = c.bytes / medianSeconds(() => c.run(native), budget) / 1e9;
  const js = c.bytes / medianSeconds(() => c.run(jsBackend), budget) / 1e9;
  rows.push({ kernel: c.label, bytes: c.bytes, copy, native1: one, nativeAll: all, js });
  const pct = (v) => `${Math.round((100 * v) / copy)}%`;
  console.log(
    [
      c.label.padEnd(26),
      copy.toFixed(1).padStart(7),
      one.toFixed(1).padStart(7),
      pct(one).padStart(6),
      all.toFixed(1).padStart(7),
      pct(all).padStart(6),
      js.toFixed(2).padStart(6),
      `${(Math.max(one, all) / js).toFixed(0)}x`.padStart(7),
    ].join(' '),
  );
}
console.log(`wrote ${writeResults('kernels', { machine, threads: allThreads, rows })}`);
