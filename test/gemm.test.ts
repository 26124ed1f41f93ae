// kernels.gemm on the active backend against a naive float64 reference.
import { describe, expect, it } from 'vitest';
import { backendInfo, kernels } from '../lib/index.js';
import { randomFloats, referenceGemm, sizePicker } from './helpers/reference.js';

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  padA?: number;
  padB?: number;
  padC?: number;
  offset?: number;
  bias?: boolean;
  relu?: boolean;
  nanInC?: boolean;
}

// Runs one case through kernels.gemm on views with the given padding and
// offset, checks every element against the reference and that nothing outside
// C's view was written.
function check(c: Case, seed: number): void {
  const { transA, transB, m, n, k, alpha, beta } = c;
  const offset = c.offset ?? 0;
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = Math.max(1, aCols + (c.padA ?? 0));
  const ldb = Math.max(1, bCols + (c.padB ?? 0));
  const ldc = Math.max(1, n + (c.padC ?? 0));
  const A = randomFloats(offset + aRows * lda, seed).subarray(offset);
  const B = randomFloats(offset + bRows * ldb, seed + 1).subarray(offset);
  const C = randomFloats(offset + m * ldc, seed + 2).subarray(offset);
  if (c.nanInC) C.fill(Number.NaN);
  const before = C.slice();
  const bias = c.bias ? randomFloats(n, seed + 3) : null;
  const ref = referenceGemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, before, ldc, bias, c.relu ?? false);
  kernels.gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, { bias, activation: c.relu ? 'relu' : 'none' });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const got = C[i * ldc + j] as number;
      if (j >= n) {
        if (!Object.is(got, before[i * ldc + j])) throw new Error(`wrote outside C at (${i}, ${j}) for ${JSON.stringify(c)}`);
        continue;
      }
      const want = ref.values[i * n + j] as number;
      const tolerance = (k + 4) * 1.2e-7 * (ref.magnitude[i * n + j] as number) + 1e-30;
      if (!(Math.abs(got - want) <= tolerance)) {
        throw new Error(`C[${i},${j}] = ${got}, expected ${want} ± ${tolerance} for ${JSON.stringify(c)}`);
      }
    }
  }
}

describe(`gemm on the ${process.env.DENSENODE_BACKEND ?? 'default'} backend`, () => {
  it('runs on the backend the environment asked for', () => {
    const requested = process.env.DENSENODE_BACKEND;
    if (requested === 'js' || requested === 'native') expect(backendInfo().name).toBe(requested);
    expect(['avx512', 'avx2', 'neon', 'portable', 'js']).toContain(backendInfo().isa);
  });

  const pairs: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  for (const [transA, transB] of pairs) {
    it(`matches float64 for transA=${transA} transB=${transB} over sampled sizes 1..70, all alpha/beta`, () => {
      const pick = sizePicker(transA ? 11 : 7 + (transB ? 3 : 0));
      let seed = 1;
      for (const alpha of [0, 1, -0.5]) {
        for (const beta of [0, 1, 0.3]) {
          for (let r = 0; r < 6; r++) {
            check({ transA, transB, m: pick(1, 70), n: pick(1, 70), k: pick(1, 70), alpha, beta }, seed++);
          }
        }
      }
    });
  }

  it('handles the extreme small sizes 1, 7, 33 in every dimension', () => {
    let seed = 100;
    for (const m of [1, 7, 33])
      for (const n of [1, 7, 33]) for (const k of [1, 7, 33]) check({ transA: false, transB: false, m, n, k, alpha: 1, beta: 0.3 }, seed++);
  });

  it('matches on odd large sizes (257×131×1029) in all four transpose cases', () => {
    for (const [transA, transB] of pairs) check({ transA, transB, m: 257, n: 131, k: 1029, alpha: 1, beta: 0.3 }, 7);
  });

  it('honours leading dimensions larger than the width and a non-zero byteOffset', () => {
    for (const [transA, transB] of pairs) {
      check({ transA, transB, m: 37, n: 19, k: 45, alpha: -0.5, beta: 1, padA: 3, padB: 5, padC: 7, offset: 3 }, 21);
    }
  });

  it('overwrites NaN already in C when beta = 0', () => {
    check({ transA: false, transB: false, m: 9, n: 13, k: 5, alpha: 1, beta: 0, nanInC: true }, 5);
    check({ transA: true, transB: true, m: 40, n: 33, k: 70, alpha: 1, beta: 0, nanInC: true }, 6);
  });

  it('adds a bias row and applies ReLU in the same call', () => {
    for (const [transA, transB] of pairs) {
      check({ transA, transB, m: 29, n: 31, k: 17, alpha: 1, beta: 0, bias: true, relu: true, padC: 2 }, 9);
      check({ transA, transB, m: 3, n: 65, k: 2, alpha: 1, beta: 1, bias: true }, 10);
      check({ transA, transB, m: 65, n: 3, k: 9, alpha: 1, beta: 0, relu: true }, 11);
    }
  });

  it('treats k = 0 as C = beta·C + bias and m = 0 or n = 0 as a no-op', () => {
    check({ transA: false, transB: false, m: 4, n: 5, k: 0, alpha: 1, beta: 0.3, bias: true }, 12);
    check({ transA: false, transB: false, m: 0, n: 5, k: 3, alpha: 1, beta: 0.3 }, 13);
    check({ transA: true, transB: false, m: 4, n: 0, k: 3, alpha: 1, beta: 0.3 }, 14);
    const C = new Float32Array(0);
    kernels.gemm(false, false, 0, 0, 0, 1, new Float32Array(0), 1, new Float32Array(0), 1, 0, C, 1);
  });

  it('computes a known product exactly', () => {
    const A = new Float32Array([1, 2, 3, 4, 5, 6]); // 2×3
    const B = new Float32Array([7, 8, 9, 10, 11, 12]); // 3×2
    const C = new Float32Array(4);
    kernels.gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2);
    expect(Array.from(C)).toEqual([58, 64, 139, 154]);
  });
});
