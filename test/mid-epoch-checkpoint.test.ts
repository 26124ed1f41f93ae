// fit({ checkpoint: { everySteps } }): checkpoints in the middle of an epoch, and resumeFrom one
// continuing at the right batch of the right epoch: a run stopped a few steps after a mid-epoch
// checkpoint and resumed ends with the weights of an uninterrupted run, bit for bit — in memory
// (the epoch's shuffle drawn again), from a source (the batches already trained on skipped), with
// dropout (the PRNG after the step), and in a worker.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { breastCancer } from './helpers/datasets.js';

const root = mkdtempSync(join(tmpdir(), 'densenode-mid-epoch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `c${dirs++}`);
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));

function makeModel(seed = 5): dn.Model {
  const model = dn.sequential({
    inputs: 30,
    seed,
    layers: [
      dn.dense(16, { useBias: false }),
      dn.batchNorm(),
      dn.relu(),
      dn.dropout(0.3),
      dn.dense(8),
      dn.tanh(),
      dn.dense(1),
      dn.sigmoid(),
    ],
  });
  return model.compile({
    loss: 'binaryCrossEntropy',
    optimizer: dn.adam({ learningRate: dn.cosineDecay({ initial: 0.01, decaySteps: 200 }) }),
    l2: 1e-3,
    metrics: ['accuracy', 'auc', 'precision'],
  });
}

const data = breastCancer();
const rows = data.xTrain.length;
// A deterministic source of uneven batches (37 rows, the rest last).
const source = () => {
  const out: dn.SourceBatch[] = [];
  for (let at = 0; at < rows; at += 37) {
    const end = Math.min(rows, at + 37);
    out.push({ x: data.xTrain.slice(at, end), y: data.yTrain.slice(at, end) });
  }
  return out;
};

type Input = 'memory' | 'source';
async function fitOn(model: dn.Model, input: Input, options: dn.FitOptions): Promise<dn.History> {
  return input === 'memory' ? model.fit(data.xTrain, data.yTrain, { batchSize: 50, ...options }) : model.fit(source, options);
}

/** Stops once `after` steps are done (in a worker the stop lands a step or two later). */
const stopAfter = (after: number): dn.Callback => {
  let steps = 0;
  return { onBatchEnd: () => (++steps >= after ? 'stop' : undefined) };
};

describe('mid-epoch checkpoints', () => {
  for (const input of ['memory', 'source'] as const) {
    for (const worker of [false, true]) {
      it(`${input}${worker ? ', in a worker' : ''}: stopped after a mid-epoch checkpoint and resumed, it ends as an uninterrupted run`, async () => {
        const whole = makeModel();
        const expected = await fitOn(whole, input, { epochs: 3 });
        const dir = freshDir();
        // 10 steps an epoch in memory (50 rows), 13 from the source: a checkpoint every 4 steps, a stop at 14.
        const stopped = await fitOn(makeModel(), input, {
          epochs: 3,
          worker,
          checkpoint: { dir, everySteps: 4 },
          callbacks: [stopAfter(14)],
        });
        expect(stopped.stopReason).toBe('callback');
        const saved = manifestOf(dir).checkpoint;
        const perEpoch = Math.ceil(rows / (input === 'memory' ? 50 : 37));
        expect(saved.within.step).toBeGreaterThan(0);
        expect(saved.epoch * perEpoch + saved.within.step).toBe(saved.optimizerStep);
        expect(saved.optimizerStep % 4).toBe(0);
        expect(saved.within.epochRandom).toHaveLength(4);
        // Any seed: the checkpoint replaces the whole state.
        const resumed = makeModel(99);
        const history = await fitOn(resumed, input, { epochs: 3, worker, resumeFrom: dir });
        expect(history.epochs.map((e) => e.epoch)).toEqual([saved.epoch, ...[1, 2].filter((e) => e > saved.epoch)]);
        expect(resumed.params).toEqual(whole.params);
        expect(resumed.state).toEqual(whole.state);
        expect(resumed.compiled?.optimizer.step).toBe(whole.compiled?.optimizer.step);
        // The resumed epoch's logs cover the whole epoch (the partial loss and the metrics' state were saved).
        for (const key of ['loss', 'accuracy', 'auc', 'precision'])
          expect(history.history[key], key).toEqual(expected.history[key]?.slice(saved.epoch));
      }, 60_000);
    }
  }

  it('a regression with mae, r2 and a custom metric resumes its epoch logs exactly too', async () => {
    const x = Array.from({ length: 90 }, (_, i) => [Math.sin(i), Math.cos(i * 0.3)]);
    const y = x.map((r) => [(r[0] as number) * 2 - (r[1] as number)]);
    const meanOutput = (_t: dn.Matrix, p: dn.Matrix) => p.data[0] as number;
    const make = (seed = 2) =>
      dn
        .sequential({ inputs: 2, seed, layers: [dn.dense(8), dn.relu(), dn.dropout(0.1), dn.dense(1)] })
        .compile({ loss: 'meanSquaredError', optimizer: dn.sgd({ learningRate: 0.05 }), metrics: ['mae', 'r2', meanOutput] });
    const whole = make();
    const expected = await whole.fit(x, y, { epochs: 2, batchSize: 8 });
    const dir = freshDir();
    await make().fit(x, y, { epochs: 2, batchSize: 8, checkpoint: { dir, everySteps: 5 }, callbacks: [stopAfter(7)] });
    expect(manifestOf(dir).checkpoint.within.step).toBe(5);
    const resumed = make(8);
    const history = await resumed.fit(x, y, { epochs: 2, batchSize: 8, resumeFrom: dir });
    expect(resumed.params).toEqual(whole.params);
    for (const key of ['loss', 'mae', 'r2', 'meanOutput']) expect(history.history[key], key).toEqual(expected.history[key]);
    // Other metrics than the checkpoint's: refused by name rather than logged wrong.
    const other = make().compile({ loss: 'meanSquaredError', optimizer: dn.sgd({ learningRate: 0.05 }), metrics: ['mae'] });
    await expect(other.fit(x, y, { epochs: 2, batchSize: 8, resumeFrom: dir })).rejects.toThrow(
      "the checkpoint's metric state does not fit",
    );
  });

  it('a run killed (SIGKILL) after a mid-epoch checkpoint resumes to the uninterrupted weights', async () => {
    const script = new URL('./fixtures/mid-epoch-run.mjs', import.meta.url).pathname;
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr).toBe('');
      return r.status;
    };
    // In process from arrays (slowed by onBatchEnd); in a worker from a slow source.
    for (const [round, flags] of [[], ['worker', 'source']].entries()) {
      const wholeFile = join(root, `whole-${round}.json`);
      expect(run(['whole', wholeFile, ...flags])).toBe(0);
      const dir = freshDir();
      const child = spawn(process.execPath, [script, 'checkpoint', dir, ...flags], { stdio: 'ignore' });
      // Kill once a mid-epoch checkpoint of epoch 1 is on disk, a little after (the next steps run on).
      for (;;) {
        await new Promise((r) => setTimeout(r, 10));
        if (!existsSync(join(dir, 'model.json'))) continue;
        const at = manifestOf(dir).checkpoint;
        if (at.epoch === 1 && at.within !== undefined) break;
      }
      await new Promise((r) => setTimeout(r, 40));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(manifestOf(dir).checkpoint.within.step).toBeGreaterThan(0);
      const resumedFile = join(root, `resumed-${round}.json`);
      expect(run(['resume', dir, resumedFile, ...flags])).toBe(0);
      expect(readFileSync(resumedFile, 'utf8') === readFileSync(wholeFile, 'utf8'), flags.join(' ')).toBe(true);
    }
  }, 120_000);

  it('with every as well, both; a step checkpoint on an epoch end is the epoch checkpoint', async () => {
    const dir = freshDir();
    const epochDir = freshDir();
    // 10 steps an epoch: step 10 of a 5-step rhythm is the end of epoch 0.
    await makeModel().fit(data.xTrain, data.yTrain, { batchSize: 50, epochs: 1, checkpoint: { dir, everySteps: 5 } });
    expect(manifestOf(dir).checkpoint.within).toBeUndefined();
    expect(manifestOf(dir).checkpoint.epoch).toBe(0);
    await makeModel().fit(data.xTrain, data.yTrain, {
      batchSize: 50,
      epochs: 2,
      checkpoint: { dir: epochDir, every: 'epoch', everySteps: 7 },
      callbacks: [stopAfter(15)],
    });
    // Epoch 0 ended (a full checkpoint), then step 14 = epoch 1, step 4.
    expect(manifestOf(epochDir).checkpoint).toMatchObject({ epoch: 1, optimizerStep: 14, within: { step: 4 } });
  });

  it('refuses a bad everySteps, a misspelt key, and a resume whose data has fewer steps per epoch', async () => {
    const model = makeModel();
    await expect(model.fit(data.xTrain, data.yTrain, { checkpoint: { dir: freshDir(), everySteps: 0 } })).rejects.toThrow(
      'fit: expected an integer >= 1 for checkpoint.everySteps, received 0',
    );
    await expect(
      model.fit(data.xTrain, data.yTrain, { checkpoint: { dir: freshDir(), everystep: 2 } as unknown as dn.FitOptions['checkpoint'] }),
    ).rejects.toThrow(/checkpoint/);
    const dir = freshDir();
    await makeModel().fit(data.xTrain, data.yTrain, {
      batchSize: 50,
      epochs: 2,
      checkpoint: { dir, everySteps: 8 },
      callbacks: [stopAfter(8)],
    });
    expect(manifestOf(dir).checkpoint.within.step).toBe(8);
    await expect(makeModel().fit(data.xTrain, data.yTrain, { batchSize: 100, epochs: 2, resumeFrom: dir })).rejects.toThrow(
      'the checkpoint was taken at step 8 of an epoch, this data has 5 steps per epoch',
    );
    // A source shorter than the checkpoint's position.
    const short = () => source().slice(0, 3);
    await expect(makeModel().fit(short, { epochs: 2, resumeFrom: dir })).rejects.toThrow('the source ended 5 batches before');
  });
});
