// csvDataset's first pass: the column spec fitted on a CSV's training rows in one streaming pass,
// the classes taken from every split's labels, and each split's labelled rows counted.
import { cellOf, cellText, naLookup } from './cells.js';
import { DataError } from './data-error.js';
import { streamFitter, type TabularStreamOptions } from './fit-stream.js';
import type { FittedTable } from './fitted-cache.js';
import { csvChunks, type ReadCsvOptions } from './read-csv.js';
import type { SplitName } from './row-split.js';
import { DEFAULT_NA, type TableRecord } from './spec.js';
import { fitTarget } from './tabular.js';

// More distinct labels than this across the splits is no classification (fitTarget's own bound is lower).
const MAX_LABELS = 1001;

/** Fits `options` (with the label column `target`) over `file`, whose header gave `columns`. */
export async function fitCsv(
  file: string,
  columns: readonly string[],
  options: Omit<TabularStreamOptions, 'columns' | 'where'> & { target: string },
  split: (row: number) => SplitName,
  csvOptions: ReadCsvOptions,
  progress: (rows: number, bytes: number) => void,
  fn: string,
): Promise<FittedTable> {
  const { target } = options;
  const na = naLookup(options.na ?? DEFAULT_NA);
  const labels = new Set<string>();
  const rows: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
  let droppedRows = 0;
  let line = 0;
  const fitter = streamFitter({ ...options, columns: [...columns], where: () => `${file}: line ${line}` }, fn);
  let row = 0;
  for await (const chunk of csvChunks(file, csvOptions, undefined, fn)) {
    for (let k = 0; k < chunk.records.length; k++) {
      const record = chunk.records[k] as TableRecord;
      const s = split(row++);
      const label = cellText(cellOf(record, target), na);
      if (label === null) droppedRows++;
      else {
        rows[s]++;
        if (labels.size <= MAX_LABELS) labels.add(label);
      }
      line = chunk.lines[k] as number;
      if (s === 'train') fitter.add(record);
    }
    progress(row, chunk.bytes);
  }
  let { spec, notices } = fitter.finish();
  // Classes from every split's labels, so one seen only in a held-out row is still known.
  if (spec.target?.kind === 'classes' && options.classes === undefined && labels.size <= MAX_LABELS) {
    spec = { ...spec, target: fitTarget(target, [...labels], na, 'classification', () => file) };
  }
  if (rows.train === 0) throw new DataError(`${file}: no labelled training rows`);
  return { spec, notices, rows, droppedRows };
}
