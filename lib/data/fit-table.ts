// Fitting a table's spec from its records one at a time: the options read
// once, a summary per column and one for the target, and at the end the
// column rules (fit-column.ts) over the summaries. dn.tabular feeds it an
// array, tabularStream a stream: one rule set, so one spec.
import { checkOptionKeys, invalidArgument, invalidType, oneOf } from '../errors.js';
import { cellOf, cellText, checkRecord, naLookup } from './cells.js';
import { DataError } from './data-error.js';
import { type ColumnKindOverride, ColumnSummary, fitColumn } from './fit-column.js';
import { fitTargetSummary, TargetSummary, type Task } from './fit-target.js';
import {
  type ColumnSpec,
  columnFeatures,
  DEFAULT_NA,
  TABULAR_VERSION,
  type TableRecord,
  type TabularSpec,
  type TargetSpec,
} from './spec.js';

export interface TabularOptions {
  /** The column to predict; without it the spec encodes features only. */
  target?: string;
  /** Columns to read as categories (e.g. integer codes), as numbers, as dates, or to leave out. */
  categorical?: string[];
  numeric?: string[];
  dates?: string[];
  ignore?: string[];
  /** Cell texts that mean missing (default DEFAULT_NA; an empty cell always does). */
  na?: string[];
  /** 'classification' or 'regression' (default: strings or at most 20 distinct integers are classes). */
  task?: Task;
  /** The class names in index order (default: the sorted distinct labels); a label outside them is an error. */
  classes?: string[];
  /** Levels seen in fewer training rows join (other) (default: rows/200 clamped to 2..10). */
  minCount?: number;
  /** At most this many levels per column, the most frequent (default 100). */
  maxLevels?: number;
  /** The column order (default: the keys of the records, in order of first appearance). */
  columns?: string[];
  /** Names the rows in errors (default 'row N', 0-based). */
  where?: (row: number) => string;
}

export const TABULAR_OPTION_KEYS = [
  'target',
  'categorical',
  'numeric',
  'dates',
  'ignore',
  'na',
  'task',
  'classes',
  'minCount',
  'maxLevels',
  'columns',
  'where',
] as const;

/** What fitting says about each column, once. */
export interface ColumnNotice {
  column: string;
  message: string;
}

export function stringList(value: unknown, fn: string, name: string): string[] {
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) throw invalidType(fn, name, 'an array of strings', value);
  return value as string[];
}

function overrides(options: TabularOptions, fn: string): Map<string, ColumnKindOverride> {
  const out = new Map<string, ColumnKindOverride>();
  const lists: [keyof TabularOptions, ColumnKindOverride][] = [
    ['categorical', 'categorical'],
    ['numeric', 'numeric'],
    ['dates', 'date'],
    ['ignore', 'ignore'],
  ];
  for (const [key, kind] of lists) {
    if (options[key] === undefined) continue;
    for (const column of stringList(options[key], fn, key)) {
      const before = out.get(column);
      if (before !== undefined && before !== kind)
        throw new RangeError(`${fn}: column '${column}' is in both ${key} and another list (${before})`);
      out.set(column, kind);
    }
  }
  return out;
}

function positiveInteger(value: unknown, fn: string, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalidType(fn, name, 'an integer >= 1', value);
  return value;
}

/** The fitting options, checked: everything but the records. */
interface Settings {
  fn: string;
  na: string[];
  naSet: Set<string>;
  task: Task | undefined;
  minCount: number | undefined;
  maxLevels: number;
  where: (row: number) => string;
  kinds: Map<string, ColumnKindOverride>;
  target: string | undefined;
  classes: string[] | undefined;
  /** Values kept per column for its median. */
  sampleSize: number;
  seed: number;
}

/**
 * Fits a spec over records given one at a time (`add`), in memory that does not grow with their
 * number; `finish` applies the column rules. `columns` fixes the column order (else the keys in
 * order of first appearance).
 */
export class TableFitter {
  /** Records read, and those without a target (dropped). */
  rows = 0;
  droppedRows = 0;
  private readonly s: Settings;
  private readonly names: string[] = [];
  private readonly known = new Set<string>();
  private readonly summaries: ColumnSummary[] = [];
  private readonly targetSummary: TargetSummary | null;
  private readonly fixed: boolean;

  constructor(options: TabularOptions, fn: string, sampleSize: number, seed: number, extraKeys: readonly string[] = []) {
    checkOptionKeys(fn, 'options', options, [...TABULAR_OPTION_KEYS, ...extraKeys]);
    const na = options.na === undefined ? DEFAULT_NA : stringList(options.na, fn, 'na');
    if (options.task !== undefined && options.task !== 'classification' && options.task !== 'regression')
      throw oneOf(fn, 'task', ['classification', 'regression'], options.task);
    const where = options.where ?? ((i: number) => `row ${i}`);
    if (typeof where !== 'function') throw invalidType(fn, 'where', 'a function', where);
    const kinds = overrides(options, fn);
    const target = options.target;
    if (target !== undefined && typeof target !== 'string') throw invalidType(fn, 'target', 'a column name', target);
    let classes: string[] | undefined;
    if (target !== undefined && options.classes !== undefined) {
      classes = stringList(options.classes, fn, 'classes');
      const twice = classes.find((c, i) => classes?.indexOf(c) !== i);
      if (classes.length < 2 || twice !== undefined) {
        const received = twice !== undefined ? `'${twice}' twice` : `${classes.length} name${classes.length === 1 ? '' : 's'}`;
        throw invalidArgument(RangeError, fn, 'classes', 'two or more distinct names', received);
      }
      if (options.task === 'regression') throw new RangeError(`${fn}: classes and task 'regression' contradict each other`);
    }
    this.s = {
      fn,
      na,
      naSet: naLookup(na),
      task: options.task,
      minCount: positiveInteger(options.minCount, fn, 'minCount'),
      maxLevels: positiveInteger(options.maxLevels, fn, 'maxLevels') ?? 100,
      where,
      kinds,
      target,
      classes,
      sampleSize,
      seed,
    };
    this.targetSummary = target === undefined ? null : new TargetSummary(target);
    this.fixed = options.columns !== undefined;
    if (options.columns !== undefined) {
      const columns = stringList(options.columns, fn, 'columns');
      const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
      if (duplicate !== undefined) throw new DataError(`${fn}: the column '${duplicate}' appears twice`);
      for (const name of columns) this.column(name);
      this.checkColumns();
    } else if (target !== undefined && kinds.has(target))
      throw new RangeError(`${fn}: the target '${target}' cannot also be in ${kinds.get(target)}`);
  }

  private column(name: string): void {
    this.known.add(name);
    this.names.push(name);
    if (name === this.s.target) return;
    const { sampleSize, seed } = this.s;
    const summary = new ColumnSummary(name, this.s.kinds.get(name), sampleSize, (seed ^ Math.imul(this.names.length, 0x9e3779b1)) >>> 0);
    // A column first seen late was missing in every labelled row before.
    summary.missing = this.rows - this.droppedRows;
    this.summaries.push(summary);
  }

  /** The option checks that need the column names. */
  private checkColumns(): void {
    const { fn, kinds, target } = this.s;
    const columns = this.names;
    for (const name of kinds.keys())
      if (!this.known.has(name)) throw new DataError(`${fn}: no column '${name}' (columns: ${columns.join(', ')})`);
    if (target !== undefined && !this.known.has(target))
      throw new DataError(`${fn}: no target column '${target}' (columns: ${columns.join(', ')})`);
    if (target !== undefined && kinds.has(target))
      throw new RangeError(`${fn}: the target '${target}' cannot also be in ${kinds.get(target)}`);
  }

  /** Reads one record. */
  add(record: TableRecord): void {
    const i = this.rows;
    const { fn, naSet, target, where } = this.s;
    checkRecord(record, fn, where, i);
    if (!this.fixed) for (const key in record) if (Object.hasOwn(record, key) && !this.known.has(key)) this.column(key);
    this.rows++;
    const at = () => where(i);
    if (this.targetSummary !== null) {
      let text: string | null;
      try {
        text = cellText(cellOf(record, target as string), naSet);
      } catch (error) {
        throw error instanceof TypeError ? new TypeError(`${at()}, the target '${target}': ${error.message}`) : error;
      }
      // Rows without a target are dropped and counted, never guessed.
      if (text === null) {
        this.droppedRows++;
        return;
      }
      this.targetSummary.add(text, at);
    }
    for (const summary of this.summaries) summary.add(cellOf(record, summary.name), naSet, at);
  }

  /** Keys and values the summaries hold (what bounds the memory). */
  get size(): number {
    return this.summaries.reduce((sum, s) => sum + s.size, 0) + (this.targetSummary?.keys.size ?? 0);
  }

  /** The most values a column keeps for its median. */
  get sampled(): number {
    return this.summaries.reduce((most, s) => Math.max(most, s.sampled), 0);
  }

  /** The spec and the notices, from the records read. */
  finish(): { spec: TabularSpec; notices: ColumnNotice[] } {
    const { fn, target } = this.s;
    if (this.rows === 0) throw new DataError(`${fn}: no records to fit on`);
    if (!this.fixed) this.checkColumns();
    if (this.rows === this.droppedRows) throw new DataError(`${fn}: the target '${target}' is missing in every row`);
    const minCount = this.s.minCount ?? Math.min(10, Math.max(2, Math.ceil(this.rows / 200)));
    const notices: ColumnNotice[] = [];
    const specs: ColumnSpec[] = this.summaries.map((summary) => {
      const fitted = fitColumn(summary, { minCount, maxLevels: this.s.maxLevels });
      notices.push({ column: summary.name, message: fitted.notice });
      return fitted.spec;
    });
    const features = specs.flatMap(columnFeatures);
    if (features.length === 0)
      throw new DataError(`${fn}: no usable feature column (${notices.map((n) => `${n.column}: ${n.message}`).join('; ')})`);
    let targetSpec: TargetSpec | null = null;
    if (target !== undefined && this.s.classes !== undefined) targetSpec = { name: target, kind: 'classes', classes: [...this.s.classes] };
    else if (this.targetSummary !== null) targetSpec = fitTargetSummary(this.targetSummary, this.s.task);
    if (target !== undefined && this.droppedRows > 0)
      notices.push({ column: target, message: `${this.droppedRows} rows without a target dropped` });
    return { spec: { version: TABULAR_VERSION, na: this.s.na, columns: specs, target: targetSpec, features }, notices };
  }
}
