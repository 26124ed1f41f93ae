// Reading one raw cell: missing or not, as a number, a level or a date. The
// rules live here once, for fitting the spec and for applying it.
import { describe } from '../errors.js';
import type { Cell, DateFormat } from './spec.js';

// Number('') is 0 and Number(' 1 ') is 1: only plain numerals count.
const NUMERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const COMMA_NUMERAL = /^[+-]?\d*,\d+([eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/** The NA tokens as a lookup: trimmed, lower-cased; the empty cell is always missing. */
export function naLookup(tokens: readonly string[]): Set<string> {
  return new Set(['', ...tokens.map((t) => t.trim().toLowerCase())]);
}

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
export const isCommaNumeral = (text: string): boolean => COMMA_NUMERAL.test(text);

/** A numeral's value (NaN when the text is no numeral); a decimal comma when `decimalComma`. */
export function numberOf(text: string, decimalComma: boolean): number {
  if (NUMERAL.test(text)) return Number(text);
  if (decimalComma && COMMA_NUMERAL.test(text)) return Number(text.replace(',', '.'));
  return Number.NaN;
}

/** Whether a finite value is too large for the float32 the model computes in. */
export const outsideFloat32 = (v: number): boolean => Math.abs(v) > FLOAT32_MAX;

/** A level's text: numerals by value ('1.0' and 1 are one level), booleans lower-cased. */
export function levelKey(text: string): string {
  if (NUMERAL.test(text)) return String(Number(text));
  const lower = text.toLowerCase();
  return lower === 'true' || lower === 'false' ? lower : text;
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
  const seconds = hh === undefined ? 0 : Number(hh) * 3600 + Number(mm) * 60 + Number(ss ?? 0);
  return { yearFirst: first !== null, separator: separator as string, a: Number(a), b: Number(b), c: Number(c), seconds, offsetMinutes };
}

function daysOf(year: number, month: number, day: number, seconds: number, offsetMinutes: number): number {
  if (month < 1 || month > 12 || day < 1 || seconds > 86_400) return Number.NaN;
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
