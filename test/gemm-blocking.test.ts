// The GEMM block sizes come from the running CPU's caches (native/gemm/runtime_blocking.cc):
// backendInfo() reports both, the choice follows the model, DENSENODE_BLOCKING overrides it
// (and a malformed value is an error, not ignored), and any blocking gives correct products.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { GemmBlocking } from '../lib/backend/backend.js';
import { selectBackend } from '../lib/backend/select.js';
import { addonFile, native } from './helpers/backends.js';
import { randomFloats, referenceGemm } from './helpers/reference.js';

const info = native.info();
const tiles: Record<string, [number, number]> = { avx512: [14, 32], avx2: [6, 16], neon: [8, 12], portable: [6, 8] };

/** backendInfo().blocking in a child process with this DENSENODE_BLOCKING, plus a product computed there. */
function childRun(blocking: string | undefined): { blocking: GemmBlocking; error: number } {
  const code = `
    const b = require(${JSON.stringify(addonFile)});
    const m = 203, n = 77, k = 1100;
    const rand = (len, seed) => { const a = new Float32Array(len); let s = seed >>> 0;
      for (let j = 0; j < len; j++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[j] = s / 2 ** 32 - 0.5; } return a; };
    const A = rand(m * k, 1), B = rand(k * n, 2), C = new Float32Array(m * n);
    b.setThreads(2);
    b.gemm(false, false, m, n, k, 1, A, k, B, n, 0, C, n, null, false);
    let error = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0; for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
      error = Math.max(error, Math.abs(s - C[i * n + j]));
    }
    console.log(JSON.stringify({ blocking: b.info().blocking, error }));`;
  const env = { ...process.env };
  delete env.DENSENODE_BLOCKING;
  if (blocking !== undefined) env.DENSENODE_BLOCKING = blocking;
  const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { blocking: GemmBlocking; error: number };
}

describe('GEMM blocking from the CPU caches', () => {
  it('backendInfo reports the caches and a blocking whose tile is the micro-kernel of the ISA', () => {
    const { caches, blocking } = info;
    expect(caches).toBeDefined();
    expect(blocking).toBeDefined();
    if (!caches || !blocking) return;
    expect(['cpuid', 'sysfs', 'sysctl', 'none']).toContain(caches.source);
    expect([blocking.mr, blocking.nr]).toEqual(tiles[info.isa]);
    expect(blocking.mc % blocking.mr).toBe(0);
    expect(blocking.nc % blocking.nr).toBe(0);
    if (process.platform === 'linux' || process.arch === 'x64') expect(caches.source).not.toBe('none');
  });

  it('the choice is the model of the caches read (an independent restatement of it)', () => {
    const { caches, blocking } = info;
    if (!caches || !blocking || process.env.DENSENODE_BLOCKING !== undefined) return;
    if (caches.source === 'none') {
      expect(blocking.source).toBe('table');
      return;
    }
    expect(blocking.source).toBe('model');
    const share = (level: { bytes: number; sharing: number }) =>
      level.sharing > 1 ? Math.floor(level.bytes / level.sharing) : level.bytes;
    const down = (x: number, q: number) => Math.floor(x / q) * q;
    const kc = Math.min(512, Math.max(64, down((2 * share(caches.l1d)) / (blocking.nr * 4), 64)));
    expect(blocking.kc).toBe(kc);
    // Up to 1024 deep, a K is taken whole whatever L1 holds of the sliver.
    expect(blocking.wholeK).toBe(Math.max(kc, 1024));
    if (caches.l2.bytes > 0)
      expect(blocking.mc).toBe(
        Math.min(down(4096, blocking.mr), Math.max(blocking.mr, down((0.75 * share(caches.l2)) / (kc * 4), blocking.mr))),
      );
    if (caches.l3.bytes > 0) {
      const nc = down(share(caches.l3) / 2 / (kc * 4), blocking.nr);
      expect(blocking.nc).toBe(Math.min(down(8192, blocking.nr), Math.max(Math.ceil(1024 / blocking.nr) * blocking.nr, nc)));
    }
  });

  it('DENSENODE_BLOCKING=mc,kc,nc overrides it (mc, nc rounded up to the tile) and products stay correct', () => {
    const [mr, nr] = tiles[info.isa] as [number, number];
    const forced = childRun('100,37,50');
    expect(forced.blocking).toEqual({
      mr,
      nr,
      mc: Math.ceil(100 / mr) * mr,
      kc: 37,
      nc: Math.ceil(50 / nr) * nr,
      wholeK: 37,
      source: 'DENSENODE_BLOCKING',
    });
    // k = 1100 spans many 37-deep blocks, m and n several MC / NC blocks: still the float64 answer.
    expect(forced.error).toBeLessThan(1e-3);
    const tiny = childRun('1,1,1');
    expect(tiny.blocking.kc).toBe(1);
    expect(tiny.error).toBeLessThan(1e-3);
    expect(childRun(undefined).error).toBeLessThan(1e-3);
  });

  it('a malformed DENSENODE_BLOCKING is a RangeError that names it', () => {
    for (const bad of ['', '1,2', '0,1,1', '1,1,70000', '64, 256, 4096', 'a,b,c', '1,2,3,4']) {
      expect(() => selectBackend({ DENSENODE_BACKEND: 'native', DENSENODE_ADDON: addonFile, DENSENODE_BLOCKING: bad })).toThrow(
        /DENSENODE_BLOCKING/,
      );
      expect(() => selectBackend({ DENSENODE_BLOCKING: bad })).toThrow(RangeError);
    }
    expect(() =>
      selectBackend({ DENSENODE_BACKEND: 'native', DENSENODE_ADDON: addonFile, DENSENODE_BLOCKING: '96,256,4096' }),
    ).not.toThrow();
  });

  it('products under the model blocking match a float64 reference across block edges', () => {
    const { blocking } = info;
    if (!blocking) return;
    const m = blocking.mc + 5,
      n = 2 * blocking.nr + 3,
      k = blocking.kc + 9;
    const A = randomFloats(m * k, 3);
    const B = randomFloats(k * n, 4);
    const C = new Float32Array(m * n);
    native.gemm(false, false, m, n, k, 1, A, k, B, n, 0, C, n);
    const { values } = referenceGemm(false, false, m, n, k, 1, A, k, B, n, 0, new Float64Array(m * n), n);
    let worst = 0;
    for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs((C[i] as number) - (values[i] as number)));
    expect(worst).toBeLessThan(1e-3);
  });
});
