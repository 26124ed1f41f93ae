// Argument checks for the public kernels, run before either backend sees the
// call. The native binding re-checks the same things (it must never crash);
// checking here too gives the JS backend, which would silently read
// `undefined` past an array's end, the same errors. Messages match
// native/binding/args.cc: "<fn>: expected <what> for <name>, received <actual>".
import { choiceList, invalidArgument, invalidRange, invalidType, typedArrayName } from '../errors.js';
import type { Backend } from './backend.js';
import { type CheckedName, checkedSignatures, type Param } from './signatures.js';

type Args<K extends keyof Backend> = Backend[K] extends (...args: infer P) => unknown ? P : never;
/** One argument check per kernel and setThreads, with the signature of the call it checks. */
export type Checks = { [K in CheckedName]: (...args: Args<K>) => void };

const MAX_DIM = 2 ** 31 - 1;

/** A checked array argument: the bytes a call may touch, for the overlap checks. */
export interface View {
  /** The array's buffer, or null for an absent optional array. */
  buffer: ArrayBufferLike | null;
  byteOffset: number;
  bytesPerElement: number;
  need: number;
  name: string;
}

/** The View of an absent optional array. */
export function noView(name: string): View {
  return { buffer: null, byteOffset: 0, bytesPerElement: 1, need: 0, name };
}

// %TypedArray%.prototype's own getters: a typed array's real length, buffer and offset, which a
// subclass or an own property cannot fake (the native binding sees these too).
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function intrinsicGetter<T>(key: string): (this: ArrayBufferView) => T {
  return Object.getOwnPropertyDescriptor(typedArrayPrototype, key)?.get as (this: ArrayBufferView) => T;
}
const lengthOf = intrinsicGetter<number>('length');
const bufferOf = intrinsicGetter<ArrayBufferLike>('buffer');
const byteOffsetOf = intrinsicGetter<number>('byteOffset');

// Node 20 has no ArrayBuffer.prototype.detached; a detached buffer refuses new views.
function isDetached(buffer: ArrayBufferLike): boolean {
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

type TypedArrayName = 'Float32Array' | 'Int32Array' | 'Uint8Array' | 'Uint32Array';
const BYTES: Record<TypedArrayName, number> = { Float32Array: 4, Int32Array: 4, Uint8Array: 1, Uint32Array: 4 };

/** Reads one call's arguments, naming each in its errors. */
export class Check {
  private readonly params: readonly Param[];
  constructor(readonly fn: CheckedName) {
    this.params = checkedSignatures[fn].params;
  }

  // The ranges live in the signature table (signatures.ts), so the fuzz tests what is checked.
  private rule(name: string): Param {
    const p = this.params.find((q) => q.name === name);
    if (!p) throw new Error(`${this.fn}: no parameter ${name} in the signature table`);
    return p;
  }

  /** A size or integer parameter, in the table's [min, max]. */
  dim(name: string, value: unknown): number {
    const { min, max } = this.rule(name);
    return this.size(name, value, min, max);
  }

  /** A number parameter: finite, or in the table's interval. */
  num(name: string, value: unknown): number {
    const { lo, hi, loOpen, hiOpen } = this.rule(name);
    if (lo === Number.NEGATIVE_INFINITY && hi === Number.POSITIVE_INFINITY) return this.scalar(name, value);
    return this.scalarIn(name, value, lo, hi, loOpen, hiOpen);
  }

  bool(name: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw invalidType(this.fn, name, 'a boolean', value);
    return value;
  }

  /** An integer in [min, max]. */
  size(name: string, value: unknown, min = 0, max = MAX_DIM): number {
    const expected = `an integer >= ${min}`;
    if (typeof value !== 'number') throw invalidType(this.fn, name, expected, value);
    if (!Number.isInteger(value) || value < min || value > max) throw invalidRange(this.fn, name, `${expected} and <= ${max}`, value);
    return value;
  }

  /** A row stride: an integer >= max(1, cols). */
  leading(name: string, value: unknown, cols: number, colsName: string): number {
    const ld = this.size(name, value, 1);
    if (ld < cols) throw invalidRange(this.fn, name, `an integer >= ${colsName} (${cols})`, ld);
    return ld;
  }

  scalar(name: string, value: unknown): number {
    if (typeof value !== 'number') throw invalidType(this.fn, name, 'a finite number', value);
    if (!Number.isFinite(value)) throw invalidRange(this.fn, name, 'a finite number', value);
    return value;
  }

  /** A number in [lo, hi], with either bound open when asked. */
  scalarIn(name: string, value: unknown, lo: number, hi: number, loOpen = false, hiOpen = false): number {
    const expected = `a number in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    if (typeof value !== 'number') throw invalidType(this.fn, name, expected, value);
    const above = loOpen ? value > lo : value >= lo;
    const below = hiOpen ? value < hi : value <= hi;
    if (!(above && below)) throw invalidRange(this.fn, name, expected, value);
    return value;
  }

  oneOf<T extends string>(name: string, value: unknown, options: readonly T[]): T {
    if (typeof value !== 'string') throw invalidType(this.fn, name, 'a string', value);
    // Not errors.oneOf: the binding's message has no "did you mean", and the two must match.
    if (!(options as readonly string[]).includes(value))
      throw invalidArgument(RangeError, this.fn, name, choiceList(options), `'${value}'`);
    return value as T;
  }

  floats(name: string, value: unknown, need: Count): View {
    return this.typed(name, value, need, 'Float32Array', false);
  }

  optionalFloats(name: string, value: unknown, need: Count): View {
    return this.typed(name, value, need, 'Float32Array', true);
  }

  int32s(name: string, value: unknown, need: Count): View {
    return this.typed(name, value, need, 'Int32Array', false);
  }

  bytes(name: string, value: unknown, need: Count): View {
    return this.typed(name, value, need, 'Uint8Array', false);
  }

  optionalBytes(name: string, value: unknown, need: Count): View {
    return this.typed(name, value, need, 'Uint8Array', true);
  }

  uint32s(name: string, value: unknown, need: Count): View {
    return this.typed(name, value, need, 'Uint32Array', false);
  }

  /** An output must not overlap another array, except the very same one where the kernel allows it. */
  disjoint(out: View, other: View, sameOk = false): void {
    if (out.buffer === null || out.buffer !== other.buffer || out.need === 0 || other.need === 0) return;
    const aStart = out.byteOffset;
    const bStart = other.byteOffset;
    const aEnd = aStart + out.need * out.bytesPerElement;
    const bEnd = bStart + other.need * other.bytesPerElement;
    if (aStart >= bEnd || bStart >= aEnd) return;
    if (sameOk && aStart === bStart) return;
    throw new RangeError(`${this.fn}: ${out.name} must not overlap ${other.name}${sameOk ? ' (it may be the very same array)' : ''}`);
  }

  // Typed arrays are recognised by their internal slots, as in the binding: any realm or subclass
  // is accepted, a Proxy or an object inheriting from Float32Array.prototype is not, and the
  // length is the real one whatever an own `length` property says.
  private typed(name: string, value: unknown, need: Count, type: TypedArrayName, optional: boolean): View {
    if (optional && value === null) return noView(name);
    const typeName = `${type.startsWith('I') ? 'an' : 'a'} ${type}`;
    const expected = optional ? `${typeName} or null` : typeName;
    if (typedArrayName(value) !== type) throw invalidType(this.fn, name, expected, value);
    const array = value as ArrayBufferView;
    const length = lengthOf.call(array);
    const buffer = bufferOf.call(array);
    if (length < need) {
      if (isDetached(buffer)) throw invalidArgument(TypeError, this.fn, name, expected, `${typeName} on a detached ArrayBuffer`);
      throw invalidArgument(RangeError, this.fn, name, `${typeName} of at least ${need} elements`, `length ${length}`);
    }
    return { buffer, byteOffset: byteOffsetOf.call(array), bytesPerElement: BYTES[type], need: Number(need), name };
  }
}

/**
 * An element count: a number while exact, a bigint past 2^53 (m = n = 2^31 - 1), so that the
 * message states the same count as the binding's int64 arithmetic. Either way it exceeds any
 * array once it is inexact as a number, so the length check never depends on rounding.
 */
export type Count = number | bigint;

/** rows·cols, exactly. */
export function product(rows: number, cols: number): Count {
  const p = rows * cols;
  return Number.isSafeInteger(p) ? p : BigInt(rows) * BigInt(cols);
}

/** Elements spanned by a rows×cols row-major view with leading dimension ld, exactly. */
export function span(rows: number, cols: number, ld: number): Count {
  if (rows === 0 || cols === 0) return 0;
  const s = (rows - 1) * ld + cols;
  return Number.isSafeInteger(s) ? s : BigInt(rows - 1) * BigInt(ld) + BigInt(cols);
}

// Every pair of outputs and inputs must be disjoint, except the allowed in-place pairs.
export function allDisjoint(c: Check, outputs: View[], inputs: View[], inPlace: [View, View][] = []): void {
  for (const out of outputs) {
    for (const other of [...outputs, ...inputs]) {
      if (other === out) continue;
      const allowed = inPlace.some(([a, b]) => a === out && b === other);
      c.disjoint(out, other, allowed);
    }
  }
}

/** A rows × cols shape's sizes and element count. */
export function matrixShape(c: Check, rows: unknown, cols: unknown): { r: number; k: number; count: Count } {
  const r = c.dim('rows', rows);
  const k = c.dim('cols', cols);
  return { r, k, count: product(r, k) };
}
