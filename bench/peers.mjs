#!/usr/bin/env node
// `npm run bench -- peers`: densenode (native on 1 and all threads, and the JS fallback) against
// TensorFlow.js (cpu and wasm backends) and brain.js on three workloads; each workload × system
// runs in its own child process (bench/peers/worker.mjs) so its peak RSS is its own. Writes
// bench/results/peers.{json,md,svg} and prints the tables and the PASS/FAIL target lines.
//
// Environment knobs (defaults: the full run, ~15 minutes on 2 idle cores):
//   PEERS_WORKLOADS  comma list of fmnist, cancer, gemm-bound (default all)
//   PEERS_SYSTEMS    comma list of native-all, native-1, js, tfjs-cpu, tfjs-wasm, brain, brain-sgd (default all)
//   PEERS_EPOCHS     epochs of every trained (not extrapolated) row (default: fmnist 5, cancer 200)
//   PEERS_BATCHES    batches timed for every extrapolated row (default per row, see bench/peers/config.mjs)
//   PEERS_WARMUP     untimed batches before those (default 2; brain.js always warms up on 32 samples)
//   PEERS_FULL       systems to train fully on fmnist instead of extrapolating, e.g. tfjs-cpu (5 epochs: ~15 min more)
//   PEERS_ROWS       cap on training and test rows, for smoke runs (marks the report as a smoke run)
//   PEERS_TIMEOUT    seconds before a child is killed (default 1800)
//   PEERS_REPEAT     runs of each densenode native row, spread over the benchmark; the median counts (default 3)
//   PEERS_SEEDS      extra seeds native (all threads) trains on fmnist for the accuracy spread (default 4, 0 = none)
//   FASHION_MNIST_DIR  where the IDX files are (default /usr/share/datasets/fashion-mnist)
//
// `node bench/peers.mjs --update-readme [--force]` copies bench/results/peers.md into README.md
// between <!-- peers:begin --> and <!-- peers:end -->, and peers.svg to docs/peers.svg; it refuses
// a smoke run or a run with a failed row unless --force.
import { fork } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PEERS_ENV, planFor, readKnobs, SYSTEMS, WORKLOADS } from './peers/config.mjs';
import { fashionMnistMissing } from './peers/data.mjs';
import { addRatios, chartSvg, checkTargets, markdown, ratio, seconds } from './peers/report.mjs';
import { writeResults } from './timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const resultsDir = join(here, 'results');
const BEGIN = '<!-- peers:begin -->';
const END = '<!-- peers:end -->';

function updateReadme(force) {
  const md = join(resultsDir, 'peers.md');
  const svg = join(resultsDir, 'peers.svg');
  if (!existsSync(md) || !existsSync(svg))
    throw new Error('bench/results/peers.md or peers.svg is missing; run `npm run bench -- peers` first');
  const run = JSON.parse(readFileSync(join(resultsDir, 'peers.json'), 'utf8'));
  const failed = run.rows.filter((r) => r.error).map((r) => `${r.workload}/${r.system}`);
  if (!force && (run.meta.smoke || failed.length > 0)) {
    const why = run.meta.smoke ? `a smoke run (${run.meta.smoke})` : `a run with failed rows (${failed.join(', ')})`;
    throw new Error(`bench/results/peers.md is from ${why}; rerun in full, or pass --force`);
  }
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  // README.md sits at the root, the chart in docs/.
  const block = readFileSync(md, 'utf8').trim().replace('](peers.svg)', '](docs/peers.svg)');
  writeFileSync(readmePath, `${readme.slice(0, begin + BEGIN.length)}\n${block}\n${readme.slice(end)}`);
  copyFileSync(svg, join(root, 'docs', 'peers.svg'));
  console.log(`peers: README.md updated from the run of ${run.meta.date}; docs/peers.svg copied`);
}

/** Runs one job in a child; resolves to its result row, or a row with `error`. */
function runChild(job, timeoutSeconds) {
  return new Promise((resolve) => {
    const child = fork(join(here, 'peers', 'worker.mjs'), [JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let message = null;
    child.on('message', (m) => {
      message = m;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1e3);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const base = { workload: job.workload, system: job.system, mode: job.mode };
      if (message?.ok) resolve({ ...base, ...message.result });
      else {
        const why =
          message?.error ?? (signal === 'SIGKILL' ? `killed after ${timeoutSeconds} s (PEERS_TIMEOUT)` : `exited with ${code ?? signal}`);
        resolve({ ...base, error: why, output });
      }
    });
  });
}

function versionOf(name) {
  try {
    return createRequire(import.meta.url)(`${name}/package.json`).version;
  } catch {
    return 'not installed';
  }
}

function commandLine() {
  const env = PEERS_ENV.filter((k) => process.env[k] !== undefined && process.env[k] !== '').map((k) => `${k}=${process.env[k]}`);
  const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench -- peers' : 'node bench/peers.mjs';
  return [...env, command].join(' ');
}

function printTable(rows, workload) {
  console.log(`\n${workload}: ${WORKLOADS[workload].title}`);
  console.log(
    `${'system'.padEnd(34)} ${'s/epoch'.padStart(9)} ${'samples/s'.padStart(10)} ${'test acc'.padStart(9)} ${'peak RSS'.padStart(9)} ${'×native'.padStart(8)}  measured`,
  );
  for (const row of rows.filter((r) => r.workload === workload)) {
    const name = SYSTEMS[row.system].label.padEnd(34);
    if (row.error) {
      console.log(`${name} failed: ${row.error.split('\n')[0]}`);
      continue;
    }
    const acc = row.testAccuracy === null ? 'n/a' : `${(100 * row.testAccuracy).toFixed(2)}%`;
    const how = row.mode === 'full' ? `${row.epochs} epochs` : `extrapolated from ${row.measuredSamples} samples`;
    console.log(
      `${name} ${seconds(row.secondsPerEpoch).padStart(9)} ${Math.round(row.samplesPerSecond).toString().padStart(10)} ${acc.padStart(9)} ` +
        `${`${row.peakRssMiB.toFixed(0)} MiB`.padStart(9)} ${ratio(row.ratio).padStart(8)}  ${how}`,
    );
  }
}

/**
 * Every workload × system once, in order, plus PEERS_REPEAT − 1 more runs of each densenode native
 * row spread evenly over the list: a native row takes seconds, a peer's minutes, and on a shared
 * VM the machine's speed drifts over minutes, so one short run would sample a single moment.
 */
function schedule(workloads, knobs) {
  const jobs = [];
  for (const workload of workloads) {
    for (const system of knobs.systems) jobs.push({ workload, system, rows: knobs.rows, ...planFor(workload, system, knobs) });
  }
  const natives = jobs.filter((j) => j.system.startsWith('native'));
  const out = [...jobs];
  for (let k = knobs.repeat - 1; k >= 1; k--) {
    // The k-th extra pass goes k/(repeat − 1) of the way through the list: with 3 runs, the middle and the end.
    const at = Math.round((jobs.length * k) / (knobs.repeat - 1));
    const anchor = jobs[Math.min(at, jobs.length - 1)];
    const index = at >= jobs.length ? out.length : out.indexOf(anchor);
    out.splice(index, 0, ...natives.map((j) => ({ ...j, seeds: 0, repeat: k })));
  }
  return out;
}

/** Folds the repeated runs of a row into its first one: the median seconds per epoch, every run listed. */
function mergeRepeats(rows) {
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i];
    if (!row.repeat) continue;
    rows.splice(i, 1);
    const first = rows.find((r) => r.workload === row.workload && r.system === row.system && !r.repeat);
    if (!first || first.error || row.error) continue;
    first.runSeconds ??= [first.secondsPerEpoch];
    first.runSeconds.push(row.secondsPerEpoch);
    first.peakRssMiB = Math.max(first.peakRssMiB, row.peakRssMiB);
  }
  for (const row of rows) {
    if (!row.runSeconds) continue;
    const sorted = [...row.runSeconds].sort((a, b) => a - b);
    row.secondsPerEpoch = sorted[(sorted.length - 1) >> 1];
    row.samplesPerSecond = row.trainRows / row.secondsPerEpoch;
  }
}

async function main() {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing; run `npm run build` first');
  const knobs = readKnobs();
  const missing = fashionMnistMissing();
  let workloads = knobs.workloads;
  if (missing) {
    console.log(`peers: ${missing}; running the cancer workload only`);
    workloads = workloads.filter((name) => WORKLOADS[name].data !== 'fmnist');
  }
  const { backendInfo } = await import('../dist/index.js');
  // Imported once dist/ is known to exist (machine.mjs reads backendInfo from it).
  const machine = (await import('./machine.mjs')).printMachine();
  const native = backendInfo();
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    densenode: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
    nativeIsa: native.name === 'native' ? `native kernels: ${native.isa}` : `native addon not loaded: ${native.reason}`,
    tfjs: versionOf('@tensorflow/tfjs'),
    brain: versionOf('brain.js'),
    knobs,
    workloads,
    smoke: knobs.rows ? `${knobs.rows} rows` : null,
    loadStart: loadavg()[0],
    machine,
  };
  console.log(`peers: ${meta.command} on ${meta.cpu} (${meta.cores} threads), load average ${meta.loadStart.toFixed(2)}`);
  const rows = [];
  const started = performance.now();
  for (const job of schedule(workloads, knobs)) {
    const { workload, system } = job;
    {
      const plan =
        (job.mode === 'full' ? `${job.epochs} epochs` : `${job.batches} batch(es) after ${job.warmup} warm-up, extrapolated`) +
        (job.repeat ? ` (run ${job.repeat + 1})` : '');
      process.stdout.write(`  ${workload.padEnd(10)} ${SYSTEMS[system].label.padEnd(34)} ${plan.padEnd(44)} `);
      const t0 = performance.now();
      const row = await runChild(job, knobs.timeout);
      if (job.repeat) row.repeat = job.repeat;
      const wall = ((performance.now() - t0) / 1e3).toFixed(1);
      if (row.error) {
        console.log(`FAILED after ${wall} s\n${row.error}\n${row.output ?? ''}`);
        delete row.output;
      } else {
        console.log(`${seconds(row.secondsPerEpoch).padStart(8)} s/epoch  (${wall} s)`);
      }
      rows.push(row);
    }
  }
  meta.loadEnd = loadavg()[0];
  meta.totalSeconds = (performance.now() - started) / 1e3;
  mergeRepeats(rows);
  addRatios(rows);
  const targets = workloads.includes('fmnist') ? checkTargets(rows) : [];
  const run = { meta, rows, targets };
  for (const workload of workloads) printTable(rows, workload);
  if (targets.length > 0) {
    console.log(meta.smoke ? `\nTargets (smoke run on ${meta.smoke}: not representative)` : '\nTargets');
    for (const t of targets) console.log(`${t.status.padEnd(4)}  ${t.text}`);
  }
  const json = writeResults('peers', run);
  writeFileSync(join(resultsDir, 'peers.md'), markdown(run));
  writeFileSync(join(resultsDir, 'peers.svg'), await chartSvg(run));
  console.log(`\nwrote ${json}, peers.md and peers.svg beside it (${(meta.totalSeconds / 60).toFixed(1)} min)`);
  return rows.some((r) => r.error) ? 1 : 0;
}

try {
  if (process.argv.includes('--update-readme')) {
    updateReadme(process.argv.includes('--force'));
  } else {
    process.exitCode = await main();
  }
} catch (error) {
  console.error(`peers: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
