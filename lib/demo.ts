// The Quick start demo: which backend loaded, then one dense layer's forward
// pass (X·W + b, ReLU) in a single GEMM call, timed on both backends.
import { performance } from 'node:perf_hooks';
import { jsBackend } from './backend/js/index.js';
import { backendInfo, kernels } from './index.js';

const batch = 128;
const inputs = 784;
const outputs = 256;

function randomArray(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

function timeIt(run: () => void): number {
  run();
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[3] ?? 0;
}

const info = backendInfo();
console.log(`densenode backend: ${info.name} (isa ${info.isa}, ${info.threads} threads; ${info.reason})`);
const X = randomArray(batch * inputs, 1);
const W = randomArray(inputs * outputs, 2);
const b = randomArray(outputs, 3);
const Z = new Float32Array(batch * outputs);
const Zjs = new Float32Array(batch * outputs);
const epilogue = { bias: b, activation: 'relu' as const };
const active = timeIt(() => kernels.gemm(false, false, batch, outputs, inputs, 1, X, inputs, W, outputs, 0, Z, outputs, epilogue));
const js = timeIt(() => jsBackend.gemm(false, false, batch, outputs, inputs, 1, X, inputs, W, outputs, 0, Zjs, outputs, epilogue));
let maxDiff = 0;
for (let i = 0; i < Z.length; i++) maxDiff = Math.max(maxDiff, Math.abs((Z[i] ?? 0) - (Zjs[i] ?? 0)));
const gflop = (2 * batch * inputs * outputs) / 1e9;
console.log(`dense forward relu(X·W + b), X ${batch}×${inputs}, W ${inputs}×${outputs}:`);
console.log(`  ${info.name.padEnd(6)} ${active.toFixed(3)} ms  (${(gflop / (active / 1e3)).toFixed(1)} GFLOP/s)`);
console.log(`  js     ${js.toFixed(3)} ms  (${(gflop / (js / 1e3)).toFixed(1)} GFLOP/s)`);
console.log(`  max |native − js| = ${maxDiff.toExponential(2)}`);
