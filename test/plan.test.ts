// The execution plan: which layers fuse into one step, that the last layer never does, and that
// the fused steps compute what the declared layers compute one by one (same masks, same values).
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { executionPlan } from '../lib/layers/plan.js';

const spec = (layers: dn.LayerSpec[]) => dn.sequential({ inputs: 6, seed: 3, layers });

describe('executionPlan', () => {
  it('fuses batch-norm → ReLU (→ dropout) and dense → ReLU, never the last layer', () => {
    const cases: [dn.LayerSpec[], number][] = [
      [[dn.dense(8), dn.batchNorm(), dn.relu(), dn.dropout(0.3), dn.dense(1), dn.sigmoid()], 4],
      [[dn.dense(8), dn.batchNorm(), dn.relu(), dn.dense(1), dn.sigmoid()], 4],
      // ReLU last: a fused loss never skips it, but the rule keeps the last layer on its own.
      [[dn.dense(8), dn.batchNorm(), dn.relu()], 3],
      // Dropout last stays a step of its own.
      [[dn.dense(8), dn.batchNorm(), dn.relu(), dn.dropout(0.5)], 3],
      [[dn.dense(8), dn.batchNorm(), dn.tanh(), dn.dense(1), dn.sigmoid()], 5],
      // dense → ReLU: the ReLU in the GEMM epilogue.
      [[dn.dense(8), dn.relu(), dn.batchNorm(), dn.dense(1)], 3],
      [[dn.dense(8), dn.relu(), dn.dense(4), dn.relu(), dn.dense(1), dn.sigmoid()], 4],
      [[dn.dense(8), dn.relu()], 2],
      [[dn.dense(8), dn.leakyRelu(), dn.dense(1)], 3],
    ];
    for (const [layers, steps] of cases) {
      const model = spec(layers);
      expect(executionPlan(model.layers).length, JSON.stringify(layers)).toBe(steps);
      expect(model.layers.length).toBe(layers.length);
    }
  });

  it('the fused forward and backward equal the layers run one by one', () => {
    const layers = [
      dn.dense(16),
      dn.batchNorm(),
      dn.relu(),
      dn.dropout(0.4),
      dn.dense(5),
      dn.batchNorm(),
      dn.relu(),
      dn.dense(1),
      dn.sigmoid(),
    ];
    const fused = spec(layers).compile({ loss: 'binaryCrossEntropy' });
    const plain = spec(layers).compile({ loss: 'binaryCrossEntropy' });
    const batch = 9;
    const x = Float32Array.from({ length: batch * 6 }, (_, i) => Math.sin(i * 1.7) * 2);
    const end = fused.logitsEnd();
    const z = fused.forward(x, batch, true, end).slice();
    let a: Float32Array = x;
    for (const layer of plain.layers.slice(0, -1)) a = layer.forward(a, batch, true);
    expect(z.length).toBe(a.length);
    for (let i = 0; i < z.length; i++) expect(z[i]).toBeCloseTo(a[i] as number, 5);
    const dz = Float32Array.from({ length: batch }, (_, i) => (i % 3) - 1);
    fused.backward(dz, batch, end);
    let d: Float32Array | null = dz;
    for (let i = plain.layers.length - 2; i >= 0 && d !== null; i--)
      d = (plain.layers[i] as (typeof plain.layers)[number]).backward(d, batch, i > 0);
    for (let i = 0; i < fused.grads.length; i++) expect(fused.grads[i]).toBeCloseTo(plain.grads[i] as number, 5);
    expect(fused.grads.some((g) => g !== 0)).toBe(true);
  });

  it('dense → ReLU in the epilogue gives exactly the values and gradients of the two layers', () => {
    const layers = [dn.dense(16), dn.relu(), dn.dense(7), dn.relu(), dn.dense(3), dn.softmax()];
    const fused = spec(layers).compile({ loss: 'crossEntropy' });
    const plain = spec(layers).compile({ loss: 'crossEntropy' });
    expect(executionPlan(fused.layers).length).toBe(4);
    const batch = 11;
    const x = Float32Array.from({ length: batch * 6 }, (_, i) => Math.sin(i * 1.3) * 3);
    const end = fused.logitsEnd();
    const z = fused.forward(x, batch, true, end).slice();
    let a: Float32Array = x;
    for (const layer of plain.layers.slice(0, -1)) a = layer.forward(a, batch, true);
    expect(Array.from(z)).toEqual(Array.from(a));
    const dz = Float32Array.from({ length: batch * 3 }, (_, i) => Math.cos(i));
    fused.backward(dz, batch, end);
    let d: Float32Array | null = dz;
    for (let i = plain.layers.length - 2; i >= 0 && d !== null; i--)
      d = (plain.layers[i] as (typeof plain.layers)[number]).backward(d, batch, i > 0);
    expect(Array.from(fused.grads)).toEqual(Array.from(plain.grads));
  });
});
