// What csvDataset's fitting pass found (the spec, its notices, the split's row counts), kept in the
// cache directory as fitted.json, so that opening the same file with the same options again skips
// that pass: a full parse, 160 s for the 1 GB bench table. The key is the file's fingerprint and
// every option the pass reads; anything else (absent, torn, another key, a spec that does not read
// back) is a miss and the pass runs again.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { ColumnNotice } from './fit-table.js';
import { readTabularSpec } from './read-spec.js';
import type { SplitName } from './row-split.js';
import type { TabularSpec } from './spec.js';

const FILE = 'fitted.json';
const FORMAT = 'densenode-fitted-table';
// A spec far past any real table's: the file is read whole.
const MAX_BYTES = 256 << 20;

export interface FittedTable {
  spec: TabularSpec;
  notices: ColumnNotice[];
  rows: Record<SplitName, number>;
  droppedRows: number;
}

const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The fitted table kept in `dir` under `key`, or null. */
export async function readFitted(dir: string, key: string): Promise<FittedTable | null> {
  const path = join(dir, FILE);
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_BYTES) return null;
    const saved = JSON.parse(await readFile(path, 'utf8')) as Partial<FittedTable> & { format?: unknown; key?: unknown };
    if (saved.format !== FORMAT || saved.key !== key) return null;
    const { rows, droppedRows, notices } = saved;
    if (rows === undefined || !count(rows.train) || !count(rows.validation) || !count(rows.test) || !count(droppedRows)) return null;
    if (!Array.isArray(notices) || !notices.every((n) => typeof n?.column === 'string' && typeof n?.message === 'string')) return null;
    const spec = readTabularSpec(saved.spec, path, 'spec');
    return { spec, notices, rows: { train: rows.train, validation: rows.validation, test: rows.test }, droppedRows };
  } catch {
    return null;
  }
}

/** Keeps `fitted` in `dir` under `key` (atomically: a crash leaves the old file or none). */
export async function writeFitted(dir: string, key: string, fitted: FittedTable): Promise<void> {
  await writeFileAtomic(join(dir, FILE), `${JSON.stringify({ format: FORMAT, key, ...fitted })}\n`);
}
