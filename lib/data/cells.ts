// Reading one raw cell: missing or not, as a number, a level or a date. The
// rules live here once, for fitting the spec and for applying it.
import { describe } from '../errors.js';
import type { Cell, DateFormat, TableRecord } from './spec.js';

// Number('') is 0 and Number(' 1 ') is 1: only plain numerals count.
const NUMERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// A decimal comma (1,5), and digits in groups of three (1,250 or 12,345.67; the first group no 0):
// 1,250 is either, so the column's other cells decide (fit-column.ts).
const COMMA_NUMERAL = /^[+-]?\d*,\d+([eE][+-]?\d+)?$/;
const GROUPED_NUMERAL = /^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/** The NA tokens as a lookup: trimmed, lower-cased; the empty cell is always missing. */
export function naLookup(tokens: readonly string[]): Set<string> {
  return new Set(['', ...tokens.map((t) => t.trim().toLowerCase())]);
}

/** Throws a TypeError unless `value` is a record (an object keyed by column name); `where(i)` names it. */
export function checkRecord(value: unknown, fn: string, where: (i: number) => string, i: number): asserts value is TableRecord {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) return;
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? describe(value) : typeof value;
  throw new TypeError(`${fn}: ${where(i)} is ${what}, expected an object keyed by column name`);
}

/** A record's cell: only its own key counts, so a column named 'constructor' or '__proto__' is missing where absent. */
export const cellOf = (record: TableRecord, name: string): Cell => (Object.hasOwn(record, name) ? record[name] : undefined);

/** A cell's text (trimmed), or null when it is missing: null, undefined, a NaN number or an NA token. */
export function cellText(cell: Cell, na: Set<string>): string | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'number') return Number.isNaN(cell) ? null : String(cell);
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : cell.toISOString();
  if (typeof cell !== 'string') throw new TypeError(`a cell holds ${describe(cell)}; cells are strings, numbers, booleans, Dates or null`);
  const text = cell.trim();
  // Most cells are longer than any NA token: no lower-cased copy for them.
  return text.length <= naLength(na) && na.has(text.toLowerCase()) ? null : text;
}

const naLengths = new WeakMap<Set<string>, number>();

function naLength(na: Set<string>): number {
  let longest = naLengths.get(na);
  if (longest === undefined) {
    longest = 0;
    for (const token of na) longest = Math.max(longest, token.length);
    naLengths.set(na, longest);
  }
  return longest;
}

export const isNumeral = (text: string): boolean => NUMERAL.test(text);
/** How a text with commas can be a number: only with a decimal comma, only grouped in thousands, either (1,250), or not (null). */
export function commaKind(text: string): 'decimal' | 'grouped' | 'either' | null {
  const decimal = COMMA_NUMERAL.test(text);
  const grouped = GROUPED_NUMERAL.test(text);
  return decimal && grouped ? 'either' : decimal ? 'decimal' : grouped ? 'grouped' : null;
}

export const decimalCommaValue = (text: string): number => Number(text.replace(',', '.'));
export const groupedValue = (text: string): number => Number(text.replaceAll(',', ''));

/**
 * A numeral's value (NaN when the text is no numeral): with `decimalComma` a comma is the decimal
 * mark (1,5), else the point is and commas may group thousands (1,250 or 12,345.67).
 */
export function numberOf(text: string, decimalComma: boolean): number {
  if (NUMERAL.test(text)) return Number(text);
  if (decimalComma) return COMMA_NUMERAL.test(text) ? decimalCommaValue(text) : Number.NaN;
  return GROUPED_NUMERAL.test(text) ? groupedValue(text) : Number.NaN;
}

/** Whether a finite value is too large for the float32 the model computes in. */
export const outsideFloat32 = (v: number): boolean => Math.abs(v) > FLOAT32_MAX;

// Boolean words are one level in any case (Yes, YES and yes; True and true).
const BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no']);
const BOOLEAN_LENGTH = 5;

/** A word's level text: a boolean word lower-cased, any other word as written. */
export function wordKey(text: string): string {
  if (text.length > BOOLEAN_LENGTH) return text;
  const lower = text.toLowerCase();
  return BOOLEAN_WORDS.has(lower) ? lower : text;
}

/** A level's text: numerals by value ('1.0' and 1 are one level), boolean words lower-cased. */
export function levelKey(text: string): string {
  return NUMERAL.test(text) ? String(Number(text)) : wordKey(text);
}

const TIME = String.raw`(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?\s*(Z|[+-]\d{2}:?\d{2})?`;
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})${TIME}$`);
const YEAR_LAST = new RegExp(String.raw`^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})${TIME}$`);
const DAY_MS = 86_400_000;

interface DateParts {
  yearFirst: boolean;
  separator: string;
  a: number;
  b: number;
  c: number;
  seconds: number;
  offsetMinutes: number;
}

function dateParts(text: string): DateParts | null {
  const first = YEAR_FIRST.exec(text);
  const m = first ?? YEAR_LAST.exec(text);
  if (m === null) return null;
  const [, a, separator, b, c, hh, mm, ss, zone] = m;
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const seconds = hh === undefined ? 0 : timeOfDay(Number(hh), Number(mm), Number(ss ?? 0));
  return { yearFirst: first !== null, separator: separator as string, a: Number(a), b: Number(b), c: Number(c), seconds, offsetMinutes };
}

/** Seconds since midnight, NaN for no time of day (25:00, 12:61; 24:00:00 is the day's end). */
function timeOfDay(hours: number, minutes: number, seconds: number): number {
  if (hours > 24 || minutes > 59 || seconds >= 61) return Number.NaN;
  const total = hours * 3600 + minutes * 60 + seconds;
  return total > 86_400 ? Number.NaN : total;
}

function daysOf(year: number, month: number, day: number, seconds: number, offsetMinutes: number): number {
  if (month < 1 || month > 12 || day < 1 || Number.isNaN(seconds)) return Number.NaN;
  const ms = Date.UTC(year, month - 1, day);
  if (new Date(ms).getUTCDate() !== day) return Number.NaN; // 31 April, 29 February of a common year
  return (ms + seconds * 1000 - offsetMinutes * 60_000) / DAY_MS;
}

/** Which date forms a text can be: year first, or day/month first (both when ambiguous); null for no date. */
export function dateShape(text: string): { ymd: boolean; dmy: boolean; mdy: boolean } | null {
  const p = dateParts(text);
  if (p === null) return null;
  if (p.yearFirst) return Number.isNaN(daysOf(p.a, p.b, p.c, p.seconds, 0)) ? null : { ymd: true, dmy: false, mdy: false };
  const dmy = !Number.isNaN(daysOf(p.c, p.b, p.a, p.seconds, 0));
  // A dotted date (31.12.2020) is always day first.
  const mdy = p.separator !== '.' && !Number.isNaN(daysOf(p.c, p.a, p.b, p.seconds, 0));
  return dmy || mdy ? { ymd: false, dmy, mdy } : null;
}

/**
 * Whether a text has the shape of `format` (yyyy-mm-dd, dd.mm.yyyy, mm/dd/yyyy, with a time) but names
 * no moment in any order (30 February, 25:00): a typo, read as missing wherever the column is read.
 */
export function impossibleDate(text: string, format: DateFormat): boolean {
  const p = dateParts(text);
  if (p === null || dateShape(text) !== null) return false;
  return p.yearFirst ? format === 'ymd' : format === 'dmy' || (format === 'mdy' && p.separator !== '.');
}

/** A cell as days since 1970-01-01 UTC (fractional with a time), or NaN when it is no date of `format`. */
export function daysSinceEpoch(cell: Cell, text: string, format: DateFormat): number {
  if (cell instanceof Date) return cell.getTime() / DAY_MS;
  const p = dateParts(text);
  if (p === null) return Number.NaN;
  if (p.yearFirst) return format === 'ymd' ? daysOf(p.a, p.b, p.c, p.seconds, p.offsetMinutes) : Number.NaN;
  if (format === 'dmy') return daysOf(p.c, p.b, p.a, p.seconds, p.offsetMinutes);
  if (format === 'mdy' && p.separator !== '.') return daysOf(p.c, p.a, p.b, p.seconds, p.offsetMinutes);
  return Number.NaN;
}

/** Year (fractional), month 0–11, day of the year 0–365, weekday 0–6 (Sunday 0) of a day count. */
export function calendar(days: number): { year: number; month: number; dayOfYear: number; weekday: number } {
  const date = new Date(Math.floor(days) * DAY_MS);
  const year = date.getUTCFullYear();
  const start = Date.UTC(year, 0, 1) / DAY_MS;
  const length = Date.UTC(year + 1, 0, 1) / DAY_MS - start;
  const dayOfYear = days - start;
  return { year: year + dayOfYear / length, month: date.getUTCMonth(), dayOfYear, weekday: date.getUTCDay() };
}
