// The public tabular API: fit a column spec on training records (typing,
// imputation, levels, scaling, the target's classes or scale) and encode any
// records with it into the model's matrices.
import { checkOptionKeys, invalidArgument, invalidType, oneOf } from '../errors.js';
import type { Matrix } from '../tensor.js';
import { cellText, isNumeral, levelKey, naLookup } from './cells.js';
import { DataError } from './data-error.js';
import { recordEncoder } from './encode.js';
import { type ColumnKindOverride, fitColumn } from './fit-column.js';
import {
  type Cell,
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
  task?: 'classification' | 'regression';
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

const OPTION_KEYS = [
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
// A numeric target with at most this many distinct integers is taken as classes.
const MAX_INFERRED_CLASSES = 20;
const MAX_CLASSES = 1000;

/** What fitting says about each column, once. */
export interface ColumnNotice {
  column: string;
  message: string;
}

/** Encoded data: the model's input, the labels (class indices, or standardised values) and what was dropped. */
export interface EncodedTable {
  x: Matrix;
  /** Null when the spec has no target or the records lack it. */
  y: Int32Array | Float32Array | null;
  /** The records kept (rows with a missing target are dropped), as indices into the input. */
  rows: Uint32Array;
  /** How many records were dropped for a missing target. */
  droppedRows: number;
}

export interface TabularData extends EncodedTable {
  spec: TabularSpec;
  notices: ColumnNotice[];
  /** Encodes other records (validation, test, a request body) with the same spec. */
  encode(records: readonly TableRecord[]): EncodedTable;
}

function stringList(value: unknown, fn: string, name: string): string[] {
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) throw invalidType(fn, name, 'an array of strings', value);
  return value as string[];
}

/** Checks that `records` is an array of plain objects. */
export function checkRecords(records: unknown, fn: string): asserts records is readonly TableRecord[] {
  if (!Array.isArray(records)) throw invalidType(fn, 'records', 'an array of objects keyed by column name', records);
  records.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r) || ArrayBuffer.isView(r))
      throw new TypeError(
        `${fn}: records[${i}] is ${r === null ? 'null' : Array.isArray(r) ? 'an array' : typeof r}, expected an object keyed by column name`,
      );
  });
}

/** The column names of records, in order of first appearance. */
export function recordColumns(records: readonly TableRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const key of Object.keys(r)) seen.add(key);
  return [...seen];
}

/** Types the target from its cells (none missing): classes, or values with their mean and std. */
export function fitTarget(
  name: string,
  cells: Cell[],
  na: Set<string>,
  task: TabularOptions['task'],
  where: (i: number) => string,
): TargetSpec {
  const texts = cells.map((c) => cellText(c, na) as string);
  const numeric = texts.every(isNumeral);
  // levelKey reads numerals by value: '1.0' and '1' are one class.
  const keys = texts.map(levelKey);
  const distinct = [...new Set(keys)];
  const fewIntegers = numeric && distinct.length <= MAX_INFERRED_CLASSES && distinct.every((s) => Number.isInteger(Number(s)));
  const classify = task === undefined ? !numeric || fewIntegers : task === 'classification';
  if (!classify) {
    const bad = texts.findIndex((t) => !isNumeral(t));
    if (bad >= 0) throw new DataError(`${where(bad)}: the target '${name}' is '${texts[bad]}', not a number (a regression)`);
    const values = Float64Array.from(texts, Number);
    let sum = 0;
    for (const v of values) sum += v;
    const mean = sum / values.length;
    let squares = 0;
    for (const v of values) squares += (v - mean) ** 2;
    const std = Math.sqrt(squares / values.length);
    return { name, kind: 'values', mean, std: std > 0 ? std : 1 };
  }
  if (distinct.length < 2) throw new DataError(`the target '${name}' has one value only ('${distinct[0]}'): nothing to classify`);
  if (distinct.length > MAX_CLASSES)
    throw new DataError(
      `the target '${name}' has ${distinct.length} distinct values, more than ${MAX_CLASSES} classes; for a regression it must be numeric`,
    );
  const classes = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  return { name, kind: 'classes', classes };
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

/** Fits the spec on `records` (the training split) and encodes them. */
export function tabular(records: readonly TableRecord[], options: TabularOptions = {}): TabularData {
  const fn = 'tabular';
  checkRecords(records, fn);
  checkOptionKeys(fn, 'options', options, OPTION_KEYS);
  if (records.length === 0) throw new DataError(`${fn}: no records to fit on`);
  const na = options.na === undefined ? DEFAULT_NA : stringList(options.na, fn, 'na');
  const naSet = naLookup(na);
  if (options.task !== undefined && options.task !== 'classification' && options.task !== 'regression')
    throw oneOf(fn, 'task', ['classification', 'regression'], options.task);
  const minCount = positiveInteger(options.minCount, fn, 'minCount') ?? Math.min(10, Math.max(2, Math.ceil(records.length / 200)));
  const maxLevels = positiveInteger(options.maxLevels, fn, 'maxLevels') ?? 100;
  const where = options.where ?? ((i: number) => `row ${i}`);
  const columns = options.columns === undefined ? recordColumns(records) : stringList(options.columns, fn, 'columns');
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) throw new DataError(`${fn}: the column '${duplicate}' appears twice`);
  const kinds = overrides(options, fn);
  for (const name of kinds.keys())
    if (!columns.includes(name)) throw new DataError(`${fn}: no column '${name}' (columns: ${columns.join(', ')})`);

  const target = options.target;
  if (target !== undefined && typeof target !== 'string') throw invalidType(fn, 'target', 'a column name', target);
  if (target !== undefined && !columns.includes(target))
    throw new DataError(`${fn}: no target column '${target}' (columns: ${columns.join(', ')})`);
  if (target !== undefined && kinds.has(target))
    throw new RangeError(`${fn}: the target '${target}' cannot also be in ${kinds.get(target)}`);
  // Rows without a target are dropped and counted, never guessed.
  const kept = target === undefined ? Array.from(records.keys()) : labelledRows(records, target, naSet);
  if (kept.length === 0) throw new DataError(`${fn}: the target '${target}' is missing in every row`);
  const column = (name: string) => kept.map((i) => (records[i] as TableRecord)[name]);

  const notices: ColumnNotice[] = [];
  const specs: ColumnSpec[] = columns
    .filter((name) => name !== target)
    .map((name) => {
      const fitted = fitColumn(name, column(name), {
        na: naSet,
        override: kinds.get(name),
        minCount,
        maxLevels,
        where: (k) => where(kept[k] as number),
      });
      notices.push({ column: name, message: fitted.notice });
      return fitted.spec;
    });
  const features = specs.flatMap(columnFeatures);
  if (features.length === 0)
    throw new DataError(`${fn}: no usable feature column (${notices.map((n) => `${n.column}: ${n.message}`).join('; ')})`);
  let targetSpec: TargetSpec | null = null;
  if (target !== undefined && options.classes !== undefined) {
    const classes = stringList(options.classes, fn, 'classes');
    const twice = classes.find((c, i) => classes.indexOf(c) !== i);
    if (classes.length < 2 || twice !== undefined) {
      const received = twice !== undefined ? `'${twice}' twice` : `${classes.length} name${classes.length === 1 ? '' : 's'}`;
      throw invalidArgument(RangeError, fn, 'classes', 'two or more distinct names', received);
    }
    if (options.task === 'regression') throw new RangeError(`${fn}: classes and task 'regression' contradict each other`);
    targetSpec = { name: target, kind: 'classes', classes: [...classes] };
  } else if (target !== undefined) {
    targetSpec = fitTarget(target, column(target), naSet, options.task, (k) => where(kept[k] as number));
  }
  if (target !== undefined && kept.length < records.length)
    notices.push({ column: target, message: `${records.length - kept.length} rows without a target dropped` });
  const spec: TabularSpec = { version: TABULAR_VERSION, na, columns: specs, target: targetSpec, features };
  const encoded = encodeTable(spec, records, where);
  return { spec, notices, ...encoded, encode: (more) => encodeTable(spec, more) };
}

/** The indices of the records whose `target` cell is present (not missing by `na`). */
export function labelledRows(records: readonly TableRecord[], target: string, na: Set<string>): number[] {
  const rows: number[] = [];
  records.forEach((r, i) => {
    if (cellText(r[target], na) !== null) rows.push(i);
  });
  return rows;
}

/** Encodes records with a fitted spec: rows whose target is missing are dropped (when the spec has a target and the records carry it). */
export function encodeTable(
  spec: TabularSpec,
  records: readonly TableRecord[],
  where: (row: number) => string = (i) => `row ${i}`,
): EncodedTable {
  checkRecords(records, 'encode');
  const naSet = naLookup(spec.na);
  const target = spec.target;
  const hasTarget = target !== null && records.some((r) => Object.hasOwn(r, target.name));
  const rows = hasTarget ? labelledRows(records, target.name, naSet) : Array.from(records.keys());
  const encoder = recordEncoder(spec);
  const data = new Float32Array(rows.length * encoder.width);
  rows.forEach((i, k) => {
    encoder.encode(records[i] as TableRecord, data, k, () => where(i));
  });
  let y: Int32Array | Float32Array | null = null;
  if (hasTarget && target !== null)
    y = encodeTarget(
      target,
      rows.map((i) => (records[i] as TableRecord)[target.name]),
      naSet,
      (k) => where(rows[k] as number),
    );
  return {
    x: { rows: rows.length, cols: encoder.width, data },
    y,
    rows: Uint32Array.from(rows),
    droppedRows: records.length - rows.length,
  };
}

/** Target cells (none missing) as class indices or standardised values. */
export function encodeTarget(target: TargetSpec, cells: Cell[], na: Set<string>, where: (k: number) => string): Int32Array | Float32Array {
  if (target.kind === 'values') {
    return Float32Array.from(cells, (cell, k) => {
      const text = cellText(cell, na) as string;
      const v = typeof cell === 'number' ? cell : isNumeral(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(v)) throw new DataError(`${where(k)}: the target '${target.name}' is '${text}', not a number`);
      return (v - target.mean) / target.std;
    });
  }
  const index = new Map(target.classes.map((c, i) => [c, i]));
  return Int32Array.from(cells, (cell, k) => {
    const text = cellText(cell, na) as string;
    // As written first: a saved model's class names may predate levelKey ('True').
    const i = index.get(text) ?? index.get(levelKey(text));
    if (i === undefined)
      throw new DataError(`${where(k)}: unknown class '${text}' in '${target.name}' (the model knows ${target.classes.join(', ')})`);
    return i;
  });
}
