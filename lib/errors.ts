// One message format for every argument error, the same as native/binding.cc:
//   "<fn>: expected <what> for <name>, received <actual>"

/** Describes a value for an error message without dumping large arrays. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
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

/** A RangeError for an argument of the right type but outside its range. */
export function invalidRange(fn: string, name: string, expected: string, actual: unknown): RangeError {
  return invalidArgument(RangeError, fn, name, expected, describe(actual));
}
