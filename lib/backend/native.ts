// Wraps the loaded addon in the Backend contract.
import type { NativeBinding } from '../../binding.js';
import type { Backend } from './backend.js';

/** A Backend over a loaded native binding. */
export function nativeBackend(binding: NativeBinding): Backend {
  return {
    name: 'native',
    info: () => {
      const { isa, threads } = binding.info();
      return { name: 'native', isa, threads };
    },
    setThreads: (n) => binding.setThreads(n),
    gemm: (transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue) =>
      binding.gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue?.bias ?? null, epilogue?.activation === 'relu'),
  };
}
