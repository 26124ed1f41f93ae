// dn.csvDataset(file): a CSV larger than memory as training data. One streaming pass fits the
// column spec on the training rows (or a given spec is used); a second encodes every row once into
// the disk cache (shard-cache.ts); then each epoch reads the cache in a seeded random order of chunk runs
// through a shuffle buffer. Rows go to train/validation/test by a seeded hash of their row number
// (row-split.ts), so no split needs a copy. Without a cache every epoch parses the file again.
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkOptionKeys, checkPath, checkPositiveInteger, invalidType } from '../errors.js';
import type { SourceBatch } from '../fit-types.js';
import { Random } from '../random.js';
import { fitCsv } from './csv-fit.js';
import { DataError } from './data-error.js';
import { Pipeline } from './dataset.js';
import { TABULAR_OPTION_KEYS } from './fit-table.js';
import { readFitted, writeFitted } from './fitted-cache.js';
import { csvChunks, csvColumns, type ReadCsvOptions } from './read-csv.js';
import { checkSpec } from './read-spec.js';
import { rowBatches } from './row-batches.js';
import { rowLayout, storedRows } from './row-layout.js';
import { rowSplitter, type SplitName } from './row-split.js';
import {
  CacheBuilder,
  type CacheManifest,
  cachedChunks,
  cacheKey,
  openCache,
  sourceFingerprint,
  type VerifiedChunks,
} from './shard-cache.js';
import { inputColumns, type TableRecord, type TabularSpec } from './spec.js';
import { type ColumnNotice, encodeTable, type TabularOptions } from './tabular.js';

export interface CsvDatasetOptions
  extends Pick<TabularOptions, 'categorical' | 'numeric' | 'dates' | 'ignore' | 'na' | 'task' | 'classes' | 'minCount' | 'maxLevels'> {
  /** The label column (default: the last column). */
  target?: string;
  /** A fitted spec to encode with (e.g. a loaded model's preprocessing.tabular) instead of fitting one. */
  spec?: TabularSpec;
  /** Fractions of rows held out, chosen by a seeded hash of the row number (default 0 each). */
  validation?: number;
  test?: number;
  /** Seeds the split, the chunk order and the shuffle buffer (default 0). */
  seed?: number;
  /** Rows per training batch (default 32). */
  batchSize?: number;
  /** Rows held for shuffling the training split (default: 8 MB of encoded rows, 128 cache chunks). */
  shuffleBuffer?: number;
  /** The cache directory, true for `<file>.cache` next to the data (the default), false for none. */
  cache?: boolean | string;
  /** Values kept per column for the medians (see fitTabularStream). */
  sampleSize?: number;
  delimiter?: string;
  /** Called as the two first passes read the file (the CLI shows it), about every megabyte. */
  onProgress?: (progress: CsvProgress) => void;
}

/** How far a pass over the file has got. */
export interface CsvProgress {
  pass: 'fit' | 'cache';
  rows: number;
  bytes: number;
  totalBytes: number;
}

// The tabular options a CSV takes (its header gives the columns, its lines name the rows).
const TABULAR_KEYS = TABULAR_OPTION_KEYS.filter(
  (k): k is Exclude<(typeof TABULAR_OPTION_KEYS)[number], 'columns' | 'where' | 'target'> =>
    k !== 'columns' && k !== 'where' && k !== 'target',
);
const OPTION_KEYS = [
  'target',
  ...TABULAR_KEYS,
  'spec',
  'validation',
  'test',
  'seed',
  'batchSize',
  'shuffleBuffer',
  'cache',
  'sampleSize',
  'delimiter',
  'onProgress',
];

export interface CsvDataset {
  file: string;
  spec: TabularSpec;
  /** What fitting decided about each column (empty with a given spec). */
  notices: ColumnNotice[];
  /** Labelled rows in each split. */
  rows: Record<SplitName, number>;
  /** Rows left out because their label was missing. */
  droppedRows: number;
  /** The cache directory, or null without one. */
  cache: string | null;
  /** What fit(source) takes: shuffled batches, a new order every epoch. */
  train: Pipeline<SourceBatch>;
  /** In file order, EVAL_BATCH rows at a time; null when the split is empty. */
  validation: Pipeline<SourceBatch> | null;
  test: Pipeline<SourceBatch> | null;
}

const EVAL_BATCH = 1024;
const SHUFFLE_BYTES = 8 << 20;
// Records encoded at a time on their way to the cache.
const GROUP = 1024;

/** Opens a CSV as a streamed, cached dataset; see CsvDatasetOptions. */
export async function csvDataset(file: string, options: CsvDatasetOptions = {}): Promise<CsvDataset> {
  const fn = 'csvDataset';
  checkPath(fn, 'file', file);
  checkOptionKeys(fn, 'options', options, OPTION_KEYS);
  const seed = options.seed ?? 0;
  const split = rowSplitter({ validation: options.validation ?? 0, test: options.test ?? 0, seed }, fn);
  const batchSize = checkPositiveInteger(fn, 'batchSize', options.batchSize ?? 32);
  const shuffleBuffer = options.shuffleBuffer === undefined ? undefined : checkPositiveInteger(fn, 'shuffleBuffer', options.shuffleBuffer);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw invalidType(fn, 'onProgress', 'a function', options.onProgress);
  const cacheOption = options.cache ?? true;
  if (typeof cacheOption !== 'boolean' && (typeof cacheOption !== 'string' || cacheOption === ''))
    throw invalidType(fn, 'cache', 'true, false or a directory', cacheOption);
  const csvOptions: ReadCsvOptions = options.delimiter !== undefined ? { delimiter: options.delimiter } : {};
  const where = (line: number) => `${file}: line ${line}`;

  const columns = await csvColumns(file, csvOptions, fn);
  const totalBytes = (await stat(file)).size;
  const target = options.target ?? options.spec?.target?.name ?? (columns[columns.length - 1] as string);
  if (typeof target !== 'string' || !columns.includes(target))
    throw new DataError(`${file}: no target column '${String(target)}' (columns: ${columns.join(', ')})`);

  const progress = (pass: CsvProgress['pass'], rows: number, bytes: number) => options.onProgress?.({ pass, rows, bytes, totalBytes });
  const cacheDir = cacheOption === false ? null : resolve(cacheOption === true ? `${file}.cache` : cacheOption);
  const source = cacheDir === null ? null : await sourceFingerprint(file);
  let rows: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
  let droppedRows = 0;
  let spec: TabularSpec;
  let notices: ColumnNotice[] = [];
  if (options.spec !== undefined) {
    checkSpec(options.spec, fn, 'options.spec');
    spec = options.spec;
    if (spec.target === null || spec.target.name !== target)
      throw new RangeError(`${fn}: the spec's target is ${spec.target === null ? 'none' : `'${spec.target.name}'`}, not '${target}'`);
    // A column the spec reads but the file lacks would be imputed in every row, silently.
    const absent = inputColumns(spec).find((c) => !columns.includes(c.name));
    if (absent !== undefined)
      throw new DataError(`${file}: the spec reads the column '${absent.name}', which the file lacks (columns: ${columns.join(', ')})`);
  } else {
    // The column-typing options pass through to the fitter as given.
    const tabular = Object.fromEntries(TABULAR_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
    const fitOptions = { ...tabular, target, seed, ...(options.sampleSize !== undefined ? { sampleSize: options.sampleSize } : {}) };
    // Everything the pass reads: the same file and options find what it found last time.
    const fitKey = cacheKey({ source, fitOptions, split: [options.validation ?? 0, options.test ?? 0], csvOptions });
    let fitted = cacheDir === null ? null : await readFitted(cacheDir, fitKey);
    if (fitted === null) {
      fitted = await fitCsv(file, columns, fitOptions, split, csvOptions, (r, b) => progress('fit', r, b), fn);
      if (cacheDir !== null) {
        await mkdir(cacheDir, { recursive: true });
        await writeFitted(cacheDir, fitKey, fitted);
      }
    }
    ({ spec, notices, rows, droppedRows } = fitted);
  }

  const layout = rowLayout(spec);
  const stride = layout.stride;
  // The buffer spans many chunks, so each batch draws on many places of the file (a sorted file mixes).
  const bufferRows = shuffleBuffer ?? Math.max(1, Math.floor(SHUFFLE_BYTES / (stride * 4)));

  // Every row of the file encoded once, grouped per split (rows without a label dropped).
  async function* encodedGroups(pass: CsvProgress['pass'] | null): AsyncGenerator<[SplitName, Float32Array]> {
    const groups: Record<SplitName, { records: TableRecord[]; lines: number[] }> = {
      train: { records: [], lines: [] },
      validation: { records: [], lines: [] },
      test: { records: [], lines: [] },
    };
    const encode = (s: SplitName): Float32Array => {
      const g = groups[s];
      const encoded = encodeTable(spec, g.records, (k) => where(g.lines[k] as number));
      const out = storedRows(layout, encoded.x.data, encoded.y as Int32Array | Float32Array, encoded.x.rows);
      g.records = [];
      g.lines = [];
      return out;
    };
    let row = 0;
    for await (const chunk of csvChunks(file, csvOptions, undefined, fn)) {
      for (let k = 0; k < chunk.records.length; k++) {
        const s = split(row++);
        const g = groups[s];
        g.records.push(chunk.records[k] as TableRecord);
        g.lines.push(chunk.lines[k] as number);
        if (g.records.length === GROUP) yield [s, encode(s)];
      }
      if (pass !== null) progress(pass, row, chunk.bytes);
    }
    for (const s of ['train', 'validation', 'test'] as const) if (groups[s].records.length > 0) yield [s, encode(s)];
  }

  let key = '';
  const ensureCache = async (): Promise<CacheManifest> => {
    const dir = cacheDir as string;
    const found = await openCache(dir, key, stride);
    if (found !== null) return found;
    await mkdir(dir, { recursive: true });
    const builder = await CacheBuilder.start(dir, key, stride);
    try {
      for await (const [s, data] of encodedGroups('cache')) await builder.add(s, data, data.length / stride);
      return await builder.finish();
    } catch (error) {
      await builder.abort();
      throw error;
    }
  };
  if (cacheDir !== null) {
    key = cacheKey({ source, spec, split: [options.validation ?? 0, options.test ?? 0, seed], csvOptions });
    const built: CacheManifest = await ensureCache();
    for (const s of ['train', 'validation', 'test'] as const) rows[s] = built.splits[s].rows;
  } else if (options.spec !== undefined) {
    // Counting the rows needs one pass when nothing was fitted.
    for await (const [s, data] of encodedGroups(null)) rows[s] += data.length / stride;
  }

  const verifiedChunks: VerifiedChunks = new Map();
  async function* chunks(s: SplitName, random: Random | null): AsyncGenerator<Float32Array> {
    if (cacheDir !== null) {
      yield* cachedChunks(cacheDir, await ensureCache(), s, random, verifiedChunks);
      return;
    }
    for await (const [from, data] of encodedGroups(null)) if (from === s) yield data;
  }
  const train = new Pipeline<SourceBatch>((epoch) => {
    const random = new Random(seed + 0x9e3779b1 * epoch);
    return rowBatches(chunks('train', random), layout, batchSize, { random, bufferRows });
  });
  const ordered = (s: SplitName) =>
    rows[s] === 0 ? null : new Pipeline<SourceBatch>(() => rowBatches(chunks(s, null), layout, EVAL_BATCH, null));
  return {
    file,
    spec,
    notices,
    rows,
    droppedRows,
    cache: cacheDir,
    train,
    validation: ordered('validation'),
    test: ordered('test'),
  };
}
