// Bad arguments to every binding export and to the public kernels throw a
// TypeError/RangeError naming the argument; the process (or worker) survives.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { describe as describeValue } from '../lib/errors.js';
import { type GemmEpilogue, kernels, setThreads } from '../lib/index.js';
import { addonFile, binding } from './helpers/backends.js';

const A = new Float32Array(6); // 2×3
const B = new Float32Array(6); // 3×2
const C = new Float32Array(4); // 2×2
type GemmArgs = Parameters<typeof binding.gemm>;
const good: GemmArgs = [false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2, null, false];

function withArg(index: number, value: unknown): GemmArgs {
  const args = [...good] as unknown[];
  args[index] = value;
  return args as GemmArgs;
}

const detached = (() => {
  const buffer = new ArrayBuffer(64);
  const view = new Float32Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
})();

// [argument index, bad value, error class, text the message must contain]
const badGemm: [number, unknown, typeof TypeError | typeof RangeError, string][] = [
  [0, 1, TypeError, 'for transA, received 1'],
  [1, undefined, TypeError, 'for transB, received undefined'],
  [2, -1, RangeError, 'for m, received -1'],
  [2, 2.5, RangeError, 'for m, received 2.5'],
  [2, Number.NaN, RangeError, 'for m, received NaN'],
  [2, '2', TypeError, 'for m, received a string'],
  [3, 2 ** 31, RangeError, 'for n'],
  [4, Number.POSITIVE_INFINITY, RangeError, 'for k, received Infinity'],
  [5, Number.NaN, RangeError, 'for alpha, received NaN'],
  [6, [1, 2, 3, 4, 5, 6], TypeError, 'a Float32Array for A, received an Array'],
  [6, new Float64Array(6), TypeError, 'for A, received a Float64Array'],
  [6, new Float32Array(5), RangeError, 'at least 6 elements for A, received length 5'],
  [6, detached, TypeError, 'for A, received a Float32Array on a detached ArrayBuffer'],
  [7, 2, RangeError, 'an integer >= k (3) for lda, received 2'],
  [7, 0, RangeError, 'for lda, received 0'],
  [8, null, TypeError, 'for B, received null'],
  [9, 1, RangeError, 'for ldb'],
  [10, '0', TypeError, 'for beta, received a string'],
  [11, new Float32Array(3), RangeError, 'for C, received length 3'],
  [11, A, RangeError, 'C must not overlap A'],
  [12, 1, RangeError, 'for ldc'],
  [13, new Float32Array(1), RangeError, 'for bias, received length 1'],
  [13, {}, TypeError, 'for bias, received an object'],
  [14, 'relu', TypeError, 'for relu, received a string'],
];

describe('native binding argument checks', () => {
  for (const [index, value, kind, text] of badGemm) {
    it(`gemm rejects argument ${index} = ${describeValue(value)}`, () => {
      expect(() => binding.gemm(...withArg(index, value))).toThrow(kind);
      expect(() => binding.gemm(...withArg(index, value))).toThrow(text);
    });
  }

  it('gemm rejects a wrong argument count', () => {
    const call = binding.gemm as unknown as (...args: unknown[]) => void;
    expect(() => call()).toThrow('gemm: expected 15 or 16 arguments, received 0');
    expect(() => call(...good, 1)).toThrow(TypeError);
    // More than the 20 the binding reads into its fixed array: refused by count, nothing read past it.
    expect(() => call(...good, ...new Array(10).fill(null))).toThrow('gemm: expected 15 or 16 arguments, received 25');
  });

  it('every export carries its name', () => {
    for (const [name, fn] of Object.entries(binding)) if (typeof fn === 'function') expect(fn.name).toBe(name);
  });

  it('a shape whose m·k overflows 32 bits is a length error, not a wild read', () => {
    expect(() => binding.gemm(...(withArg(2, 70000).map((v, i) => (i === 4 ? 70000 : i === 7 ? 70000 : v)) as GemmArgs))).toThrow(
      /for A, received length 6|for ldc|for C/,
    );
  });

  it('accepts byteOffset views and SharedArrayBuffer-backed arrays', () => {
    const shared = new Float32Array(new SharedArrayBuffer(4 * 10)).subarray(4);
    shared.set([1, 2, 3, 4, 5, 6]);
    const out = new Float32Array(new SharedArrayBuffer(4 * 4));
    binding.gemm(false, false, 2, 2, 3, 1, shared, 3, new Float32Array([1, 0, 0, 1, 1, 1]), 2, 0, out, 2, null, false);
    expect(Array.from(out)).toEqual([4, 5, 10, 11]);
  });

  it('setThreads and info check their arguments', () => {
    const call = binding.setThreads as unknown as (...args: unknown[]) => void;
    expect(() => call(0)).toThrow('setThreads: expected an integer >= 1 and <= 256 for n, received 0');
    expect(() => call(1000)).toThrow(RangeError);
    expect(() => call('2')).toThrow(TypeError);
    expect(() => call()).toThrow(TypeError);
    expect(() => (binding.info as unknown as (x: unknown) => void)(1)).toThrow('info: expected 0 arguments');
    expect(binding.info().threads).toBeGreaterThanOrEqual(1);
  });
});

describe('public kernels check arguments on every backend', () => {
  for (const [index, value, kind, text] of badGemm) {
    if (index >= 13) continue; // bias/relu are an options object in the public API
    it(`kernels.gemm rejects argument ${index} = ${describeValue(value)}`, () => {
      const args = withArg(index, value).slice(0, 13) as Parameters<typeof kernels.gemm>;
      expect(() => kernels.gemm(...args)).toThrow(kind);
      expect(() => kernels.gemm(...args)).toThrow(text);
    });
  }

  it('rejects a bad epilogue', () => {
    const withEpilogue = (epilogue: unknown) => kernels.gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2, epilogue as GemmEpilogue);
    expect(() => withEpilogue({ activation: 'gelu' })).toThrow("expected 'none' or 'relu' for activation");
    expect(() => withEpilogue({ bias: new Float32Array(1) })).toThrow('for bias, received length 1');
    expect(() => withEpilogue({ bias: C.subarray(0, 2) })).toThrow('C must not overlap bias');
    expect(() => withEpilogue(5)).toThrow('expected an object for epilogue, received 5');
    expect(() => withEpilogue({ relu: true })).toThrow("gemm: unknown option 'relu' in epilogue");
    expect(() => withEpilogue({ bias: null, activation: 'relu', packedB: null })).toThrow("unknown option 'packedB'");
    expect(() => setThreads(0)).toThrow(RangeError);
  });
});

describe('the addon in a worker thread', () => {
  it('loads, computes and throws named errors inside a worker while the main thread keeps working', async () => {
    const source = `
      const { parentPort } = require('node:worker_threads');
      const b = require(${JSON.stringify(addonFile)});
      const A = new Float32Array([1, 2, 3, 4]);
      const C = new Float32Array(4);
      b.gemm(false, false, 2, 2, 2, 1, A, 2, new Float32Array([1, 0, 0, 1]), 2, 0, C, 2, null, false);
      let message = '';
      try { b.gemm(false, false, 2, 2, 2, 1, A, 1, A, 2, 0, C, 2, null, false); } catch (e) { message = e.constructor.name + ': ' + e.message; }
      parentPort.postMessage({ product: Array.from(C), message });`;
    const results = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ product: number[]; message: string }>((resolve, reject) => {
            const worker = new Worker(source, { eval: true });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    const mainC = new Float32Array(4);
    binding.gemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, new Float32Array([1, 0, 0, 1]), 2, 0, mainC, 2, null, false);
    for (const r of results) {
      expect(r.product).toEqual([1, 2, 3, 4]);
      expect(r.message).toBe('RangeError: gemm: expected an integer >= k (2) for lda, received 1');
    }
    expect(Array.from(mainC)).toEqual([1, 2, 3, 4]);
  });
});
