// What `npm run bench -- peers` runs: the workloads, the systems, and for each pair whether it
// trains the whole workload or is timed over a fixed number of batches and extrapolated.
// Shared by the parent (bench/peers.mjs) and the per-system child (bench/peers/worker.mjs).
import { availableParallelism } from 'node:os';

export const ALL_THREADS = availableParallelism();

/**
 * The workloads. `l2` is densenode's λ in (λ/2m)·Σ‖W‖² per batch of m; peers with Keras-style
 * regularisers get λ/(2m) (see kerasL2). `epochs: null` means always timed over batches.
 */
export const WORKLOADS = {
  fmnist: {
    title: 'Fashion-MNIST 784-256-128-10',
    describe: 'Dense → BatchNorm → ReLU → Dropout(0.2) per hidden layer, softmax + cross-entropy, L2 1e-4, Adam 1e-3, batch 128',
    data: 'fmnist',
    inputs: 784,
    hidden: [256, 128],
    outputs: 10,
    batchNorm: true,
    dropout: 0.2,
    l2: 1e-4,
    learningRate: 1e-3,
    batchSize: 128,
    epochs: 5,
  },
  cancer: {
    title: 'Breast cancer 30-16-8-1',
    describe: 'ReLU hidden, sigmoid + binary cross-entropy, L2 1e-4, Adam 1e-3, batch 32, standardised features',
    data: 'cancer',
    inputs: 30,
    hidden: [16, 8],
    outputs: 1,
    batchNorm: false,
    dropout: 0,
    l2: 1e-4,
    learningRate: 1e-3,
    batchSize: 32,
    epochs: 200,
  },
  'gemm-bound': {
    title: 'GEMM-bound 784-2048-2048-10',
    describe: 'ReLU hidden, softmax + cross-entropy, Adam 1e-3, batch 128, on Fashion-MNIST; no batch-norm, dropout or L2',
    data: 'fmnist',
    inputs: 784,
    hidden: [2048, 2048],
    outputs: 10,
    batchNorm: false,
    dropout: 0,
    l2: 0,
    learningRate: 1e-3,
    batchSize: 128,
    epochs: null,
  },
};

export const SYSTEMS = {
  'native-all': { label: `densenode native, ${ALL_THREADS} threads`, short: `native ${ALL_THREADS}T` },
  'native-1': { label: 'densenode native, 1 thread', short: 'native 1T' },
  js: { label: 'densenode JS fallback', short: 'densenode JS' },
  'tfjs-cpu': { label: '@tensorflow/tfjs cpu', short: 'tfjs cpu' },
  'tfjs-wasm': { label: '@tensorflow/tfjs wasm', short: 'tfjs wasm' },
  brain: { label: 'brain.js, Adam (closest model)', short: 'brain.js Adam' },
  'brain-sgd': { label: 'brain.js, default SGD+momentum', short: 'brain.js SGD' },
};

/**
 * 'full' trains every epoch; a number is the batches timed (after warm-up) to extrapolate an epoch
 * (brain.js: that many batches' worth of samples, each its own update). Sized for ~15 minutes on 2
 * idle cores: TF.js cpu takes ~0.4 s per fmnist batch, brain.js's Adam ~30 ms per fmnist sample.
 * TF.js wasm trains fmnist in full (~30 s an epoch), so its test accuracy is compared with ours.
 */
const PLAN = {
  fmnist: { 'native-all': 'full', 'native-1': 'full', js: 'full', 'tfjs-cpu': 150, 'tfjs-wasm': 'full', brain: 10, 'brain-sgd': 10 },
  cancer: {
    'native-all': 'full',
    'native-1': 'full',
    js: 'full',
    'tfjs-cpu': 'full',
    'tfjs-wasm': 'full',
    brain: 'full',
    'brain-sgd': 'full',
  },
  'gemm-bound': { 'native-all': 50, 'native-1': 50, js: 30, 'tfjs-cpu': 15, 'tfjs-wasm': 50, brain: 1, 'brain-sgd': 2 },
};

function list(name, known) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return null;
  const items = raw.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!known.includes(item)) throw new Error(`${name}: unknown '${item}'; choose from ${known.join(', ')}`);
  }
  return items;
}

function positive(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${name}: expected an integer >= 1, received '${raw}'`);
  return n;
}

/** The environment knobs (see docs in bench/peers.mjs), validated. */
export function readKnobs() {
  return {
    workloads: list('PEERS_WORKLOADS', Object.keys(WORKLOADS)) ?? Object.keys(WORKLOADS),
    systems: list('PEERS_SYSTEMS', Object.keys(SYSTEMS)) ?? Object.keys(SYSTEMS),
    full: list('PEERS_FULL', Object.keys(SYSTEMS)) ?? [],
    epochs: positive('PEERS_EPOCHS'),
    batches: positive('PEERS_BATCHES'),
    warmup: positive('PEERS_WARMUP') ?? 2,
    rows: positive('PEERS_ROWS'),
    timeout: positive('PEERS_TIMEOUT') ?? 1800,
    seeds: process.env.PEERS_SEEDS === '0' ? 0 : (positive('PEERS_SEEDS') ?? 4),
    repeat: positive('PEERS_REPEAT') ?? 3,
  };
}

/** How one workload × system pair is measured under the knobs. */
export function planFor(workload, system, knobs) {
  const w = WORKLOADS[workload];
  const planned = PLAN[workload][system];
  if (w.epochs !== null && (planned === 'full' || knobs.full.includes(system))) {
    // Native on all threads also trains `seeds` more seeds (untimed): the spread that says whether
    // an accuracy difference between two systems is more than run-to-run variation.
    const seeds = system === 'native-all' && workload === 'fmnist' ? knobs.seeds : 0;
    return { mode: 'full', epochs: knobs.epochs ?? w.epochs, seeds };
  }
  return { mode: 'batches', batches: knobs.batches ?? planned, warmup: knobs.warmup };
}

/** The Keras/TF.js l2 factor that optimises densenode's cost: λ/(2m) with m the batch size. */
export function kerasL2(w) {
  return w.l2 / (2 * w.batchSize);
}

export const PEERS_ENV = [
  'PEERS_WORKLOADS',
  'PEERS_SYSTEMS',
  'PEERS_FULL',
  'PEERS_EPOCHS',
  'PEERS_BATCHES',
  'PEERS_WARMUP',
  'PEERS_ROWS',
  'PEERS_SEEDS',
  'PEERS_REPEAT',
  'PEERS_TIMEOUT',
  'FASHION_MNIST_DIR',
];
