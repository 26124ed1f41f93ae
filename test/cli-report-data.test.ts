// The Data section of report.html, from `densenode train` run as a user runs it (bin/ over the
// built dist/) on a small CSV with an ID column, a constant column, categories with a long and a
// rare tail, missing cells, unlabelled rows, and names and levels that are HTML.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../lib/random.js';

const bin = fileURLToPath(new URL('../bin/densenode.cjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'densenode-report-data-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ROWS = 400;
const HOSTILE_LEVEL = '<img src=x onerror=alert(1)>';
// Which rows miss what, by index, so the expected counts are known exactly.
const noLabel = (i: number) => i % 50 === 7;
const noAge = (i: number) => i % 10 === 3;
const noColour = (i: number) => i % 16 === 5;
const noScript = (i: number) => i % 25 === 1;

function tableCsv(): string {
  const random = new Random(5);
  const colours = ['red', 'green', HOSTILE_LEVEL];
  const lines = ['id,<script>,age,colour,city,const,label'];
  for (let i = 0; i < ROWS; i++) {
    const age = 20 + Math.floor(random.uniform() * 50);
    const script = random.normal().toFixed(3);
    // 30 cities of about 13 rows each, and every 100th row a city of its own (rarer than --min-count).
    const city = i % 100 === 99 ? `Lonely ${i}` : `City ${i % 30}`;
    const label = age + 10 * random.normal() > 45 ? 'yes' : 'no';
    lines.push(
      [
        i + 1,
        noScript(i) ? '' : script,
        noAge(i) ? 'NA' : age,
        noColour(i) ? '' : colours[i % 3],
        city,
        'same',
        noLabel(i) ? '' : label,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function train(out: string, extra: string[]) {
  const run = spawnSync(process.execPath, [bin, 'train', join(work, 'table.csv'), '--out', out, '--epochs', '3', ...extra], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return { stdout: run.stdout, html: readFileSync(join(out, 'report.html'), 'utf8') };
}

const escaped = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The data table's cells for one column (by its raw name), the row heading first. */
function columnRow(html: string, name: string): string[] {
  const start = html.indexOf(`<th scope="row"><code>${escaped(name)}</code></th>`);
  expect(start, `no row for column ${name}`).toBeGreaterThan(0);
  const row = html.slice(start, html.indexOf('</tr>', start));
  return Array.from(row.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g), (m) => m[1] as string);
}

const labelled = Array.from({ length: ROWS }, (_, i) => i).filter((i) => !noLabel(i));
const countOf = (missing: (i: number) => boolean) => labelled.filter(missing).length;

describe('report.html: the Data section', () => {
  let all: { stdout: string; html: string };
  beforeAll(() => {
    writeFileSync(join(work, 'table.csv'), tableCsv());
    // No held-out splits: every labelled row is a training row, so the counts are the file's.
    all = train(join(work, 'all'), ['--validation', '0', '--test', '0']);
  });

  it('types every raw column and counts its missing cells in the training split', () => {
    const { html } = all;
    expect(html).toContain('<h2>Data</h2>');
    expect(html).toContain('6 columns besides the label (2 numeric, 2 categorical, 2 dropped)');
    const [, type, missing, features] = columnRow(html, 'age');
    expect(type).toBe('numeric');
    expect(missing).toBe(`${countOf(noAge)} (${((100 * countOf(noAge)) / labelled.length).toFixed(2)}%)`);
    expect(features).toBe('2'); // the value and its missing indicator
    expect(columnRow(html, '<script>').slice(1, 3)).toEqual([
      'numeric',
      `${countOf(noScript)} (${((100 * countOf(noScript)) / labelled.length).toFixed(2)}%)`,
    ]);
    const colour = columnRow(html, 'colour');
    expect(colour[1]).toBe('categorical');
    expect(colour[2]).toMatch(new RegExp(`^${countOf(noColour)} \\(`));
    expect(colour[3]).toBe('5'); // three levels, (other), (missing)
  });

  it('says which columns were dropped and why, with no count it cannot know', () => {
    const id = columnRow(all.html, 'id');
    expect(id[1]).toBe('dropped: ID-like');
    expect(id[2]).toBe('—');
    expect(id[3]).toBe('0');
    expect(id[5]).toContain('ID-like: distinct integers in every row');
    const constant = columnRow(all.html, 'const');
    expect(constant[1]).toBe('dropped: constant');
    expect(constant[2]).toBe('0');
    expect(constant[5]).toContain(escaped("constant: every row is 'same'"));
  });

  it('lists up to 20 kept levels, counts the rest and the rows in (other)', () => {
    const levels = columnRow(all.html, 'city')[4] as string;
    expect(levels.match(/<code class="level"/g)).toHaveLength(20);
    expect(levels).toContain('… 10 more');
    expect(levels).not.toContain('Lonely');
    const rare = labelled.filter((i) => i % 100 === 99).length;
    expect(levels).toContain(`(other): ${rare} rows`);
    expect(columnRow(all.html, 'colour')[4]).toContain(`>${escaped(HOSTILE_LEVEL)}</code>`);
  });

  it('reports the label and the rows left out for a missing label', () => {
    const dropped = ROWS - labelled.length;
    expect(all.html).toMatch(/<p>Label <code>label<\/code>: 2 classes, <code class="level" title="no">no<\/code>/);
    expect(all.html).toContain(`${dropped} rows without a label left out`);
    expect(all.html).toContain(`fitted on ${labelled.length} training rows`);
  });

  it('escapes column names and levels, and stays one well-formed file', () => {
    const { html } = all;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('<code>&#60;script&#62;</code>');
    expect(html).toContain(escaped(HOSTILE_LEVEL));
    expect(XMLValidator.validate(html)).toBe(true);
    expect(html).not.toMatch(/\s(?:src|href)="(?:https?:)?\/\//);
  });

  it('counts the missing cells of the training split only, as the command line says', () => {
    const { stdout, html } = train(join(work, 'split'), []);
    const said = Number(/age: numeric; (\d+) missing/.exec(stdout)?.[1]);
    expect(said).toBeGreaterThan(0);
    expect(said).toBeLessThan(countOf(noAge));
    expect(columnRow(html, 'age')[2]).toMatch(new RegExp(`^${said} \\(`));
    const rows = Number(/table\.csv: (\d+) train/.exec(stdout)?.[1]);
    expect(html).toContain(`fitted on ${rows} training rows`);
  });
});
