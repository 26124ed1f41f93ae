// Training from a CSV larger than memory (dn.csvDataset), on a generated table (stream-data.mjs):
// - reading: csv-parse alone against our tokenizer alone, over the same file;
// - the first pass: fitting the column spec (one streaming pass) and writing the disk cache (a second);
// - a cached epoch against an in-memory epoch on the first rows of the same data (a child process,
//   so this process's peak RSS is the streaming run's), same model and batch size, in rows/s;
// - reopening the file with its fit and cache kept (fitted.json, cache.json);
// - peak RSS and the event-loop delay p99 during the cached epoch.
// Flags: --size 1GB (default; --quick is 100MB), --file PATH (default in the OS temp dir, kept).
import { spawnSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { csvChunks } from '../dist/data/read-csv.js';
import * as dn from '../dist/index.js';
import { printMachine } from './machine.mjs';
import { writeStreamCsv } from './stream-data.mjs';
import { writeResults } from './timing.mjs';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const UNITS = { MB: 2 ** 20, GB: 2 ** 30 };
const sizeText = flag('size') ?? (args.includes('--quick') ? '100MB' : '1GB');
const size = Number.parseFloat(sizeText) * (UNITS[sizeText.replace(/[\d.]/g, '').toUpperCase()] ?? 1);
const file = flag('file') ?? join(tmpdir(), `densenode-stream-${Math.round(size / 2 ** 20)}MB.csv`);
const BATCH = 256;
const IN_MEMORY_ROWS = 500_000;
const seconds = (t0) => (performance.now() - t0) / 1e3;
const mb = (bytes) => bytes / 2 ** 20;

if (process.argv[2] === '--in-memory-child') {
  // The in-memory epoch: the first IN_MEMORY_ROWS training rows gathered into one matrix.
  const data = await dn.csvDataset(file, { cache: `${file}.cache`, seed: 1, validation: 0.05, test: 0.05, batchSize: BATCH });
  const cols = data.spec.features.length;
  const x = new Float32Array(IN_MEMORY_ROWS * cols);
  const y = new Int32Array(IN_MEMORY_ROWS);
  let rows = 0;
  for await (const batch of data.train) {
    const n = Math.min(batch.x.rows, IN_MEMORY_ROWS - rows);
    x.set(batch.x.data.subarray(0, n * cols), rows * cols);
    y.set(batch.y.subarray(0, n), rows);
    rows += n;
    if (rows === IN_MEMORY_ROWS) break;
  }
  const model = dn.mlp([cols, 64, 32, 1], { seed: 1, optimizer: dn.adam({ learningRate: 1e-3 }) });
  const history = await model.fit({ rows, cols, data: x.subarray(0, rows * cols) }, y.subarray(0, rows), { epochs: 2, batchSize: BATCH });
  console.log(JSON.stringify({ rows, rowsPerSecond: history.epochs.map((e) => e.samplesPerSecond) }));
  process.exit(0);
}

const machine = printMachine();
console.log(
  `stream: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} threads, backend ${dn.backendInfo().name} (${dn.backendInfo().isa})`,
);
let t0 = performance.now();
const generated = await writeStreamCsv(file, size);
const bytes = statSync(file).size;
console.log(`data: ${file}, ${mb(bytes).toFixed(0)} MB${generated !== null ? ` (generated in ${seconds(t0).toFixed(0)} s)` : ''}`);

// Reading alone: csv-parse (records as arrays of strings) and our tokenizer (records as objects).
t0 = performance.now();
let parsed = 0;
for await (const _ of createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parse({ bom: true, skip_empty_lines: true }))) parsed++;
const csvParse = { seconds: seconds(t0), rows: parsed - 1 };
t0 = performance.now();
let tokenized = 0;
for await (const chunk of csvChunks(file)) tokenized += chunk.records.length;
const tokenizer = { seconds: seconds(t0), rows: tokenized };

// The first pass: the spec fitted in one streaming pass, then the cache written in another.
const cache = `${file}.cache`;
await rm(cache, { recursive: true, force: true });
const splits = { seed: 1, validation: 0.05, test: 0.05, batchSize: BATCH };
t0 = performance.now();
const fitted = await dn.csvDataset(file, { ...splits, cache: false });
const fitPass = { seconds: seconds(t0) };
t0 = performance.now();
const data = await dn.csvDataset(file, { ...splits, spec: fitted.spec, cache });
const cachePass = { seconds: seconds(t0) };
const rows = data.rows.train + data.rows.validation + data.rows.test;
const cols = data.spec.features.length;

// A cached epoch, timed by fit itself.
const model = dn.mlp([cols, 64, 32, 1], { seed: 1, optimizer: dn.adam({ learningRate: 1e-3 }) });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const history = await model.fit(data.train, { epochs: 2, validationData: data.validation });
delay.disable();
const cached = history.epochs.map((e) => e.samplesPerSecond);
const test = await model.evaluateDataset(data.test);
const peakRss = process.resourceUsage().maxRSS * 1024;

const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--in-memory-child', '--file', file], {
  encoding: 'utf8',
  maxBuffer: 1 << 20,
});
const memory = child.status === 0 ? JSON.parse(child.stdout.trim().split('\n').at(-1)) : null;
if (memory === null) console.error(child.stderr);
// The child opened the file as a user would (no spec): its fit pass is kept (fitted.json), so
// opening it again reads neither the CSV nor the cache's rows.
t0 = performance.now();
await dn.csvDataset(file, { ...splits, cache });
const reopen = { seconds: seconds(t0) };

const best = (values) => Math.max(...values);
const table = [
  ['csv-parse alone', `${(mb(bytes) / csvParse.seconds).toFixed(1)} MB/s`, `${Math.round(csvParse.rows / csvParse.seconds)} rows/s`],
  ['our tokenizer alone', `${(mb(bytes) / tokenizer.seconds).toFixed(1)} MB/s`, `${Math.round(tokenizer.rows / tokenizer.seconds)} rows/s`],
  ['first pass: fit the spec', `${(mb(bytes) / fitPass.seconds).toFixed(1)} MB/s`, `${Math.round(rows / fitPass.seconds)} rows/s`],
  ['first pass: write the cache', `${(mb(bytes) / cachePass.seconds).toFixed(1)} MB/s`, `${Math.round(rows / cachePass.seconds)} rows/s`],
  ['reopen (fit and cache kept)', `${reopen.seconds.toFixed(2)} s`, ''],
  ['cached epoch (2nd of 2)', '', `${Math.round(cached[1])} rows/s`],
  ['in-memory epoch (2nd of 2)', '', memory === null ? 'failed' : `${Math.round(memory.rowsPerSecond[1])} rows/s (${memory.rows} rows)`],
];
for (const [name, a, b] of table) console.log(`${name.padEnd(30)} ${a.padStart(12)} ${b.padStart(28)}`);
const ratio = memory === null ? null : cached[1] / memory.rowsPerSecond[1];
console.log(`cached / in-memory epoch: ${ratio === null ? '—' : `${ratio.toFixed(2)}×`}  (target ≥ 0.8×)`);
console.log(
  `${rows} rows, ${cols} features; test accuracy ${(100 * test.accuracy).toFixed(1)}%; peak RSS ${mb(peakRss).toFixed(0)} MB; ` +
    `event-loop delay during fit p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
);
const out = writeResults('stream', {
  machine,
  cpu: cpus()[0]?.model,
  threads: cpus().length,
  backend: dn.backendInfo(),
  file: { bytes, rows, features: cols },
  csvParse,
  tokenizer,
  fitPass,
  cachePass,
  reopen,
  cachedRowsPerSecond: cached,
  inMemory: memory,
  cachedOverInMemory: ratio,
  bestCached: best(cached),
  testAccuracy: test.accuracy,
  peakRssBytes: peakRss,
  eventLoopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6 },
});
console.log(`wrote ${out}`);
