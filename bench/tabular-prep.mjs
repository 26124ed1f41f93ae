// The tabular data path at scale: a seeded synthetic table (1,000,000 rows by default; numeric
// columns with ~5% missing, categories of 5 to 500 levels with a rare tail, a date, an integer
// and a string ID, a yes/no target) written as a CSV, then rows/s and peak RSS of reading it
// (readCsvTable), fitting the spec (tabular) and applying it (encodeTable). Each phase runs in
// its own process so its peak RSS is its own and not the high-water mark of an earlier phase.
// Flags: --rows=N (a smaller table), --profile (a CPU profile of the fit phase, summarised).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeResults } from './timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const flag = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const TARGET = 'churn';
// A million rows of string records take about 0.8 GiB; a larger --rows would hit V8's default heap cap (~4 GiB).
const HEAP_MIB = 16384;

/** mulberry32: a small seeded generator, so every run writes the same table. */
function generator(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

/** Sampling from weights by binary search over their running sum. */
function sampler(weights, next) {
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    cumulative[i] = sum;
  });
  return () => {
    const u = next() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const zipf = (n, s) => Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);

/** Writes the synthetic table; returns its columns and size. */
function writeTable(file, rows) {
  const { next, normal } = generator(20240601);
  const missing = (rate) => next() < rate;
  const plans = ['basic', 'standard', 'plus', 'premium', 'enterprise'];
  const devices = ['android', 'ios', 'windows', 'mac', 'linux', 'chromeos', 'tv', 'console', 'tablet', 'watch', 'car', 'other'];
  const plan = sampler([40, 30, 15, 10, 5], next);
  const device = sampler(zipf(devices.length, 1), next);
  const product = sampler(zipf(20, 0.8), next);
  const region = sampler(zipf(50, 1), next);
  // 450 cities by Zipf, then 50 that share 0.01% of the rows: rarer than minCount, so (other).
  const city = sampler([...zipf(450, 1.1).map((w) => w * 0.9999), ...new Array(50).fill(0.0001 / 50)], next);
  const cityEffect = Array.from({ length: 500 }, () => normal() * 0.5);
  const start = Date.UTC(2015, 0, 1);
  const span = Date.UTC(2025, 0, 1) - start;
  const columns = ['id', 'order_ref', 'age', 'income', 'score', 'visits', 'tenure', 'plan', 'device', 'product', 'region', 'city'];
  columns.push('signup', TARGET);
  const fd = openSync(file, 'w');
  writeSync(fd, `${columns.join(',')}\n`);
  let bytes = 0;
  let lines = [];
  for (let i = 0; i < rows; i++) {
    const age = 18 + Math.floor(next() * 70);
    const income = Math.exp(10.5 + 0.7 * normal());
    const score = normal();
    const visits = Math.floor(-Math.log(1 - next()) * 6);
    const tenure = next() * 120;
    const p = plan();
    const c = city();
    const logit = 0.03 * (age - 50) - 0.4 * (Math.log(income) - 10.5) + 0.8 * score + 0.3 * (p - 2) + (cityEffect[c] ?? 0) - 0.02 * tenure;
    const label = missing(0.005) ? '' : next() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
    const na = () => (next() < 0.2 ? 'NA' : '');
    const day = new Date(start + Math.floor(next() * (span / 86_400_000)) * 86_400_000).toISOString().slice(0, 10);
    const cells = [
      1_000_000 + i,
      `ORD-${(i * 2_654_435_761) % 4_294_967_291}`,
      missing(0.05) ? na() : age,
      missing(0.05) ? na() : income.toFixed(2),
      missing(0.05) ? na() : score.toFixed(4),
      missing(0.05) ? na() : visits,
      missing(0.05) ? na() : tenure.toFixed(1),
      plans[p],
      missing(0.05) ? '' : devices[device()],
      missing(0.05) ? '' : `"Widget ${product() + 1}, size ${1 + (i % 3)}"`,
      `Region ${region() + 1}`,
      `City ${c + 1}`,
      missing(0.03) ? '' : day,
      label,
    ];
    lines.push(cells.join(','));
    if (lines.length === 10_000 || i === rows - 1) {
      const text = `${lines.join('\n')}\n`;
      bytes += writeSync(fd, text);
      lines = [];
    }
  }
  closeSync(fd);
  return { columns, bytes };
}

const mib = (kib) => kib / 1024;
const peakMiB = () => mib(process.resourceUsage().maxRSS);
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

/** One phase in this process: prints one JSON line with its seconds and memory. */
async function runPhase(phase, csv, specFile) {
  const { readCsvTable } = await import('../dist/data/read-csv.js');
  const { encodeTable, tabular } = await import('../dist/data/tabular.js');
  const out = {};
  let t0 = performance.now();
  const table = await readCsvTable(csv);
  out.readSeconds = (performance.now() - t0) / 1e3;
  out.rows = table.records.length;
  out.rssAfterReadMiB = rssMiB();
  out.peakAfterReadMiB = peakMiB();
  if (phase === 'fit') {
    t0 = performance.now();
    let fitted = tabular(table.records, { target: TARGET, columns: table.columns });
    out.tabularSeconds = (performance.now() - t0) / 1e3;
    out.peakAfterTabularMiB = peakMiB();
    out.features = fitted.spec.features.length;
    out.droppedRows = fitted.droppedRows;
    out.notices = fitted.notices;
    out.kinds = fitted.spec.columns.map((c) => `${c.name}: ${c.kind}${c.kind === 'dropped' ? ` (${c.reason})` : ''}`);
    writeFileSync(specFile, JSON.stringify(fitted.spec));
    const { spec } = fitted;
    // Let its matrix go, so the second encoding does not stand on top of the first.
    fitted = null;
    t0 = performance.now();
    const encoded = encodeTable(spec, table.records);
    out.encodeSeconds = (performance.now() - t0) / 1e3;
    out.matrixMiB = encoded.x.data.byteLength / 2 ** 20;
  } else if (phase === 'encode') {
    const spec = JSON.parse(readFileSync(specFile, 'utf8'));
    t0 = performance.now();
    const encoded = encodeTable(spec, table.records);
    out.encodeSeconds = (performance.now() - t0) / 1e3;
    out.matrixMiB = encoded.x.data.byteLength / 2 ** 20;
  }
  out.peakMiB = peakMiB();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function child(phase, csv, specFile, extra = []) {
  const args = [`--max-old-space-size=${HEAP_MIB}`, ...extra, fileURLToPath(import.meta.url), `--phase=${phase}`, `--csv=${csv}`];
  const run = spawnSync(process.execPath, [...args, `--spec=${specFile}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !last.startsWith('{')) throw new Error(`the ${phase} phase failed (exit ${run.status ?? run.signal})`);
  return JSON.parse(last);
}

/** Self time per function of a .cpuprofile, largest first. */
function profileSummary(file, top = 15) {
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  samples.forEach((id, i) => {
    const dt = timeDeltas[i] ?? 0;
    total += dt;
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const path = url.startsWith('file:') ? relative(join(here, '..'), fileURLToPath(url)) : url;
    const where = path === '' ? '' : ` ${path}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, seconds: us / 1e6, share: us / total }));
}

async function main() {
  // Imported here, not at the top: each phase's child runs this file and needs no FMA peak.
  const machine = (await import('./machine.mjs')).printMachine();
  const rows = Number(flag('rows') ?? 1_000_000);
  if (!(Number.isInteger(rows) && rows >= 1000)) throw new Error(`--rows must be an integer >= 1000, received ${flag('rows')}`);
  const profile = process.argv.includes('--profile');
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const dir = mkdtempSync(join(tmpdir(), 'densenode-tabular-'));
  try {
    const csv = join(dir, 'table.csv');
    const specFile = join(dir, 'spec.json');
    let t0 = performance.now();
    const { columns, bytes } = writeTable(csv, rows);
    const generateSeconds = (performance.now() - t0) / 1e3;
    console.log(
      `tabular: ${rows.toLocaleString('en-US')} rows × ${columns.length} columns, ${(bytes / 2 ** 20).toFixed(0)} MiB CSV ` +
        `(written in ${generateSeconds.toFixed(1)} s); ${cpu}, ${cpus().length} threads, Node ${process.version}`,
    );
    t0 = performance.now();
    const read = child('read', csv, specFile);
    const profileDir = join(here, 'results', 'tabular-profile');
    const fit = child('fit', csv, specFile, profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    const encode = child('encode', csv, specFile);
    const wallSeconds = (performance.now() - t0) / 1e3;
    const fitSeconds = fit.tabularSeconds - fit.encodeSeconds;
    const phases = [
      { phase: 'read CSV (readCsvTable)', seconds: read.readSeconds, peakMiB: read.peakMiB },
      { phase: 'tabular() = fit + encode', seconds: fit.tabularSeconds, peakMiB: fit.peakAfterTabularMiB },
      { phase: '  fit alone (difference)', seconds: fitSeconds, peakMiB: null },
      { phase: 'apply (encodeTable)', seconds: encode.encodeSeconds, peakMiB: encode.peakMiB },
    ].map((p) => ({ ...p, rowsPerSecond: rows / p.seconds }));
    console.log(`\n${'phase'.padEnd(26)}${'seconds'.padStart(9)}${'rows/s'.padStart(12)}${'peak RSS'.padStart(12)}`);
    for (const p of phases)
      console.log(
        `${p.phase.padEnd(26)}${p.seconds.toFixed(2).padStart(9)}${Math.round(p.rowsPerSecond).toLocaleString('en-US').padStart(12)}${
          p.peakMiB === null ? '-'.padStart(12) : `${p.peakMiB.toFixed(0)} MiB`.padStart(12)
        }`,
      );
    console.log(
      `records in memory after the read: ${read.rssAfterReadMiB.toFixed(0)} MiB RSS; encoded matrix ${fit.features} features, ` +
        `${encode.matrixMiB.toFixed(0)} MiB; ${fit.droppedRows} rows without a target dropped; each phase's peak includes its read`,
    );
    for (const n of fit.notices) console.log(`  ${n.column}: ${n.message}`);
    let hotspots = null;
    if (profile) {
      const file = readdirSync(profileDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
        .at(-1);
      hotspots = profileSummary(join(profileDir, file));
      console.log(`\nfit-phase CPU profile (read + tabular + encodeTable), self time: ${relative('.', join(profileDir, file))}`);
      for (const h of hotspots)
        console.log(`  ${(100 * h.share).toFixed(1).padStart(5)}%  ${h.seconds.toFixed(2).padStart(6)} s  ${h.name}`);
    }
    const result = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine,
      cpu,
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      table: { rows, columns, csvBytes: bytes, features: fit.features, droppedRows: fit.droppedRows },
      phases,
      rssAfterReadMiB: read.rssAfterReadMiB,
      matrixMiB: encode.matrixMiB,
      notices: fit.notices,
      wallSeconds,
      hotspots,
    };
    console.log(`\nwrote ${writeResults('tabular', result)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const phase = flag('phase');
try {
  if (phase !== undefined) await runPhase(phase, flag('csv'), flag('spec'));
  else await main();
} catch (error) {
  console.error(`tabular: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
