// The native GEMM's own promises: bitwise-identical results for any thread
// count, every micro-kernel the CPU supports correct when forced with
// DENSENODE_ISA (a name that is no ISA an error), and DENSENODE_THREADS / setThreads sizing the pool.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../lib/backend/select.js';
import { addonFile as addon, binding, native } from './helpers/backends.js';
import { randomFloats, referenceGemm } from './helpers/reference.js';

const defaultThreads = native.info().threads;
afterAll(() => native.setThreads(defaultThreads));

type Shape = [boolean, boolean, number, number, number];
const shapes: Shape[] = [
  [false, false, 1024, 96, 512],
  [true, false, 784, 256, 128],
  [false, true, 128, 784, 256],
  [true, true, 257, 131, 1029],
  [false, false, 128, 10, 128],
  [false, false, 3, 2000, 700],
];

function run([transA, transB, m, n, k]: Shape, relu: boolean): Float32Array {
  const A = randomFloats(m * k, m + k);
  const B = randomFloats(k * n, n + k);
  const C = randomFloats(m * n, 5);
  const bias = randomFloats(n, 6);
  native.gemm(transA, transB, m, n, k, 0.9, A, transA ? m : k, B, transB ? k : n, 0.5, C, n, { bias, activation: relu ? 'relu' : 'none' });
  return C;
}

describe('native gemm across threads and ISAs', () => {
  it('gives bitwise-identical results on 1 and 2 threads', () => {
    for (const shape of shapes) {
      native.setThreads(1);
      const one = run(shape, shape[2] % 2 === 0);
      native.setThreads(2);
      const two = run(shape, shape[2] % 2 === 0);
      expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer)), `shape ${shape.join(',')}`).toBe(true);
    }
  });

  it('setThreads changes the pool size that info() reports', () => {
    native.setThreads(3);
    expect(native.info().threads).toBe(3);
    native.setThreads(1);
    expect(binding.info().threads).toBe(1);
  });

  it('DENSENODE_THREADS sizes the pool at load', () => {
    const code = `console.log(require(${JSON.stringify(addon)}).info().threads)`;
    const result = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, DENSENODE_THREADS: '3' } });
    expect(result.stdout.trim()).toBe('3');
  });

  it('DENSENODE_THREADS that is no integer 1..256 is a RangeError naming it (the addon would ignore it)', () => {
    for (const bad of ['0', '-1', '2.5', 'two', ' 2', '257', '1e2']) {
      expect(() => selectBackend({ DENSENODE_ADDON: addon, DENSENODE_THREADS: bad })).toThrow(
        new RangeError(`densenode: expected an integer 1..256 for DENSENODE_THREADS, received '${bad}'`),
      );
    }
    for (const good of ['', '1', '16', '256'])
      expect(selectBackend({ DENSENODE_ADDON: addon, DENSENODE_THREADS: good }).backend.name).toBe('native');
  });

  const loadInfo = (env: NodeJS.ProcessEnv, wrap: string[] = []) => {
    const code = `console.log(JSON.stringify(require(${JSON.stringify(addon)}).info()))`;
    const argv = [...wrap, process.execPath, '-e', code];
    const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env });
    expect(result.status, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as ReturnType<typeof binding.info>;
  };
  const { DENSENODE_THREADS: _, ...unset } = process.env;

  it('without DENSENODE_THREADS the pool is sized by the CPU budget it reports', () => {
    const info = loadInfo(unset);
    const { online, affinity, quota, threads, source } = info.cpus;
    expect(info.threads).toBe(threads);
    const limits = [online, affinity || online, quota > 0 ? Math.ceil(quota - 1e-9) : online];
    expect(threads).toBe(Math.max(1, Math.min(...limits)));
    expect(['online', 'affinity', 'quota']).toContain(source);
  });

  // taskset (util-linux) pins the process to one CPU, as a cpuset container does; the host's CPU
  // count would give a pool of spinning workers that share that CPU (twice as slow, docs/decisions.md).
  const taskset = process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  it.skipIf(!taskset || loadInfo(unset).cpus.online < 2)('pinned to one CPU (taskset -c 0), the pool has one thread', () => {
    const info = loadInfo(unset, ['taskset', '-c', '0']);
    expect(info.cpus).toMatchObject({ affinity: 1, threads: 1, source: 'affinity' });
    expect(info.threads).toBe(1);
    expect(loadInfo({ ...unset, DENSENODE_THREADS: '2' }, ['taskset', '-c', '0']).threads).toBe(2);
  });

  // What this CPU can run, from /proc/cpuinfo (x86-64 Linux); NEON is baseline on arm64; elsewhere only
  // the portable kernel is expected. `order` is this architecture's ladder, which DENSENODE_ISA lowers through.
  const flags = existsSync('/proc/cpuinfo')
    ? (readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)?.[1]
        ?.split(' ') ?? [])
    : [];
  const has = (...names: string[]) => names.every((name) => flags.includes(name));
  const supported = ['portable'];
  if (process.arch === 'x64' && has('avx2', 'fma')) supported.push('avx2');
  if (process.arch === 'x64' && has('avx512f', 'avx512vl', 'avx512bw', 'avx512dq')) supported.push('avx512');
  if (process.arch === 'arm64') supported.push('neon');
  const order = process.arch === 'arm64' ? ['portable', 'neon'] : ['portable', 'avx2', 'avx512'];

  for (const isa of order) {
    it(`DENSENODE_ISA=${isa} selects ${isa} where the CPU has it (else the best below) and it is correct`, () => {
      const cases: Shape[] = [
        [false, false, 67, 35, 259],
        [true, false, 33, 70, 17],
        [false, true, 129, 31, 64],
        [true, true, 5, 97, 130],
      ];
      const code = `
        const b = require(${JSON.stringify(addon)});
        const cases = ${JSON.stringify(cases)};
        const out = cases.map(([tA, tB, m, n, k], i) => {
          const rand = (len, seed) => { const a = new Float32Array(len); let s = seed >>> 0;
            for (let j = 0; j < len; j++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[j] = s / 2 ** 32 - 0.5; } return a; };
          const A = rand(m * k, i + 1), B = rand(k * n, i + 50), C = rand(m * n, i + 99);
          b.gemm(tA, tB, m, n, k, 1, A, tA ? m : k, B, tB ? k : n, 0.5, C, n, null, false);
          return Array.from(C);
        });
        console.log(JSON.stringify({ isa: b.info().isa, out }));`;
      const result = spawnSync(process.execPath, ['-e', code], {
        encoding: 'utf8',
        env: { ...process.env, DENSENODE_ISA: isa },
        maxBuffer: 1 << 26,
      });
      expect(result.status, result.stderr).toBe(0);
      const { isa: chosen, out } = JSON.parse(result.stdout) as { isa: string; out: number[][] };
      const expected = supported.filter((s) => order.indexOf(s) <= order.indexOf(isa)).pop();
      expect(chosen).toBe(expected);
      cases.forEach(([tA, tB, m, n, k], i) => {
        const rand = (len: number, seed: number) => {
          const a = new Float32Array(len);
          let s = seed >>> 0;
          for (let j = 0; j < len; j++) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            a[j] = s / 2 ** 32 - 0.5;
          }
          return a;
        };
        const ref = referenceGemm(
          tA,
          tB,
          m,
          n,
          k,
          1,
          rand(m * k, i + 1),
          tA ? m : k,
          rand(k * n, i + 50),
          tB ? k : n,
          0.5,
          rand(m * n, i + 99),
          n,
        );
        const got = out[i] as number[];
        for (let j = 0; j < m * n; j++) {
          const tolerance = (k + 4) * 1.2e-7 * (ref.magnitude[j] as number) + 1e-30;
          expect(Math.abs((got[j] as number) - (ref.values[j] as number)) <= tolerance, `${isa} case ${i} element ${j}`).toBe(true);
        }
      });
    });
  }

  it('a DENSENODE_ISA that names no ISA is a RangeError that names it and the choices', () => {
    for (const bad of ['avx9', 'AVX2', 'avx-512', ' avx2', 'sse4']) {
      expect(() => selectBackend({ DENSENODE_BACKEND: 'native', DENSENODE_ADDON: addon, DENSENODE_ISA: bad })).toThrow(
        /'portable', 'avx2', 'avx512' or 'neon' for DENSENODE_ISA/,
      );
      expect(() => selectBackend({ DENSENODE_ISA: bad })).toThrow(RangeError);
    }
    for (const good of ['', 'portable', 'avx2', 'avx512', 'neon']) {
      expect(() => selectBackend({ DENSENODE_BACKEND: 'native', DENSENODE_ADDON: addon, DENSENODE_ISA: good })).not.toThrow();
    }
  });
});
