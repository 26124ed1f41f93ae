// GEMM throughput in GFLOP/s: native on 1 thread and on all threads, the JS
// fallback and (when installed) OpenBLAS, on square products and the shapes of
// MLP training, with every figure also as a ratio to OpenBLAS and native's as a share of the
// machine's FMA peak on the same thread count. `--openblas-core=Zen` with DENSENODE_ISA=avx2 on an
// AVX-512 machine sets both libraries' AVX2 kernels side by side.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsBackend } from '../dist/backend/js/index.js';
import { selectBackend } from '../dist/backend/select.js';
import { peakFor, printMachine, usableThreads } from './machine.mjs';
import { buildOpenBlas, startOpenBlas } from './openblas.mjs';
import { median, randomFloats, writeResults } from './timing.mjs';

const machine = printMachine();
const native = selectBackend({ DENSENODE_BACKEND: 'native' }).backend;
const allThreads = usableThreads();
// Seconds per shape, thread count and library, split over the repetitions.
const budget = Number(process.env.BENCH_SECONDS ?? 0.7);

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

function operands([, transA, transB, m, n, k]) {
  return { A: randomFloats(m * k, 1), B: randomFloats(k * n, 2), C: new Float32Array(m * n), lda: transA ? m : k, ldb: transB ? k : n };
}

/** GFLOP/s of back-to-back calls filling `seconds` (after one warm-up call). */
function throughput(backend, shape, seconds, ops = operands(shape)) {
  const [, transA, transB, m, n, k] = shape;
  const { A, B, C, lda, ldb } = ops;
  const run = () => backend.gemm(transA, transB, m, n, k, 1, A, lda, B, ldb, 0, C, n);
  run();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    run();
    calls++;
    elapsed = (performance.now() - start) / 1e3;
  } while (elapsed < seconds);
  return (2 * m * n * k * calls) / elapsed / 1e9;
}

// Each shape and thread count: `reps` repetitions, each timing OpenBLAS (a server process, which
// computes while this one waits) and native back to back, the first of the pair alternating, so a
// slow phase of a shared machine (they last seconds) slows both alike. Figures are medians over
// the repetitions, ratios medians of the per-repetition ratios. Each all-threads run of either
// library waits 200 ms first: OpenBLAS's idle threads spin for ~0.1 s after a call (2^28 cycles),
// and a densenode run started at once shared the cores with them (docs/decisions.md).
const built = buildOpenBlas();
// --openblas-core=NAME: OpenBLAS's kernel for that core (its corename must then read NAME).
const coreFlag = process.argv.find((a) => a.startsWith('--openblas-core='))?.slice('--openblas-core='.length);
const openblas = built.binary ? await startOpenBlas(built.binary, coreFlag) : null;
if (openblas && coreFlag !== undefined && openblas.corename.toLowerCase() !== coreFlag.toLowerCase()) {
  console.error(`bench gemm: OpenBLAS ran its ${openblas.corename} kernel, not ${coreFlag} (a name its DYNAMIC_ARCH build lacks?)`);
  process.exit(2);
}
const reps = Math.max(1, Number(process.env.BENCH_REPS ?? 7));
const slice = budget / reps;
const measured = [];
for (const shape of shapes) {
  const ops = operands(shape);
  const entry = {};
  for (const threads of [1, allThreads]) {
    native.setThreads(threads);
    const nat = [];
    const blas = [];
    const settle = () => (threads > 1 ? sleep(200) : undefined);
    for (let rep = 0; rep < reps; rep++) {
      const blasFirst = rep % 2 === 0;
      if (openblas && blasFirst) blas.push(await openblas.gflops(threads, shape.slice(1), slice));
      await settle();
      nat.push(throughput(native, shape, slice, ops));
      await settle();
      if (openblas && !blasFirst) blas.push(await openblas.gflops(threads, shape.slice(1), slice));
    }
    entry[threads === 1 ? 'one' : 'all'] = {
      native: median(nat),
      openblas: openblas ? median(blas) : null,
      ratio: openblas ? median(nat.map((v, i) => v / blas[i])) : null,
    };
  }
  measured.push(entry);
}
openblas?.close();

const rows = [];
const fmt = (v, digits = 1) => (v == null ? '-' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null ? '-' : `${(a / b).toFixed(2)}x`);
const times = (r) => (r == null ? '-' : `${r.toFixed(2)}x`);
const peak1 = peakFor(machine, 1);
const peakAll = peakFor(machine, allThreads);
const share = (gflops, peak) => (peak == null ? null : (100 * gflops) / peak);
const percent = (v) => (v == null ? '-' : `${v.toFixed(0)}%`);
console.log(
  `gemm, GFLOP/s (medians of ${reps} repetitions, each OpenBLAS and native back to back), native isa ${native.info().isa}, ${allThreads} cores`,
);
console.log(openblas ? `OpenBLAS core: ${openblas.corename}` : built.error);
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
  const { one: o, all: a } = measured[index];
  const [one, all, b1, bAll, ratio1, ratioAll] = [o.native, a.native, o.openblas, a.openblas, o.ratio, a.ratio];
  // The JS fallback at 2048³ takes seconds a run; its 1024³ figure stands for it.
  const js = m * n * k > 1.1e9 ? null : throughput(jsBackend, shape, budget);
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
const file = writeResults('gemm', {
  machine,
  isa: native.info().isa,
  threads: allThreads,
  openblas: openblas?.corename ?? null,
  reps,
  rows,
});
console.log('peak: the native figure to its left as a % of the FMA peak on the same thread count (peakShare1/All in the JSON)');
console.log(`wrote ${file}`);
