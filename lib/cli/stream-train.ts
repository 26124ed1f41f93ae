// `densenode train` on a CSV larger than the memory budget (--memory): the file is read as a
// csvDataset (one pass fits the column spec, one writes the encoded disk cache, then every epoch
// reads the cache), split by a seeded hash of the row number, and measured split by split.
import { freemem } from 'node:os';
import { type CsvDataset, type CsvDatasetOptions, type CsvProgress, csvDataset } from '../data/csv-dataset.js';
import type { Pipeline } from '../data/dataset.js';
import { csvColumns } from '../data/read-csv.js';
import { tabularPreprocessing } from '../data/spec.js';
import type { SourceBatch } from '../fit-types.js';
import type { Model } from '../model.js';
import type { Matrix } from '../tensor.js';
import type { DataFlags } from './dataset.js';
import { UsageError } from './errors.js';
import type { OutputKind } from './prepared.js';
import type { Reporter } from './progress.js';
import type { ReportData } from './report.js';
import {
  buildModel,
  countConfusion,
  emptyConfusion,
  fitRun,
  type RunConfig,
  type RunResult,
  type SplitMetrics,
  splitMetrics,
} from './run.js';
import { columnOptions, targetColumn } from './table-data.js';

// Measured: `densenode train` held 339 MB of RSS for a 16.8 MB CSV of 16 columns (records as
// objects of strings, then the encoded splits), about 16 bytes per byte of file past the runtime's own.
const BYTES_IN_MEMORY_PER_FILE_BYTE = 16;
// Rows of the training split the report's column table counts missing cells on.
const REPORT_SAMPLE_ROWS = 20_000;

/** The memory budget: --memory, else half of the memory free now. */
export function memoryBudget(flag: number | undefined): number {
  return flag ?? Math.floor(freemem() / 2);
}

/** Whether reading `size` bytes of CSV into memory would pass `budget`. */
export function wouldExceed(size: number, budget: number): boolean {
  return size * BYTES_IN_MEMORY_PER_FILE_BYTE > budget;
}

export const megabytes = (bytes: number) => `${Math.round(bytes / (1 << 20))} MB`;

/** What the train command reports of a streamed run. */
export interface StreamedRun {
  data: CsvDataset;
  output: OutputKind;
  classes: string[] | null;
  result: RunResult;
  /** The confusion matrix on the test split (else validation, else train), for classifiers. */
  confusion: { matrix: number[][]; classes: string[]; split: string } | undefined;
  report: ReportData;
}

async function measureSplits(model: Model, data: CsvDataset): Promise<SplitMetrics[]> {
  const out: SplitMetrics[] = [];
  for (const split of ['train', 'validation', 'test'] as const) {
    const source = data[split];
    if (source !== null && data.rows[split] > 0) out.push(splitMetrics(split, data.rows[split], await model.evaluateDataset(source)));
  }
  return out;
}

async function confusionOver(model: Model, source: Pipeline<SourceBatch>, classes: number): Promise<number[][]> {
  const matrix = emptyConfusion(classes);
  for await (const batch of source) countConfusion(matrix, model.predict(batch.x), batch.y as Int32Array);
  return matrix;
}

// The first rows of an epoch of the training split, for the report's missing-cell counts.
async function trainSample(source: Pipeline<SourceBatch>, cols: number): Promise<Matrix> {
  const parts: Float32Array[] = [];
  let rows = 0;
  for await (const batch of source) {
    const x = batch.x as Matrix;
    parts.push(x.data.subarray(0, Math.min(x.rows, REPORT_SAMPLE_ROWS - rows) * cols));
    rows += Math.min(x.rows, REPORT_SAMPLE_ROWS - rows);
    if (rows >= REPORT_SAMPLE_ROWS) break;
  }
  const data = new Float32Array(rows * cols);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { rows, cols, data };
}

// A line at every fifth of each of the two first passes: minutes on a large file, not silence.
function passProgress(reporter: Reporter): (p: CsvProgress) => void {
  const shown = { fit: 0, cache: 0 };
  const what = { fit: 'fitting the column spec', cache: 'writing the disk cache' };
  return (p) => {
    const fifth = Math.floor((5 * p.bytes) / Math.max(1, p.totalBytes));
    if (fifth <= shown[p.pass]) return;
    shown[p.pass] = fifth;
    reporter.say(`  ${what[p.pass]}: ${fifth * 20}% (${megabytes(p.bytes)}, ${p.rows.toLocaleString('en-US')} rows)`);
  };
}

/** Streams `file` through a csvDataset and trains `config` on it. */
export async function trainStreamed(
  file: string,
  flags: DataFlags & { cache?: string | boolean },
  config: RunConfig,
  reporter: Reporter,
  signal: AbortSignal,
  opened: (data: CsvDataset, output: OutputKind) => void,
): Promise<StreamedRun> {
  const columns = await csvColumns(file);
  if (columns.length < 2) throw new UsageError(`${file}: one column only; a table needs features and a label column`);
  const target = targetColumn({ file, columns }, flags.target);
  const options: CsvDatasetOptions = {
    target,
    validation: flags.validation,
    test: flags.test,
    seed: flags.seed,
    batchSize: config.batchSize,
    cache: flags.cache ?? true,
    ...(flags.output === 'linear'
      ? { task: 'regression' as const }
      : flags.output !== undefined
        ? { task: 'classification' as const }
        : {}),
    ...columnOptions(flags),
  };
  const data = await csvDataset(file, { ...options, onProgress: passProgress(reporter) });
  const spec = data.spec;
  const classes = spec.target?.kind === 'classes' ? spec.target.classes : null;
  const output: OutputKind = classes === null ? 'linear' : (flags.output ?? (classes.length === 2 ? 'sigmoid' : 'softmax'));
  if (output === 'sigmoid' && classes !== null && classes.length !== 2)
    throw new UsageError(`--output sigmoid needs 2 classes, the label column '${target}' has ${classes.length}`);
  opened(data, output);
  const model = buildModel(config, { output, classes, features: spec.features, preprocessing: tabularPreprocessing(spec) });
  const started = performance.now();
  const { history, diverged } = await fitRun(
    model,
    config,
    { x: data.train, rows: data.rows.train, ...(data.validation !== null ? { validationData: data.validation } : {}) },
    reporter,
    signal,
  );
  const seconds = (performance.now() - started) / 1e3;
  const metrics = await measureSplits(model, data);
  const splitName = data.test !== null ? 'test' : data.validation !== null ? 'validation' : 'train';
  const split = data.test ?? data.validation ?? data.train;
  const confusion = classes !== null ? { matrix: await confusionOver(model, split, classes.length), classes, split: splitName } : undefined;
  const report: ReportData = {
    spec,
    notices: data.notices,
    train: await trainSample(data.train, spec.features.length),
    trainRows: data.rows.train,
    droppedRows: data.droppedRows,
  };
  return { data, output, classes, result: { config, model, history, metrics, seconds, diverged }, confusion, report };
}
