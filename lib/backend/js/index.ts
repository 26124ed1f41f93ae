// The pure-TypeScript backend: the same contract as the native one, one thread.
import type { Backend } from '../backend.js';
import { activationBackward, activationForward, softmaxBackward, softmaxForward } from './activations.js';
import { batchNormBackward, batchNormForwardInfer, batchNormForwardTrain } from './batchnorm.js';
import {
  axpy,
  columnSums,
  dropoutApply,
  dropoutMask,
  findNonFinite,
  gatherRows,
  gatherRowsAhead,
  gatherRowsSettle,
} from './elementwise.js';
import { gemm } from './gemm.js';
import {
  huber,
  meanAbsoluteError,
  meanSquaredError,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
  softmaxCrossEntropyLabels,
} from './losses.js';
import { adamUpdate, momentumUpdate, rmspropUpdate, sgdUpdate, sumOfSquares } from './optimizers.js';
import { expandRows } from './rows.js';

/** The JS fallback backend. */
export const jsBackend: Backend = {
  name: 'js',
  info: () => ({ name: 'js', isa: 'js', threads: 1 }),
  // JavaScript kernels run on the calling thread; the count is validated by the caller and ignored.
  setThreads: () => {},
  // The JS GEMM reads B in place: nothing to pack.
  packs: null,
  gemm: (transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue) =>
    gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue?.bias ?? null, epilogue?.activation === 'relu'),
  batchNormForwardTrain,
  batchNormForwardInfer,
  batchNormBackward,
  activationForward,
  activationBackward,
  softmaxForward,
  softmaxBackward,
  sigmoidCrossEntropy,
  softmaxCrossEntropyLabels,
  softmaxCrossEntropy,
  meanSquaredError,
  huber,
  meanAbsoluteError,
  dropoutApply,
  dropoutMask,
  columnSums,
  gatherRows,
  gatherRowsAhead,
  gatherRowsSettle,
  expandRows,
  axpy,
  findNonFinite,
  sumOfSquares,
  sgdUpdate,
  momentumUpdate,
  rmspropUpdate,
  adamUpdate,
};
