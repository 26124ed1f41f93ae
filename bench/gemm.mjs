// GEMM throughput in GFLOP/s: native on 1 thread and on all threads, the JS
// fallback and (when installed) OpenBLAS, on square products and the shapes of
// MLP training, with every figure also as a ratio to OpenBLAS and native's as a share of the
// machine's FMA peak on the same thread count.
import { cpus } from 'node:os';
import { jsBackend } from '../dist/backend/js/index.js';
import { selectBackend } from '../dist/backend/select.js';
import { peakFor, printMachine } from './machine.mjs';
import { buildOpenBlas, runOpenBlas } from './openblas.mjs';
import { median, medianSeconds, randomFloats, writeResults } from './timing.mjs';

const machine = printMachine();
const native = selectBackend({ DENSENODE_BACKEND: 'native' }).backend;
const allThreads = cpus().length;
const budget = Number(process.env.BENCH_SECONDS ?? 1);

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
  shapes.push([`fwd X·W   ${inputs}→${outputs}`, false, false, batch, outputs, inputs]);
  shapes.push([`dW  Xᵀ·dZ ${inputs}→${outputs}`, true, false, inputs, outputs, batch]);
  shapes.push([`dX  dZ·Wᵀ ${inputs}→${outputs}`, false, true, batch, inputs, outputs]);
}

function gflops(backend, [, transA, transB, m, n, k], seconds) {
  const A = randomFloats(m * k, 1);
  const B = randomFloats(k * n, 2);
  const C = new Float32Array(m * n);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const time = medianSeconds(() => backend.gemm(transA, transB, m, n, k, 1, A, lda, B, ldb, 0, C, n), seconds);
  return (2 * m * n * k) / time / 1e9;
}

const openblas = buildOpenBlas();
const dims = shapes.map(([, ...rest]) => rest);
// Passes alternate OpenBLAS and native, each with a share of the budget, so that a slow phase of
// a shared machine slows both alike; figures are medians over passes, ratios medians of the
// per-pass ratios.
const passes = Math.max(1, Number(process.env.BENCH_PASSES ?? 3));
const perPass = { blas1: [], nat1: [], blasAll: [], natAll: [] };
let corename = null;
for (let pass = 0; pass < passes; pass++) {
  for (const [threads, blasKey, natKey] of [
    [1, 'blas1', 'nat1'],
    [allThreads, 'blasAll', 'natAll'],
  ]) {
    if (openblas.binary) {
      const run = runOpenBlas(threads, budget / passes, dims);
      corename = run.corename;
      perPass[blasKey].push(run.gflops);
    }
    native.setThreads(threads);
    perPass[natKey].push(shapes.map((shape) => gflops(native, shape, budget / passes)));
  }
}
const across = (key, index) => (perPass[key].length === 0 ? null : median(perPass[key].map((run) => run[index])));
const ratioAcross = (natKey, blasKey, index) =>
  perPass[blasKey].length === 0 ? null : median(perPass[natKey].map((run, p) => run[index] / perPass[blasKey][p][index]));

const rows = [];
const fmt = (v, digits = 1) => (v == null ? '-' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null ? '-' : `${(a / b).toFixed(2)}x`);
const times = (r) => (r == null ? '-' : `${r.toFixed(2)}x`);
const peak1 = peakFor(machine, 1);
const peakAll = peakFor(machine, allThreads);
const share = (gflops, peak) => (peak == null ? null : (100 * gflops) / peak);
const percent = (v) => (v == null ? '-' : `${v.toFixed(0)}%`);
console.log(
  `gemm, GFLOP/s (medians over ${passes} passes alternating OpenBLAS and native), native isa ${native.info().isa}, ${allThreads} cores`,
);
console.log(openblas.binary ? `OpenBLAS core: ${corename}` : openblas.error);
console.log(
  [
    'shape'.padEnd(22),
    'nat 1T'.padStart(7),
    'peak'.padStart(5),
    'BLAS 1T'.padStart(8),
    'ratio'.padStart(6),
    `nat ${allThreads}T`.padStart(7),
    'peak'.padStart(5),
    `BLAS ${allThreads}T`.padStart(8),
    'ratio'.padStart(6),
    'js'.padStart(6),
    'nat/js'.padStart(7),
    `${allThreads}T/1T`.padStart(6),
  ].join(' '),
);
shapes.forEach((shape, index) => {
  const [label, , , m, n, k] = shape;
  const one = across('nat1', index);
  const all = across('natAll', index);
  // The JS fallback at 2048³ takes seconds a run; its 1024³ figure stands for it.
  const js = m * n * k > 1.1e9 ? null : gflops(jsBackend, shape, budget);
  const b1 = across('blas1', index);
  const bAll = across('blasAll', index);
  const ratio1 = ratioAcross('nat1', 'blas1', index);
  const ratioAll = ratioAcross('natAll', 'blasAll', index);
  const peakShare1 = share(one, peak1);
  const peakShareAll = share(all, peakAll);
  rows.push({
    shape: label,
    m,
    n,
    k,
    native1: one,
    nativeAll: all,
    peakShare1,
    peakShareAll,
    js,
    openblas1: b1,
    openblasAll: bAll,
    ratio1,
    ratioAll,
  });
  console.log(
    [
      label.padEnd(22),
      fmt(one).padStart(7),
      percent(peakShare1).padStart(5),
      fmt(b1).padStart(8),
      times(ratio1).padStart(6),
      fmt(all).padStart(7),
      percent(peakShareAll).padStart(5),
      fmt(bAll).padStart(8),
      times(ratioAll).padStart(6),
      fmt(js, 2).padStart(6),
      (js == null ? '-' : `${(all / js).toFixed(0)}x`).padStart(7),
      ratio(all, one).padStart(6),
    ].join(' '),
  );
});
const file = writeResults('gemm', { machine, isa: native.info().isa, threads: allThreads, openblas: corename, passes, rows });
console.log('peak: the native figure to its left as a % of the FMA peak on the same thread count (peakShare1/All in the JSON)');
console.log(`wrote ${file}`);
