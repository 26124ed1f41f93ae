// Builds bench/openblas/sgemm.cc when libopenblas-dev is installed (Debian) and runs it as a
// server the GEMM benchmark asks for one timed repetition at a time, alternating with densenode's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = join(root, 'build', 'bench', 'openblas_sgemm');

/** Compiles the OpenBLAS timer; returns null (with the reason) when OpenBLAS is absent. */
export function buildOpenBlas() {
  mkdirSync(dirname(binary), { recursive: true });
  const source = join(root, 'bench', 'openblas', 'sgemm.cc');
  const result = spawnSync('g++', ['-O2', '-std=c++17', '-o', binary, source, '-lopenblas'], { encoding: 'utf8' });
  if (result.status !== 0 || !existsSync(binary)) {
    return { error: 'OpenBLAS not found (apt-get install libopenblas-dev to add the column)' };
  }
  return { binary };
}

/**
 * Starts the timer. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for it, so OpenBLAS picks its
 * own kernel for this CPU, unless `core` names one (`--openblas-core=Zen`: on an AVX-512 machine,
 * OpenBLAS's AVX2 kernel beside densenode's AVX2 tile under DENSENODE_ISA=avx2).
 * `gflops(threads, [tA, tB, m, n, k], seconds)` times one repetition while this process waits;
 * `close()` ends it.
 */
export async function startOpenBlas(binaryPath, core) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (core !== undefined) env.OPENBLAS_CORETYPE = core;
  const child = spawn(binaryPath, [], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('openblas_sgemm exited early');
    return value;
  };
  const { corename } = JSON.parse(await next());
  return {
    corename,
    async gflops(threads, [tA, tB, m, n, k], seconds) {
      child.stdin.write(`${threads} ${+tA} ${+tB} ${m} ${n} ${k} ${seconds}\n`);
      return Number(await next());
    },
    close() {
      child.stdin.end();
    },
  };
}
