// Fitting the tabular spec in one pass over a stream too large to hold (a
// database cursor, a CSV reader, a dn.dataset pipeline): the same summaries and
// rules as dn.tabular, so counts, moments, levels and classes are exact and
// only medians come from a bounded sample.
import { checkPositiveInteger, invalidType } from '../errors.js';
import { type ColumnNotice, TableFitter, type TabularOptions } from './fit-table.js';
import type { TableRecord, TabularSpec } from './spec.js';

export interface TabularStreamOptions extends TabularOptions {
  /** Values kept per column for its median, a seeded uniform sample (default 100 000; exact up to it). */
  sampleSize?: number;
  /** Seeds the median samples (default 0). */
  seed?: number;
}

/** What tabularStream fitted, and what it read. */
export interface StreamedSpec {
  spec: TabularSpec;
  notices: ColumnNotice[];
  /** Records read. */
  rows: number;
  /** Records without a target (not fitted on). */
  droppedRows: number;
  /** The most values any column kept for its median (min(rows, sampleSize) for a column never missing). */
  sampled: number;
}

export const DEFAULT_SAMPLE_SIZE = 100_000;

/** Checks the options and returns a fitter to feed records to (for callers that read the stream themselves). */
export function streamFitter(options: TabularStreamOptions, fn = 'tabularStream'): TableFitter {
  if (options === null || typeof options !== 'object') throw invalidType(fn, 'options', 'an object', options);
  const { sampleSize = DEFAULT_SAMPLE_SIZE, seed = 0, ...tabularOptions } = options;
  checkPositiveInteger(fn, 'sampleSize', sampleSize);
  if (!Number.isInteger(seed)) throw invalidType(fn, 'seed', 'an integer', seed);
  return new TableFitter(tabularOptions, fn, sampleSize, seed, ['sampleSize', 'seed']);
}

/**
 * Fits a tabular spec (as dn.tabular does) in one pass over `records`, in memory that does not grow
 * with their number. Counts, means, stds, skewness, missing counts, stray words, date formats and the
 * target's classes and scale are exact; medians come from a seeded sample of `sampleSize` values per
 * column (exact when the column has no more); past COUNT_CAP distinct values a column's counts are
 * bounded (the notice says so). With sampleSize ≥ the rows it is exactly dn.tabular's spec.
 */
export async function tabularStream(
  records: AsyncIterable<TableRecord> | Iterable<TableRecord>,
  options: TabularStreamOptions = {},
): Promise<StreamedSpec> {
  const fn = 'tabularStream';
  const iterable = records as Partial<AsyncIterable<TableRecord> & Iterable<TableRecord>> | null;
  if (
    iterable === null ||
    typeof iterable !== 'object' ||
    (typeof iterable[Symbol.asyncIterator] !== 'function' && typeof iterable[Symbol.iterator] !== 'function')
  )
    throw invalidType(fn, 'records', 'an iterable or async iterable of records', records);
  const fitter = streamFitter(options, fn);
  for await (const record of records) fitter.add(record);
  const { spec, notices } = fitter.finish();
  return { spec, notices, rows: fitter.rows, droppedRows: fitter.droppedRows, sampled: fitter.sampled };
}
