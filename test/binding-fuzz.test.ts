// A seeded fuzz of the native boundary. Every export of the raw binding, and every public kernel
// on the active backend, gets random valid calls (which must return, write nothing outside their
// outputs and leave their inputs alone) and mutated ones: wrong types, undefined/null, huge,
// negative, fractional and NaN sizes, shapes whose products overflow 32 and 53 bits, arrays one
// element short, byteOffset views, detached and SharedArrayBuffer-backed arrays, look-alike
// arrays, aliased outputs, extra and missing arguments, several bad arguments at once. Every
// call must return or throw a TypeError/RangeError whose message starts with the function's
// name; the process must survive (under ASan/UBSan too: scripts/sanitize.mjs). The raw binding's
// outcome is also compared with the TypeScript checks (lib/backend/kernel-checks.ts), which must
// blame the same argument. Every parameter's kind, name and range comes from the kernel registry
// (lib/backend/signatures.ts), the table the TypeScript checks read, so a rule that drifts from
// the binding's fails here. DENSENODE_FUZZ_SEED replays a run; DENSENODE_FUZZ_MS sets the budget.
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelChecks } from '../lib/backend/kernel-checks.js';
import {
  ACTIVATIONS,
  type BindingName,
  bindingSignatures,
  type CheckedName,
  checkedSignatures,
  type Kind,
  type Param,
  type Signature,
} from '../lib/backend/signatures.js';
import { backendInfo, type GemmEpilogue, kernels, setThreads } from '../lib/index.js';
import { binding } from './helpers/backends.js';

const SEED = process.env.DENSENODE_FUZZ_SEED ? Number(process.env.DENSENODE_FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
// Each fuzz loop runs at least this long and at least its share of the calls, and stops at the cap.
const BUDGET_MS = Number(process.env.DENSENODE_FUZZ_MS ?? 3000);
const CAP_MS = Math.max(BUDGET_MS, 9000);
const MIN_CALLS = { binding: 12_000, kernels: 8_000 };
// Nothing the fuzz generates needs more than a few ms, even under ASan: anything slower is a
// loop over a huge dimension whose product with another is 0.
const SLOW_MS = 1000;

// Straight to stderr, before any call: a crash leaves no failure message to read the seed from.
process.stderr.write(`binding-fuzz: DENSENODE_FUZZ_SEED=${SEED} replays this run\n`);

type Fn = (...args: unknown[]) => unknown;
const defaultThreads = binding.info().threads;
afterAll(() => binding.setThreads(defaultThreads));

// mulberry32: small, fast, and every run is replayable from its seed.
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

// ---- arrays -----------------------------------------------------------------------------------

type Elem = 'f32' | 'i32' | 'u8' | 'u32';
type Typed = Float32Array | Int32Array | Uint8Array | Uint32Array;
const SENTINEL: Record<Elem, number> = { f32: -7777.25, i32: -7777, u8: 0xa5, u32: 0xa5a5a5a5 };
interface TypedCtor {
  new (length: number): Typed;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): Typed;
  readonly BYTES_PER_ELEMENT: number;
  readonly prototype: Typed;
}
const CTOR: Record<Elem, TypedCtor> = { f32: Float32Array, i32: Int32Array, u8: Uint8Array, u32: Uint32Array };
const OtherRealmFloat32Array = vm.runInNewContext('Float32Array') as Float32ArrayConstructor;
class SubFloat32Array extends Float32Array {}

/** Cells around a view that a call must never write. */
interface Guard {
  base: Typed;
  ranges: [number, number][];
  /** Cells inside the view past what the valid call needs: guarded only in unmutated rounds, since a mutated size may legally reach them. */
  slack: [number, number];
  sentinel: number;
}

/** An array argument of a valid call: where it is and how many elements the call may touch. */
interface ArrayArg {
  index: number;
  elem: Elem;
  need: number;
  output: boolean;
  view: Typed;
}

function fillValues(r: Rng, view: Typed, elem: Elem, labelsBelow: number): void {
  for (let i = 0; i < view.length; i++) {
    if (elem === 'i32') view[i] = r.int(0, labelsBelow - 1);
    else if (elem === 'u8') view[i] = r.chance(0.9) ? r.int(0, 1) : r.int(0, 255);
    // Row indices (labelsBelow rows), else PRNG state words, some of them zero.
    else if (elem === 'u32')
      view[i] = labelsBelow > 0 ? r.int(0, labelsBelow - 1) : r.chance(0.05) ? 0 : r.int(0, 0xffff) * 0x10000 + r.int(0, 0xffff);
    else if (r.chance(0.02)) view[i] = r.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e-40, 3e38, -3e38]);
    else view[i] = r.next() * 4 - 2;
  }
  keepStateNonZero(view, elem, labelsBelow);
}

// A valid call's PRNG state is never all zero (one in 160 000 draws was, and failed as valid);
// the all-zero refusal is tested in kernels.test.ts. `view` is what the call reads: a view with
// slack past it is checked again once the slack holds the sentinel (its random words had hidden
// an all-zero state: seed 1108169240).
function keepStateNonZero(view: Typed, elem: Elem, labelsBelow: number): void {
  if (elem === 'u32' && labelsBelow === 0 && view.length > 0 && view.every((v) => v === 0)) view[0] = 1;
}

/** A fresh array of `length` elements in a random layout; guarded layouts register their guards. */
function makeArray(r: Rng, elem: Elem, length: number, guards: Guard[], labelsBelow = 0): Typed {
  const Ctor = CTOR[elem];
  const layout = r.int(0, 9);
  let view: Typed;
  if (layout <= 2) {
    // Exactly `length` elements in its own buffer: a read or write past the end hits an ASan redzone.
    view = new Ctor(length);
  } else if (layout <= 6) {
    // A byteOffset view into a bigger buffer (sometimes shared, sometimes longer than needed):
    // the cells around it must keep their sentinel.
    const pre = r.int(0, 5);
    const slack = r.chance(0.3) ? r.int(1, 4) : 0;
    const post = r.int(0, 5);
    const total = pre + length + slack + post;
    const buffer = r.chance(0.4) ? new SharedArrayBuffer(total * Ctor.BYTES_PER_ELEMENT) : new ArrayBuffer(total * Ctor.BYTES_PER_ELEMENT);
    const base = new Ctor(buffer);
    base.fill(SENTINEL[elem]);
    view = base.subarray(pre, pre + length + slack);
    guards.push({
      base,
      ranges: [
        [0, pre],
        [pre + length + slack, total],
      ],
      slack: [pre + length, pre + length + slack],
      sentinel: SENTINEL[elem],
    });
    fillValues(r, view, elem, labelsBelow);
    view.fill(SENTINEL[elem], length);
    keepStateNonZero(view.subarray(0, length), elem, labelsBelow);
    return view;
  } else if (layout === 7 && elem === 'f32') {
    view = new OtherRealmFloat32Array(length);
  } else if (layout === 8 && elem === 'f32') {
    view = new SubFloat32Array(length);
  } else if (r.chance(0.5)) {
    view = new Ctor(new SharedArrayBuffer(length * Ctor.BYTES_PER_ELEMENT));
  } else {
    // A resizable ArrayBuffer (or growable SharedArrayBuffer), with a length-tracking view or a
    // fixed one; grown after the view was made, which never moves what the view covers.
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    const buffer = r.chance(0.5) ? resizable(bytes, bytes + 64) : growable(bytes, bytes + 64);
    view = r.chance(0.5) ? new Ctor(buffer) : new Ctor(buffer, 0, length);
    if (r.chance(0.5))
      (buffer as { resize?: (n: number) => void; grow?: (n: number) => void })[buffer instanceof SharedArrayBuffer ? 'grow' : 'resize']?.(
        bytes + 32,
      );
  }
  fillValues(r, view, elem, labelsBelow);
  return view;
}

// Resizable buffers are ES2024 (Node 20 has them; this project's TypeScript lib is ES2022).
type SizedBufferCtor<B> = new (bytes: number, options: { maxByteLength: number }) => B;
function resizable(bytes: number, max: number): ArrayBuffer {
  return new (ArrayBuffer as unknown as SizedBufferCtor<ArrayBuffer>)(bytes, { maxByteLength: max });
}
function growable(bytes: number, max: number): SharedArrayBuffer {
  return new (SharedArrayBuffer as unknown as SizedBufferCtor<SharedArrayBuffer>)(bytes, { maxByteLength: max });
}

function detached(elem: Elem, length: number): Typed {
  const buffer = new ArrayBuffer(Math.max(1, length) * CTOR[elem].BYTES_PER_ELEMENT);
  const view = new CTOR[elem](buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

// ---- valid calls ------------------------------------------------------------------------------

/** A call under construction: arguments in order, with the arrays' layout recorded. */
class Call {
  args: unknown[] = [];
  arrays: ArrayArg[] = [];
  guards: Guard[] = [];
  constructor(
    readonly r: Rng,
    readonly params: readonly Param[],
  ) {}

  private get param(): Param {
    const p = this.params[this.args.length];
    if (!p) throw new Error(`fuzz spec: too many arguments (${this.args.length})`);
    return p;
  }

  /** The next argument, whatever it is (sizes and arrays have their own methods). */
  value(v: unknown): this {
    this.args.push(v);
    return this;
  }

  /** A valid value for the next boolean, activation kind or number parameter. */
  auto(): this {
    const p = this.param;
    const r = this.r;
    if (p.kind === 'bool') return this.value(r.chance(0.5));
    if (p.kind === 'kind') return this.value(r.pick(ACTIVATIONS));
    if (p.kind !== 'num') throw new Error(`fuzz spec: auto() for ${p.kind} ${p.name}`);
    if (!Number.isFinite(p.lo)) return this.value(r.pick([0, -0, 1, -1, 0.5, 1e-40, 3e38, -3e38, r.next() * 6 - 3, r.next() * 6 - 3]));
    const edges = [p.loOpen ? null : p.lo, p.hiOpen ? null : p.hi, p.lo === 0 && !p.loOpen ? -0 : null].filter((v) => v !== null);
    if (edges.length > 0 && r.chance(0.15)) return this.value(r.pick(edges));
    const span = Math.min(p.hi - p.lo, 10);
    let v = p.lo + r.next() * span;
    if ((p.loOpen && v <= p.lo) || (p.hiOpen && v >= p.hi)) v = p.lo + span / 2;
    return this.value(v);
  }

  /** Several auto() values in a row. */
  autos(count: number): this {
    for (let i = 0; i < count; i++) this.auto();
    return this;
  }

  size(v: number): this {
    return this.value(v);
  }

  array(elem: Elem, need: number, labelsBelow = 0): this {
    const p = this.param;
    const view = makeArray(this.r, elem, need, this.guards, labelsBelow);
    this.arrays.push({ index: this.args.length, elem, need, output: p.output, view });
    return this.value(view);
  }

  f32(need: number): this {
    return this.array('f32', need);
  }

  /** An optional Float32Array: null a third of the time. */
  f32opt(need: number): this {
    return this.r.chance(0.33) ? this.value(null) : this.f32(need);
  }

  /**
   * The optional trailing row weights of a loss: left out a fifth of the time, else null or an
   * array whose elements lie in the parameter's interval ([0..Infinity): finite, >= 0).
   */
  rowWeights(rows: number): this {
    const p = this.param;
    if (this.r.chance(0.2)) return this;
    if (this.r.chance(0.3)) return this.value(null);
    this.f32(rows);
    const view = this.args[this.args.length - 1] as Float32Array;
    for (let i = 0; i < rows; i++) view[i] = inInterval(this.r, p);
    return this;
  }

  i32labels(rows: number, cols: number): this {
    return this.array('i32', rows, cols);
  }

  u8(need: number): this {
    return this.array('u8', need);
  }

  /** An optional Uint8Array: null a third of the time. */
  u8opt(need: number): this {
    return this.r.chance(0.33) ? this.value(null) : this.u8(need);
  }

  u32(need: number): this {
    return this.array('u32', need);
  }

  /** Row indices below `rows` (at least 1). */
  u32indices(need: number, rows: number): this {
    return this.array('u32', need, rows);
  }

  /** Sets the last array argument's elements (a valid call's contents that random values would not be). */
  fill(set: (view: Typed) => void): this {
    set(this.args[this.args.length - 1] as Typed);
    return this;
  }

  /** The very same array as an earlier argument (the in-place calls the contract allows). */
  same(name: string): this {
    const index = this.params.findIndex((p) => p.name === name);
    const earlier = this.arrays.find((a) => a.index === index);
    if (!earlier) throw new Error(`fuzz spec: same(${name})`);
    this.arrays.push({ ...earlier, index: this.args.length, output: true });
    return this.value(earlier.view);
  }
}

// An element inside an array parameter's interval, as the fuzz draws them (edges included).
function inInterval(r: Rng, p: Param): number {
  const v = p.lo + r.pick([0, 0, 1, 2, 0.5, 1e-40, 1e30, r.next() * 3]);
  if (v === p.lo && !p.loOpen && p.lo === 0 && r.chance(0.3)) return -0;
  return Math.min(v, p.hi === Number.POSITIVE_INFINITY ? v : p.hi);
}

// Dimensions: mostly tiny, sometimes 0, now and then big enough for the threaded paths.
function dim(r: Rng, big = 300): number {
  if (r.chance(0.08)) return 0;
  if (r.chance(0.01)) return r.int(big / 2, big);
  return r.int(1, 9);
}
function count(r: Rng): number {
  if (r.chance(0.08)) return 0;
  if (r.chance(0.01)) return r.int(65_537, 70_000); // above the kernels' parallel threshold
  return r.int(1, 40);
}
function pad(r: Rng): number {
  return r.chance(0.5) ? 0 : r.int(1, 5);
}
const span = (rows: number, cols: number, ld: number) => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);

// A signature from the registry (lib/backend/signatures.ts) and a generator of valid calls to it.
interface Spec extends Signature {
  valid: (c: Call) => void;
}

function spec(signature: Signature, valid: (c: Call) => void): Spec {
  return { ...signature, valid };
}

/** The next output: a fresh array, or now and then the very input it may replace in place. */
function inPlace(c: Call, input: string, need: number): Call {
  return c.r.chance(0.25) ? c.same(input) : c.f32(need);
}

function gemmShape(c: Call): { m: number; n: number; k: number; tA: boolean; tB: boolean } {
  const r = c.r;
  const tA = r.chance(0.5);
  const tB = r.chance(0.5);
  const m = dim(r, 160);
  const n = dim(r, 160);
  const k = dim(r, 160);
  return { m, n, k, tA, tB };
}

function gemmOperands(c: Call, { m, n, k, tA, tB }: ReturnType<typeof gemmShape>): Call {
  const [aRows, aCols] = tA ? [k, m] : [m, k];
  const [bRows, bCols] = tB ? [n, k] : [k, n];
  const lda = Math.max(1, aCols) + pad(c.r);
  const ldb = Math.max(1, bCols) + pad(c.r);
  const ldc = Math.max(1, n) + pad(c.r);
  c.value(tA).value(tB).size(m).size(n).size(k).auto();
  c.f32(span(aRows, aCols, lda))
    .size(lda)
    .f32(span(bRows, bCols, ldb))
    .size(ldb)
    .auto();
  return c.f32(span(m, n, ldc)).size(ldc);
}

function denseLoss(minCols: number) {
  return (c: Call) => {
    const rows = dim(c.r);
    const cols = Math.max(minCols, dim(c.r));
    c.size(rows)
      .size(cols)
      .f32(rows * cols)
      .f32(rows * cols)
      .auto()
      .f32opt(rows * cols);
    if (c.r.chance(0.25)) c.same('z');
    else c.f32opt(rows * cols);
    c.rowWeights(rows);
  };
}

// meanSquaredError, huber (with its delta) and meanAbsoluteError: (rows, cols, z, y, [delta,] scale, dz, rowWeights?).
function regressionLoss(withDelta: boolean) {
  return (c: Call) => {
    const rows = dim(c.r);
    const cols = dim(c.r);
    c.size(rows)
      .size(cols)
      .f32(rows * cols)
      .f32(rows * cols)
      .autos(withDelta ? 2 : 1);
    if (c.r.chance(0.25)) c.same('z');
    else c.f32opt(rows * cols);
    c.rowWeights(rows);
  };
}

// The updates' optional trailing (gradScale, clipValue): left out a third of the time, else both,
// from their intervals ([0..1] and [0..Infinity): 0, the edges and values up to 10).
function clipping(c: Call): void {
  if (c.r.chance(0.67)) c.autos(2);
}

// gatherRows and gatherRowsAhead: n rows picked from a pool of rows × cols.
function gatherCall(c: Call): void {
  const n = count(c.r);
  const cols = dim(c.r);
  const rows = n > 0 ? Math.max(1, dim(c.r)) : dim(c.r);
  c.size(n)
    .size(cols)
    .size(rows)
    .f32(rows * cols)
    .u32indices(n, Math.max(1, rows))
    .f32(n * cols);
}

/** Valid-call generators for every export of the raw binding. */
const bindingSpecs: Record<BindingName, Spec> = {
  gemm: spec(bindingSignatures.gemm, (c) => {
    const shape = gemmShape(c);
    gemmOperands(c, shape).f32opt(shape.n).auto();
    // Half the calls pass a weight pack (its contents are any floats: the fuzz checks memory, not sums).
    if (c.r.chance(0.5)) c.f32opt(binding.packedBLength(shape.m, shape.n, shape.k));
  }),
  packedBLength: spec(bindingSignatures.packedBLength, (c) => c.size(dim(c.r, 160)).size(dim(c.r, 160)).size(dim(c.r, 160))),
  packB: spec(bindingSignatures.packB, (c) => {
    const tB = c.r.chance(0.5);
    const n = dim(c.r, 160);
    const k = dim(c.r, 160);
    const [rows, cols] = tB ? [n, k] : [k, n];
    const ldb = Math.max(1, cols) + pad(c.r);
    c.value(tB)
      .size(n)
      .size(k)
      .f32(span(rows, cols, ldb))
      .size(ldb)
      .f32(binding.packedBLength(2 ** 31 - 1, n, k));
  }),
  setThreads: spec(bindingSignatures.setThreads, (c) => c.size(c.r.pick([1, 2, 2, 3, 4]))),
  info: spec(bindingSignatures.info, () => {}),
  batchNormForwardTrain: spec(bindingSignatures.batchNormForwardTrain, (c) => {
    const batch = Math.max(1, dim(c.r));
    const f = dim(c.r);
    c.size(batch)
      .size(f)
      .f32(batch * f)
      .f32(f)
      .f32(f)
      .autos(2)
      .f32(f)
      .f32(f)
      .f32(f)
      .f32(f);
    inPlace(c, 'x', batch * f)
      .auto()
      .u8opt(batch * f)
      .auto();
  }),
  batchNormForwardInfer: spec(bindingSignatures.batchNormForwardInfer, (c) => {
    const batch = dim(c.r);
    const f = dim(c.r);
    c.size(batch)
      .size(f)
      .f32(batch * f)
      .f32(f)
      .f32(f)
      .f32(f)
      .f32(f)
      .auto();
    inPlace(c, 'x', batch * f).auto();
  }),
  batchNormBackward: spec(bindingSignatures.batchNormBackward, (c) => {
    const batch = Math.max(1, dim(c.r));
    const f = dim(c.r);
    c.size(batch)
      .size(f)
      .f32(batch * f)
      .f32opt(batch * f)
      .f32(batch * f)
      .f32(f)
      .f32(f)
      .f32(f);
    inPlace(c, 'dy', batch * f)
      .f32(f)
      .f32(f)
      .auto();
  }),
  activationForward: spec(bindingSignatures.activationForward, (c) => {
    const n = count(c.r);
    c.auto().size(n).f32(n);
    inPlace(c, 'x', n).auto();
  }),
  activationBackward: spec(bindingSignatures.activationBackward, (c) => {
    const n = count(c.r);
    c.auto().size(n).f32(n).f32(n);
    inPlace(c, 'dy', n).auto();
  }),
  softmaxForward: spec(bindingSignatures.softmaxForward, (c) => {
    const rows = dim(c.r);
    const cols = Math.max(1, dim(c.r));
    c.size(rows)
      .size(cols)
      .f32(rows * cols);
    inPlace(c, 'x', rows * cols);
  }),
  softmaxBackward: spec(bindingSignatures.softmaxBackward, (c) => {
    const rows = dim(c.r);
    const cols = Math.max(1, dim(c.r));
    c.size(rows)
      .size(cols)
      .f32(rows * cols)
      .f32(rows * cols);
    inPlace(c, 'dy', rows * cols);
  }),
  sigmoidCrossEntropy: spec(bindingSignatures.sigmoidCrossEntropy, denseLoss(0)),
  softmaxCrossEntropyLabels: spec(bindingSignatures.softmaxCrossEntropyLabels, (c) => {
    const rows = dim(c.r);
    const cols = Math.max(1, dim(c.r));
    c.size(rows)
      .size(cols)
      .f32(rows * cols)
      .i32labels(rows, cols)
      .auto()
      .f32opt(rows * cols);
    if (c.r.chance(0.25)) c.same('z');
    else c.f32opt(rows * cols);
    c.rowWeights(rows);
  }),
  softmaxCrossEntropy: spec(bindingSignatures.softmaxCrossEntropy, denseLoss(1)),
  meanSquaredError: spec(bindingSignatures.meanSquaredError, regressionLoss(false)),
  huber: spec(bindingSignatures.huber, regressionLoss(true)),
  meanAbsoluteError: spec(bindingSignatures.meanAbsoluteError, regressionLoss(false)),
  dropoutApply: spec(bindingSignatures.dropoutApply, (c) => {
    const n = count(c.r);
    c.size(n).f32(n).u8(n).auto();
    inPlace(c, 'x', n);
  }),
  dropoutMask: spec(bindingSignatures.dropoutMask, (c) => {
    const n = count(c.r);
    c.size(n).auto().u32(4).u8(n);
  }),
  columnSums: spec(bindingSignatures.columnSums, (c) => {
    const rows = dim(c.r);
    const cols = dim(c.r);
    const ld = Math.max(1, cols) + pad(c.r);
    c.size(rows)
      .size(cols)
      .f32(span(rows, cols, ld))
      .size(ld)
      .autos(2)
      .f32(cols);
  }),
  gatherRows: spec(bindingSignatures.gatherRows, gatherCall),
  // Settled by the next call of either, or by gatherRowsSettle, in any order the rounds give.
  gatherRowsAhead: spec(bindingSignatures.gatherRowsAhead, gatherCall),
  gatherRowsSettle: spec(bindingSignatures.gatherRowsSettle, () => {}),
  expandRows: spec(bindingSignatures.expandRows, (c) => {
    const r = c.r;
    const n = count(r);
    // Runs and one-hot blocks side by side, as lib/data/row-layout.ts lays a table out.
    const layout: number[] = [];
    let [at, into] = [0, 0];
    for (let p = r.int(0, 6); p > 0; p--) {
      const width = r.int(1, 5);
      const onehot = r.chance(0.5);
      layout.push(at, into, onehot ? -width : width);
      at += onehot ? 1 : width;
      into += width;
    }
    const parts = layout.length / 3;
    const stride = at + 1;
    const cols = into + pad(r);
    const rows = n > 0 ? Math.max(1, dim(r)) : dim(r);
    c.size(n)
      .size(rows)
      .size(stride)
      .size(cols)
      .f32(rows * stride)
      .fill((src) => {
        for (let row = 0; row < rows; row++)
          for (let q = 0; q < parts; q++)
            if ((layout[3 * q + 2] as number) < 0) src[row * stride + (layout[3 * q] as number)] = r.int(0, -(layout[3 * q + 2] as number));
      })
      .u32indices(n, Math.max(1, rows))
      .size(parts)
      .array('i32', layout.length)
      .fill((view) => view.set(layout))
      .f32(n * cols)
      .f32(n);
  }),
  axpy: spec(bindingSignatures.axpy, (c) => {
    const n = count(c.r);
    c.size(n).auto().f32(n).f32(n);
  }),
  findNonFinite: spec(bindingSignatures.findNonFinite, (c) => {
    const n = count(c.r);
    c.size(n).f32(n);
  }),
  sumOfSquares: spec(bindingSignatures.sumOfSquares, (c) => {
    const n = count(c.r);
    c.size(n).f32(n);
    if (c.r.chance(0.7)) c.auto();
  }),
  sgdUpdate: spec(bindingSignatures.sgdUpdate, (c) => {
    const n = count(c.r);
    clipping(c.size(n).f32(n).f32(n).autos(3));
  }),
  momentumUpdate: spec(bindingSignatures.momentumUpdate, (c) => {
    const n = count(c.r);
    clipping(c.size(n).f32(n).f32(n).f32(n).autos(4));
  }),
  rmspropUpdate: spec(bindingSignatures.rmspropUpdate, (c) => {
    const n = count(c.r);
    clipping(c.size(n).f32(n).f32(n).f32(n).autos(5));
  }),
  adamUpdate: spec(bindingSignatures.adamUpdate, (c) => {
    const n = count(c.r);
    c.size(n)
      .f32(n)
      .f32(n)
      .f32(n)
      .f32(n)
      .autos(4)
      .size(c.r.chance(0.1) ? 2 ** 31 - 1 : c.r.int(1, 1000))
      .autos(2);
    clipping(c);
  }),
};

// The public kernels: the same contracts, except that gemm takes an epilogue object.
const kernelSpecs: Record<Exclude<CheckedName, 'setThreads'>, Spec> = {
  ...(Object.fromEntries(
    Object.entries(bindingSpecs).filter(([name]) => name !== 'gemm' && name !== 'info' && name !== 'setThreads'),
  ) as Record<Exclude<CheckedName, 'setThreads' | 'gemm'>, Spec>),
  gemm: spec(checkedSignatures.gemm, (c) => {
    const shape = gemmShape(c);
    gemmOperands(c, shape);
    const r = c.r;
    const choice = r.int(0, 3);
    if (choice === 0) return; // 13 arguments: no epilogue
    if (choice === 1) c.value(undefined);
    else {
      const epilogue: GemmEpilogue = {};
      if (r.chance(0.7)) epilogue.bias = r.chance(0.3) ? null : (makeArray(r, 'f32', shape.n, c.guards) as Float32Array);
      if (r.chance(0.7)) epilogue.activation = r.pick(['none', 'relu'] as const);
      c.value(epilogue);
    }
  }),
};

// ---- mutations --------------------------------------------------------------------------------

/** What a mutated call must do: throw (naming one of `names`, with one of `kinds`), or anything. */
interface Expectation {
  mustThrow: boolean;
  kinds: (typeof TypeError | typeof RangeError)[];
  names: string[];
  aliased: boolean;
}

const SIZE_NASTY_INVALID: unknown[] = [
  -1,
  -0.5,
  2.5,
  1e-300,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 31,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  1e308,
  -(2 ** 31),
  -(2 ** 53),
];
const SIZE_NASTY_VALID: unknown[] = [0, -0, 1, 65_537, 2 ** 31 - 1, 2 ** 16, 257];
const WRONG_TYPES: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => '3',
  () => '',
  () => 3n,
  () => Symbol('x'),
  () => ({}),
  () => [3],
  () => new Number(3),
  () => new Boolean(true),
  () => () => 3,
  () => new Float32Array(4),
  () => new Date(0),
];

/** A value of the wrong type (or, for numbers, out of range) for a parameter, and what it must cause. */
function badValue(r: Rng, p: Param, need: number): Bad {
  const wrongType = () => {
    let value = r.pick(WRONG_TYPES)();
    // null is a valid optional array, a Float32Array is valid where one is expected
    if ((p.kind === 'f32?' || p.kind === 'u8?' || p.kind === 'epilogue') && (value === null || value === undefined)) value = 7;
    if (p.kind === 'kind' && typeof value === 'string') value = 7; // a string is the right type
    if ((p.kind === 'f32' || p.kind === 'f32?') && value instanceof Float32Array) value = new Float64Array(need);
    if (p.kind === 'epilogue' && typeof value === 'object' && value !== null) value = 'relu';
    return { value, mustThrow: true, kinds: [TypeError] };
  };
  switch (p.kind) {
    case 'bool':
      return r.chance(0.5) ? { value: r.pick([0, 1, 'true', 'false']), mustThrow: true, kinds: [TypeError] } : wrongType();
    case 'size':
    case 'ld':
    case 'int': {
      const roll = r.next();
      if (roll < 0.5) return { value: r.pick(SIZE_NASTY_INVALID), mustThrow: true, kinds: [RangeError] };
      if (roll < 0.75) {
        const value = r.pick(SIZE_NASTY_VALID) as number;
        const mustThrow = value < p.min || value > p.max;
        return { value, mustThrow, kinds: [RangeError] };
      }
      return wrongType();
    }
    case 'num': {
      const roll = r.next();
      if (roll < 0.4)
        return { value: r.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]), mustThrow: true, kinds: [RangeError] };
      if (roll < 0.7 && Number.isFinite(p.lo)) {
        // Just outside the interval, or on an open end.
        const outside = [p.lo - 1e-9, p.hi + 1e-9, p.lo - 1, p.hi * 2 + 1];
        if (p.loOpen) outside.push(p.lo);
        if (p.hiOpen) outside.push(p.hi);
        return { value: r.pick(outside), mustThrow: true, kinds: [RangeError] };
      }
      if (roll < 0.7) return { value: r.pick([1e300, -1e300, 2 ** 128, 5e-324, -0]), mustThrow: false, kinds: [] };
      return wrongType();
    }
    case 'kind':
      return r.chance(0.6)
        ? {
            value: r.pick(['gelu', '', 'RELU', 'relu ', 'relu\u0000x', 'x'.repeat(10_000), 'tanh\u00e9']),
            mustThrow: true,
            kinds: [RangeError],
          }
        : wrongType();
    case 'epilogue': {
      const roll = r.int(0, 5);
      if (roll === 0)
        return {
          value: { activation: r.pick(['gelu', 'RELU', 1, null]) },
          mustThrow: true,
          kinds: [TypeError, RangeError],
          names: ['activation'],
        };
      if (roll === 1) {
        const bias = badArray(r, 'f32?', need);
        return {
          value: { bias: bias.value },
          mustThrow: bias.mustThrow,
          kinds: [TypeError, RangeError],
          names: ['bias'],
          bySize: bias.bySize,
        };
      }
      if (roll === 2) return { value: [], mustThrow: false, kinds: [] };
      return wrongType();
    }
    default:
      if (Number.isFinite(p.lo) && need > 0 && r.chance(0.3)) return outOfInterval(r, p, need);
      return r.chance(0.75) ? badArray(r, p.kind, need) : wrongType();
  }
}

// An array of the right type and length with one element outside the parameter's interval.
function outOfInterval(r: Rng, p: Param, need: number): Bad {
  const view = new Float32Array(need).map(() => inInterval(r, p));
  // Below the lower end (by a hair at 0: -1e-30 is a float32), NaN, or past the upper end.
  const outside = [Number.NaN, Number.NEGATIVE_INFINITY, p.lo - 1, p.lo === 0 ? -1e-30 : p.lo - 1];
  if (p.loOpen) outside.push(p.lo);
  outside.push(p.hiOpen ? p.hi : p.hi * 2 + 1);
  view[r.int(0, need - 1)] = r.pick(outside);
  return { value: view, mustThrow: true, kinds: [RangeError], bySize: true };
}

/** An array argument that is not a valid one: wrong element type, too short, detached, look-alike. */
interface Bad {
  value: unknown;
  mustThrow: boolean;
  kinds: Expectation['kinds'];
  names?: string[];
  /** Throws only because of the call's shape (a length or a detached buffer): void once a size changes. */
  bySize?: boolean;
}

function badArray(r: Rng, kind: Kind, need: number): Bad {
  const elem: Elem = kind === 'i32' ? 'i32' : kind === 'u8' || kind === 'u8?' ? 'u8' : kind === 'u32' ? 'u32' : 'f32';
  const Ctor = CTOR[elem];
  const wrongElem: (new (length: number) => ArrayBufferView)[] = {
    f32: [Float64Array, Int32Array, Uint32Array, Uint8Array, Int16Array, BigInt64Array],
    i32: [Float32Array, Uint32Array, Float64Array, Int16Array, BigInt64Array],
    u8: [Int8Array, Uint8ClampedArray, Float32Array, Uint16Array, Int32Array],
    u32: [Int32Array, Float32Array, Uint8Array, Uint16Array, BigUint64Array],
  }[elem];
  const roll = r.int(0, 10);
  const n = Math.max(need, 1);
  switch (roll) {
    case 0:
    case 1: {
      // One element short, in its own buffer or as a byteOffset view.
      if (need === 0) return { value: new Ctor(0), mustThrow: false, kinds: [] };
      if (r.chance(0.5)) return { value: new Ctor(need - 1), mustThrow: true, kinds: [RangeError], bySize: true };
      const base = new Ctor(need + 3);
      return { value: base.subarray(4, need + 3), mustThrow: true, kinds: [RangeError], bySize: true };
    }
    case 2:
      return { value: detached(elem, need), mustThrow: need > 0, kinds: [TypeError], bySize: true };
    case 3:
      return { value: new (r.pick(wrongElem))(n), mustThrow: true, kinds: [TypeError] };
    case 4:
      return { value: new DataView(new ArrayBuffer(n * 4)), mustThrow: true, kinds: [TypeError] };
    case 5:
      return { value: r.pick([new ArrayBuffer(n * 4), new SharedArrayBuffer(n * 4)]), mustThrow: true, kinds: [TypeError] };
    case 6:
      // Look-alikes: instanceof Float32Array is true for all of these, yet none is a typed array.
      return {
        value: r.pick([
          () => Object.create(Ctor.prototype),
          () => new Proxy(new Ctor(n), {}),
          () => Object.setPrototypeOf({ length: n, buffer: new ArrayBuffer(n * 4), byteOffset: 0 }, Ctor.prototype),
        ])(),
        mustThrow: true,
        kinds: [TypeError],
      };
    case 7:
      return { value: Array.from({ length: n }, () => 1), mustThrow: true, kinds: [TypeError] };
    case 8:
      return { value: { length: n, 0: 1 }, mustThrow: true, kinds: [TypeError] };
    case 9: {
      if (r.chance(0.3)) {
        // A fixed-length view whose resizable buffer shrank under it: out of bounds, length 0.
        const buffer = resizable(n * Ctor.BYTES_PER_ELEMENT, n * Ctor.BYTES_PER_ELEMENT);
        const view = new Ctor(buffer, 0, n);
        (buffer as unknown as { resize(n: number): void }).resize(0);
        return { value: view, mustThrow: need > 0, kinds: [RangeError], bySize: true };
      }
      // A typed array that lies about its length through an own property.
      const liar = new Ctor(Math.max(0, need - 1));
      Object.defineProperty(liar, 'length', { value: need + 1000 });
      return { value: liar, mustThrow: need > 0, kinds: [RangeError], bySize: true };
    }
    default: {
      const view = new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT + 8), 8);
      return { value: view, mustThrow: false, kinds: [] }; // valid: shared and offset
    }
  }
}

interface Mutated {
  args: unknown[];
  expect: Expectation;
  ops: string[];
}

/** 1–3 mutations of a valid call, each on arguments no earlier one touched; a single one carries an exact expectation. */
function mutate(r: Rng, spec: Spec, call: Call, arity: readonly number[]): Mutated {
  const args = [...call.args];
  const ps = spec.params;
  const ops: string[] = [];
  const touched = new Set<number>();
  // What each mutation demands, by the argument indices it replaced (dropped if those go missing).
  const demands: { at: number[]; names: string[]; kinds: Expectation['kinds']; bySize: boolean }[] = [];
  let aliased = false;
  let exact = true; // one mutation with a known outcome
  const rounds = r.chance(0.6) ? 1 : r.int(2, 3);
  const kinds = Array.from({ length: rounds }, () =>
    ps.length === 0 ? 'arity' : r.pick(['bad', 'bad', 'bad', 'shape', 'alias', 'arity']),
  );
  // Arity last, once: it shifts nothing but may drop what the others replaced.
  const order = [...kinds.filter((k) => k !== 'arity'), ...(kinds.includes('arity') ? ['arity'] : [])];
  if (order.length > 1) exact = false;
  for (const op of order) {
    if (op === 'bad') {
      // (only arguments the valid call passed: an optional pair left out would come back as one)
      const free = ps.map((_, i) => i).filter((i) => i < call.args.length && !touched.has(i));
      if (free.length === 0) continue;
      const i = r.pick(free);
      const p = ps[i] as Param;
      // (an epilogue's bias needs n elements: gemm's fourth argument)
      const need = p.kind === 'epilogue' ? (call.args[3] as number) : (call.arrays.find((a) => a.index === i)?.need ?? 0);
      const bad = badValue(r, p, need);
      args[i] = bad.value;
      touched.add(i);
      ops.push(`${p.name}=${describeArg(bad.value)}`);
      if (bad.mustThrow) demands.push({ at: [i], names: bad.names ?? [p.name], kinds: bad.kinds, bySize: bad.bySize ?? false });
      else exact = false;
    } else if (op === 'shape') {
      const sizes = ps.map((p, i) => [p, i] as const).filter(([p, i]) => (p.kind === 'size' || p.kind === 'ld') && !touched.has(i));
      if (sizes.length === 0) continue;
      const lengths = call.arrays.map((a) => a.need);
      const form = r.int(0, 4);
      if (form === 0) for (const [, i] of sizes) args[i] = 65_537; // products overflow 32 bits
      if (form === 1) for (const [, i] of sizes) args[i] = 2 ** 31 - 1; // products overflow 53 bits
      if (form === 2) for (const [, i] of sizes) args[i] = r.pick([2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2]);
      if (form >= 3) {
        // One dimension huge and another 0: an empty output that must not loop 2^31 times.
        const dims = sizes.filter(([p]) => p.kind === 'size');
        const [hugeAt] = r.pick(dims.length > 0 ? dims : sizes);
        for (const [p, i] of dims) args[i] = p === hugeAt ? 2 ** 31 - 1 : 0;
      }
      for (const [, i] of sizes) touched.add(i);
      ops.push(`shape(${sizes.map(([p, i]) => `${p.name}=${args[i]}`).join(',')})`);
      const outOfRange = sizes.some(([p, i]) => (args[i] as number) > p.max || (args[i] as number) < p.min);
      // Every size untouched by other mutations was replaced, so the product is the whole shape's.
      const allSizes = ps.every((p, i) => !(p.kind === 'size') || sizes.some(([, j]) => j === i));
      const product = sizes.filter(([p]) => p.kind === 'size').reduce((a, [, i]) => a * (args[i] as number), 1);
      // (a call with no arrays, such as packedBLength, answers a query about any size in range)
      const tooBig = form <= 1 && allSizes && lengths.length > 0 && product > Math.max(0, ...lengths);
      if (outOfRange || tooBig) {
        const names = [...sizes.map(([p]) => p.name), ...call.arrays.map((a) => ps[a.index]?.name ?? '')];
        demands.push({ at: sizes.map(([, i]) => i), names, kinds: [RangeError], bySize: false });
      }
      exact = false;
    } else if (op === 'alias') {
      // An output replaced by another array of the call, or by a view overlapping it by one element.
      const out = r.pick(call.arrays.filter((a) => a.output && !touched.has(a.index)));
      const other = out && r.pick(call.arrays.filter((a) => a.index !== out.index && a.elem === 'f32'));
      if (!out || !other) continue;
      const shifted = r.chance(0.5) && other.view.length > 0;
      args[out.index] = shifted ? new Float32Array(other.view.buffer, other.view.byteOffset + 4, other.view.length - 1) : other.view;
      touched.add(out.index);
      ops.push(`${ps[out.index]?.name}=${shifted ? 'overlapping ' : ''}${ps[other.index]?.name}`);
      aliased = true;
      exact = false;
    } else {
      // Extra arguments, or the last few missing.
      if (r.chance(0.5)) args.push(...Array.from({ length: r.int(1, 3) }, () => r.pick(WRONG_TYPES)()));
      else args.splice(Math.max(0, args.length - r.int(1, 3)));
      ops.push(`${args.length} arguments`);
      if (!arity.includes(args.length)) demands.push({ at: [], names: ['arguments'], kinds: [TypeError], bySize: false });
    }
  }
  // A demand stands only while every argument it replaced is still passed, and a length one only
  // while the sizes are the valid call's.
  const resized = ps.some((p, i) => touched.has(i) && (p.kind === 'size' || p.kind === 'ld'));
  const live = demands.filter((d) => d.at.every((i) => i < args.length) && !(d.bySize && resized));
  const expect: Expectation = {
    mustThrow: live.length > 0,
    kinds: exact && live.length === 1 ? (live[0]?.kinds ?? []) : [],
    names: live.flatMap((d) => d.names),
    aliased,
  };
  return { args, expect, ops };
}

// ---- running and checking ---------------------------------------------------------------------

function describeArg(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return v.length > 20 ? `'${v.slice(0, 12)}…'(${v.length})` : `'${v}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function' || typeof v === 'boolean' || v == null) return String(v);
  if (ArrayBuffer.isView(v)) {
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    const shared = v.buffer instanceof SharedArrayBuffer ? ' shared' : '';
    let length = -1;
    try {
      length = (v as Float32Array).length;
    } catch {}
    return `${tag}(${length}${v.byteOffset ? ` @${v.byteOffset}` : ''}${shared})`;
  }
  if (v instanceof Float32Array) return 'Float32Array look-alike';
  try {
    return JSON.stringify(v)?.slice(0, 40) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

function bytesOf(view: Typed): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

interface Stats {
  calls: number;
  threw: number;
}

/** Runs a fuzz loop over `target`'s exports; returns per-export counts and the failures found. */
function fuzz(
  label: string,
  target: Record<string, unknown>,
  specs: Record<string, Spec>,
  minCalls: number,
  options: { differential?: Record<string, Fn> },
): { stats: Map<string, Stats>; failures: string[]; total: Stats } {
  const r = new Rng(SEED ^ (label === 'binding' ? 0x5bd1e995 : 0x27d4eb2f));
  const stats = new Map<string, Stats>();
  const failures: string[] = [];
  const names = Object.keys(target).sort();
  for (const name of names) {
    if (!specs[name]) failures.push(`${label}.${name}: an export without a fuzz generator (add one to ${label}Specs)`);
    stats.set(name, { calls: 0, threw: 0 });
  }
  const fail = (text: string) => {
    if (failures.length < 12) failures.push(`${label}.${text} [DENSENODE_FUZZ_SEED=${SEED}]`);
  };
  const start = performance.now();
  let total = 0;
  for (let round = 0; ; round++) {
    const elapsed = performance.now() - start;
    if (elapsed > CAP_MS || (total >= minCalls && elapsed >= BUDGET_MS)) break;
    for (const name of names) {
      const spec = specs[name];
      if (!spec) continue;
      const fn = target[name] as Fn;
      const call = new Call(r, spec.params);
      spec.valid(call);
      if (!spec.arity.includes(call.args.length) && !(name === 'gemm' && call.args.length === 13)) {
        throw new Error(`fuzz spec ${label}.${name}: ${call.args.length} arguments for ${spec.params.length} parameters`);
      }
      const isValid = r.chance(0.3);
      const mutated: Mutated = isValid
        ? { args: call.args, expect: { mustThrow: false, kinds: [], names: [], aliased: false }, ops: ['valid'] }
        : mutate(r, spec, call, spec.arity);
      const { args, expect: want } = mutated;
      const inputs = want.aliased
        ? []
        : call.arrays.filter((a) => !a.output && args[a.index] === a.view && !call.arrays.some((o) => o.output && o.view === a.view));
      const before = inputs.map((a) => bytesOf(a.view));
      const what = () => `${name}(${args.map(describeArg).join(', ')}) [${mutated.ops.join('; ')}] round ${round}`;

      let checkError: unknown;
      const check = options.differential?.[name];
      // (a call that leaves out an optional trailing argument is compared too: the checks read `arguments`)
      const compare = check !== undefined && spec.arity.includes(args.length);
      if (compare) {
        try {
          check(...args);
        } catch (e) {
          checkError = e ?? new Error('undefined thrown');
        }
      }
      let error: unknown;
      let result: unknown;
      const t0 = performance.now();
      try {
        result = fn(...args);
      } catch (e) {
        error = e ?? new Error('undefined thrown');
      }
      const ms = performance.now() - t0;
      total++;
      const s = stats.get(name) as Stats;
      s.calls++;
      if (ms > SLOW_MS) fail(`${what()}: took ${ms.toFixed(0)} ms`);

      if (error === undefined) {
        if (isValid && spec.returns !== typeof result) fail(`${what()}: returned ${describeArg(result)}, expected a ${spec.returns}`);
        if (want.mustThrow) fail(`${what()}: returned, expected an error naming ${want.names.join(' or ')}`);
        for (const g of want.aliased ? [] : call.guards) {
          for (const [from, to] of isValid ? [...g.ranges, g.slack] : g.ranges) {
            for (let i = from; i < to; i++)
              if (g.base[i] !== g.sentinel) fail(`${what()}: wrote outside its arrays (guard cell ${i} = ${g.base[i]})`);
          }
        }
        inputs.forEach((a, j) => {
          if (!Buffer.from(bytesOf(a.view)).equals(Buffer.from(before[j] as Uint8Array)))
            fail(`${what()}: modified input ${spec.params[a.index]?.name}`);
        });
      } else {
        s.threw++;
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof TypeError || error instanceof RangeError)) {
          fail(`${what()}: threw ${error instanceof Error ? error.constructor.name : typeof error}: ${message}`);
        } else if (!message.startsWith(`${name}: `)) {
          fail(`${what()}: message does not start with '${name}: ': ${message}`);
        } else if (isValid) {
          fail(`${what()}: a valid call threw ${message}`);
        } else if (want.kinds.length > 0 && !want.kinds.some((k) => error instanceof k)) {
          fail(`${what()}: threw ${error.constructor.name} (${message}), expected ${want.kinds.map((k) => k.name).join(' or ')}`);
        } else if (
          want.mustThrow &&
          want.kinds.length > 0 &&
          !want.names.some((n) =>
            n === 'arguments'
              ? message.includes(' arguments, received ')
              : message.includes(` for ${n},`) || message.includes(`${n} must not`),
          )
        ) {
          fail(`${what()}: error does not name ${want.names.join(' or ')}: ${message}`);
        }
      }
      if (compare) {
        // The same class and the same blamed argument and expectation; how the value is described
        // may differ, and with several overlaps either side may name a different pair first.
        const head = (e: unknown) => {
          if (e === undefined) return 'returned';
          const message = e instanceof Error ? e.message : String(e);
          const what = message.includes(' must not overlap ') ? 'an overlap' : message.split(', received ')[0];
          return `${e instanceof Error ? e.constructor.name : typeof e}: ${what}`;
        };
        if (head(error) !== head(checkError)) fail(`${what()}: the binding ${head(error)}, the TypeScript checks ${head(checkError)}`);
      }
    }
  }
  const sum = [...stats.values()].reduce((a, s) => ({ calls: a.calls + s.calls, threw: a.threw + s.threw }), { calls: 0, threw: 0 });
  return { stats, failures, total: sum };
}

function report(label: string, run: ReturnType<typeof fuzz>, ms: number): void {
  const { calls, threw } = run.total;
  const per = [...run.stats.values()].map((s) => s.calls);
  console.log(
    `fuzz: ${calls} calls, ${threw} threw, ${calls - threw} ok (${label}, ${run.stats.size} exports, ${Math.min(...per)}..${Math.max(...per)} each, ${(ms / 1000).toFixed(1)} s, DENSENODE_FUZZ_SEED=${SEED})`,
  );
}

const totals = { calls: 0 };

describe(`fuzz of the native boundary (seed ${SEED})`, () => {
  it('the raw binding: every export, valid and adversarial calls', () => {
    const t0 = performance.now();
    // gemm's public form takes an epilogue object, and info has no check: the rest must agree.
    const { gemm: _gemm, ...checks } = kernelChecks as unknown as Record<string, Fn>;
    const run = fuzz('binding', binding as unknown as Record<string, unknown>, bindingSpecs, MIN_CALLS.binding, {
      differential: checks,
    });
    report('binding', run, performance.now() - t0);
    totals.calls += run.total.calls;
    expect(run.failures, `DENSENODE_FUZZ_SEED=${SEED}`).toEqual([]);
    for (const [name, s] of run.stats) {
      expect(s.calls, name).toBeGreaterThan(200);
      expect(s.threw, name).toBeGreaterThan(0);
      expect(s.threw, name).toBeLessThan(s.calls);
    }
  });

  it(`the public kernels on the ${backendInfo().name} backend`, () => {
    const t0 = performance.now();
    const target: Record<string, unknown> = { ...kernels, setThreads };
    const specs = { ...kernelSpecs, setThreads: bindingSpecs.setThreads };
    const run = fuzz('kernels', target, specs, MIN_CALLS.kernels, {});
    report(`kernels on ${backendInfo().name}`, run, performance.now() - t0);
    totals.calls += run.total.calls;
    expect(run.failures, `DENSENODE_FUZZ_SEED=${SEED}`).toEqual([]);
    for (const [name, s] of run.stats) {
      expect(s.calls, name).toBeGreaterThan(200);
      expect(s.threw, name).toBeGreaterThan(0);
    }
  });

  it('ran at least 20 000 calls in all', () => {
    expect(totals.calls).toBeGreaterThanOrEqual(20_000);
  });
});

// What the fuzz found, pinned down one case each (both backends run this file).
describe('regressions found by the fuzz', () => {
  const f = (n: number) => new Float32Array(n);
  const call = (target: unknown, name: string, ...args: unknown[]) => (target as Record<string, Fn>)[name]?.(...args);

  it('labels on a SharedArrayBuffer that another thread rewrites during the call never index out of bounds', async () => {
    // The binding checked the labels, then the kernel re-read them: a label rewritten in between
    // indexed z 2^30 elements out (a segfault). It now checks and uses one copy.
    const rows = 4096;
    const cols = 4;
    const labels = new Int32Array(new SharedArrayBuffer(rows * 4));
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { workerData: [labels, stop] } = require('node:worker_threads');
       while (Atomics.load(stop, 0) === 0) { labels.fill(0); labels.fill(1 << 30); }`,
      { eval: true, workerData: [labels, stop] },
    );
    const outcomes = { ok: 0, threw: 0 };
    try {
      const z = f(rows * cols);
      const dz = f(rows * cols);
      for (const [target, ms] of [
        [binding, 300],
        [kernels, 200],
      ] as const) {
        const until = performance.now() + ms;
        while (performance.now() < until) {
          try {
            call(target, 'softmaxCrossEntropyLabels', rows, cols, z, labels, 1, null, dz);
            outcomes.ok++;
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
            expect((error as Error).message).toMatch(/^softmaxCrossEntropyLabels: expected class indices in \[0, 4\) for labels/);
            outcomes.threw++;
          }
        }
      }
    } finally {
      Atomics.store(stop, 0, 1);
      await worker.terminate();
    }
    expect(outcomes.ok + outcomes.threw).toBeGreaterThan(100);
  });

  it('an empty output with a 2^31 − 1 dimension returns at once (the JS kernels looped over it for 30 s)', () => {
    const big = 2 ** 31 - 1;
    const e = f(0);
    const start = performance.now();
    kernels.gemm(false, false, big, 0, 0, 1, e, 1, e, 1, 0, e, 1, { activation: 'relu' });
    kernels.gemm(true, true, 0, big, 0, 1, e, 1, e, 1, 0.5, e, big);
    kernels.batchNormForwardTrain(big, 0, e, e, e, 0.1, 0.9, e, e, e, e, e, true);
    kernels.batchNormForwardInfer(big, 0, e, e, e, e, e, 0.1, e, false);
    kernels.batchNormBackward(big, 0, e, null, e, e, e, e, e, e, e);
    // The losses looped over 2^31 − 1 empty rows once they went row by row (for the row weights).
    kernels.sigmoidCrossEntropy(big, 0, e, e, 1, null, null);
    kernels.meanSquaredError(big, 0, e, e, 1, e, null);
    kernels.huber(big, 0, e, e, 1, 1, null);
    kernels.meanAbsoluteError(big, 0, e, e, 1, e);
    for (const name of ['sigmoidCrossEntropy', 'meanSquaredError', 'meanAbsoluteError'] as const) {
      const args = name === 'sigmoidCrossEntropy' ? [big, 0, e, e, 1, null, null, null] : [big, 0, e, e, 1, null, null];
      call(binding, name, ...args);
    }
    call(binding, 'huber', big, 0, e, e, 1, 1, null);
    expect(performance.now() - start).toBeLessThan(200);
  });

  it('look-alike typed arrays are TypeErrors naming the argument; real ones of any realm or subclass are accepted', () => {
    const lookAlikes = [
      Object.create(Float32Array.prototype),
      new Proxy(f(4), {}),
      Object.setPrototypeOf({ length: 4 }, Float32Array.prototype),
    ];
    for (const x of lookAlikes) {
      expect(() => call(kernels, 'axpy', 4, 1, x, f(4))).toThrow(new TypeError('axpy: expected a Float32Array for x, received an object'));
      expect(() => call(binding, 'axpy', 4, 1, x, f(4))).toThrow(new TypeError('axpy: expected a Float32Array for x, received an object'));
    }
    for (const x of [new OtherRealmFloat32Array([1, 2]), new SubFloat32Array([1, 2])]) {
      const y = f(2);
      kernels.axpy(2, 2, x as Float32Array, y);
      expect(Array.from(y)).toEqual([2, 4]);
    }
    // The real length counts, whatever an own `length` property says.
    const liar = f(1);
    Object.defineProperty(liar, 'length', { value: 100 });
    expect(() => kernels.findNonFinite(2, liar)).toThrow(
      new RangeError('findNonFinite: expected a Float32Array of at least 2 elements for x, received length 1'),
    );
    expect(() => call(kernels, 'axpy', 1, 1, new DataView(new ArrayBuffer(4)), f(1))).toThrow(
      'axpy: expected a Float32Array for x, received a DataView',
    );
    expect(() => call(binding, 'axpy', 1, 1, new DataView(new ArrayBuffer(4)), f(1))).toThrow(
      'axpy: expected a Float32Array for x, received a DataView',
    );
  });

  it('extra or missing arguments are TypeErrors on both backends, as in the binding', () => {
    expect(() => call(kernels, 'axpy', 1, 1, f(1), f(1), 0)).toThrow(new TypeError('axpy: expected 4 arguments, received 5'));
    expect(() => call(binding, 'axpy', 1, 1, f(1), f(1), 0)).toThrow(new TypeError('axpy: expected 4 arguments, received 5'));
    expect(() => call(kernels, 'softmaxCrossEntropy', 1, 1, f(1), f(1), 1)).toThrow(
      new TypeError('softmaxCrossEntropy: expected 7 or 8 arguments, received 5'),
    );
    expect(() => call(kernels, 'gemm', false, false, 1, 1, 1, 1, f(1), 1, f(1), 1, 0, f(1))).toThrow(
      new TypeError('gemm: expected 13 or 14 arguments, received 12'),
    );
    expect(() => (setThreads as unknown as Fn)()).toThrow(new TypeError('setThreads: expected 1 arguments, received 0'));
  });

  it("gemm reads its epilogue's bias and activation once", () => {
    // A getter could otherwise pass the check one bias and hand the kernel another.
    const reads = { bias: 0, activation: 0 };
    const epilogue = {
      get bias() {
        reads.bias++;
        return reads.bias === 1 ? Float32Array.of(10, 20) : 'not an array';
      },
      get activation() {
        reads.activation++;
        return 'none';
      },
    } as unknown as GemmEpilogue;
    const C = f(2);
    kernels.gemm(false, false, 1, 2, 1, 1, Float32Array.of(1), 1, Float32Array.of(1, 2), 2, 0, C, 2, epilogue);
    expect(reads).toEqual({ bias: 1, activation: 1 });
    expect(Array.from(C)).toEqual([11, 22]);
  });

  it('an element count past 2^53 is stated exactly, as the binding states it', () => {
    const big = 2 ** 31 - 1;
    const message = 'softmaxForward: expected a Float32Array of at least 4611686014132420609 elements for x, received length 1';
    expect(() => kernels.softmaxForward(big, big, f(1), f(1))).toThrow(new RangeError(message));
    expect(() => binding.softmaxForward(big, big, f(1), f(1))).toThrow(new RangeError(message));
  });
});
