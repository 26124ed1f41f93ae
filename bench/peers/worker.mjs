// One workload × system in its own process, so peak RSS (maxRSS) belongs to that system alone.
// Started by bench/peers.mjs with the job as JSON in argv[2]; sends its result over IPC.
import { performance } from 'node:perf_hooks';
import { WORKLOADS } from './config.mjs';
import { loadData } from './data.mjs';
import { steadyEpochSeconds } from './timing.mjs';

const job = JSON.parse(process.argv[2]);
const w = WORKLOADS[job.workload];

async function create(system, data) {
  if (system.startsWith('tfjs')) return (await import('./tfjs.mjs')).createTfjs(system, w, data);
  if (system.startsWith('brain')) return (await import('./brain.mjs')).createBrain(system, w, data);
  return (await import('./densenode.mjs')).createDensenode(system, w, data);
}

async function main() {
  const data = await loadData(w.data, job.rows);
  const runner = await create(job.system, data);
  const started = performance.now();
  const result = { workload: job.workload, system: job.system, mode: job.mode, info: runner.info, notes: runner.notes };
  result.trainRows = data.xTrain.rows;
  result.testRows = data.xTest.rows;
  if (job.mode === 'full') {
    const { epochSeconds } = await runner.full(job.epochs);
    result.epochs = job.epochs;
    result.epochSeconds = epochSeconds;
    result.secondsPerEpoch = steadyEpochSeconds(epochSeconds);
    result.testAccuracy = await runner.evaluate();
    if (job.seeds > 0 && runner.seedAccuracies) result.seedAccuracies = await runner.seedAccuracies(job.seeds, job.epochs);
  } else {
    const { seconds, samples, warmupSamples, batchSeconds } = await runner.batches(job.warmup, job.batches);
    result.warmupSamples = warmupSamples;
    if (batchSeconds) result.batchSeconds = batchSeconds;
    result.measuredBatches = job.batches;
    result.measuredSamples = samples;
    result.measuredSeconds = seconds;
    result.secondsPerEpoch = (seconds / samples) * data.xTrain.rows;
    result.testAccuracy = null;
  }
  result.samplesPerSecond = data.xTrain.rows / result.secondsPerEpoch;
  result.wallSeconds = (performance.now() - started) / 1e3;
  // maxRSS is in KiB: the peak of this process, data loading included.
  result.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  return result;
}

let message;
try {
  message = { ok: true, result: await main() };
} catch (error) {
  message = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
// Exit once the message is out: TF.js and the native thread pool may keep the process alive.
process.send(message, undefined, {}, () => process.exit(0));
