// Builds and runs bench/openblas/sgemm.cc when libopenblas-dev is installed
// (Debian), so the GEMM benchmark can compare with OpenBLAS in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
 * GFLOP/s of cblas_sgemm for each [transA, transB, m, n, k] shape. OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE are unset for this process only, so OpenBLAS picks its own kernel for this CPU.
 */
export function runOpenBlas(threads, budget, shapes) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [String(threads), String(budget), ...shapes.map(([tA, tB, m, n, k]) => `${+tA},${+tB},${m},${n},${k}`)];
  const result = spawnSync(binary, args, { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`openblas_sgemm failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}
