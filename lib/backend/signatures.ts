// The kernel registry: every kernel's name and argument rules, once. The TypeScript checks
// (kernel-checks.ts), the public wrappers (lib/kernels.ts) and the boundary fuzz read it; the
// C++ binding keeps its own checks (it must never trust its caller), and the fuzz and
// test/kernel-registry.test.ts hold the two to the same rules. The type system holds the table
// to the Backend and NativeBinding signatures, parameter by parameter.
import type { ActivationKind, NativeBinding } from '../../binding.js';
import type { Backend, GemmEpilogue } from './backend.js';

/** The native thread pool's largest size (the 'threads' kind below; native/binding checks the same). */
export const MAX_THREADS = 256;

/** The kernels of the Backend contract, without the backend's own info and thread setting. */
export type KernelName = Exclude<keyof Backend, 'name' | 'info' | 'setThreads' | 'packs'>;
/** What the TypeScript checks cover: the kernels and setThreads. */
export type CheckedName = KernelName | 'setThreads';
/** Every export of the native addon. */
export type BindingName = keyof NativeBinding;

/**
 * One parameter as "<kind> <name> [range]": a trailing ! marks an output, a ? an array that may
 * be null. Kinds: bool; size (a dimension, >= 0), size1 (>= 1), ld (a leading dimension), int1
 * (an integer >= 1), threads (1..256); num (a finite number, or one in the interval written as
 * "(0..1]"); kind (an activation); f32, i32, u8, u32 (typed arrays; an interval after an f32
 * bounds its elements: "[0..Infinity)" is finite and >= 0); epilogue (gemm's options).
 */
type ParamText = string;

interface SignatureText {
  readonly params: readonly ParamText[];
  readonly returns: 'undefined' | 'number' | 'boolean' | 'object';
  /** Trailing parameters a call may leave out. */
  readonly optional?: number;
}

// Every loss ends with the optional per-row weights: absent or null is every row 1, so the
// calls written before the weights keep their meaning.
const rowWeights = 'f32? rowWeights [0..Infinity)';
const lossParams = ['size rows', 'size cols', 'f32 z', 'f32 y', 'num scale', 'f32?! probs', 'f32?! dz', rowWeights] as const;
const regressionParams = ['size rows', 'size cols', 'f32 z', 'f32 y', 'num scale', 'f32?! dz', rowWeights] as const;
// Gradient clipping, the optional trailing pair of every update (both or neither): each gradient
// is read as clamp(g, −clipValue, clipValue)·gradScale; clipValue 0 is no clamp, gradScale 1 no
// scaling, and leaving both out is bitwise the update without clipping.
const clipValue = 'num clipValue [0..Infinity)';
const clipping = ['num gradScale [0..1]', clipValue] as const;
// The decoupled weight decay (AdamW: p −= lr·wd·p) and the coupled L2 term (the update reads
// g + l2·p, before clipping: a kernel regularizer's gradient, fused so that it costs no pass).
const weightDecay = 'num weightDecay [0..1e6]';
const l2 = 'num l2 [0..1e6]';
const gemmOperands = [
  'bool transA',
  'bool transB',
  'size m',
  'size n',
  'size k',
  'num alpha',
  'f32 A',
  'ld lda',
  'f32 B',
  'ld ldb',
  'num beta',
  'f32! C',
  'ld ldc',
] as const;

const checkedTable = {
  setThreads: { params: ['threads n'], returns: 'undefined' },
  gemm: { params: [...gemmOperands, 'epilogue epilogue'], returns: 'undefined', optional: 1 },
  batchNormForwardTrain: {
    params: [
      'size1 batch',
      'size features',
      'f32 x',
      'f32 gamma',
      'f32 beta',
      'num epsilon (0..1]',
      'num momentum [0..1]',
      'f32! runningMean',
      'f32! runningVar',
      'f32! savedMean',
      'f32! savedInvStd',
      'f32! y',
      'bool relu',
      'u8? mask',
      'num keep (0..1]',
    ],
    returns: 'undefined',
    optional: 2,
  },
  batchNormForwardInfer: {
    params: [
      'size batch',
      'size features',
      'f32 x',
      'f32 gamma',
      'f32 beta',
      'f32 runningMean',
      'f32 runningVar',
      'num epsilon (0..1]',
      'f32! y',
      'bool relu',
    ],
    returns: 'undefined',
  },
  batchNormBackward: {
    params: [
      'size1 batch',
      'size features',
      'f32 x',
      'f32? y',
      'f32 dy',
      'f32 gamma',
      'f32 savedMean',
      'f32 savedInvStd',
      'f32! dx',
      'f32! dgamma',
      'f32! dbeta',
      'num dyScale (0..1e6]',
    ],
    returns: 'undefined',
    optional: 1,
  },
  activationForward: { params: ['kind kind', 'size count', 'f32 x', 'f32! y', 'num slope [0..1)'], returns: 'undefined' },
  activationBackward: { params: ['kind kind', 'size count', 'f32 y', 'f32 dy', 'f32! dx', 'num slope [0..1)'], returns: 'undefined' },
  softmaxForward: { params: ['size rows', 'size1 cols', 'f32 x', 'f32! y'], returns: 'undefined' },
  softmaxBackward: { params: ['size rows', 'size1 cols', 'f32 y', 'f32 dy', 'f32! dx'], returns: 'undefined' },
  sigmoidCrossEntropy: { params: lossParams, returns: 'number', optional: 1 },
  softmaxCrossEntropyLabels: {
    params: ['size rows', 'size1 cols', 'f32 z', 'i32 labels', 'num scale', 'f32?! probs', 'f32?! dz', rowWeights],
    returns: 'number',
    optional: 1,
  },
  softmaxCrossEntropy: {
    params: ['size rows', 'size1 cols', 'f32 z', 'f32 y', 'num scale', 'f32?! probs', 'f32?! dz', rowWeights],
    returns: 'number',
    optional: 1,
  },
  meanSquaredError: { params: regressionParams, returns: 'number', optional: 1 },
  huber: {
    params: ['size rows', 'size cols', 'f32 z', 'f32 y', 'num delta (0..1e6]', 'num scale', 'f32?! dz', rowWeights],
    returns: 'number',
    optional: 1,
  },
  meanAbsoluteError: { params: regressionParams, returns: 'number', optional: 1 },
  dropoutApply: { params: ['size count', 'f32 x', 'u8 mask', 'num keep (0..1]', 'f32! y'], returns: 'undefined' },
  dropoutMask: { params: ['size count', 'num keep (0..1]', 'u32! state', 'u8! mask'], returns: 'undefined' },
  columnSums: { params: ['size rows', 'size cols', 'f32 x', 'ld ld', 'num alpha', 'num beta', 'f32! out'], returns: 'undefined' },
  gatherRows: { params: ['size count', 'size cols', 'size rows', 'f32 src', 'u32 indices', 'f32! dst'], returns: 'undefined' },
  gatherRowsAhead: { params: ['size count', 'size cols', 'size rows', 'f32 src', 'u32 indices', 'f32! dst'], returns: 'boolean' },
  gatherRowsSettle: { params: [], returns: 'undefined' },
  expandRows: {
    params: [
      'size count',
      'size rows',
      'size1 stride',
      'size cols',
      'f32 src',
      'u32 indices',
      'size parts',
      'i32 layout',
      'f32! dst',
      'f32! targets',
    ],
    returns: 'undefined',
  },
  axpy: { params: ['size count', 'num a', 'f32 x', 'f32! y'], returns: 'undefined' },
  findNonFinite: { params: ['size count', 'f32 x'], returns: 'number' },
  sumOfSquares: { params: ['size count', 'f32 x', clipValue], returns: 'number', optional: 1 },
  sgdUpdate: {
    params: ['size count', 'f32! params', 'f32 grads', 'num lr [0..1e6]', weightDecay, l2, ...clipping],
    returns: 'number',
    optional: 2,
  },
  momentumUpdate: {
    params: [
      'size count',
      'f32! params',
      'f32 grads',
      'f32! velocity',
      'num lr [0..1e6]',
      'num beta1 [0..1)',
      weightDecay,
      l2,
      ...clipping,
    ],
    returns: 'number',
    optional: 2,
  },
  rmspropUpdate: {
    params: [
      'size count',
      'f32! params',
      'f32 grads',
      'f32! square',
      'num lr [0..1e6]',
      'num beta2 [0..1)',
      'num epsilon (0..1]',
      weightDecay,
      l2,
      ...clipping,
    ],
    returns: 'number',
    optional: 2,
  },
  adamUpdate: {
    params: [
      'size count',
      'f32! params',
      'f32 grads',
      'f32! m',
      'f32! v',
      'num lr [0..1e6]',
      'num beta1 [0..1)',
      'num beta2 [0..1)',
      'num epsilon (0..1]',
      'int1 step',
      weightDecay,
      l2,
      ...clipping,
    ],
    returns: 'number',
    optional: 2,
  },
} as const satisfies { readonly [K in CheckedName]: SignatureText };

// The addon differs from the public kernels only in gemm (a bias and a flag for the epilogue
// object, and the backend's weight pack), in info, which takes nothing, and in the weight packs
// (Backend.packs, not a kernel: their layout is the native GEMM's own).
const { gemm: _publicGemm, ...sharedTable } = checkedTable;
const bindingTable = {
  ...sharedTable,
  gemm: { params: [...gemmOperands, 'f32? bias', 'bool relu', 'f32? packedB'], returns: 'undefined', optional: 1 },
  packedBLength: { params: ['size m', 'size n', 'size k'], returns: 'number' },
  packB: { params: ['bool transB', 'size n', 'size k', 'f32 B', 'ld ldb', 'f32! out'], returns: 'undefined' },
  info: { params: [], returns: 'object' },
} as const satisfies { readonly [K in BindingName]: SignatureText };

// ---- the table against the TypeScript signatures ----------------------------------------------

interface KindTypes {
  bool: boolean;
  size: number;
  size1: number;
  ld: number;
  int1: number;
  threads: number;
  num: number;
  kind: ActivationKind;
  f32: Float32Array;
  'f32?': Float32Array | null;
  i32: Int32Array;
  u8: Uint8Array;
  'u8?': Uint8Array | null;
  u32: Uint32Array;
  epilogue: GemmEpilogue;
}
type KindOf<S> = S extends `${infer K} ${string}` ? (K extends `${infer B}!` ? B : K) : never;
type ArgTypes<P extends readonly string[]> = { -readonly [I in keyof P]: KindTypes[KindOf<P[I]> & keyof KindTypes] };
// As functions, since void only reads clearly as a return type.
interface ReturnTypes {
  undefined: () => void;
  number: () => number;
  boolean: () => boolean;
  object: NativeBinding['info'];
}
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Agrees<S, F> = S extends { params: infer P extends readonly string[]; returns: infer R extends keyof ReturnTypes }
  ? F extends (...args: infer A) => infer Out
    ? Same<[ArgTypes<P>, ReturnTypes[R]], [Required<A>, () => Out]>
    : false
  : false;
type Disagreeing<T, Fns> = { [K in keyof T & keyof Fns]: Agrees<T[K], Fns[K]> extends true ? never : K }[keyof T & keyof Fns];

// A compile error here ("property 'x' is missing") names an entry whose kinds, arity or result
// differ from the interface's signature.
const checkedAgree: { [K in Disagreeing<typeof checkedTable, Backend>]: 'differs from Backend' } = {};
const bindingAgrees: { [K in Disagreeing<typeof bindingTable, NativeBinding>]: 'differs from NativeBinding' } = {};
void checkedAgree;
void bindingAgrees;

// ---- parsed signatures ------------------------------------------------------------------------

export type Kind = 'bool' | 'size' | 'ld' | 'int' | 'num' | 'kind' | 'f32' | 'f32?' | 'i32' | 'u8' | 'u8?' | 'u32' | 'epilogue';

/** One parameter: its kind, its name, and for numbers in a range (or an f32's elements), the interval. */
export interface Param {
  kind: Kind;
  name: string;
  output: boolean;
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
  /** Sizes and integers: the smallest and largest valid value. */
  min: number;
  max: number;
}

export interface Signature {
  params: readonly Param[];
  returns: SignatureText['returns'];
  /** The argument counts a call may pass: all, or all but the optional trailing ones. */
  arity: readonly number[];
}

const MAX_DIM = 2 ** 31 - 1;

function parseParam(text: ParamText): Param {
  const [rawKind = '', name = '', range] = text.split(' ');
  const output = rawKind.endsWith('!');
  let kind = rawKind.replace('!', '');
  let [min, max] = [0, MAX_DIM];
  if (kind === 'size1') [kind, min] = ['size', 1];
  if (kind === 'int1') [kind, min] = ['int', 1];
  if (kind === 'threads') [kind, min, max] = ['int', 1, MAX_THREADS];
  const interval = /^([[(])(.+)\.\.(.+)([\])])$/.exec(range ?? '');
  return {
    kind: kind as Kind,
    name,
    output,
    lo: interval ? Number(interval[2]) : Number.NEGATIVE_INFINITY,
    hi: interval ? Number(interval[3]) : Number.POSITIVE_INFINITY,
    loOpen: interval?.[1] === '(',
    hiOpen: interval?.[4] === ')',
    min,
    max,
  };
}

function parse<T extends Record<string, SignatureText>>(table: T): { readonly [K in keyof T]: Signature } {
  const entries = Object.entries(table).map(([name, s]) => {
    const params = s.params.map(parseParam);
    const optional = s.optional ?? 0;
    const arity = optional > 0 ? [params.length - optional, params.length] : [params.length];
    return [name, { params, returns: s.returns, arity }] as const;
  });
  return Object.fromEntries(entries) as unknown as { [K in keyof T]: Signature };
}

/** The public kernels' and setThreads' signatures (gemm with its epilogue object). */
export const checkedSignatures = parse(checkedTable);
/** The native addon's exports' signatures. */
export const bindingSignatures = parse(bindingTable);

/** Every kernel's name, in the table's order. */
export const kernelNames = Object.keys(checkedTable).filter((name): name is KernelName => name !== 'setThreads');

/** The activation kinds, as the binding spells them. */
export const ACTIVATIONS: readonly ActivationKind[] = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'];
