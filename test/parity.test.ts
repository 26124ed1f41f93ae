// Native and JS backends on the same inputs give the same answers to float tolerance.
import { describe, expect, it } from 'vitest';
import { js, native } from './helpers/backends.js';
import { randomFloats, sizePicker } from './helpers/reference.js';

function relativeGap(a: Float32Array, b: Float32Array): number {
  let gap = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    gap = Math.max(gap, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return gap / scale;
}

describe('gemm parity, native vs js', () => {
  it('the native backend is really native', () => {
    expect(native.name).toBe('native');
    expect(['avx512', 'avx2', 'neon', 'portable']).toContain(native.info().isa);
  });

  it('agrees on random awkward shapes, every transpose pair, with epilogues', () => {
    const pick = sizePicker(99);
    for (let r = 0; r < 40; r++) {
      const transA = r % 2 === 1;
      const transB = r % 4 >= 2;
      const m = pick(1, 130);
      const n = pick(1, 130);
      const k = pick(1, 300);
      const lda = (transA ? m : k) + (r % 3);
      const ldb = (transB ? k : n) + (r % 5);
      const ldc = n + (r % 2);
      const A = randomFloats((transA ? k : m) * lda, r);
      const B = randomFloats((transB ? n : k) * ldb, r + 1000);
      const C0 = randomFloats(m * ldc, r + 2000);
      const bias = r % 3 === 0 ? randomFloats(n, r + 3000) : null;
      const activation = r % 5 === 0 ? 'relu' : 'none';
      const fromNative = C0.slice();
      const fromJs = C0.slice();
      native.gemm(transA, transB, m, n, k, 0.75, A, lda, B, ldb, 0.5, fromNative, ldc, { bias, activation });
      js.gemm(transA, transB, m, n, k, 0.75, A, lda, B, ldb, 0.5, fromJs, ldc, { bias, activation });
      expect(relativeGap(fromNative, fromJs)).toBeLessThan(1e-5);
    }
  });

  it('agrees on the shapes of MLP training (784-256-128-10 at batch 128)', () => {
    const layers: [number, number][] = [
      [784, 256],
      [256, 128],
      [128, 10],
    ];
    const batch = 128;
    for (const [inputs, outputs] of layers) {
      const X = randomFloats(batch * inputs, inputs);
      const W = randomFloats(inputs * outputs, outputs);
      const dZ = randomFloats(batch * outputs, inputs + outputs);
      const shapes = [
        { tA: false, tB: false, m: batch, n: outputs, k: inputs, A: X, lda: inputs, B: W, ldb: outputs }, // Z = X·W
        { tA: true, tB: false, m: inputs, n: outputs, k: batch, A: X, lda: inputs, B: dZ, ldb: outputs }, // dW = Xᵀ·dZ
        { tA: false, tB: true, m: batch, n: inputs, k: outputs, A: dZ, lda: outputs, B: W, ldb: outputs }, // dX = dZ·Wᵀ
      ];
      for (const s of shapes) {
        const a = new Float32Array(s.m * s.n);
        const b = new Float32Array(s.m * s.n);
        native.gemm(s.tA, s.tB, s.m, s.n, s.k, 1, s.A, s.lda, s.B, s.ldb, 0, a, s.n);
        js.gemm(s.tA, s.tB, s.m, s.n, s.k, 1, s.A, s.lda, s.B, s.ldb, 0, b, s.n);
        expect(relativeGap(a, b)).toBeLessThan(1e-5);
      }
    }
  });
});
