// The public low-level API: the active backend's kernels, each call checked
// first (lib/backend/kernel-checks.ts) so both backends reject bad arguments
// with the same error, and a bad call never reaches native code unchecked.
import type { Backend, BackendInfo } from './backend/backend.js';
import { kernelChecks } from './backend/kernel-checks.js';
import { activeSelection } from './backend/select.js';

/** Every kernel of the Backend contract (see lib/backend/backend.ts for each one's math and shapes). */
export type Kernels = Omit<Backend, 'name' | 'info' | 'setThreads'>;
type KernelName = keyof Kernels;

function checked<K extends KernelName>(name: K): Kernels[K] {
  const check = kernelChecks[name] as (...args: unknown[]) => void;
  const run = (...args: unknown[]): unknown => {
    check(...args);
    return (activeSelection().backend[name] as (...a: unknown[]) => unknown)(...args);
  };
  return run as Kernels[K];
}

const names: KernelName[] = [
  'gemm',
  'batchNormForwardTrain',
  'batchNormForwardInfer',
  'batchNormBackward',
  'activationForward',
  'activationBackward',
  'softmaxForward',
  'softmaxBackward',
  'sigmoidCrossEntropy',
  'softmaxCrossEntropyLabels',
  'softmaxCrossEntropy',
  'meanSquaredError',
  'dropoutApply',
  'dropoutMask',
  'columnSums',
  'axpy',
  'findNonFinite',
  'sgdUpdate',
  'momentumUpdate',
  'rmspropUpdate',
  'adamUpdate',
];

/**
 * BLAS-style kernels on row-major Float32Arrays, writing into caller-owned outputs:
 * gemm (with a bias + ReLU epilogue), batch-norm, activations, softmax, losses from
 * logits, dropout, column sums, axpy, a non-finite scan and optimizer updates.
 */
export const kernels = Object.fromEntries(names.map((name) => [name, checked(name)])) as Kernels;

/** Which backend runs the kernels, its GEMM micro-kernel, its thread count and why it was chosen. */
export function backendInfo(): BackendInfo {
  const { backend, reason } = activeSelection();
  return { ...backend.info(), reason };
}

/** Sets the native thread pool's size (1..256); the JS backend always runs on one thread. */
export function setThreads(n: number): void {
  kernelChecks.setThreads(n);
  activeSelection().backend.setThreads(n);
}
