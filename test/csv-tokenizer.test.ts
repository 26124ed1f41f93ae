// The CSV tokenizer against csv-parse (an independent implementation, a dev dependency here) on
// random tables with quotes, delimiters and line breaks inside fields, split into random chunks;
// then the cases where it means to differ, and its errors.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvTokenizer } from '../lib/data/csv-tokenizer.js';
import { csvChunks, readCsvTable } from '../lib/data/read-csv.js';
import { Random } from '../lib/random.js';

function tokenize(text: string, chunks: number[], delimiter = ','): { records: string[][]; lines: number[] } {
  const t = new CsvTokenizer(delimiter, 'f.csv', 8 << 20);
  const records: string[][] = [];
  const lines: number[] = [];
  let at = 0;
  for (const size of [...chunks, text.length]) {
    const part = t.push(text.slice(at, at + size));
    records.push(...part.records);
    lines.push(...part.lines);
    at += size;
    if (at >= text.length) break;
  }
  const last = t.end();
  return { records: [...records, ...last.records], lines: [...lines, ...last.lines] };
}

const PIECES = ['a', 'bc', '1.5', ' ', 'é', '漢', ',', ';', '"', '\n', '\r\n', "'", 'x y'];

function randomTable(random: Random, delimiter: string, eol: string) {
  const cols = 1 + random.below(5);
  const rows = 1 + random.below(12);
  const table: string[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < cols; c++) {
      let field = '';
      const parts = random.below(4);
      for (let p = 0; p < parts; p++) field += PIECES[random.below(PIECES.length)];
      row.push(field);
    }
    // A record of one empty field is a blank line (skipped by both).
    if (cols === 1 && row[0]?.trim() === '') row[0] = 'z';
    table.push(row);
  }
  const text = table
    .map((row) =>
      row
        .map((f) => {
          const special = f.includes(delimiter) || /["\r\n]/.test(f) || f !== f.trim() || f === '';
          return special && (f.includes('"') || /[\r\n]/.test(f) || f.includes(delimiter) || random.below(2) === 0)
            ? `"${f.replaceAll('"', '""')}"`
            : f;
        })
        .join(delimiter),
    )
    .join(eol);
  return { text: random.below(2) === 0 ? text + eol : text, table };
}

describe('CsvTokenizer', () => {
  it('agrees with csv-parse on 600 random tables in random chunks', () => {
    const random = new Random(7);
    for (let trial = 0; trial < 600; trial++) {
      const delimiter = [',', ';', '\t', '|'][trial % 4] as string;
      const eol = ['\n', '\r\n', '\r'][random.below(3)] as string;
      const { text } = randomTable(random, delimiter, eol);
      const expected: string[][] = parse(text, { delimiter, trim: true, skip_empty_lines: true, relax_column_count: true });
      const chunks = Array.from({ length: random.below(6) }, () => 1 + random.below(8));
      let got: ReturnType<typeof tokenize>;
      try {
        got = tokenize(text, chunks, delimiter);
      } catch (error) {
        throw new Error(`${(error as Error).message} on ${JSON.stringify({ text, chunks })}`);
      }
      expect(got.records, JSON.stringify({ text, chunks })).toEqual(expected);
    }
  });

  it('numbers each record by the line it starts on, quoted line breaks included', () => {
    const text = 'a,b\n1,"x\ny"\n\n2,3\r\n"4\r\n5",6\n7,8';
    for (let size = 1; size <= text.length; size++) {
      const got = tokenize(
        text,
        Array.from({ length: 40 }, () => size),
      );
      expect(got.records).toEqual([
        ['a', 'b'],
        ['1', 'x\ny'],
        ['2', '3'],
        ['4\r\n5', '6'],
        ['7', '8'],
      ]);
      expect(got.lines).toEqual([1, 2, 5, 6, 8]);
    }
  });

  it('keeps a quote inside an unquoted field as text, trims blanks and skips blank lines', () => {
    expect(tokenize('h,w\n5\'10",  tall \n   \n\t\nx,"  y  "  \n', []).records).toEqual([
      ['h', 'w'],
      ['5\'10"', 'tall'],
      ['x', '  y  '],
    ]);
  });

  it('says where a quote is never closed, or text follows a closing quote', () => {
    expect(() => tokenize('a,b\n1,"open\n2,3\n', [])).toThrow(/f\.csv: line 2: a quoted field is never closed/);
    expect(() => tokenize('a,b\n1,"x"y\n', [])).toThrow(/f\.csv: line 2: text after the closing quote of field 2/);
  });

  it('refuses a record longer than its bound instead of gathering the file into it', () => {
    const t = new CsvTokenizer(',', 'f.csv', 1000);
    t.push('a,b\n');
    expect(() => t.push('x'.repeat(2000))).toThrow(/f\.csv: line 2: a record longer than/);
  });
});

describe('readCsv over the tokenizer', () => {
  const file = join(tmpdir(), `densenode-tok-${process.pid}.csv`);

  it('names the line of a ragged row, drops a BOM and keeps a __proto__ column as a column', async () => {
    await writeFile(file, '\uFEFFa,__proto__\n1,2\n3,4,5\n');
    await expect(readCsvTable(file)).rejects.toThrow(/line 3: 3 fields, the header has 2 columns/);
    await writeFile(file, '\uFEFFa,__proto__\n1,2\n');
    const table = await readCsvTable(file);
    expect(table.columns).toEqual(['a', '__proto__']);
    expect(Object.hasOwn(table.records[0] as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(table.records[0])).toBe(Object.prototype);
  });

  it('streams rows with their lines and stops reading when the consumer stops', async () => {
    const lines = ['x,y', ...Array.from({ length: 50_000 }, (_, i) => `${i},"v${i}"`)];
    await writeFile(file, `${lines.join('\n')}\n`);
    const seen: number[] = [];
    for await (const chunk of csvChunks(file)) {
      seen.push(...chunk.lines.slice(0, 3));
      break;
    }
    expect(seen).toEqual([2, 3, 4]);
    let count = 0;
    for await (const chunk of csvChunks(file)) {
      for (const record of chunk.records) {
        expect(record.y).toBe(`v${count}`);
        count++;
      }
    }
    expect(count).toBe(50_000);
  });
});
