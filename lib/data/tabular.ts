// The public tabular API: fit a column spec on training records (typing,
// imputation, levels, scaling, the target's classes or scale) and encode any
// records with it into the model's matrices.
import { checkOptionKeys, invalidType } from '../errors.js';
import type { Matrix } from '../tensor.js';
import { cellOf, cellText, checkRecord, isNumeral, levelKey, naLookup } from './cells.js';
import { DataError } from './data-error.js';
import { recordEncoder } from './encode.js';
import { type ColumnNotice, TABULAR_OPTION_KEYS, TableFitter, type TabularOptions } from './fit-table.js';
import { fitTargetSummary, TargetSummary } from './fit-target.js';
import { checkSpec } from './read-spec.js';
import type { Cell, TableRecord, TabularSpec, TargetSpec } from './spec.js';

export type { ColumnNotice, TabularOptions };

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

/** Checks that `records` is an array of plain objects; `where(i)` names a bad one. */
export function checkRecords(
  records: unknown,
  fn: string,
  where: (i: number) => string = (i) => `records[${i}]`,
): asserts records is readonly TableRecord[] {
  if (!Array.isArray(records)) throw invalidType(fn, 'records', 'an array of objects keyed by column name', records);
  for (let i = 0; i < records.length; i++) checkRecord(records[i], fn, where, i);
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
  const summary = new TargetSummary(name);
  cells.forEach((cell, i) => {
    summary.add(cellText(cell, na) as string, () => where(i));
  });
  return fitTargetSummary(summary, task);
}

/** Fits the spec on `records` (the training split) and encodes them. */
export function tabular(records: readonly TableRecord[], options: TabularOptions = {}): TabularData {
  const fn = 'tabular';
  checkRecords(records, fn);
  checkOptionKeys(fn, 'options', options, TABULAR_OPTION_KEYS);
  if (records.length === 0) throw new DataError(`${fn}: no records to fit on`);
  // In memory, every value is kept for the medians: they are exact.
  const fitter = new TableFitter({ ...options, columns: options.columns ?? recordColumns(records) }, fn, records.length, 0);
  for (const record of records) fitter.add(record);
  const { spec, notices } = fitter.finish();
  const encoded = encodeTable(spec, records, options.where);
  return { spec, notices, ...encoded, encode: (more) => encodeTable(spec, more) };
}

/** The indices of the records whose `target` cell is present (not missing by `na`). */
export function labelledRows(records: readonly TableRecord[], target: string, na: Set<string>): number[] {
  const rows: number[] = [];
  records.forEach((r, i) => {
    if (cellText(cellOf(r, target), na) !== null) rows.push(i);
  });
  return rows;
}

/** Encodes records with a fitted spec: rows whose target is missing are dropped (when the spec has a target and the records carry it). */
export function encodeTable(
  spec: TabularSpec,
  records: readonly TableRecord[],
  where: (row: number) => string = (i) => `row ${i}`,
): EncodedTable {
  checkSpec(spec, 'encode', 'spec');
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
      rows.map((i) => cellOf(records[i] as TableRecord, target.name)),
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
