// Wraps the loaded addon in the Backend contract. Apart from gemm's epilogue
// object, the binding's functions already have the Backend's signatures.
import type { NativeBinding } from '../../binding.js';
import type { Backend } from './backend.js';

/** A Backend over a loaded native binding. */
export function nativeBackend(binding: NativeBinding): Backend {
  return {
    name: 'native',
    info: () => {
      const { isa, threads, cpus, caches, blocking } = binding.info();
      return { name: 'native', isa, threads, cpus, caches, blocking };
    },
    setThreads: (n) => binding.setThreads(n),
    packs: {
      length: (m, n, k) => binding.packedBLength(m, n, k),
      pack: (n, k, B, ldb, out) => binding.packB(false, n, k, B, ldb, out),
    },
    gemm: (transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue) =>
      binding.gemm(
        transA,
        transB,
        m,
        n,
        k,
        alpha,
        A,
        lda,
        B,
        ldb,
        beta,
        C,
        ldc,
        epilogue?.bias ?? null,
        epilogue?.activation === 'relu',
        epilogue?.packedB ?? null,
      ),
    batchNormForwardTrain: binding.batchNormForwardTrain,
    batchNormForwardInfer: binding.batchNormForwardInfer,
    batchNormBackward: binding.batchNormBackward,
    activationForward: binding.activationForward,
    activationBackward: binding.activationBackward,
    softmaxForward: binding.softmaxForward,
    softmaxBackward: binding.softmaxBackward,
    sigmoidCrossEntropy: binding.sigmoidCrossEntropy,
    softmaxCrossEntropyLabels: binding.softmaxCrossEntropyLabels,
    softmaxCrossEntropy: binding.softmaxCrossEntropy,
    meanSquaredError: binding.meanSquaredError,
    huber: binding.huber,
    meanAbsoluteError: binding.meanAbsoluteError,
    dropoutApply: binding.dropoutApply,
    dropoutMask: binding.dropoutMask,
    columnSums: binding.columnSums,
    gatherRows: binding.gatherRows,
    gatherRowsAhead: binding.gatherRowsAhead,
    gatherRowsSettle: binding.gatherRowsSettle,
    expandRows: binding.expandRows,
    axpy: binding.axpy,
    findNonFinite: binding.findNonFinite,
    sumOfSquares: binding.sumOfSquares,
    sgdUpdate: binding.sgdUpdate,
    momentumUpdate: binding.momentumUpdate,
    rmspropUpdate: binding.rmspropUpdate,
    adamUpdate: binding.adamUpdate,
  };
}
