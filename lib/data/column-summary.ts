// What fitting a column needs to know of its cells, gathered one cell at a time
// in bounded memory: the same summary for records in memory and for a stream,
// so both are typed and fitted by the one rule set in fit-column.ts.
import { calendar, cellText, dateShape, daysSinceEpoch, isCommaNumeral, isNumeral, levelKey } from './cells.js';
import { NumberCounts } from './number-counts.js';
import { CappedCounts, COUNT_CAP, Moments, NUMBER_CAP, Reservoir } from './sketches.js';
import type { Cell } from './spec.js';

export type ColumnKindOverride = 'numeric' | 'categorical' | 'date' | 'ignore';

// A numeric column may hold a few stray words — no more distinct ones than this (fit-column.ts).
export const STRAY_DISTINCT = 3;
export const DATE_FORMATS = ['ymd', 'dmy', 'mdy'] as const;
const NON_DATES_KEPT = 4;

/** Per date reading (year first, day first, month first): whether every text fits it, and its years. */
export interface DateReading {
  /** Every text seen is a date of this form. */
  fits: boolean;
  years: Moments;
  /** A text of this shape that is no date all the same (a 25:00 time). */
  bad: string | null;
}

interface DateRead {
  fits: boolean[];
  days: number[];
  years: number[];
  dotted: boolean;
}

// Distinct date texts remembered with their readings.
const DATE_MEMO = 20_000;

export class ColumnSummary {
  /** Cells missing (null, undefined, NaN, an NA token, or no key in the record). */
  missing = 0;
  /** Cells present (texts after the NA tokens). */
  present = 0;

  // The numeric reading: numbers, numerals and decimal-comma numerals (off once it cannot be numeric).
  numeric: boolean;
  commas = 0;
  firstComma: string | null = null;
  firstDotted: string | null = null;
  /** Texts that are no numeral, by count (at most STRAY_DISTINCT + 1 kept), and how many cells they fill. */
  readonly strays = new Map<string, number>();
  strayRows = 0;
  /** A number too large to be finite (1e999), for the error should the column be numeric. */
  nonFinite: number | null = null;
  readonly values = new Moments();
  /** Moments of log(1 + x), while every value is ≥ 0. */
  readonly logs = new Moments();
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  integers = true;
  firstValue: number | null = null;
  /** Distinct numeric values (numbers and dotted numerals) with their counts: also the levels that are numbers. */
  readonly numbers: NumberCounts;
  /** Distinct values of the decimal-comma numerals (their level texts are in `texts`). */
  readonly commaValues = new NumberCounts(NUMBER_CAP);
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
    this.dates = date ? DATE_FORMATS.map(() => ({ fits: true, years: new Moments(), bad: null })) : null;
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
    if (this.numeric) this.addNumeric(cell, text, numeral, value);
    if (this.override === undefined || this.override === 'categorical') this.addLevel(cell, text, numeral, value);
    if (this.dates !== null) this.addDate(cell, text ?? String(cell));
  }

  private addNumeric(cell: Cell, text: string | null, numeral: boolean, value: number): void {
    if (numeral) {
      // Only whether a decimal point occurs matters (a mix with decimal commas is refused).
      if (this.firstDotted === null && (text !== null || !Number.isInteger(value))) {
        const written = text ?? String(cell);
        if (written.includes('.')) this.firstDotted = written;
      }
      this.addValue(value, false);
    } else if (text !== null && isCommaNumeral(text)) {
      this.commas++;
      this.firstComma ??= text;
      this.addValue(Number(text.replace(',', '.')), true);
    } else {
      const word = text ?? String(cell);
      this.strayRows++;
      const n = this.strays.get(word);
      if (n !== undefined) this.strays.set(word, n + 1);
      else if (this.strays.size <= STRAY_DISTINCT) this.strays.set(word, 1);
      // Past the distinct strays no numeric reading is left (unless declared): stop its work.
      if (this.strays.size > STRAY_DISTINCT && this.override === undefined) {
        this.numeric = false;
        this.sample = null;
      }
    }
  }

  private addValue(v: number, comma: boolean): void {
    if (!Number.isFinite(v)) {
      this.nonFinite ??= v;
      return;
    }
    this.firstValue ??= v;
    this.values.add(v);
    if (this.min >= 0 && v >= 0) this.logs.add(Math.log1p(v));
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.integers && !Number.isInteger(v)) this.integers = false;
    // Levels count the numbers (addLevel) unless the column is declared numeric.
    if (comma) this.commaValues.add(v);
    else if (this.override === 'numeric') this.numbers.add(v);
    const sample = this.sample;
    if (sample !== null) {
      const slot = sample.offer();
      if (slot >= 0) sample.set(0, slot, v);
    }
  }

  private addLevel(cell: Cell, text: string | null, numeral: boolean, value: number): void {
    // A finite number is its own level key (levelKey('1.0') is String(1)).
    if (numeral && Number.isFinite(value)) {
      this.numbers.add(value);
      return;
    }
    const word = text ?? String(cell);
    if (/\s/.test(word)) this.spaced++;
    this.texts.add(numeral ? String(value) : word.length === 4 || word.length === 5 ? levelKey(word) : word);
  }

  private addDate(cell: Cell, text: string): void {
    const dates = this.dates as DateReading[];
    const sample = this.dateSample as Reservoir;
    if (cell instanceof Date) {
      this.dateCells++;
      const days = cell.getTime() / 86_400_000;
      const year = calendar(days).year;
      const slot = sample.offer();
      for (let f = 0; f < dates.length; f++) {
        (dates[f] as DateReading).years.add(year);
        if (slot >= 0) sample.set(f, slot, days);
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
    this.dateTexts++;
    if (read.dotted) this.dottedDates = true;
    const slot = sample.offer();
    let fitting = false;
    for (let f = 0; f < dates.length; f++) {
      const reading = dates[f] as DateReading;
      if (!reading.fits) continue;
      if (!read.fits[f]) {
        reading.fits = false;
        continue;
      }
      fitting = true;
      const days = read.days[f] as number;
      if (Number.isNaN(days)) reading.bad ??= text;
      else reading.years.add(read.years[f] as number);
      if (slot >= 0) sample.set(f, slot, days);
    }
    if (!fitting) this.stopDates();
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
      read = { fits, days, years, dotted: text.includes('.') && !shape.ymd };
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
      this.commaValues.size +
      this.texts.size +
      this.strays.size +
      (this.sample?.length ?? 0) +
      (this.dateSample?.length ?? 0) +
      this.dateMemo.size
    );
  }
}
