// GEMM throughput in GFLOP/s: native on 1 thread and on all threads, and the
// JS fallback, on square products and the shapes of MLP training.
import { cpus } from 'node:os';
import { jsBackend } from '../dist/backend/js/index.js';
import { selectBackend } from '../dist/backend/select.js';
import { medianSeconds, randomFloats, writeResults } from './timing.mjs';

const native = selectBackend({ DENSENODE_BACKEND: 'native' }).backend;
const allThreads = cpus().length;

// [label, transA, transB, m, n, k]
const shapes = [
  ['square 256', false, false, 256, 256, 256],
  ['square 512', false, false, 512, 512, 512],
  ['square 1024', false, false, 1024, 1024, 1024],
  ['square 2048', false, false, 2048, 2048, 2048],
];
const batch = 128;
for (const [inputs, outputs] of [
  [784, 256],
  [256, 128],
  [128, 10],
]) {
  shapes.push([`fwd  X·W   ${inputs}→${outputs}`, false, false, batch, outputs, inputs]);
  shapes.push([`dW   Xᵀ·dZ ${inputs}→${outputs}`, true, false, inputs, outputs, batch]);
  shapes.push([`dX   dZ·Wᵀ ${inputs}→${outputs}`, false, true, batch, inputs, outputs]);
}

function gflops(backend, [, transA, transB, m, n, k], budget) {
  const A = randomFloats(m * k, 1);
  const B = randomFloats(k * n, 2);
  const C = new Float32Array(m * n);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const seconds = medianSeconds(() => backend.gemm(transA, transB, m, n, k, 1, A, lda, B, ldb, 0, C, n), budget);
  return (2 * m * n * k) / seconds / 1e9;
}

const rows = [];
console.log(`gemm, GFLOP/s (median), native isa ${native.info().isa}, ${allThreads} cores`);
console.log(
  `${'shape'.padEnd(24)} ${'native 1T'.padStart(10)} ${`native ${allThreads}T`.padStart(10)} ${'js'.padStart(8)} ${'native/js'.padStart(10)}`,
);
for (const shape of shapes) {
  const [label, , , m, n, k] = shape;
  native.setThreads(1);
  const one = gflops(native, shape, 1);
  native.setThreads(allThreads);
  const all = gflops(native, shape, 1);
  // The JS fallback at 2048³ takes tens of seconds a run; one run is enough.
  const js = m * n * k > 1e9 ? null : gflops(jsBackend, shape, 2);
  rows.push({ shape: label, m, n, k, native1: one, nativeAll: all, js });
  const ratio = js ? (all / js).toFixed(1) : '-';
  console.log(
    `${label.padEnd(24)} ${one.toFixed(1).padStart(10)} ${all.toFixed(1).padStart(10)} ${(js ? js.toFixed(2) : '-').padStart(8)} ${ratio.padStart(10)}`,
  );
}
console.log(`wrote ${writeResults('gemm', { isa: native.info().isa, threads: allThreads, rows })}`);
