// One message format for every argument error, the same as native/binding/args.cc:
//   "<fn>: expected <what> for <name>, received <actual>"
import { types } from 'node:util';

// %TypedArray%.prototype's own toStringTag getter: the element type of a real typed array of any
// realm or subclass, undefined for anything else (a Proxy, an object inheriting from
// Float32Array.prototype), and it runs no user code, unlike `instanceof` or `.constructor`.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)?.get as (
  this: unknown,
) => string | undefined;

/** 'Float32Array', 'Int32Array', ... for a real typed array, else undefined. */
export function typedArrayName(value: unknown): string | undefined {
  return typedArrayTag.call(value);
}

/** Describes a value for an error message without dumping large arrays or running user code. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  const name = typedArrayName(value);
  if (name !== undefined) return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  if (types.isDataView(value)) return 'a DataView';
  if (types.isArrayBuffer(value)) return 'an ArrayBuffer';
  if (Array.isArray(value)) return 'an Array';
  return 'an object';
}

/** The one argument error: "<fn>: expected <what> for <name>, received <received>". */
export function invalidArgument<E extends TypeError | RangeError>(
  Kind: new (message: string) => E,
  fn: string,
  name: string,
  expected: string,
  received: string,
): E {
  return new Kind(`${fn}: expected ${expected} for ${name}, received ${received}`);
}

/** A TypeError for an argument of the wrong type. */
export function invalidType(fn: string, name: string, expected: string, actual: unknown): TypeError {
  return invalidArgument(TypeError, fn, name, expected, describe(actual));
}

/** Checks that a path argument is a non-empty string ('a file path', 'a directory path'). */
export function checkPath(fn: string, name: string, value: unknown, what = 'a file path'): asserts value is string {
  // describe('') would say 'a string', which reads as if a string were wrong.
  if (value === '') throw invalidArgument(TypeError, fn, name, what, "''");
  if (typeof value !== 'string') throw invalidType(fn, name, what, value);
}

/** Checks a count (an integer >= 1: epochs, batch and buffer sizes, units) and returns it. */
export function checkPositiveInteger(fn: string, name: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1)) throw invalidRange(fn, name, 'an integer >= 1', value);
  return value;
}

/** A RangeError for an argument of the right type but outside its range. */
export function invalidRange(fn: string, name: string, expected: string, actual: unknown): RangeError {
  return invalidArgument(RangeError, fn, name, expected, describe(actual));
}

/** Choices as the messages list them, as native/binding/args.cc does: "'a', 'b' or 'c'". */
export function choiceList(choices: readonly string[]): string {
  const quoted = choices.map(quote);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : (quoted[0] ?? 'nothing');
}

// A string value as a message shows it: in single quotes like the choices, with control
// characters escaped so that one line stays one line.
function quote(value: string): string {
  return `'${JSON.stringify(value).slice(1, -1).replaceAll('\\"', '"')}'`;
}

/**
 * A RangeError for a value that is none of `choices`: it lists them and, for a near miss, names
 * the one probably meant ("received 'rleu' (did you mean 'relu'?)").
 */
export function oneOf(fn: string, name: string, choices: readonly string[], value: unknown): RangeError {
  if (typeof value !== 'string') return invalidRange(fn, name, choiceList(choices), value);
  const close = value === '' ? undefined : closest(value, choices);
  const hint = close !== undefined ? ` (did you mean '${close}'?)` : '';
  return invalidArgument(RangeError, fn, name, choiceList(choices), `${quote(value)}${hint}`);
}

// Keras and PyTorch spellings of our options, for the "did you mean".
const ALIASES: Record<string, string> = {
  lr: 'learningRate',
  learning_rate: 'learningRate',
  batch_size: 'batchSize',
  validation_data: 'validationData',
  global_clipnorm: 'clipNorm',
};

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The allowed key a misspelt one most likely meant, if any is close. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  const alias = ALIASES[key];
  if (alias !== undefined && allowed.includes(alias)) return alias;
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const a of allowed) {
    const d = editDistance(lower, a.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [a, d];
  }
  return best ?? allowed.find((a) => lower.length >= 3 && a.toLowerCase().startsWith(lower.slice(0, 3)));
}

/** An options argument must be an object (a TypeError naming it for null, a number, a string...). */
export function checkObject(fn: string, name: string, value: unknown): asserts value is object {
  if (value === null || typeof value !== 'object') throw invalidType(fn, name, 'an object', value);
}

/**
 * Checks that `options` is an object and rejects keys that `allowed` does not name (a misspelt option
 * is no silent default).
 */
export function checkOptionKeys(fn: string, name: string, options: unknown, allowed: readonly string[]): asserts options is object {
  checkObject(fn, name, options);
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const close = closest(key, allowed);
    throw new TypeError(
      `${fn}: unknown option '${key}' in ${name}${close !== undefined ? ` (did you mean '${close}'?)` : ''}; options: ${allowed.join(', ')}`,
    );
  }
}
