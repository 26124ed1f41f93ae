// A CSV as training data: records read, rows without a label dropped, the
// rest shuffled by the seed into train/validation/test, then the column spec
// fitted on the training split only and every split encoded with it.
import { naLookup } from '../data/cells.js';
import type { CsvTable } from '../data/read-csv.js';
import { readTable } from '../data/read-json.js';
import { DEFAULT_NA, tabularPreprocessing } from '../data/spec.js';
import { encodeTable, encodeTarget, fitTarget, labelledRows, type TabularOptions, tabular } from '../data/tabular.js';
import { Random } from '../random.js';
import { DataError, UsageError } from './errors.js';
import type { Encoded, OutputKind, PreparedData, Split } from './prepared.js';

/** The column-typing flags of train and compare. */
export interface ColumnFlags {
  categorical?: string[];
  numeric?: string[];
  dates?: string[];
  ignore?: string[];
  na?: string[];
  minCount?: number;
}

/** The column-typing flags as tabular options (only those given). */
export function columnOptions(
  flags: ColumnFlags,
): Pick<TabularOptions, 'categorical' | 'numeric' | 'dates' | 'ignore' | 'na' | 'minCount'> {
  return {
    ...(flags.categorical !== undefined ? { categorical: flags.categorical } : {}),
    ...(flags.numeric !== undefined ? { numeric: flags.numeric } : {}),
    ...(flags.dates !== undefined ? { dates: flags.dates } : {}),
    ...(flags.ignore !== undefined ? { ignore: flags.ignore } : {}),
    ...(flags.na !== undefined ? { na: flags.na } : {}),
    ...(flags.minCount !== undefined ? { minCount: flags.minCount } : {}),
  };
}

/** The target column: a header name, a 0-based index, or the last column. */
export function targetColumn(table: Pick<CsvTable, 'file' | 'columns'>, target: string | undefined): string {
  if (target === undefined) return table.columns[table.columns.length - 1] as string;
  if (table.columns.includes(target)) return target;
  if (/^\d+$/.test(target) && Number(target) < table.columns.length) return table.columns[Number(target)] as string;
  throw new DataError(`${table.file}: no column '${target}' (columns: ${table.columns.join(', ')})`);
}

function toSplit(encoded: { x: Split['x']; y: Int32Array | Float32Array | null }): Split {
  const y: Encoded = encoded.y instanceof Int32Array ? { kind: 'classes', y: encoded.y } : { kind: 'values', y: encoded.y as Float32Array };
  return { x: encoded.x, y };
}

/** The labelled rows of a CSV, aligned: record indices, file lines, and class indices (classification only). */
export interface LabelledRows {
  records: number[];
  lines: number[];
  classes: Int32Array | null;
  classNames: string[] | null;
}

/** Explicit record indices (from LabelledRows.records) for each split. */
export interface RowSplit {
  train: number[];
  validation: number[];
  test: number[];
}

type CsvFlags = ColumnFlags & { target?: string; output?: OutputKind };

/**
 * Reads a CSV once and types its target from every labelled row; `prepare` then fits the column
 * spec on one split's training rows and encodes its splits, as often as there are splits to try.
 */
export async function readCsvRows(
  file: string,
  name: string,
  flags: CsvFlags,
): Promise<{ labelled: LabelledRows; prepare: (split: RowSplit) => PreparedData }> {
  const table = await readTable(file);
  if (table.columns.length < 2) throw new DataError(`${file}: one column only; a table needs features and a label column`);
  const target = targetColumn(table, flags.target);
  const na = naLookup(flags.na ?? DEFAULT_NA);
  const where = (i: number) => `${file}: ${table.unit ?? 'line'} ${table.lines[i]}`;
  const labelled = labelledRows(table.records, target, na);
  const droppedRows = table.records.length - labelled.length;
  if (labelled.length === 0) throw new DataError(`${file}: the label column '${target}' is empty in every row`);
  const task = flags.output === undefined ? undefined : flags.output === 'linear' ? 'regression' : 'classification';
  // Class names come from every labelled row, so a class that lands only in the test split is still known.
  const labels = labelled.map((i) => (table.records[i] as Record<string, string>)[target]);
  const targetSpec = fitTarget(target, labels, na, task, (k) => where(labelled[k] as number));
  const output: OutputKind =
    targetSpec.kind === 'values' ? 'linear' : (flags.output ?? (targetSpec.classes.length === 2 ? 'sigmoid' : 'softmax'));
  if (output === 'sigmoid' && targetSpec.kind === 'classes' && targetSpec.classes.length !== 2)
    throw new UsageError(`--output sigmoid needs 2 classes, the label column '${target}' has ${targetSpec.classes.length}`);

  const pick = (rows: number[]) => rows.map((i) => table.records[i] as Record<string, string>);
  const prepare = ({ train: trainRows, validation, test }: RowSplit): PreparedData => {
    const options: TabularOptions = {
      target,
      columns: table.columns,
      where: (k) => where(trainRows[k] as number),
      ...(targetSpec.kind === 'classes' ? { classes: targetSpec.classes } : { task: 'regression' as const }),
      ...columnOptions(flags),
    };
    let fitted: ReturnType<typeof tabular>;
    try {
      fitted = tabular(pick(trainRows), options);
    } catch (error) {
      // The spec's own messages name the column; say which file.
      if (error instanceof DataError && !error.message.startsWith(file))
        throw new DataError(`${file}: ${error.message.replace(/^tabular: /, '')}`);
      throw error;
    }
    const encodeRows = (rows: number[]) =>
      rows.length === 0 ? null : toSplit(encodeTable(fitted.spec, pick(rows), (k) => where(rows[k] as number)));
    const spec = fitted.spec;
    return {
      name,
      features: spec.features,
      target,
      output,
      classes: targetSpec.kind === 'classes' ? targetSpec.classes : null,
      train: toSplit(fitted),
      validation: encodeRows(validation),
      test: encodeRows(test),
      preprocessing: tabularPreprocessing(spec),
      notices: fitted.notices,
      droppedRows,
      rawColumns: spec.columns.length,
    };
  };
  const classNames = targetSpec.kind === 'classes' ? targetSpec.classes : null;
  const classes = classNames === null ? null : (encodeTarget(targetSpec, labels, na, (k) => where(labelled[k] as number)) as Int32Array);
  return { labelled: { records: labelled, lines: labelled.map((i) => table.lines[i] as number), classes, classNames }, prepare };
}

/** Reads a CSV and prepares it for training with `flags`. */
export async function prepareCsv(
  file: string,
  name: string,
  flags: CsvFlags & { validation: number; test: number; seed: number },
): Promise<PreparedData> {
  const { labelled, prepare } = await readCsvRows(file, name, flags);
  const order = Uint32Array.from(labelled.records);
  new Random(flags.seed).shuffle(order);
  const n = order.length;
  const testCount = Math.round(n * flags.test);
  const validationCount = Math.round(n * flags.validation);
  const trainCount = n - testCount - validationCount;
  if (trainCount < 1) throw new UsageError(`--validation ${flags.validation} and --test ${flags.test} leave no training rows out of ${n}`);
  const rowsOf = (from: number, to: number) => Array.from(order.subarray(from, to));
  return prepare({
    train: rowsOf(0, trainCount),
    validation: rowsOf(trainCount, trainCount + validationCount),
    test: rowsOf(trainCount + validationCount, n),
  });
}
