// Typing and fitting one column from the summary of its training cells
// (column-summary.ts): numeric, categorical, date, or dropped (ID-like, free
// text, constant, entirely missing), each decision with a one-line notice that
// says why. The same rules for records in memory and for a stream.
import { calendar } from './cells.js';
import { type ColumnKindOverride, ColumnSummary, DATE_FORMATS, STRAY_DISTINCT } from './column-summary.js';
import { DataError } from './data-error.js';
import type { CategoricalColumn, ColumnSpec, DateColumn, DateFormat, DropReason, NumericColumn } from './spec.js';

export { type ColumnKindOverride, ColumnSummary };

export interface ColumnFitOptions {
  /** Levels seen fewer times are merged into (other). */
  minCount: number;
  /** At most this many levels are kept (the most frequent). */
  maxLevels: number;
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
// Past the count cap "every value distinct" is judged from the distinct-count sketch (within about
// 1.6%, so 6% is four of its standard errors) and from the median sample holding no value twice.
const SKETCHED_ALL_DISTINCT = 0.94;
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

const capNote = (cap: number, floor: number) =>
  `over ${cap} distinct values: counted to a cap (every value seen more than ${floor} times kept, the distinct count estimated)`;

/** Distinct numeric values (numbers and decimal-comma numerals), and whether each one is seen once. */
function numericDistinct(s: ColumnSummary): { distinct: number; allDistinct: boolean; capped: boolean } {
  const n = s.values.n;
  if (!s.numbers.overflowed && !s.commaValues.overflowed) {
    const numbers = s.numbers.table();
    let distinct = numbers.size;
    for (const v of s.commaValues.table().keys()) if (!numbers.has(v)) distinct++;
    return { distinct, allDistinct: distinct === n, capped: false };
  }
  const distinct = s.numbers.distinct() + s.commaValues.distinct();
  const sorted = s.sample?.sorted(0) ?? new Float64Array(0);
  let repeats = false;
  for (let i = 1; i < sorted.length && !repeats; i++) repeats = sorted[i] === sorted[i - 1];
  return { distinct, allDistinct: !repeats && distinct >= SKETCHED_ALL_DISTINCT * n, capped: true };
}

function fitNumeric(s: ColumnSummary, decimalComma: boolean, extraMissing: string[], declared: boolean): FittedColumn {
  const { name } = s;
  if (declared && s.strayRows > 0)
    throw new DataError(
      `column '${name}' is numeric (--numeric), but a cell holds '${[...s.strays.keys()][0]}' (add it to --na, or pass --categorical ${name})`,
    );
  if (s.nonFinite !== null) throw new DataError(`column '${name}': a cell holds ${s.nonFinite}; every number must be finite`);
  const missing = s.missing + s.strayRows;
  const n = s.values.n;
  const { distinct, allDistinct, capped } = numericDistinct(s);
  if (distinct === 1 && missing === 0 && !declared) return dropped(name, 'constant', `constant: every row is ${s.firstValue}`);
  if (!declared && n >= ID_MIN_ROWS && allDistinct && s.integers && (ID_NAME.test(name) || s.max - s.min + 1 === n))
    return dropped(name, 'id', `ID-like: distinct integers in every row${capped ? ' (past the count cap: estimated)' : ''}`);
  const log = distinct > 2 && n >= 20 && s.min >= 0 && s.values.skewness() > SKEW_FOR_LOG;
  // log1p is monotone: the median of the logs is the log of the median.
  const middle = (s.sample as NonNullable<ColumnSummary['sample']>).median(0);
  const med = log ? Math.log1p(middle) : middle;
  // Missing cells take the median: their moments join the present values' exactly.
  const { mean, std } = (log ? s.logs : s.values).withFill(missing, med);
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
    s.sample !== null && s.sample.length < n ? `median of a sample of ${s.sample.length}` : '',
  ].filter((t) => t !== '');
  return { spec, notice: `numeric${notes.length > 0 ? `; ${notes.join('; ')}` : ''}` };
}

function fitCategorical(s: ColumnSummary, options: ColumnFitOptions, declared: boolean): FittedColumn {
  const { name, missing, present } = s;
  const capped = s.numbers.overflowed || s.texts.overflowed;
  const distinct = s.numbers.distinct() + s.texts.distinct();
  const ranked: [string, number][] = [...s.texts.table().entries()];
  for (const [v, n] of s.numbers.table()) ranked.push([String(v), n]);
  if (!declared && distinct === 1 && missing === 0) return dropped(name, 'constant', `constant: every row is '${ranked[0]?.[0]}'`);
  // An ID has a value in (nearly) every row; a mostly empty column of distinct values keeps its presence.
  if (!declared && present >= ID_MIN_ROWS && distinct >= ID_DISTINCT * present && missing <= 0.1 * (present + missing)) {
    const about = capped ? 'about ' : '';
    return s.spaced > present / 2
      ? dropped(name, 'text', `free text: ${about}${distinct} distinct values in ${present} rows`)
      : dropped(name, 'id', `ID-like: ${about}${distinct} distinct values in ${present} rows`);
  }
  ranked.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const frequent = ranked.filter(([, n]) => n >= options.minCount);
  const kept = frequent.slice(0, options.maxLevels);
  // With no level kept, whether a cell is present (a cabin number, a second phone) may still tell something.
  if (kept.length === 0 && !declared && missing === 0)
    return dropped(name, 'id', `every one of its ${distinct} values is rarer than ${options.minCount} rows`);
  const merged = distinct - kept.length;
  const mergedRows = present - kept.reduce((sum, [, n]) => sum + n, 0);
  const spec: CategoricalColumn = { name, kind: 'categorical', levels: kept.map(([level]) => level), missing: missing > 0 };
  const notes = [
    `${kept.length} level${kept.length === 1 ? '' : 's'}`,
    merged > 0 ? `${merged} rare (${mergedRows} rows) as (other)` : '',
    frequent.length > options.maxLevels ? `capped at ${options.maxLevels} levels` : '',
    missing > 0 ? `${missing} missing as a level` : '',
    capped ? capNote(s.texts.overflowed ? s.texts.cap : s.numbers.cap, Math.max(s.numbers.floor, s.texts.floor)) : '',
  ].filter((t) => t !== '');
  return { spec, notice: `categorical: ${notes.join(', ')}` };
}

function dateFormat(s: ColumnSummary): DateFormat | null {
  if (!s.mayBeDates || s.dates === null) return null;
  if (s.dateTexts === 0) return s.dateCells > 0 ? 'ymd' : null;
  const [ymd, dmy, mdy] = s.dates.map((r) => r.fits);
  if (ymd) return 'ymd';
  if (dmy && mdy) return s.dottedDates ? 'dmy' : 'mdy'; // every day ≤ 12: slashes read as the US month/day
  if (dmy) return 'dmy';
  if (mdy) return 'mdy';
  throw new DataError(`column '${s.name}': its dates mix day/month and month/day orders; write them as yyyy-mm-dd`);
}

function fitDate(s: ColumnSummary, format: DateFormat): FittedColumn {
  const lane = DATE_FORMATS.indexOf(format as (typeof DATE_FORMATS)[number]);
  const reading = s.dates?.[lane];
  const sample = s.dateSample;
  if (reading === undefined || sample === null) throw new Error(`fitDate: column '${s.name}' kept no dates`);
  if (reading.bad !== null) throw new DataError(`column '${s.name}': '${reading.bad}' is not a date (${format})`);
  const { missing } = s;
  const med = sample.median(lane);
  const { mean, std } = reading.years.withFill(missing, calendar(med).year);
  const spec: DateColumn = { name: s.name, kind: 'date', format, median: med, yearMean: mean, yearStd: std, indicator: missing > 0 };
  return {
    spec,
    notice: `date (${format}): year, month, day of year, weekday${missing > 0 ? `; ${missing} missing → median + indicator` : ''}`,
  };
}

/** Types and fits one column from the summary of its training cells. */
export function fitColumn(s: ColumnSummary, options: ColumnFitOptions): FittedColumn {
  const { name, override } = s;
  if (override === 'ignore') return dropped(name, 'ignored', 'ignored as asked');
  if (s.present === 0) return dropped(name, 'empty', 'entirely missing');
  if (override === 'categorical') return fitCategorical(s, options, true);
  if (override === 'date') {
    const format = dateFormat(s);
    if (format === null) throw new DataError(`column '${name}' is declared a date, but holds ${quote(s.nonDates)}`);
    return fitDate(s, format);
  }
  const { strayRows, present } = s;
  if (
    override === 'numeric' ||
    strayRows === 0 ||
    (strayRows <= STRAY_FRACTION * present && s.strays.size <= STRAY_DISTINCT && strayRows < present)
  ) {
    if (s.commas > 0 && s.firstDotted !== null)
      throw new DataError(
        `column '${name}': mixes decimal commas ('${s.firstComma}') and points ('${s.firstDotted}'); write one form, or pass --categorical ${name}`,
      );
    if (override === 'numeric' || strayRows === 0) return fitNumeric(s, s.commas > 0, [], override === 'numeric');
    // Not all numbers: a date column reads as one first.
    const format = dateFormat(s);
    if (format !== null) return fitDate(s, format);
    return fitNumeric(s, s.commas > 0, [...s.strays.keys()], false);
  }
  const format = dateFormat(s);
  if (format !== null) return fitDate(s, format);
  return fitCategorical(s, options, false);
}
