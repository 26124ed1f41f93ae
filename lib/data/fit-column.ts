// Typing and fitting one column on the training rows: numeric, categorical,
// date, or dropped (ID-like, free text, constant, entirely missing), each
// decision with a one-line notice that says why.
import { calendar, cellText, dateShape, daysSinceEpoch, isCommaNumeral, isNumeral, levelKey, numberOf } from './cells.js';
import { DataError } from './data-error.js';
import type { CategoricalColumn, Cell, ColumnSpec, DateColumn, DateFormat, DropReason, NumericColumn } from './spec.js';

export type ColumnKindOverride = 'numeric' | 'categorical' | 'date' | 'ignore';

export interface ColumnFitOptions {
  na: Set<string>;
  override: ColumnKindOverride | undefined;
  /** Levels seen fewer times are merged into (other). */
  minCount: number;
  /** At most this many levels are kept (the most frequent). */
  maxLevels: number;
  /** Names the i-th cell's row in errors. */
  where: (i: number) => string;
}

export interface FittedColumn {
  spec: ColumnSpec;
  notice: string;
}

// A column is ID-like when nearly every value is distinct (and there are enough rows to tell).
const ID_DISTINCT = 0.9;
const ID_MIN_ROWS = 20;
// A numeric column may hold a few stray words (read as missing, with a notice) — no more than these.
const STRAY_FRACTION = 0.05;
const STRAY_DISTINCT = 3;
// Standardised values are held within ±Z_CLIP (measured: an unbounded z let two outlying houses
// of the Ames table take a fold's r² from 0.92 to 0.63; see docs/decisions.md).
const Z_CLIP = 3;
// A non-negative column whose skewness passes this is scaled as log(1 + x).
const SKEW_FOR_LOG = 2;
const ID_NAME = /^id$|[_\s.-]id$|[a-z]Id$|ID$|^id[_\s.-]/i;

const quote = (values: string[], max = 3) =>
  values
    .slice(0, max)
    .map((v) => `'${v.length > 20 ? `${v.slice(0, 20)}…` : v}'`)
    .join(', ') + (values.length > max ? ', …' : '');

function dropped(name: string, reason: DropReason, why: string): FittedColumn {
  return { spec: { name, kind: 'dropped', reason }, notice: `dropped (${why})` };
}

/** Median of finite values (float64). */
function median(values: Float64Array): number {
  return medianOfSorted(values.slice().sort());
}

function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 === 1 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
}

/** Whether values are all ≥ 0 and skewed to the right past SKEW_FOR_LOG. */
function isSkewedNonNegative(values: Float64Array): boolean {
  if (values.length < 20) return false;
  let lo = Number.POSITIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    sum += v;
  }
  if (lo < 0) return false;
  const mean = sum / values.length;
  let m2 = 0;
  let m3 = 0;
  for (const v of values) {
    m2 += (v - mean) ** 2;
    m3 += (v - mean) ** 3;
  }
  m2 /= values.length;
  m3 /= values.length;
  return m2 > 0 && m3 / m2 ** 1.5 > SKEW_FOR_LOG;
}

/** Mean and population standard deviation of `values` with missing ones (NaN) replaced by `fill`. */
function moments(values: Float64Array, fill: number): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += Number.isNaN(v) ? fill : v;
  const mean = sum / Math.max(1, values.length);
  let squares = 0;
  for (const v of values) squares += ((Number.isNaN(v) ? fill : v) - mean) ** 2;
  const std = Math.sqrt(squares / Math.max(1, values.length));
  return { mean, std: std > 1e-9 * Math.max(1, Math.abs(mean)) ? std : 1 };
}

function fitNumeric(
  name: string,
  texts: (string | null)[],
  cells: Cell[],
  decimalComma: boolean,
  extraMissing: string[],
  declared: boolean,
): FittedColumn {
  const extra = new Set(extraMissing);
  const values = new Float64Array(texts.length);
  let missing = 0;
  texts.forEach((text, i) => {
    const cell = cells[i];
    const v = typeof cell === 'number' ? cell : text === null || extra.has(text) ? Number.NaN : numberOf(text, decimalComma);
    if (text !== null && !extra.has(text) && Number.isNaN(v))
      throw new DataError(
        `column '${name}' is numeric${declared ? ' (--numeric)' : ''}, but a cell holds '${text}' (add it to --na, or pass --categorical ${name})`,
      );
    if (Number.isNaN(v)) missing++;
    else if (!Number.isFinite(v)) throw new DataError(`column '${name}': a cell holds ${v}; every number must be finite`);
    values[i] = v;
  });
  const present = values.filter((v) => !Number.isNaN(v));
  // One sort gives the median and the distinct count (a Set of a million doubles costs more).
  const sorted = present.slice().sort();
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct === 1 && missing === 0 && !declared) return dropped(name, 'constant', `constant: every row is ${present[0]}`);
  if (!declared && present.length >= ID_MIN_ROWS && distinct === present.length && present.every(Number.isInteger)) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of present) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    if (ID_NAME.test(name) || hi - lo + 1 === present.length) return dropped(name, 'id', 'ID-like: distinct integers in every row');
  }
  const log = distinct > 2 && isSkewedNonNegative(present);
  const scaled = log ? values.map((v) => (Number.isNaN(v) ? v : Math.log1p(v))) : values;
  // log1p is monotone: the median of the logs is the log of the median.
  const middle = medianOfSorted(sorted);
  const med = log ? Math.log1p(middle) : middle;
  const { mean, std } = moments(scaled, med);
  const spec: NumericColumn = {
    name,
    kind: 'numeric',
    median: med,
    mean,
    std,
    log,
    clip: Z_CLIP,
    indicator: missing > 0,
    decimalComma,
    extraMissing,
  };
  const notes = [
    log ? 'skewed: log(1 + x)' : '',
    missing > 0 ? `${missing} missing → median ${+(log ? Math.expm1(med) : med).toPrecision(6)} + indicator` : '',
    decimalComma ? "decimal commas ('1,5' is 1.5)" : '',
    extraMissing.length > 0 ? `${quote(extraMissing)} read as missing` : '',
  ].filter((s) => s !== '');
  return { spec, notice: `numeric${notes.length > 0 ? `; ${notes.join('; ')}` : ''}` };
}

function fitCategorical(name: string, texts: (string | null)[], options: ColumnFitOptions, declared: boolean): FittedColumn {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const text of texts) {
    if (text === null) missing++;
    else {
      const key = levelKey(text);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const present = texts.length - missing;
  if (!declared && counts.size === 1 && missing === 0)
    return dropped(name, 'constant', `constant: every row is '${[...counts.keys()][0]}'`);
  // An ID has a value in (nearly) every row; a mostly empty column of distinct values keeps its presence.
  if (!declared && present >= ID_MIN_ROWS && counts.size >= ID_DISTINCT * present && missing <= 0.1 * texts.length) {
    const spaced = texts.filter((t) => t !== null && /\s/.test(t)).length;
    return spaced > present / 2
      ? dropped(name, 'text', `free text: ${counts.size} distinct values in ${present} rows`)
      : dropped(name, 'id', `ID-like: ${counts.size} distinct values in ${present} rows`);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const frequent = ranked.filter(([, n]) => n >= options.minCount);
  const kept = frequent.slice(0, options.maxLevels);
  // With no level kept, whether a cell is present (a cabin number, a second phone) may still tell something.
  if (kept.length === 0 && !declared && missing === 0)
    return dropped(name, 'id', `every one of its ${counts.size} values is rarer than ${options.minCount} rows`);
  const merged = ranked.length - kept.length;
  const mergedRows = ranked.slice(kept.length).reduce((sum, [, n]) => sum + n, 0);
  const spec: CategoricalColumn = { name, kind: 'categorical', levels: kept.map(([level]) => level), missing: missing > 0 };
  const notes = [
    `${kept.length} level${kept.length === 1 ? '' : 's'}`,
    merged > 0 ? `${merged} rare (${mergedRows} rows) as (other)` : '',
    frequent.length > options.maxLevels ? `capped at ${options.maxLevels} levels` : '',
    missing > 0 ? `${missing} missing as a level` : '',
  ].filter((s) => s !== '');
  return { spec, notice: `categorical: ${notes.join(', ')}` };
}

function dateFormat(name: string, texts: (string | null)[], cells: Cell[]): DateFormat | null {
  let ymd = true;
  let dmy = true;
  let mdy = true;
  let dotted = false;
  let seen = 0;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    if (text === null || cells[i] instanceof Date) continue;
    const shape = dateShape(text);
    if (shape === null) return null;
    seen++;
    ymd &&= shape.ymd;
    dmy &&= shape.dmy;
    mdy &&= shape.mdy;
    dotted ||= text.includes('.') && !shape.ymd;
  }
  if (seen === 0) return cells.some((c) => c instanceof Date) ? 'ymd' : null;
  if (ymd) return 'ymd';
  if (dmy && mdy) return dotted ? 'dmy' : 'mdy'; // every day ≤ 12: slashes read as the US month/day
  if (dmy) return 'dmy';
  if (mdy) return 'mdy';
  throw new DataError(`column '${name}': its dates mix day/month and month/day orders; write them as yyyy-mm-dd`);
}

function fitDate(name: string, texts: (string | null)[], cells: Cell[], format: DateFormat): FittedColumn {
  const days = new Float64Array(texts.length);
  let missing = 0;
  texts.forEach((text, i) => {
    const d = text === null ? Number.NaN : daysSinceEpoch(cells[i], text, format);
    if (text !== null && Number.isNaN(d)) throw new DataError(`column '${name}': '${text}' is not a date (${format})`);
    if (Number.isNaN(d)) missing++;
    days[i] = d;
  });
  const med = median(days.filter((d) => !Number.isNaN(d)));
  const years = days.map((d) => calendar(Number.isNaN(d) ? med : d).year);
  const { mean, std } = moments(years, 0);
  const spec: DateColumn = { name, kind: 'date', format, median: med, yearMean: mean, yearStd: std, indicator: missing > 0 };
  return {
    spec,
    notice: `date (${format}): year, month, day of year, weekday${missing > 0 ? `; ${missing} missing → median + indicator` : ''}`,
  };
}

/** Types and fits one column from its training cells. */
export function fitColumn(name: string, cells: Cell[], options: ColumnFitOptions): FittedColumn {
  const { override } = options;
  if (override === 'ignore') return dropped(name, 'ignored', 'ignored as asked');
  const texts = cells.map((cell, i) => {
    try {
      return cellText(cell, options.na);
    } catch (error) {
      throw error instanceof TypeError ? new TypeError(`${options.where(i)}, column '${name}': ${error.message}`) : error;
    }
  });
  const present = texts.filter((t): t is string => t !== null);
  if (present.length === 0) return dropped(name, 'empty', 'entirely missing');
  if (override === 'categorical') return fitCategorical(name, texts, options, true);
  if (override === 'date') {
    const format = dateFormat(name, texts, cells);
    if (format === null)
      throw new DataError(`column '${name}' is declared a date, but holds ${quote(present.filter((t) => dateShape(t) === null))}`);
    return fitDate(name, texts, cells, format);
  }
  let dotted = 0;
  let commas = 0;
  const strays = new Map<string, number>();
  let strayRows = 0;
  const strayLimit = STRAY_FRACTION * present.length;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] as string | null;
    if (text === null) continue;
    if (typeof cells[i] === 'number' || isNumeral(text)) dotted += text.includes('.') ? 1 : 0;
    else if (isCommaNumeral(text)) commas++;
    else {
      strays.set(text, (strays.get(text) ?? 0) + 1);
      strayRows++;
      // Past the limits it is no numeric column: stop counting (a string column would fill the map).
      if (override !== 'numeric' && (strays.size > STRAY_DISTINCT || strayRows > strayLimit)) break;
    }
  }
  if (
    override === 'numeric' ||
    strayRows === 0 ||
    (strayRows <= STRAY_FRACTION * present.length && strays.size <= STRAY_DISTINCT && strayRows < present.length)
  ) {
    if (commas > 0 && dotted > 0) {
      const comma = present.find(isCommaNumeral) as string;
      const dot = present.find((t) => isNumeral(t) && t.includes('.')) as string;
      throw new DataError(
        `column '${name}': mixes decimal commas ('${comma}') and points ('${dot}'); write one form, or pass --categorical ${name}`,
      );
    }
    if (override === 'numeric' || strayRows === 0) return fitNumeric(name, texts, cells, commas > 0, [], override === 'numeric');
    // Not all numbers: a date column reads as one first.
    const format = dateFormat(name, texts, cells);
    if (format !== null) return fitDate(name, texts, cells, format);
    return fitNumeric(name, texts, cells, commas > 0, [...strays.keys()], false);
  }
  const format = dateFormat(name, texts, cells);
  if (format !== null) return fitDate(name, texts, cells, format);
  return fitCategorical(name, texts, options, false);
}
