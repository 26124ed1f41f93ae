// CSV in as records: a header row, then one object per row keyed by column
// name, every cell a trimmed string. Streamed through csv-tokenizer.ts, the delimiter
// (',', ';', tab or '|') taken from the header line, a BOM dropped; a ragged
// row, a repeated column name or a header with no rows is an error naming the file and line.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { checkOptionKeys, checkPath, invalidType } from '../errors.js';
import { CsvTokenizer, type TokenizedRows } from './csv-tokenizer.js';
import { DataError, fileError } from './data-error.js';
import type { TableRecord } from './spec.js';

export interface ReadCsvOptions {
  /** The field delimiter (default: whichever of , ; tab | the header line holds most of, outside quotes). */
  delimiter?: string;
  /** Stop after this many data rows (default: all). */
  maxRows?: number;
}

/** A CSV as the CLI reads it: the header's column order, the records and each one's file line. */
export interface CsvTable {
  file: string;
  columns: string[];
  records: TableRecord[];
  lines: Uint32Array;
  /** What `lines` counts: file lines (CSV, JSON lines) or records (a JSON array). */
  unit?: 'line' | 'record';
}

// One record may not exceed this (a file with no line breaks is not parsed into one huge row).
const MAX_RECORD_CHARS = 8 << 20;
// Text read at a time.
const CHUNK_BYTES = 1 << 20;
const DELIMITERS = [',', ';', '\t', '|'];

async function sniffDelimiter(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64 << 10);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const counts = new Map(DELIMITERS.map((d) => [d, 0]));
    let quoted = false;
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (!quoted && (ch === '\n' || ch === '\r')) break;
      else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) as number) + 1);
    }
    let best = ',';
    for (const [d, n] of counts) if (n > (counts.get(best) as number)) best = d;
    return best;
  } finally {
    await handle.close();
  }
}

function checkCsvOptions(fn: string, file: string, options: ReadCsvOptions): void {
  checkPath(fn, 'file', file);
  checkOptionKeys(fn, 'options', options, ['delimiter', 'maxRows']);
  const { maxRows } = options;
  if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows >= 0)) throw invalidType(fn, 'maxRows', 'an integer >= 0', maxRows);
  if (
    options.delimiter !== undefined &&
    (typeof options.delimiter !== 'string' || options.delimiter.length !== 1 || /["\r\n]/.test(options.delimiter))
  )
    throw invalidType(fn, 'delimiter', 'one character other than a quote or line break', options.delimiter);
}

/** Records as they stream, a chunk's worth at a time, with the file line each starts on. */
export interface CsvChunk {
  columns: readonly string[];
  records: TableRecord[];
  lines: number[];
  /** Bytes of the file read so far. */
  bytes: number;
}

/**
 * Streams a CSV's data rows (after its header) with bounded memory, a chunk of records at a time;
 * the file is closed when the consumer stops. Errors name the file and line.
 */
export async function* csvChunks(
  file: string,
  options: ReadCsvOptions = {},
  onHeader: (columns: readonly string[]) => void = () => undefined,
  fn = 'readCsv',
): AsyncGenerator<CsvChunk> {
  checkCsvOptions(fn, file, options);
  let left = options.maxRows ?? Number.POSITIVE_INFINITY;
  let delimiter: string;
  try {
    delimiter = options.delimiter ?? (await sniffDelimiter(file));
  } catch (error) {
    throw fileError(file, error, 'CSV');
  }
  const tokenizer = new CsvTokenizer(delimiter, file, MAX_RECORD_CHARS);
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let header: string[] | null = null;
  let build: (fields: string[], line: number) => TableRecord = () => ({});
  let rows = 0;
  const take = (tokens: TokenizedRows): CsvChunk | null => {
    let from = 0;
    if (header === null && tokens.records.length > 0) {
      header = checkHeader(file, tokens.records[0] as string[]);
      build = recordBuilder(file, header);
      onHeader(header);
      from = 1;
    }
    if (header === null || left <= 0) return null;
    const count = Math.min(tokens.records.length - from, left);
    if (count <= 0) return null;
    const records = new Array<TableRecord>(count);
    const lines = tokens.lines.slice(from, from + count);
    for (let k = 0; k < count; k++) records[k] = build(tokens.records[from + k] as string[], lines[k] as number);
    left -= count;
    rows += count;
    return { columns: header, records, lines, bytes: input.bytesRead };
  };
  try {
    for await (const text of input as AsyncIterable<string>) {
      const chunk = take(tokenizer.push(text));
      if (chunk !== null) yield chunk;
      if (header !== null && left <= 0) break;
    }
    if (left > 0) {
      const chunk = take(tokenizer.end());
      if (chunk !== null) yield chunk;
    }
  } catch (error) {
    throw fileError(file, error, 'CSV');
  } finally {
    input.destroy();
  }
  if (header === null) throw new DataError(`${file}: empty file (expected a header row)`);
  if (rows === 0 && options.maxRows !== 0) throw new DataError(`${file}: a header but no data rows`);
}

function checkHeader(file: string, names: string[]): string[] {
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new DataError(`${file}: line 1: the header names the column '${repeated}' twice`);
  const blank = names.indexOf('');
  if (blank >= 0 && names.length > 1) throw new DataError(`${file}: line 1: column ${blank + 1} has no name`);
  return names;
}

// Fields to a record keyed by the header; a ragged row is an error naming its line.
function recordBuilder(file: string, header: string[]): (fields: string[], line: number) => TableRecord {
  const width = header.length;
  // Plain assignment would make a column named '__proto__' the prototype: then define properties.
  const plain = !header.includes('__proto__');
  return (fields, line) => {
    if (fields.length !== width)
      throw new DataError(
        `${file}: line ${line}: ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${width} columns`,
      );
    if (!plain) return Object.fromEntries(fields.map((cell, j) => [header[j] as string, cell]));
    const record: Record<string, string> = {};
    for (let j = 0; j < width; j++) record[header[j] as string] = fields[j] as string;
    return record;
  };
}

/** The header of a CSV: its column names (reads only as far as the first record). */
export async function csvColumns(file: string, options: Omit<ReadCsvOptions, 'maxRows'> = {}, fn = 'readCsv'): Promise<string[]> {
  let columns: string[] = [];
  for await (const _ of csvChunks(file, { ...options, maxRows: 0 }, (names) => (columns = [...names]), fn));
  return columns;
}

/** Reads a CSV file with its header's column order and the file line of every record. */
export async function readCsvTable(file: string, options: ReadCsvOptions = {}): Promise<CsvTable> {
  const records: TableRecord[] = [];
  const lines: number[] = [];
  let columns: string[] = [];
  for await (const chunk of csvChunks(file, options, (names) => (columns = [...names]))) {
    for (const r of chunk.records) records.push(r);
    for (const l of chunk.lines) lines.push(l);
  }
  return { file, columns, records, lines: Uint32Array.from(lines) };
}

/** Reads a CSV file (a header row, then data) into records: one object per row, keyed by column name, cells as strings. */
export async function readCsv(file: string, options: ReadCsvOptions = {}): Promise<TableRecord[]> {
  return (await readCsvTable(file, options)).records;
}
