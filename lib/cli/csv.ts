// CSV in: a header row, numeric feature columns and one label column, read as
// a stream by csv-parse. A missing or non-numeric cell is an error naming the
// file, line and column, because silently training on NaN or 0 is worse.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Matrix } from '../tensor.js';
import { DataError } from './errors.js';

export interface CsvTable {
  file: string;
  /** Feature names, in the order of x's columns. */
  features: string[];
  x: Matrix;
  /** The label column's name and raw cells (null when the file has no label column and none was required). */
  target: string | null;
  labels: string[] | null;
  /** The file line of each row, for errors found after reading (unknown labels). */
  lines: Uint32Array;
}

export interface CsvOptions {
  /** The label column: a header name or a 0-based index (default: the last column when requireTarget). */
  target?: string;
  /** Read exactly these feature columns by name (a saved model's), in this order. */
  features?: string[];
  /** Without it, a file lacking the target column is read as features only (predict). */
  requireTarget: boolean;
}

// Number('') is 0 and Number(' 1 ') is 1: only plain numerals count.
const NUMERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function columnIndex(header: string[], spec: string, file: string): number {
  const byName = header.indexOf(spec);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(spec) && Number(spec) < header.length) return Number(spec);
  throw new DataError(`${file}: no column '${spec}' (columns: ${header.join(', ')})`);
}

/** Reads a CSV file into a float32 feature matrix and the raw label cells. */
export async function readCsv(file: string, options: CsvOptions): Promise<CsvTable> {
  const input = createReadStream(file);
  const parser = input.pipe(parse({ skip_empty_lines: true, trim: true, info: true, relax_column_count: false }));
  // pipe() does not forward a read error (ENOENT, EISDIR): hand it to the parser we iterate.
  input.on('error', (error) => parser.destroy(error));
  let header: string[] | null = null;
  let featureColumns: number[] = [];
  let targetColumn = -1;
  let data = new Float32Array(1 << 16);
  let rows = 0;
  const labels: string[] = [];
  const lines: number[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === null) {
        header = record;
        if (new Set(header).size !== header.length) throw new DataError(`${file}: line 1: the header repeats a column name`);
        const target = options.target;
        if (target !== undefined) {
          const present = header.includes(target) || (/^\d+$/.test(target) && Number(target) < header.length);
          targetColumn = present || options.requireTarget ? columnIndex(header, target, file) : -1;
        } else if (options.features === undefined && options.requireTarget) {
          targetColumn = header.length - 1;
        }
        featureColumns =
          options.features === undefined
            ? header.map((_, j) => j).filter((j) => j !== targetColumn)
            : options.features.map((name) => {
                const j = header?.indexOf(name) ?? -1;
                if (j < 0) throw new DataError(`${file}: the model needs column '${name}', which the header lacks`);
                return j;
              });
        if (featureColumns.length === 0) throw new DataError(`${file}: no feature columns besides the label '${header[targetColumn]}'`);
        continue;
      }
      const cols = featureColumns.length;
      if ((rows + 1) * cols > data.length) {
        const grown = new Float32Array(data.length * 2);
        grown.set(data);
        data = grown;
      }
      for (let k = 0; k < cols; k++) {
        const j = featureColumns[k] as number;
        const cell = record[j] as string;
        if (!NUMERAL.test(cell)) {
          const what = cell === '' ? 'a missing value' : `'${cell.length > 40 ? `${cell.slice(0, 40)}…` : cell}'`;
          throw new DataError(`${file}: line ${info.lines}, column ${j + 1} ('${header[j]}'): expected a number, found ${what}`);
        }
        const value = Number(cell);
        if (!Number.isFinite(value) || Math.abs(value) > 3.4e38) {
          throw new DataError(`${file}: line ${info.lines}, column ${j + 1} ('${header[j]}'): ${cell} does not fit a float32`);
        }
        data[rows * cols + k] = value;
      }
      if (targetColumn >= 0) {
        const label = record[targetColumn] as string;
        if (label === '')
          throw new DataError(`${file}: line ${info.lines}, column ${targetColumn + 1} ('${header[targetColumn]}'): the label is missing`);
        labels.push(label);
      }
      lines.push(info.lines);
      rows++;
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    const e = error as NodeJS.ErrnoException & { lines?: number };
    if (e.code === 'ENOENT') throw new DataError(`${file}: no such file`);
    if (e.code === 'EISDIR') throw new DataError(`${file}: is a directory, expected a CSV file`);
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) throw new DataError(`${file}: ${e.message}`);
    throw error;
  }
  if (header === null) throw new DataError(`${file}: empty file (expected a header row)`);
  if (rows === 0) throw new DataError(`${file}: a header but no data rows`);
  const cols = featureColumns.length;
  return {
    file,
    features: featureColumns.map((j) => (header as string[])[j] as string),
    x: { rows, cols, data: data.slice(0, rows * cols) },
    target: targetColumn >= 0 ? (header[targetColumn] as string) : null,
    labels: targetColumn >= 0 ? labels : null,
    lines: Uint32Array.from(lines),
  };
}
