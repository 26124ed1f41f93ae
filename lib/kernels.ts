// The public low-level API: the active backend's kernels, each call checked
// first (lib/backend/kernel-checks.ts) so both backends reject bad arguments
// with the same error, and a bad call never reaches native code unchecked.
import type { Backend, BackendInfo, GemmEpilogue } from './backend/backend.js';
import { kernelChecks } from './backend/kernel-checks.js';
import { activeSelection } from './backend/select.js';
import { checkedSignatures, type KernelName, kernelNames } from './backend/signatures.js';
import { checkOptionKeys } from './errors.js';

/** Every kernel of the Backend contract (see lib/backend/backend.ts for each one's math and shapes). */
export type Kernels = Pick<Backend, KernelName>;

// Extra or missing arguments are a TypeError on both backends, as in the binding (which would
// otherwise reject them on the native backend only).
function checkArity(name: string, args: unknown[], counts: readonly number[]): void {
  if (counts.includes(args.length)) return;
  throw new TypeError(`${name}: expected ${counts.join(' or ')} arguments, received ${args.length}`);
}

// gemm's epilogue is read once, so a getter cannot hand the check one bias and the kernel another.
function snapshotEpilogue(epilogue: unknown): unknown {
  if (typeof epilogue !== 'object' || epilogue === null) return epilogue;
  checkOptionKeys('gemm', 'epilogue', epilogue, ['bias', 'activation']); // { relu: true } is no ReLU
  const { bias, activation } = epilogue as GemmEpilogue;
  return { bias, activation };
}

// A background gather writes dst (and reads src) until it settles, and the caller may detach an
// ArrayBuffer meanwhile (a transfer), freeing the memory under the worker. fit settles before any
// user code runs; a caller of this API may run anything, so the gather goes to the background only
// over SharedArrayBuffers, which cannot be detached, and is done at once otherwise (false).
const detachable = (a: unknown) => !(a instanceof Float32Array) || !(a.buffer instanceof SharedArrayBuffer);

function checked<K extends KernelName>(name: K): Kernels[K] {
  const check = kernelChecks[name] as (...args: unknown[]) => void;
  const { arity, params } = checkedSignatures[name];
  const run = (...args: unknown[]): unknown => {
    checkArity(name, args, arity);
    if (name === 'gemm' && args.length === params.length) args[args.length - 1] = snapshotEpilogue(args[args.length - 1]);
    check(...args);
    const { backend } = activeSelection();
    if (name === 'gatherRowsAhead' && (detachable(args[3]) || detachable(args[5]))) {
      backend.gatherRowsSettle(); // the pending gather may be over these arrays
      (backend.gatherRows as (...a: unknown[]) => void)(...args);
      return false;
    }
    return (backend[name] as (...a: unknown[]) => unknown)(...args);
  };
  return run as Kernels[K];
}

/**
 * BLAS-style kernels on row-major Float32Arrays, writing into caller-owned outputs:
 * gemm (with a bias + ReLU epilogue), batch-norm, activations, softmax, losses from
 * logits, dropout, column sums, row gathers, axpy, a non-finite scan, a sum of squares (the
 * clipping norm) and optimizer updates (with optional gradient clipping).
 */
// kernelNames is the signature table's keys, which the type system holds to exactly the Backend's
// kernels, so this object has every kernel and nothing else.
export const kernels = Object.fromEntries(kernelNames.map((name) => [name, checked(name)])) as Kernels;

/** Which backend runs the kernels, its GEMM micro-kernel, its thread count and why it was chosen. */
export function backendInfo(): BackendInfo {
  const { backend, reason } = activeSelection();
  return { ...backend.info(), reason };
}

export { MAX_THREADS } from './backend/signatures.js';

/** Sets the native thread pool's size (1..MAX_THREADS, 256); the JS backend always runs on one thread. */
export const setThreads: (n: number) => void = (...args: unknown[]) => {
  checkArity('setThreads', args, checkedSignatures.setThreads.arity);
  const n = args[0] as number;
  kernelChecks.setThreads(n);
  activeSelection().backend.setThreads(n);
};
