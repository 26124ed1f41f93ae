// Inference latency on one thread: densenode's model.predict against onnxruntime-node running the
// model's own ONNX export, with TensorFlow.js (cpu, and wasm when it starts) on its TF.js export as
// a reference, for a small, a wide and an MNIST-sized MLP on 1 and 256 rows. Median µs per call.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import * as dn from '../dist/index.js';
import { printMachine, usableThreads } from './machine.mjs';
import { median, randomFloats, writeResults } from './timing.mjs';

const machine = printMachine();
const models = [
  { name: '30-64-32-1', inputs: 30, hidden: [64, 32], outputs: 1 },
  { name: '30-512-512-1', inputs: 30, hidden: [512, 512], outputs: 1 },
  { name: '784-256-128-10', inputs: 784, hidden: [256, 128], outputs: 10 },
];
const rowCounts = [1, 256];
const repetitions = 7;
const allThreads = usableThreads();
const minimumMs = 50;
// Before each timed run on all threads (the 1-thread engines have no pool that spins).
const settleAllMs = 300;
const tolerance = 1e-4;

/**
 * A timer for one engine: a warm-up finds how many calls take ≥ 50 ms; each `run()` then times that
 * many calls and returns µs per call. An async call is awaited before the next starts (sequential,
 * as a server would).
 */
async function timer(call, isAsync, settleMs) {
  const runCalls = isAsync
    ? async (n) => {
        for (let i = 0; i < n; i++) await call();
      }
    : (n) => {
        for (let i = 0; i < n; i++) call();
      };
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    await runCalls(calls);
    if (performance.now() - t0 >= minimumMs) break;
    calls *= 2;
  }
  return async () => {
    // Both thread pools spin a while after their last call (densenode's 1 ms; onnxruntime's
    // intra-op threads for 50–100 ms here): the pause lets the other engine's spinners stop
    // before this one's calls, which otherwise competed with them for the cores (densenode's
    // 2-thread predict of 784-256-128-10 on 256 rows: 950 µs alone, 1570–1840 right after
    // onnxruntime, 960 after a 300 ms pause).
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    const t0 = performance.now();
    await runCalls(calls);
    return ((performance.now() - t0) * 1e3) / calls;
  };
}

/**
 * Median µs per call of each engine, their repetitions interleaved (a, b, a, b, …) so that a slow
 * phase of the machine slows both alike; and the median of the per-repetition ratios a/b.
 */
async function interleaved(engines, settleMs = 0) {
  const timers = [];
  for (const [call, isAsync] of engines) timers.push(await timer(call, isAsync, settleMs));
  const times = engines.map(() => []);
  for (let r = 0; r < repetitions; r++) for (let e = 0; e < timers.length; e++) times[e].push(await timers[e]());
  return { medians: times.map(median), ratio: median(times[0].map((t, r) => t / times[1][r])) };
}

/** An onnxruntime session on `threads` intra-op threads, every graph optimisation on. */
function ortSession(file, threads) {
  return ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

async function ortRun(session, x) {
  return (await session.run({ input: new ort.Tensor('float32', x.data, [x.rows, x.cols]) })).output.data;
}

function buildModel({ inputs, hidden, outputs }) {
  const layers = hidden.flatMap((units) => [dn.dense(units), dn.relu()]);
  layers.push(dn.dense(outputs), outputs === 1 ? dn.sigmoid() : dn.softmax());
  const model = dn.sequential({ inputs, seed: 7, layers });
  model.compile({ loss: outputs === 1 ? 'binaryCrossEntropy' : 'crossEntropy', optimizer: dn.adam() });
  return model;
}

const maxAbsDiff = (a, b) => a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);

/** TF.js' own HTTP loader with its fetch answered from disk, as a browser would load the export. */
function loadTfjs(dir) {
  const fetchFunc = async (path) => new Response(await readFile(String(path)));
  return tf.loadLayersModel(tf.io.http(join(dir, 'model.json'), { fetchFunc }));
}

const tfjsPredict = (model, x) => tf.tidy(() => model.predict(tf.tensor2d(x.data, [x.rows, x.cols])).dataSync());

/** The TF.js backends that start here: cpu always, wasm (on 1 thread) when it initialises in Node. */
async function tfjsBackends() {
  const backends = ['cpu'];
  try {
    setThreadsCount(1);
    if (await tf.setBackend('wasm')) backends.push('wasm');
  } catch (error) {
    console.log(`tfjs wasm: n/a (${error.message})`);
  }
  return backends;
}

dn.setThreads(1);
const backends = await tfjsBackends();
const scratch = mkdtempSync(join(tmpdir(), 'densenode-predict-'));
const rows = [];
console.log(
  `\npredict, median µs per call of ${repetitions} runs ≥ ${minimumMs} ms: 1 thread each, then ${allThreads} threads each (densenode's pool, onnxruntime's intra-op threads)`,
);
console.log(
  [
    'model'.padEnd(15),
    'rows'.padStart(4),
    'densenode'.padStart(10),
    'onnxrt'.padStart(9),
    'dn/ort'.padStart(7),
    `dn ${allThreads}T`.padStart(9),
    `ort ${allThreads}T`.padStart(9),
    'dn/ort'.padStart(7),
    'tfjs cpu'.padStart(9),
    'tfjs wasm'.padStart(10),
    'max |Δ|'.padStart(8),
  ].join(' '),
);
try {
  for (const spec of models) {
    const model = buildModel(spec);
    const onnxFile = join(scratch, `${spec.name}.onnx`);
    const tfjsDir = join(scratch, `${spec.name}-tfjs`);
    await model.exportOnnx(onnxFile);
    await model.exportTfjs(tfjsDir);
    // 1 intra-op thread, and (against densenode's default pool) as many as there are cores.
    const session = await ortSession(onnxFile, 1);
    const sessionAll = await ortSession(onnxFile, allThreads);
    const ortPredict = (x) => ortRun(session, x);
    const ortPredictAll = (x) => ortRun(sessionAll, x);
    // Each TF.js backend holds its own copy of the weights, loaded while it is the active one.
    const tfjsModels = {};
    for (const backend of backends) {
      await tf.setBackend(backend);
      tfjsModels[backend] = await loadTfjs(tfjsDir);
    }
    for (const count of rowCounts) {
      const x = { rows: count, cols: spec.inputs, data: randomFloats(count * spec.inputs, count) };
      const expected = model.predict(x).data;
      // Each engine's largest difference from densenode's outputs, checked once before timing.
      const diffs = { onnxruntime: maxAbsDiff(expected, await ortPredict(x)) };
      const row = { model: spec.name, rows: count };
      const paired = await interleaved([
        [() => model.predict(x), false],
        [() => ortPredict(x), true],
      ]);
      [row.densenodeUs, row.onnxruntimeUs] = paired.medians;
      row.ratio = paired.ratio;
      dn.setThreads(allThreads);
      const pairedAll = await interleaved(
        [
          [() => model.predict(x), false],
          [() => ortPredictAll(x), true],
        ],
        settleAllMs,
      );
      dn.setThreads(1);
      [row.densenodeAllUs, row.onnxruntimeAllUs] = pairedAll.medians;
      row.ratioAll = pairedAll.ratio;
      row.tfjsCpuUs = null;
      row.tfjsWasmUs = null;
      for (const backend of backends) {
        await tf.setBackend(backend);
        const loaded = tfjsModels[backend];
        const name = backend === 'cpu' ? 'tfjsCpu' : 'tfjsWasm';
        diffs[name] = maxAbsDiff(expected, tfjsPredict(loaded, x));
        const run = await timer(() => tfjsPredict(loaded, x), false);
        row[`${name}Us`] = median([await run(), await run(), await run()]);
      }
      row.maxAbsDiff = diffs;
      const diff = Math.max(...Object.values(diffs));
      rows.push(row);
      const us = (v) => (v == null ? 'n/a' : v.toFixed(v < 100 ? 1 : 0));
      console.log(
        [
          spec.name.padEnd(15),
          String(count).padStart(4),
          us(row.densenodeUs).padStart(10),
          us(row.onnxruntimeUs).padStart(9),
          `${row.ratio.toFixed(2)}x`.padStart(7),
          us(row.densenodeAllUs).padStart(9),
          us(row.onnxruntimeAllUs).padStart(9),
          `${row.ratioAll.toFixed(2)}x`.padStart(7),
          us(row.tfjsCpuUs).padStart(9),
          us(row.tfjsWasmUs).padStart(10),
          diff.toExponential(1).padStart(8),
        ].join(' '),
      );
      if (!(diff < tolerance)) {
        console.error(`predict: ${spec.name} on ${count} rows: the outputs differ by ${diff} (tolerance ${tolerance})`);
        process.exitCode = 1;
      }
    }
    await session.release();
    await sessionAll.release();
    for (const loaded of Object.values(tfjsModels)) loaded.dispose();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(
  'dn/ort: the median over interleaved repetitions of densenode time / onnxruntime time (lower is better); max |Δ|: largest difference from densenode',
);
console.log(`wrote ${writeResults('predict', { machine, tfjsBackends: backends, rows })}`);
