// Checked reads of untrusted JSON: every accessor names the file and the path
// inside it, so a bad model.json says exactly where it is wrong.
export class JsonReader {
  constructor(
    /** Prefix of every message, e.g. "importTfjs: dir/model.json". */
    readonly where: string,
    readonly value: unknown,
    readonly path: string,
    /** Makes the error from the message without `where` (importTfjs: a ModelFileError); a plain Error if absent. */
    readonly error?: (what: string) => Error,
  ) {}

  fail(expected: string): Error {
    const what = `expected ${expected} at ${this.path || 'the top level'}, found ${shown(this.value)}`;
    return this.error === undefined ? new Error(`${this.where}: ${what}`) : this.error(what);
  }

  get isMissing(): boolean {
    return this.value === undefined || this.value === null;
  }

  /** The member `key` of this object (missing members read as undefined). */
  at(key: string): JsonReader {
    if (!isObject(this.value)) throw this.fail('an object');
    const path = this.path === '' ? key : `${this.path}.${key}`;
    return new JsonReader(this.where, Object.hasOwn(this.value, key) ? this.value[key] : undefined, path, this.error);
  }

  /** The first of several spellings of a key that is present (snake_case in Keras files, camelCase in some writers). */
  atAny(...keys: string[]): JsonReader {
    for (const key of keys) {
      const r = this.at(key);
      if (!r.isMissing) return r;
    }
    return this.at(keys[0] as string);
  }

  items(): JsonReader[] {
    if (!Array.isArray(this.value)) throw this.fail('an array');
    return this.value.map((v, i) => new JsonReader(this.where, v, `${this.path}[${i}]`, this.error));
  }

  object(): Record<string, unknown> {
    if (!isObject(this.value)) throw this.fail('an object');
    return this.value;
  }

  string(fallback?: string): string {
    if (this.isMissing && fallback !== undefined) return fallback;
    if (typeof this.value !== 'string') throw this.fail('a string');
    return this.value;
  }

  boolean(fallback: boolean): boolean {
    if (this.isMissing) return fallback;
    if (typeof this.value !== 'boolean') throw this.fail('true or false');
    return this.value;
  }

  /** A finite number in [min, max] (max exclusive when `open`). */
  number(min: number, max: number, fallback?: number, open = false): number {
    if (this.isMissing && fallback !== undefined) return fallback;
    const v = this.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (open ? v >= max : v > max)) {
      throw this.fail(`a number in [${min}, ${max}${open ? ')' : ']'}`);
    }
    return v;
  }

  integer(min: number, max: number): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw this.fail(`an integer in [${min}, ${max}]`);
    return v;
  }

  strings(): string[] {
    const items = this.items();
    return items.map((r) => r.string());
  }
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A value from an untrusted file as a message shows it: numbers as they are (Infinity from 1e999,
 * which JSON.stringify would print as null), short strings quoted, and arrays and objects
 * summarised without walking them (a 10,000-deep array would overflow the stack).
 */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (Array.isArray(v)) {
    const flat = v.length <= 8 && v.every((x) => typeof x === 'number' || typeof x === 'boolean' || x === null);
    return flat ? `[${v.map(String).join(',')}]` : `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  }
  return typeof v === 'object' ? 'an object' : typeof v;
}
