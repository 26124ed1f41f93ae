// Typing and fitting one column from the summary of its training cells
// (column-summary.ts): numeric, categorical, date, or dropped (ID-like, free
// text, constant, entirely missing), each decision with a one-line notice that
// says why. The same rules for records in memory and for a stream.
import { calendar, groupedValue } from './cells.js';
import { type ColumnKindOverride, ColumnSummary, DATE_FORMATS, type NumberLane, STRAY_RULE } from './column-summary.js';
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

/** How a column's commas read: none seen, decimal marks (1,5), or thousands separators (1,250). */
type CommaReading = 'none' | 'decimal' | 'grouped';

/**
 * The one reading of commas every cell allows. A comma numeral that only one reading takes decides
 * (0,5 or 1,5 are decimal; 1,000,000 or 1,250.5 grouped), and so does a decimal point elsewhere (a
 * column has one decimal mark). When every comma numeral is d,ddd: beside plain numbers, one that
 * ends in 0 ('2,400') is grouped, since a decimal comma would drop the zero or write every cell so;
 * without plain numbers the two readings differ by a factor of 1000 only, and grouped is taken.
 * Otherwise the cells do not tell, and guessing would change the values: an error.
 */
function commaReading(s: ColumnSummary): CommaReading {
  const { name, firstComma, firstDecimalComma, firstGrouped, firstDotted } = s;
  if (firstComma === null) return 'none';
  const asDecimal = firstGrouped === null && firstDotted === null;
  const asGrouped = firstDecimalComma === null;
  if (!asDecimal && !asGrouped)
    throw new DataError(
      firstDotted !== null
        ? `column '${name}': mixes decimal commas ('${firstDecimalComma}') and points ('${firstDotted}'); write one form, or pass --categorical ${name}`
        : `column '${name}': mixes decimal commas ('${firstDecimalComma}') and thousands separators ('${firstGrouped}'); write one form, or pass --categorical ${name}`,
    );
  if (!asGrouped) return 'decimal';
  if (!asDecimal || s.plainNumbers === 0 || s.groupedTrailingZero) return 'grouped';
  const plain = firstComma.replaceAll(',', '');
  throw new DataError(
    `column '${name}': '${firstComma}' may be ${plain} (a thousands separator) or ${firstComma.replace(',', '.')} (a decimal comma), and no cell tells which; write ${plain} or ${firstComma.replace(',', '.')}, or pass --categorical ${name}`,
  );
}

/** Distinct numeric values (numbers and comma numerals), and whether each one is seen once. */
function numericDistinct(s: ColumnSummary, lane: NumberLane): { distinct: number; allDistinct: boolean; capped: boolean } {
  const n = lane.values.n;
  if (!s.numbers.overflowed && !lane.commaValues.overflowed) {
    const numbers = s.numbers.table();
    let distinct = numbers.size;
    for (const v of lane.commaValues.table().keys()) if (!numbers.has(v)) distinct++;
    return { distinct, allDistinct: distinct === n, capped: false };
  }
  const distinct = s.numbers.distinct() + lane.commaValues.distinct();
  const sorted = s.sample?.sorted(lane.lane) ?? new Float64Array(0);
  let repeats = false;
  for (let i = 1; i < sorted.length && !repeats; i++) repeats = sorted[i] === sorted[i - 1];
  return { distinct, allDistinct: !repeats && distinct >= SKETCHED_ALL_DISTINCT * n, capped: true };
}

const COMMA_NOTES: Record<CommaReading, (example: string) => string> = {
  none: () => '',
  decimal: () => "decimal commas ('1,5' is 1.5)",
  grouped: (example) => `thousands separators ('${example}' is ${groupedValue(example)})`,
};

function fitNumeric(s: ColumnSummary, extraMissing: string[], declared: boolean): FittedColumn {
  const { name } = s;
  if (declared && s.strays.rows > 0)
    throw new DataError(
      `column '${name}' is numeric (--numeric), but a cell holds '${s.strays.texts[0]}' (add it to --na, or pass --categorical ${name})`,
    );
  if (s.tooLarge !== null) {
    const { where, text, value } = s.tooLarge;
    const reads = Number.isFinite(value) ? '' : ` (it reads as ${value})`;
    throw new DataError(`${where}, column '${name}': '${text}' does not fit a float32${reads}; every number must be finite`);
  }
  const commas = commaReading(s);
  const lane = commas === 'grouped' ? (s.asGrouped as NumberLane) : s.asDecimal;
  const missing = s.missing + s.strays.rows;
  const n = lane.values.n;
  const { distinct, allDistinct, capped } = numericDistinct(s, lane);
  if (distinct === 1 && missing === 0 && !declared) return dropped(name, 'constant', `constant: every row is ${lane.firstValue}`);
  if (!declared && n >= ID_MIN_ROWS && allDistinct && lane.integers && (ID_NAME.test(name) || lane.max - lane.min + 1 === n))
    return dropped(name, 'id', `ID-like: distinct integers in every row${capped ? ' (past the count cap: estimated)' : ''}`);
  const log = distinct > 2 && n >= 20 && lane.min >= 0 && lane.values.skewness() > SKEW_FOR_LOG;
  // log1p is monotone: the median of the logs is the log of the median.
  const middle = (s.sample as NonNullable<ColumnSummary['sample']>).median(lane.lane);
  const med = log ? Math.log1p(middle) : middle;
  // Missing cells take the median: their moments join the present values' exactly.
  const { mean, std } = (log ? lane.logs : lane.values).withFill(missing, med);
  const spec: NumericColumn = {
    name,
    kind: 'numeric',
    median: med,
    mean,
    std,
    log,
    clip: Z_CLIP,
    indicator: missing > 0,
    decimalComma: commas === 'decimal',
    extraMissing,
  };
  const notes = [
    log ? 'skewed: log(1 + x)' : '',
    missing > 0 ? `${missing} missing → median ${+(log ? Math.expm1(med) : med).toPrecision(6)} + indicator` : '',
    COMMA_NOTES[commas](s.firstGrouped ?? s.firstComma ?? ''),
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

// The forms a date column may be written in, as messages name them.
const DATE_FORMS = 'yyyy-mm-dd, dd.mm.yyyy (or dd/mm/yyyy) or mm/dd/yyyy';

/** Whether a column's impossible dates (2021-02-30) are few enough to read as missing: the rule stray words in numbers follow. */
const fewImpossible = (s: ColumnSummary): boolean => s.impossibleDates.few(s.present);

/** The form a column's dates are read in, or null when it is no date column (declared ones excepted). */
function dateFormat(s: ColumnSummary, declared: boolean): DateFormat | null {
  if (!s.mayBeDates || s.dates === null) return null;
  if (s.dateTexts === 0) return s.dateCells > 0 ? 'ymd' : null;
  if (!declared && !fewImpossible(s)) return null;
  const [ymd, dmy, mdy] = s.dates.map((r) => r.fits);
  if (ymd) return 'ymd';
  if (dmy && mdy) return s.dottedDates ? 'dmy' : 'mdy'; // every day ≤ 12: slashes read as the US month/day
  if (dmy) return 'dmy';
  if (mdy) return 'mdy';
  const breakers = [...new Set(s.dates.map((r) => r.breaker).filter((t): t is string => t !== null))];
  throw new DataError(
    `column '${s.name}': its dates mix forms (${quote(breakers)}): no one of ${DATE_FORMS} reads them all; write them in one form (yyyy-mm-dd), or pass --categorical ${s.name}`,
  );
}

function fitDate(s: ColumnSummary, format: DateFormat): FittedColumn {
  const lane = DATE_FORMATS.indexOf(format as (typeof DATE_FORMATS)[number]);
  const reading = s.dates?.[lane];
  const sample = s.dateSample;
  if (reading === undefined || sample === null) throw new Error(`fitDate: column '${s.name}' kept no dates`);
  const impossible = s.impossibleDates.texts;
  // Declared a date, with more impossible dates than a date column reads as missing.
  if (!fewImpossible(s))
    throw new DataError(
      `column '${s.name}': ${s.impossibleDates.rows} cells name no date (${quote(impossible)}), more than the ${STRAY_RULE} a date column reads as missing`,
    );
  const missing = s.missing + s.impossibleDates.rows;
  const med = sample.median(lane);
  const { mean, std } = reading.years.withFill(missing, calendar(med).year);
  const spec: DateColumn = { name: s.name, kind: 'date', format, median: med, yearMean: mean, yearStd: std, indicator: missing > 0 };
  const notes = [
    missing > 0 ? `${missing} missing → median + indicator` : '',
    impossible.length > 0 ? `${quote(impossible)} read as missing (no such date)` : '',
  ].filter((t) => t !== '');
  return { spec, notice: `date (${format}): year, month, day of year, weekday${notes.map((t) => `; ${t}`).join('')}` };
}

/** Types and fits one column from the summary of its training cells. */
export function fitColumn(s: ColumnSummary, options: ColumnFitOptions): FittedColumn {
  const { name, override } = s;
  if (override === 'ignore') return dropped(name, 'ignored', 'ignored as asked');
  if (s.present === 0) return dropped(name, 'empty', 'entirely missing');
  if (override === 'categorical') return fitCategorical(s, options, true);
  if (override === 'date') {
    const format = dateFormat(s, true);
    if (format === null)
      throw new DataError(`column '${name}' is declared a date, but holds ${quote([...s.nonDates, ...s.impossibleDates.texts])}`);
    return fitDate(s, format);
  }
  const strayRows = s.strays.rows;
  if (override === 'numeric' || strayRows === 0 || s.strays.few(s.present)) {
    if (override === 'numeric' || strayRows === 0) return fitNumeric(s, [], override === 'numeric');
    // Not all numbers: a date column reads as one first.
    const format = dateFormat(s, false);
    if (format !== null) return fitDate(s, format);
    return fitNumeric(s, s.strays.texts, false);
  }
  const format = dateFormat(s, false);
  if (format !== null) return fitDate(s, format);
  return fitCategorical(s, options, false);
}
