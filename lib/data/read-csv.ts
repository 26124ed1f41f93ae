// CSV in as records: a header row, then one object per row keyed by column
// name, every cell a trimmed string. Streamed by csv-parse, the delimiter
// (',', ';', tab or '|') taken from the header line, a BOM dropped; a ragged
// row, a repeated column name or a header with no rows is an error naming the file.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { checkOptionKeys, checkPath, invalidType } from '../errors.js';
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
const MAX_RECORD_BYTES = 8 << 20;
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

// csv-parse's own errors (CSV_RECORD_INCONSISTENT_FIELDS_LENGTH, …) say what and where.
function csvError(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('CSV_')) return new DataError(`${file}: ${(error as Error).message}`);
  return fileError(file, error, 'CSV');
}

/** Reads a CSV file with its header's column order and the file line of every record. */
export async function readCsvTable(file: string, options: ReadCsvOptions = {}): Promise<CsvTable> {
  const fn = 'readCsv';
  checkPath(fn, 'file', file);
  checkOptionKeys(fn, 'options', options, ['delimiter', 'maxRows']);
  const { maxRows } = options;
  if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows >= 0)) throw invalidType(fn, 'maxRows', 'an integer >= 0', maxRows);
  if (
    options.delimiter !== undefined &&
    (typeof options.delimiter !== 'string' || options.delimiter.length !== 1 || /["\r\n]/.test(options.delimiter))
  )
    throw invalidType(fn, 'delimiter', 'one character other than a quote or line break', options.delimiter);
  let delimiter: string;
  try {
    delimiter = options.delimiter ?? (await sniffDelimiter(file));
  } catch (error) {
    throw csvError(file, error);
  }
  const input = createReadStream(file);
  const parser = input.pipe(
    parse({
      delimiter,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: false,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  // pipe() does not forward a read error (ENOENT, EISDIR): hand it to the parser we iterate.
  input.on('error', (error) => parser.destroy(error));
  let header: string[] | null = null;
  const records: TableRecord[] = [];
  const lines: number[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === null) {
        header = record;
        const repeated = header.find((name, i) => header?.indexOf(name) !== i);
        if (repeated !== undefined) throw new DataError(`${file}: line 1: the header names the column '${repeated}' twice`);
        const blank = header.indexOf('');
        if (blank >= 0 && header.length > 1) throw new DataError(`${file}: line 1: column ${blank + 1} has no name`);
        continue;
      }
      if (maxRows !== undefined && records.length >= maxRows) break;
      const names = header;
      // fromEntries defines own properties, so a column named '__proto__' is just a column.
      records.push(Object.fromEntries(record.map((cell, j) => [names[j] as string, cell])));
      lines.push(info.lines);
    }
  } catch (error) {
    throw csvError(file, error);
  } finally {
    input.destroy();
  }
  if (header === null) throw new DataError(`${file}: empty file (expected a header row)`);
  if (records.length === 0 && maxRows !== 0) throw new DataError(`${file}: a header but no data rows`);
  return { file, columns: header, records, lines: Uint32Array.from(lines) };
}

/** Reads a CSV file (a header row, then data) into records: one object per row, keyed by column name, cells as strings. */
export async function readCsv(file: string, options: ReadCsvOptions = {}): Promise<TableRecord[]> {
  return (await readCsvTable(file, options)).records;
}
