// `densenode bench`: how fast this machine trains, native against the JS
// fallback, measured side by side in one process: a GEMM, the fused Adam
// update, and training steps of a Fashion-MNIST-sized network on random data.
// The thorough suite (OpenBLAS, shapes, thread scaling) is `npm run bench` in
// the repository; this is the check a user runs after installing.
import { cpus } from 'node:os';
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js/index.js';
import { selectBackend } from '../backend/select.js';
import { dense, dropout, relu, softmax } from '../layers/index.js';
import { Model } from '../model.js';
import { adam } from '../optimizers/index.js';
import { Random } from '../random.js';

interface Row {
  name: string;
  unit: string;
  native: number | null;
  js: number;
}

// Median seconds of `reps` runs of fn, after one warm-up.
function median(reps: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1e3);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)] as number;
}

function randomArray(n: number, random: Random): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = random.uniform() * 2 - 1;
  return a;
}

function gemmRate(backend: Backend, size: number, reps: number): number {
  const random = new Random(1);
  const a = randomArray(size * size, random);
  const b = randomArray(size * size, random);
  const c = new Float32Array(size * size);
  const s = median(reps, () => backend.gemm(false, false, size, size, size, 1, a, size, b, size, 0, c, size));
  return (2 * size ** 3) / s / 1e9;
}

function adamRate(backend: Backend, n: number, reps: number): number {
  const random = new Random(2);
  const p = randomArray(n, random);
  const g = randomArray(n, random);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  let t = 0;
  const s = median(reps, () => backend.adamUpdate(n, p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, ++t, 0, 0));
  return n / s / 1e6;
}

function trainRate(backend: Backend, rows: number, reps: number): number {
  const model = new Model(
    { inputs: 784, seed: 3, layers: [dense(256), relu(), dropout(0.2), dense(128), relu(), dense(10), softmax()] },
    { backend, alloc: (n) => new Float32Array(n) },
  );
  model.compile({ loss: 'crossEntropy', optimizer: adam() });
  const random = new Random(4);
  const x = randomArray(rows * 784, random);
  const y = { kind: 'labels' as const, data: Int32Array.from({ length: rows }, (_, i) => i % 10) };
  const { optimizer } = model.requireCompiled('bench');
  const s = median(reps, () => {
    model.lossAndGradients(x, y, rows, null, false);
    optimizer.apply(backend, model.params, model.grads, model.l2Term(rows));
    model.weightsChanged();
  });
  return rows / s;
}

export function benchCommand(flags: { quick: boolean; json: boolean }): number {
  let native: Backend | null = null;
  let why = '';
  try {
    native = selectBackend({ DENSENODE_BACKEND: 'native' }).backend;
  } catch (error) {
    why = (error as Error).message;
  }
  const reps = flags.quick ? 3 : 7;
  const size = flags.quick ? 256 : 512;
  const rows: Row[] = [
    {
      name: `GEMM ${size}×${size}×${size}`,
      unit: 'GFLOP/s',
      native: native && gemmRate(native, size, reps),
      js: gemmRate(jsBackend, size, flags.quick ? 1 : 3),
    },
    {
      name: 'Adam update, 1M parameters',
      unit: 'M params/s',
      native: native && adamRate(native, 1 << 20, reps * 3),
      js: adamRate(jsBackend, 1 << 20, reps),
    },
    {
      name: 'train step 784-256-128-10, batch 128',
      unit: 'samples/s',
      native: native && trainRate(native, 128, reps * 3),
      js: trainRate(jsBackend, 128, reps),
    },
  ];
  const info = native?.info();
  if (flags.json) {
    console.log(JSON.stringify({ cpu: cpus()[0]?.model, cores: cpus().length, native: info ?? null, results: rows }));
    return 0;
  }
  console.log(
    `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; native: ${info ? `isa ${info.isa}, ${info.threads} threads` : `unavailable (${why})`}`,
  );
  const show = (v: number) => `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3)}`;
  const table = rows.map((r) => [
    r.name,
    r.native === null ? '-' : `${show(r.native)} ${r.unit}`,
    `${show(r.js)} ${r.unit}`,
    r.native === null ? '-' : `${(r.native / r.js).toFixed(1)}×`,
  ]);
  const header = ['benchmark (median)', 'native', 'js', 'native/js'];
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => (r[c] as string).length)));
  for (const r of [header, widths.map((w) => '-'.repeat(w)), ...table])
    console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c] as number) : v.padStart(widths[c] as number))).join('  '));
  return 0;
}
