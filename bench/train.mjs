// End-to-end training on Fashion-MNIST (Debian package dataset-fashion-mnist):
// the 784-256-128-10 model with batch-norm and dropout, Adam (cosine decay), batch 128.
// Seconds per epoch and samples/s for native (1 and all threads) and JS, test
// accuracy after 5 epochs, and event-loop delay p50/p99 during fit. --profile instead prints each
// kernel's time per epoch on all threads and on one (bench/kernel-profile.mjs). Each native row also shows
// the epoch's GEMM bound: its GEMM FLOPs at the machine's FMA peak for that thread count.
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { jsBackend } from '../dist/backend/js/index.js';
import { selectBackend } from '../dist/backend/select.js';
import * as dn from '../dist/index.js';
import { loadIdxImages, loadIdxLabels } from '../dist/io/idx.js';
import { Model } from '../dist/model.js';
import { profiledBackend } from './kernel-profile.mjs';
import { peakFor, printMachine, usableThreads } from './machine.mjs';
import { median, writeResults } from './timing.mjs';

const dir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
if (!existsSync(`${dir}/train-images-idx3-ubyte.gz`)) {
  console.log(`train: Fashion-MNIST not found in ${dir}; install it with \`apt-get install dataset-fashion-mnist\` (skipped)`);
  process.exit(0);
}
const machine = printMachine();
const [xTrain, yTrain, xTest, yTest] = await Promise.all([
  loadIdxImages(`${dir}/train-images-idx3-ubyte.gz`),
  loadIdxLabels(`${dir}/train-labels-idx1-ubyte.gz`),
  loadIdxImages(`${dir}/t10k-images-idx3-ubyte.gz`),
  loadIdxLabels(`${dir}/t10k-labels-idx1-ubyte.gz`),
]);
const epochs = Number(process.env.BENCH_EPOCHS ?? 5);
const allThreads = usableThreads();
const config = {
  inputs: 784,
  seed: 42,
  layers: [
    dn.dense(256),
    dn.batchNorm(),
    dn.relu(),
    dn.dropout(0.2),
    dn.dense(128),
    dn.batchNorm(),
    dn.relu(),
    dn.dropout(0.2),
    dn.dense(10),
    dn.softmax(),
  ],
};

/**
 * GEMM FLOPs of one epoch: per dense layer (i inputs, o outputs) and row, 2·i·o for the forward
 * X·W, 2·i·o for dW = Xᵀ·dZ and 2·i·o for dX = dZ·Wᵀ, which the first layer skips (its input
 * needs no gradient: lib/model.ts backward). Every row counts once (fit keeps the last short batch).
 */
function epochGemmFlops(rows) {
  let inputs = config.inputs;
  let flops = 0;
  config.layers
    .filter((spec) => spec.type === 'dense')
    .forEach(({ units }, index) => {
      flops += (index === 0 ? 2 : 3) * 2 * rows * inputs * units;
      inputs = units;
    });
  return flops;
}

async function run(label, backend, threads, epochCount, worker = false, extra = {}) {
  if (threads) backend.setThreads(threads);
  // The worker builds its model with the default (shared-arena) runtime on the same backend.
  const model = worker ? dn.sequential(config) : new Model(config, { backend, alloc: (n) => new Float32Array(n) });
  // Adam with the learning rate decayed from 3e-3 along a cosine over the whole run.
  const learningRate = dn.cosineDecay({ initial: 3e-3, decaySteps: epochCount * Math.ceil(xTrain.rows / 128) });
  model.compile({ loss: 'crossEntropy', optimizer: dn.adam({ learningRate, ...extra.optimizer }), l2: 1e-4, metrics: ['accuracy'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const history = await model.fit(xTrain, yTrain, { epochs: epochCount, batchSize: 128, worker, ...extra.fit });
  delay.disable();
  const epochSeconds = median(history.epochs.map((e) => e.seconds));
  const test = model.evaluate(xTest, yTest);
  const row = {
    label,
    epochs: epochCount,
    secondsPerEpoch: epochSeconds,
    samplesPerSecond: xTrain.rows / epochSeconds,
    trainAccuracy: history.epochs.at(-1).accuracy,
    testAccuracy: test.accuracy,
    loopDelayP50ms: delay.percentile(50) / 1e6,
    loopDelayP99ms: delay.percentile(99) / 1e6,
  };
  // The JS backend has no FMA peak to compare with; native rows run on `threads` or all cores.
  const peak = backend === jsBackend ? null : peakFor(machine, threads || allThreads);
  row.gemmBoundSeconds = peak == null ? null : epochGemmFlops(xTrain.rows) / (peak * 1e9);
  row.timesBound = row.gemmBoundSeconds == null ? null : epochSeconds / row.gemmBoundSeconds;
  const bound = row.gemmBoundSeconds == null ? '' : `  bound ${row.gemmBoundSeconds.toFixed(3)} s, ${row.timesBound.toFixed(2)}× the bound`;
  console.log(
    `${label.padEnd(18)} ${epochSeconds.toFixed(3).padStart(8)} s/epoch ${Math.round(row.samplesPerSecond).toString().padStart(8)} samples/s  test acc ${(100 * test.accuracy).toFixed(2)}% after ${epochCount} epochs  loop delay p50 ${row.loopDelayP50ms.toFixed(2)} ms p99 ${row.loopDelayP99ms.toFixed(2)} ms${bound}`,
  );
  return row;
}

console.log(
  `Fashion-MNIST: ${xTrain.rows} train, ${xTest.rows} test; 784-256-128-10, batch-norm, dropout 0.2, Adam 3e-3 cosine, L2 1e-4, batch 128`,
);
const native = selectBackend({ DENSENODE_BACKEND: 'native' }).backend;

/** --profile: each kernel's ms per epoch on all threads and on one (2 epochs after a warm-up one). */
async function profile() {
  const columns = [];
  for (const threads of [allThreads, 1]) {
    native.setThreads(threads);
    const timed = profiledBackend(native);
    const model = new Model(config, { backend: timed.backend, alloc: (n) => new Float32Array(n) });
    model.compile({ loss: 'crossEntropy', optimizer: dn.adam({ learningRate: 1e-3 }), l2: 1e-4, metrics: ['accuracy'] });
    await model.fit(xTrain, yTrain, { epochs: 1, batchSize: 128 });
    timed.reset();
    const history = await model.fit(xTrain, yTrain, { epochs: 2, batchSize: 128 });
    const seconds = history.epochs.map((e) => e.seconds);
    columns.push({ threads, seconds, rows: timed.rows(seconds.length) });
  }
  native.setThreads(allThreads);
  const kernels = columns[0].rows.map((r) => r.kernel);
  console.log(`\nper kernel, ms per epoch (epochs 2-3; each call timed from JS, ~0.1 µs a call added): all calls, and at the median call`);
  console.log(
    `${'kernel'.padEnd(34)} ${columns.map((c) => `${c.threads}T ms`.padStart(9)).join(' ')} ${columns.map((c) => `${c.threads}T med`.padStart(9)).join(' ')} ${'calls'.padStart(6)}`,
  );
  const cell = (c, kernel, field) => (c.rows.find((r) => r.kernel === kernel)?.[field] ?? 0).toFixed(1).padStart(9);
  // Rows under 0.1 ms an epoch on every thread count (the epoch's last short batch) count in the totals only.
  for (const kernel of kernels.filter((k) => columns.some((c) => (c.rows.find((r) => r.kernel === k)?.msPerEpoch ?? 0) >= 0.1))) {
    const all = columns.map((c) => cell(c, kernel, 'msPerEpoch')).join(' ');
    const atMedian = columns.map((c) => cell(c, kernel, 'msPerEpochAtMedian')).join(' ');
    console.log(
      `${kernel.padEnd(34)} ${all} ${atMedian} ${String(Math.round(columns[0].rows.find((r) => r.kernel === kernel).calls)).padStart(6)}`,
    );
  }
  for (const c of columns) {
    const kernelsMs = c.rows.reduce((sum, r) => sum + r.msPerEpoch, 0);
    const atMedianMs = c.rows.reduce((sum, r) => sum + r.msPerEpochAtMedian, 0);
    const epochMs = (1000 * c.seconds.reduce((a, b) => a + b, 0)) / c.seconds.length;
    const peak = peakFor(machine, c.threads);
    const timesBound = (ms) => (((ms / 1000) * peak * 1e9) / epochGemmFlops(xTrain.rows)).toFixed(2);
    const bound =
      peak == null
        ? ''
        : `; the epoch ${timesBound(epochMs)}× the GEMM bound, its kernels at their median calls plus the rest ${timesBound(atMedianMs + epochMs - kernelsMs)}×`;
    console.log(
      `${c.threads} thread(s): epoch ${epochMs.toFixed(0)} ms, kernels ${kernelsMs.toFixed(0)} ms (${atMedianMs.toFixed(0)} at their median calls), the rest (JS, hand-offs) ${(epochMs - kernelsMs).toFixed(0)} ms${bound}`,
    );
  }
  console.log(`wrote ${writeResults('train-profile', { machine, columns })}`);
}

if (process.argv.includes('--profile')) {
  await profile();
  process.exit(0);
}

const rows = [];
rows.push(await run(`native ${allThreads} threads`, native, allThreads, epochs));
// What the training features cost when used (the first row uses none).
const sampleWeight = Float32Array.from({ length: xTrain.rows }, (_, i) => 0.5 + (i % 3) * 0.5);
rows.push(await run(`  + sampleWeight`, native, allThreads, Math.min(epochs, 3), false, { fit: { sampleWeight } }));
rows.push(await run(`  + clipNorm 1`, native, allThreads, Math.min(epochs, 3), false, { optimizer: { clipNorm: 1 } }));
// Three epochs at least where the median is quoted: of two, the median is their mean, and the first
// epoch runs cold (JIT, first touch of the arenas: 5 % slower on one Zen 3 thread).
rows.push(await run(`native, worker: true`, native, allThreads, Math.min(epochs, 3), true));
rows.push(await run('native 1 thread', native, 1, Math.min(epochs, 3)));
native.setThreads(allThreads);
rows.push(await run('js', jsBackend, 0, 1));
console.log(`GEMM FLOPs per epoch: ${(epochGemmFlops(xTrain.rows) / 1e9).toFixed(1)} G (the bound is that at the FMA peak)`);
console.log(`wrote ${writeResults('train', { machine, gemmFlopsPerEpoch: epochGemmFlops(xTrain.rows), rows })}`);
