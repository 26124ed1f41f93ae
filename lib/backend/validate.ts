// Argument checks for the public kernels, run before either backend sees the
// call. The native binding re-checks the same things (it must never crash);
// checking here too gives the JS backend, which would silently read
// `undefined` past an array's end, the same errors. Messages match
// native/binding/args.cc: "<fn>: expected <what> for <name>, received <actual>".
import { invalidArgument, invalidRange, invalidType } from '../errors.js';

const MAX_DIM = 2 ** 31 - 1;

/** A checked array argument: the elements a call may touch, for the overlap checks. */
export interface View {
  array: ArrayBufferView | null;
  need: number;
  name: string;
}

// Node 20 has no ArrayBuffer.prototype.detached; a detached buffer refuses new views.
function isDetached(array: ArrayBufferView): boolean {
  if (array.buffer instanceof SharedArrayBuffer) return false;
  try {
    new Uint8Array(array.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

type TypedArrayClass = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Uint32ArrayConstructor;

/** Reads one call's arguments, naming each in its errors. */
export class Check {
  constructor(readonly fn: string) {}

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
    const expected = options.map((o) => `'${o}'`).join(', ');
    if (typeof value !== 'string') throw invalidType(this.fn, name, 'a string', value);
    if (!(options as readonly string[]).includes(value)) {
      throw invalidArgument(RangeError, this.fn, name, expected.replace(/, ([^,]*)$/, ' or $1'), `'${value}'`);
    }
    return value as T;
  }

  floats(name: string, value: unknown, need: number): View {
    return this.typed(name, value, need, Float32Array, 'a Float32Array', false);
  }

  optionalFloats(name: string, value: unknown, need: number): View {
    return this.typed(name, value, need, Float32Array, 'a Float32Array', true);
  }

  int32s(name: string, value: unknown, need: number): View {
    return this.typed(name, value, need, Int32Array, 'an Int32Array', false);
  }

  bytes(name: string, value: unknown, need: number): View {
    return this.typed(name, value, need, Uint8Array, 'a Uint8Array', false);
  }

  uint32s(name: string, value: unknown, need: number): View {
    return this.typed(name, value, need, Uint32Array, 'a Uint32Array', false);
  }

  /** An output must not overlap another array, except the very same one where the kernel allows it. */
  disjoint(out: View, other: View, sameOk = false): void {
    const a = out.array;
    const b = other.array;
    if (a === null || b === null || out.need === 0 || other.need === 0 || a.buffer !== b.buffer) return;
    const aStart = a.byteOffset;
    const bStart = b.byteOffset;
    const aEnd = aStart + out.need * bytesPer(a);
    const bEnd = bStart + other.need * bytesPer(b);
    if (aStart >= bEnd || bStart >= aEnd) return;
    if (sameOk && aStart === bStart) return;
    throw new RangeError(`${this.fn}: ${out.name} must not overlap ${other.name}${sameOk ? ' (it may be the very same array)' : ''}`);
  }

  private typed(name: string, value: unknown, need: number, Type: TypedArrayClass, typeName: string, optional: boolean): View {
    if (optional && value === null) return { array: null, need: 0, name };
    const expected = optional ? `${typeName} or null` : typeName;
    if (!(value instanceof Type)) throw invalidType(this.fn, name, expected, value);
    if (value.length < need) {
      if (isDetached(value)) throw invalidArgument(TypeError, this.fn, name, expected, `${typeName} on a detached ArrayBuffer`);
      throw invalidArgument(RangeError, this.fn, name, `${typeName} of at least ${need} elements`, `length ${value.length}`);
    }
    return { array: value, need, name };
  }
}

function bytesPer(array: ArrayBufferView): number {
  return (array as Float32Array).BYTES_PER_ELEMENT;
}

/** Elements spanned by a rows×cols row-major view with leading dimension ld. */
export function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}
