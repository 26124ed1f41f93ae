// Target "binding": each input decodes into one call of one export of the native addon. The
// export, its argument count and every argument come from the input, shaped by the kernel
// registry (dist/backend/signatures.js) so most calls are nearly valid: sizes are small, arrays
// have the length the earlier sizes imply, and a few bytes turn any argument into a wrong type,
// an out-of-range or overflowing number, a length one short, a detached, shared or offset
// buffer, or an alias of an earlier array. The outcome must be a return of the declared kind or
// a TypeError/RangeError whose message starts with the export's name.
import { ACTIVATIONS, bindingSignatures } from '../../dist/backend/signatures.js';
import { Bytes } from '../bytes.mjs';

const NAMES = Object.keys(bindingSignatures).sort();
const BAD_NUMBERS = [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 31, 2 ** 32, 2 ** 53, 1e308, -(2 ** 31), 3.0000001];
const BAD_VALUES = [undefined, null, '3', true, {}, [], () => 1, Symbol('s'), 10n, new Float64Array(4), [1, 2, 3]];
// An argument past the declared ones.
const EXTRA = { kind: 'num', lo: -4, hi: 4, min: 0, max: 8 };
const CTORS = { f32: Float32Array, i32: Int32Array, u8: Uint8Array, u32: Uint32Array };

/** Fails unless every export of the addon (the fuzz driver's own aside) is one the registry describes. */
export function checkExports(binding) {
  const own = new Set(['runFuzzer', 'fuzzDone', 'jsCounters']);
  const missing = Object.keys(binding).filter((name) => !own.has(name) && !(name in bindingSignatures));
  if (missing.length > 0) throw new Error(`fuzz: exports the registry does not describe: ${missing.join(', ')}`);
}

function number(param, bytes) {
  const how = bytes.u8();
  if (how < 200) {
    if (param.kind === 'num') {
      const lo = Number.isFinite(param.lo) ? param.lo : -4;
      const hi = Number.isFinite(param.hi) ? Math.min(param.hi, lo + 8) : 4;
      return lo + ((hi - lo) * bytes.u8()) / 255;
    }
    return Math.min(param.max, param.min + (bytes.u8() % 9));
  }
  if (how < 230) return BAD_NUMBERS[bytes.u8() % BAD_NUMBERS.length];
  if (how < 245) return bytes.f64();
  return bytes.u32() * (how & 1 ? 1 : 2 ** 21);
}

// An array of kind `elem` whose length is what the earlier sizes suggest (a product of one or two
// of them), or a raw small length; its buffer plain, shared, offset or detached.
function array(elem, bytes, sizes, arrays) {
  const how = bytes.u8();
  if (how >= 250 && arrays.length > 0) return arrays[bytes.u8() % arrays.length]; // an alias
  if (how >= 244) return BAD_VALUES[bytes.u8() % BAD_VALUES.length];
  const pickSize = () => (sizes.length > 0 ? sizes[bytes.u8() % sizes.length] : bytes.u8() % 8);
  let length;
  const shape = bytes.u8() % 4;
  if (shape === 0) length = pickSize();
  else if (shape === 1) length = pickSize() * pickSize();
  else if (shape === 2) length = bytes.u8() % 64;
  else length = pickSize() * pickSize() + (bytes.u8() % 3) - 1;
  length = Number.isFinite(length) ? Math.max(0, Math.min(length, 1 << 16)) : 0;
  const Ctor = CTORS[elem];
  const buffer =
    how >= 236 ? new SharedArrayBuffer((length + 2) * Ctor.BYTES_PER_ELEMENT) : new ArrayBuffer((length + 2) * Ctor.BYTES_PER_ELEMENT);
  const out = new Ctor(buffer, how >= 228 ? Ctor.BYTES_PER_ELEMENT : 0, length);
  const fill = bytes.u8() % 4;
  for (let i = 0; i < out.length; i++) {
    if (elem === 'f32') out[i] = fill === 0 ? (bytes.u8() - 128) / 16 : fill === 1 ? bytes.f64() : i % 5;
    else if (elem === 'u8') out[i] = fill === 0 ? bytes.u8() & 1 : bytes.u8();
    else out[i] = fill === 0 ? bytes.u8() % 8 : bytes.u32();
  }
  if (how >= 224 && how < 228) structuredClone(buffer, { transfer: [buffer] }); // detached
  arrays.push(out);
  return out;
}

function argument(param, bytes, sizes, arrays) {
  if (bytes.u8() >= 248) return BAD_VALUES[bytes.u8() % BAD_VALUES.length];
  switch (param.kind) {
    case 'bool':
      return bytes.u8() < 250 ? (bytes.u8() & 1) === 1 : 1;
    case 'size':
    case 'ld':
    case 'int':
    case 'num': {
      const value = number(param, bytes);
      // Sizes the arrays' lengths are made from: NaN or ±Infinity make no length.
      if (param.kind !== 'num' && Number.isFinite(value)) sizes.push(value);
      return value;
    }
    case 'kind':
      return bytes.u8() < 240 ? bytes.pick(ACTIVATIONS) : bytes.pick(['none', 'Relu', '', 3]);
    case 'epilogue': {
      const how = bytes.u8() % 6;
      if (how === 0) return undefined;
      if (how === 1) return {};
      const bias = how >= 4 ? null : array('f32', bytes, sizes, arrays);
      return { bias, activation: bytes.pick(['none', 'relu', 'sigmoid', undefined]) };
    }
    case 'f32?':
    case 'u8?':
      if (bytes.u8() < 64) return null;
      return array(param.kind.slice(0, -1), bytes, sizes, arrays);
    default:
      return array(param.kind, bytes, sizes, arrays);
  }
}

/** Decodes and makes one call; resolves if its outcome is allowed, rejects with the finding otherwise. */
export function bindingTarget(binding) {
  checkExports(binding);
  binding.setThreads(1);
  return async (data) => {
    const bytes = new Bytes(data);
    const name = NAMES[bytes.u8() % NAMES.length];
    const signature = bindingSignatures[name];
    let arity = signature.arity[bytes.u8() % signature.arity.length];
    const extra = bytes.u8();
    if (extra >= 250) arity += 1;
    else if (extra >= 245 && arity > 0) arity -= 1;
    const sizes = [];
    const arrays = [];
    const args = [];
    for (let i = 0; i < arity; i++) {
      const param = signature.params[i] ?? EXTRA;
      args.push(argument(param, bytes, sizes, arrays));
    }
    let result;
    try {
      result = binding[name](...args);
    } catch (error) {
      if ((error instanceof TypeError || error instanceof RangeError) && error.message.startsWith(`${name}:`)) return;
      throw new Error(`${name} threw ${error?.constructor?.name ?? typeof error}: ${String(error?.message ?? error)}`);
    } finally {
      if (name === 'setThreads') binding.setThreads(1);
    }
    const kind = signature.returns === 'object' ? 'object' : signature.returns;
    if (typeof result !== kind) throw new Error(`${name} returned ${typeof result}, expected ${kind}`);
  };
}
