// What fitting a column needs to know of its cells, gathered one cell at a time
// in bounded memory: the same summary for records in memory and for a stream,
// so both are typed and fitted by the one rule set in fit-column.ts.
import {
  calendar,
  cellText,
  commaKind,
  dateShape,
  daysSinceEpoch,
  decimalCommaValue,
  groupedValue,
  impossibleDate,
  isNumeral,
  outsideFloat32,
  wordKey,
} from './cells.js';
import { NumberCounts } from './number-counts.js';
import { CappedCounts, COUNT_CAP, Moments, NUMBER_CAP, Reservoir } from './sketches.js';
import type { Cell } from './spec.js';

export type ColumnKindOverride = 'numeric' | 'categorical' | 'date' | 'ignore';

// A column reads a few stray texts as missing, with a notice (words among numbers, impossible
// dates): no more distinct ones than this, in at most this share of its present cells.
const STRAY_DISTINCT = 3;
const STRAY_FRACTION = 0.05;

/**
 * Texts a column may read as missing, stray words among numbers or impossible dates among dates:
 * the distinct ones by count (at most STRAY_DISTINCT + 1 kept) and how many cells they fill.
 */
export class StrayTexts {
  readonly counts = new Map<string, number>();
  rows = 0;

  /** Counts one; false once there are more distinct texts than a column reads as missing. */
  add(text: string): boolean {
    this.rows++;
    const n = this.counts.get(text);
    if (n !== undefined) this.counts.set(text, n + 1);
    else if (this.counts.size <= STRAY_DISTINCT) this.counts.set(text, 1);
    return this.counts.size <= STRAY_DISTINCT;
  }

  /** Few enough among `present` cells to read as missing: ≤ 5 %, ≤ STRAY_DISTINCT distinct, not every cell. */
  few(present: number): boolean {
    return this.rows <= STRAY_FRACTION * present && this.counts.size <= STRAY_DISTINCT && this.rows < present;
  }

  get texts(): string[] {
    return [...this.counts.keys()];
  }
}

/** The tolerance StrayTexts.few applies, as messages state it. */
export const STRAY_RULE = `${STRAY_FRACTION * 100} % and ${STRAY_DISTINCT} distinct`;
export const DATE_FORMATS = ['ymd', 'dmy', 'mdy'] as const;
const NON_DATES_KEPT = 4;

/** Per date reading (year first, day first, month first): whether every text fits it, and its years. */
export interface DateReading {
  /** Every text seen is a date of this form (or an impossible one of its shape). */
  fits: boolean;
  years: Moments;
  /** The first text that is no date of this form (for the message when no form reads them all). */
  breaker: string | null;
}

interface DateRead {
  /** Per form: a date of it; for an impossible date, of its shape. */
  fits: boolean[];
  days: number[];
  years: number[];
  dotted: boolean;
  /** Date-shaped, but no day in any order (2021-02-30, 25:00): read as missing. */
  impossible: boolean;
}

// Distinct date texts remembered with their readings.
const DATE_MEMO = 20_000;

/** One reading of a numeric column's values: their moments, range and comma values; its sample in lane `lane`. */
export class NumberLane {
  values = new Moments();
  /** Moments of log(1 + x), while every value is ≥ 0. */
  logs = new Moments();
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  integers = true;
  firstValue: number | null = null;
  /** Distinct values of the comma numerals (their level texts are in `texts`). */
  readonly commaValues = new NumberCounts(NUMBER_CAP);

  constructor(readonly lane: number) {}

  add(v: number, comma: boolean, slot: number, sample: Reservoir | null): void {
    this.firstValue ??= v;
    this.values.add(v);
    if (this.min >= 0 && v >= 0) this.logs.add(Math.log1p(v));
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.integers && !Number.isInteger(v)) this.integers = false;
    if (comma) this.commaValues.add(v);
    if (slot >= 0) sample?.set(this.lane, slot, v);
  }

  /** This reading so far as lane `lane` (before any comma numeral: no comma values to copy). */
  copy(lane: number, sample: Reservoir | null): NumberLane {
    const to = new NumberLane(lane);
    to.values = this.values.copy();
    to.logs = this.logs.copy();
    to.min = this.min;
    to.max = this.max;
    to.integers = this.integers;
    to.firstValue = this.firstValue;
    sample?.copyLane(this.lane, lane);
    return to;
  }
}

export class ColumnSummary {
  /** Cells missing (null, undefined, NaN, an NA token, or no key in the record). */
  missing = 0;
  /** Cells present (texts after the NA tokens). */
  present = 0;

  // The numeric reading: numbers, numerals and comma numerals (off once it cannot be numeric).
  numeric: boolean;
  /** Comma numerals: all of them, the first one, and the first only a decimal comma reads (1,5 or 0,250). */
  commas = 0;
  firstComma: string | null = null;
  firstDecimalComma: string | null = null;
  /** The first comma numeral only thousands separators read (1,000,000 or 1,250.5). */
  firstGrouped: string | null = null;
  /** Some comma numeral either way (d,ddd) ends in 0 ('2,400': a decimal comma would drop the zero or write every cell so). */
  groupedTrailingZero = false;
  /** Numbers written without a comma. */
  plainNumbers = 0;
  firstDotted: string | null = null;
  /** Texts that are no numeral. */
  readonly strays = new StrayTexts();
  /** The first number too large for a float32 (1e400 is Infinity) and its row, for the error should the column be numeric. */
  tooLarge: { text: string; value: number; where: string } | null = null;
  /** The values with commas read as decimal marks (the only reading until a comma numeral comes). */
  readonly asDecimal = new NumberLane(0);
  /** The values with commas read as thousands separators, from the first comma numeral on. */
  asGrouped: NumberLane | null = null;
  /** Distinct numeric values (numbers and dotted numerals) with their counts: also the levels that are numbers. */
  readonly numbers: NumberCounts;
  sample: Reservoir | null;

  // The categorical reading: level keys that are no numbers, and texts with spaces (free text).
  readonly texts = new CappedCounts<string>();
  spaced = 0;

  // The date reading.
  dates: DateReading[] | null;
  dateSample: Reservoir | null;
  dateTexts = 0;
  dateCells = 0;
  /** A dotted day-first text (31.12.2020) was seen. */
  dottedDates = false;
  /** Present texts that are no dates (the first few). */
  readonly nonDates: string[] = [];
  /** Impossible dates (2021-02-30). */
  readonly impossibleDates = new StrayTexts();
  private readonly dateMemo = new Map<string, DateRead | null>();

  constructor(
    readonly name: string,
    readonly override: ColumnKindOverride | undefined,
    sampleSize: number,
    seed: number,
  ) {
    const numeric = override === undefined || override === 'numeric';
    const date = override === undefined || override === 'date';
    this.numeric = numeric;
    this.numbers = new NumberCounts(override === 'categorical' ? COUNT_CAP : NUMBER_CAP);
    this.sample = numeric ? new Reservoir(sampleSize, 1, seed) : null;
    this.dates = date ? DATE_FORMATS.map(() => ({ fits: true, years: new Moments(), breaker: null })) : null;
    this.dateSample = date ? new Reservoir(sampleSize, DATE_FORMATS.length, seed ^ 0x5bd1e995) : null;
  }

  /** Reads one cell; `where` names its row should the cell be of no cell type. */
  add(cell: Cell, na: Set<string>, where: () => string): void {
    if (this.override === 'ignore') return;
    // A number cell needs no text (String(x) is slow), and a numeral's value is read once.
    let text: string | null = null;
    let value = Number.NaN;
    let numeral: boolean;
    if (typeof cell === 'number') {
      if (Number.isNaN(cell)) {
        this.missing++;
        return;
      }
      value = cell;
      numeral = true;
    } else {
      try {
        text = cellText(cell, na);
      } catch (error) {
        throw error instanceof TypeError ? new TypeError(`${where()}, column '${this.name}': ${error.message}`) : error;
      }
      if (text === null) {
        this.missing++;
        return;
      }
      numeral = isNumeral(text);
      if (numeral) value = Number(text);
    }
    this.present++;
    if (this.numeric) this.addNumeric(cell, text, numeral, value, where);
    if (this.override === undefined || this.override === 'categorical') this.addLevel(cell, text, numeral, value);
    if (this.dates !== null) this.addDate(cell, text ?? String(cell));
  }

  private addNumeric(cell: Cell, text: string | null, numeral: boolean, value: number, where: () => string): void {
    if (numeral) {
      // Only whether a decimal point occurs matters (with a comma numeral, it makes the commas separators).
      if (this.firstDotted === null && (text !== null || !Number.isInteger(value))) {
        const written = text ?? String(cell);
        if (written.includes('.')) this.firstDotted = written;
      }
      this.plainNumbers++;
      this.addValue(value, value, false, cell, where);
      return;
    }
    const kind = text === null ? null : commaKind(text);
    if (kind === null) {
      this.addStray(text ?? String(cell));
      return;
    }
    const t = text as string;
    this.commas++;
    this.firstComma ??= t;
    // From the first comma numeral on, both readings are followed until the cells rule one out (fit-column.ts).
    this.asGrouped ??= this.asDecimal.copy(1, this.sample);
    if (kind === 'decimal') this.firstDecimalComma ??= t;
    else if (kind === 'grouped') this.firstGrouped ??= t;
    else if (t.endsWith('0')) this.groupedTrailingZero = true;
    this.addValue(
      kind === 'grouped' ? Number.NaN : decimalCommaValue(t),
      kind === 'decimal' ? Number.NaN : groupedValue(t),
      true,
      cell,
      where,
    );
  }

  private addStray(word: string): void {
    // Past the distinct strays no numeric reading is left (unless declared): stop its work.
    if (!this.strays.add(word) && this.override === undefined) {
      this.numeric = false;
      this.sample = null;
    }
  }

  /** A value as each reading takes it (NaN where a reading cannot take the cell). */
  private addValue(asDecimal: number, asGrouped: number, comma: boolean, cell: Cell, where: () => string): void {
    // The model computes in float32: what does not fit is refused (fit-column.ts), as encoding refuses it.
    const v = Number.isNaN(asDecimal) ? asGrouped : asDecimal;
    if (!Number.isFinite(v) || outsideFloat32(v)) {
      this.tooLarge ??= { text: String(cell), value: v, where: where() };
      return;
    }
    // Levels count the numbers (addLevel) unless the column is declared numeric.
    if (!comma && this.override === 'numeric') this.numbers.add(v);
    const slot = this.sample === null ? -1 : this.sample.offer();
    if (!Number.isNaN(asDecimal)) this.asDecimal.add(asDecimal, comma, slot, this.sample);
    if (!Number.isNaN(asGrouped)) this.asGrouped?.add(asGrouped, comma, slot, this.sample);
  }

  private addLevel(cell: Cell, text: string | null, numeral: boolean, value: number): void {
    // A finite number is its own level key (levelKey('1.0') is String(1)).
    if (numeral && Number.isFinite(value)) {
      this.numbers.add(value);
      return;
    }
    const word = text ?? String(cell);
    if (/\s/.test(word)) this.spaced++;
    this.texts.add(numeral ? String(value) : wordKey(word));
  }

  private addDate(cell: Cell, text: string): void {
    const dates = this.dates as DateReading[];
    // No sample once the dates are in no one form (the column is no date column then).
    const sample = this.dateSample;
    if (cell instanceof Date) {
      this.dateCells++;
      const days = cell.getTime() / 86_400_000;
      const year = calendar(days).year;
      const slot = sample === null ? -1 : sample.offer();
      for (let f = 0; f < dates.length; f++) {
        (dates[f] as DateReading).years.add(year);
        if (slot >= 0) sample?.set(f, slot, days);
      }
      return;
    }
    const read = this.readDate(cell, text);
    if (read === null) {
      // No date column: what is kept for its dates can go.
      if (this.nonDates.length < NON_DATES_KEPT) this.nonDates.push(text);
      if (this.override !== 'date' || this.nonDates.length >= NON_DATES_KEPT) this.stopDates();
      return;
    }
    if (read.impossible) this.addImpossible(text);
    else this.dateTexts++;
    if (read.dotted) this.dottedDates = true;
    const slot = read.impossible || sample === null ? -1 : sample.offer();
    let fitting = false;
    for (let f = 0; f < dates.length; f++) {
      const reading = dates[f] as DateReading;
      if (!reading.fits) continue;
      if (!read.fits[f]) {
        reading.fits = false;
        reading.breaker = text;
        continue;
      }
      fitting = true;
      if (read.impossible) continue;
      reading.years.add(read.years[f] as number);
      if (slot >= 0) sample?.set(f, slot, read.days[f] as number);
    }
    // Dates in no one form: the column's message quotes them (fit-column.ts); the sample can go.
    if (!fitting) this.dateSample = null;
  }

  private addImpossible(text: string): void {
    // More distinct ones than a date column may hold: no date reading is left (unless declared).
    if (!this.impossibleDates.add(text) && this.override === undefined) this.stopDates();
  }

  /** A date text read each way it can be (remembered: a date column repeats its days). */
  private readDate(cell: Cell, text: string): DateRead | null {
    const known = this.dateMemo.get(text);
    if (known !== undefined) return known;
    const shape = dateShape(text);
    let read: DateRead | null = null;
    if (shape !== null) {
      const fits = [shape.ymd, shape.dmy, shape.mdy];
      const days = DATE_FORMATS.map((format, f) => (fits[f] ? daysSinceEpoch(cell, text, format) : Number.NaN));
      const years = days.map((d) => (Number.isNaN(d) ? Number.NaN : calendar(d).year));
      read = { fits, days, years, dotted: text.includes('.') && !shape.ymd, impossible: false };
    } else {
      const fits = DATE_FORMATS.map((format) => impossibleDate(text, format));
      const none = DATE_FORMATS.map(() => Number.NaN);
      if (fits.some((f) => f)) read = { fits, days: none, years: none, dotted: false, impossible: true };
    }
    if (this.dateMemo.size < DATE_MEMO) this.dateMemo.set(text, read);
    return read;
  }

  private stopDates(): void {
    this.dates = null;
    this.dateSample = null;
    this.dateMemo.clear();
  }

  /** Whether the cells could still be dates (every present text date-shaped). */
  get mayBeDates(): boolean {
    return this.dates !== null && this.nonDates.length === 0;
  }

  /** Values kept for the median. */
  get sampled(): number {
    return Math.max(this.sample?.length ?? 0, this.dateSample?.length ?? 0);
  }

  /** Numbers kept, for a test of bounded memory: keys of the count tables and sampled values. */
  get size(): number {
    return (
      this.numbers.size +
      this.asDecimal.commaValues.size +
      (this.asGrouped?.commaValues.size ?? 0) +
      this.texts.size +
      this.strays.counts.size +
      (this.sample?.length ?? 0) +
      (this.dateSample?.length ?? 0) +
      this.dateMemo.size
    );
  }
}
