// JSON records in, for the same path as a CSV: a file holding one array of
// objects (.json), or one object per line (.jsonl, .ndjson), streamed. Cells
// must be strings, numbers, booleans or null; a nested value is an error naming
// the record and key rather than a level called "[object Object]".
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DataError, fileError } from './data-error.js';
import { type CsvTable, readCsvTable } from './read-csv.js';
import type { Cell, TableRecord } from './spec.js';
import { recordColumns } from './tabular.js';

// JSON.parse needs the whole text in one string; past this a file belongs in .jsonl.
const MAX_JSON_BYTES = 512 << 20;
const MAX_LINE_CHARS = 8 << 20;

export const isJsonFile = (file: string): boolean => /\.(json|jsonl|ndjson)$/i.test(file);

function checkRecord(value: unknown, file: string, where: string): TableRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new DataError(
      `${file}: ${where} is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}, expected an object keyed by column name`,
    );
  for (const [key, cell] of Object.entries(value)) {
    if (cell !== null && typeof cell === 'object')
      throw new DataError(`${file}: ${where}, column '${key}': a nested value; cells must be strings, numbers, booleans or null`);
  }
  return value as Readonly<Record<string, Cell>>;
}

function jsonError(file: string, error: unknown): Error {
  if (error instanceof SyntaxError) return new DataError(`${file}: not valid JSON (${error.message})`);
  return fileError(file, error, 'JSON');
}

/** Reads JSON records with their column order (first appearance) and, for .jsonl, each one's line. */
export async function readJsonTable(file: string): Promise<CsvTable & { unit: 'line' | 'record' }> {
  const records: TableRecord[] = [];
  const lines: number[] = [];
  try {
    if (/\.json$/i.test(file)) {
      const { size } = await stat(file);
      if (size > MAX_JSON_BYTES)
        throw new DataError(`${file}: ${size} bytes, more than a JSON array can hold here; write one record per line (.jsonl)`);
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      if (!Array.isArray(parsed)) throw new DataError(`${file}: expected an array of records`);
      parsed.forEach((value, i) => {
        records.push(checkRecord(value, file, `record ${i + 1}`));
        lines.push(i + 1);
      });
    } else {
      const reader = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
      let line = 0;
      for await (const text of reader) {
        line++;
        if (text.length > MAX_LINE_CHARS) throw new DataError(`${file}: line ${line} is longer than ${MAX_LINE_CHARS} characters`);
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          throw new DataError(`${file}: line ${line}: not valid JSON (${(error as Error).message})`);
        }
        records.push(checkRecord(value, file, `line ${line}`));
        lines.push(line);
      }
    }
  } catch (error) {
    throw jsonError(file, error);
  }
  if (records.length === 0) throw new DataError(`${file}: no records`);
  return {
    file,
    columns: recordColumns(records),
    records,
    lines: Uint32Array.from(lines),
    unit: /\.json$/i.test(file) ? 'record' : 'line',
  };
}

/** A CSV or JSON records file (.json array, .jsonl / .ndjson lines), by its extension. */
export function readTable(file: string): Promise<CsvTable> {
  return isJsonFile(file) ? readJsonTable(file) : readCsvTable(file);
}
