// The public surface checks what a Keras user types, at the call: unknown or
// misspelt options, string choices, dense(units, { activation }), optimizer
// names, earlyStopping's monitor, the schedules, and Model as a runtime export.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const x = dn.matrix([
  [0, 1],
  [1, 0],
  [1, 1],
  [0, 0],
]);
const y = [1, 1, 0, 0];

describe('options are checked at the call', () => {
  it('names an unknown option and the one it was probably meant to be', () => {
    const model = dn.mlp([2, 4, 1], { seed: 1 });
    expect(() => dn.adam({ lr: 0.1 } as dn.OptimizerOptions)).toThrow(
      /adam: unknown option 'lr' in options \(did you mean 'learningRate'\?\)/,
    );
    expect(() => model.compile({ loss: 'binaryCrossEntropy', metricz: ['accuracy'] } as unknown as dn.CompileOptions)).toThrow(
      /compile: unknown option 'metricz' .*did you mean 'metrics'/,
    );
    return expect(model.fit(x, y, { validationSplitt: 0.2 } as unknown as dn.FitOptions)).rejects.toThrow(
      /fit: unknown option 'validationSplitt' in options \(did you mean 'validationSplit'\?\)/,
    );
  });

  it('checks layers, mlp and sequential options', () => {
    expect(() => dn.dense(4, { unit: 3 } as unknown as { init?: 'he' })).toThrow(/dense: unknown option 'unit'/);
    expect(() => dn.dense(4, { activation: 'rleu' } as unknown as { activation: 'relu' })).toThrow(
      /dense: expected 'linear', .*'relu'.* or 'softmax' for activation, received 'rleu' \(did you mean 'relu'\?\)/,
    );
    expect(() => dn.batchNorm({ eps: 1e-3 } as unknown as { epsilon: number })).toThrow(
      /batchNorm: unknown option 'eps' .*did you mean 'epsilon'/,
    );
    expect(() => dn.mlp([2, 1], { batchnorm: true } as unknown as dn.MlpOptions)).toThrow(
      /mlp: unknown option 'batchnorm' .*did you mean 'batchNorm'/,
    );
    expect(() => dn.sequential({ inputs: 2, layers: [dn.dense(1)], seeds: 1 } as unknown as dn.SequentialConfig)).toThrow(
      /did you mean 'seed'/,
    );
  });

  it('dense(units, { activation }) builds the dense layer and that activation, as Keras does', () => {
    const shorthand = dn.sequential({
      inputs: 2,
      seed: 3,
      layers: [dn.dense(3, { activation: 'relu' }), dn.dense(1, { activation: 'sigmoid' })],
    });
    const spelled = dn.sequential({ inputs: 2, seed: 3, layers: [dn.dense(3), dn.relu(), dn.dense(1), dn.sigmoid()] });
    expect(shorthand.layers.map((l) => l.spec.type)).toEqual(['dense', 'activation', 'dense', 'activation']);
    expect(Array.from(shorthand.predict(x).data)).toEqual(Array.from(spelled.predict(x).data));
    expect(() => shorthand.compile({ loss: 'binaryCrossEntropy' })).not.toThrow();
  });

  it("compile takes an optimizer's name for its defaults, and refuses anything else there", () => {
    const model = dn.mlp([2, 4, 1], { seed: 1 });
    model.compile({ loss: 'binaryCrossEntropy', optimizer: 'rmsprop' });
    expect(model.compiled?.optimizer.spec).toEqual(dn.rmsprop());
    expect(() => model.compile({ loss: 'binaryCrossEntropy', optimizer: 'adamm' as 'adam' })).toThrow(
      /compile: expected 'sgd', 'momentum', 'rmsprop', 'adam' or 'adamw' for optimizer, received 'adamm' \(did you mean 'adam'\?\)/,
    );
    expect(() => model.compile({ loss: 'binaryCrossEntropy', optimizer: {} as dn.OptimizerSpec })).toThrow(TypeError);
    expect(dn.mlp([2, 1], { optimizer: 'sgd' }).compiled?.optimizer.spec.name).toBe('sgd');
  });

  it("earlyStopping takes Keras' val_loss and refuses a monitor the fit will not log when fit starts", async () => {
    // Custom metrics have any name, so the monitor is held to the run's logs when fit starts, before the first epoch.
    await expect(
      dn.mlp([2, 4, 1], { seed: 1 }).fit(x, y, { validationData: [x, y], callbacks: [dn.earlyStopping({ monitor: 'vall' })] }),
    ).rejects.toThrow(/earlyStopping: expected 'epoch', 'loss', .*'valLoss'.* for monitor, received 'vall' \(did you mean 'valLoss'\?\)/);
    expect(() => dn.earlyStopping({ monitor: 3 as unknown as string })).toThrow(
      /earlyStopping: expected a log name for monitor, received 3/,
    );
    expect(() => dn.earlyStopping({ patience: -1 })).toThrow(/earlyStopping: expected an integer >= 0 for patience, received -1/);
    const model = dn.mlp([2, 4, 1], { seed: 1 });
    let epochs = 0;
    await expect(
      model.fit(x, y, { epochs: 3, callbacks: [dn.earlyStopping({ monitor: 'val_loss' })], onEpochEnd: () => void epochs++ }),
    ).rejects.toThrow(/monitor 'valLoss' needs fit\({ validationData }\)/);
    expect(epochs).toBe(0);
    const history = await model.fit(x, y, {
      epochs: 3,
      validationData: [x, y],
      callbacks: [dn.earlyStopping({ monitor: 'val_loss', patience: 5 })],
    });
    expect(history.epochs).toHaveLength(3);
  });

  it('the schedules check their arguments', () => {
    expect(() => dn.stepDecay({ initial: -1, dropEvery: 2 })).toThrow(
      /stepDecay: expected a number in \[0, 1000000\] \(the update kernels' bound\) for initial, received -1/,
    );
    expect(() => dn.exponentialDecay({ initial: 0.1, decaySteps: 10, decayRate: 2 })).toThrow(/decayRate/);
    expect(() => dn.cosineDecay({ initial: 0.1, decaySteps: 0 })).toThrow(/decaySteps/);
    expect(() => dn.cosineDecay({ initial: 0.1, decaySteps: 10, alpha: 2 })).toThrow(/alpha/);
    expect(() => dn.stepDecay({ initial: 0.1, dropEvery: 2, every: 3 } as unknown as { initial: number; dropEvery: number })).toThrow(
      /unknown option 'every'/,
    );
    expect(() => dn.adam({ learningRate: 'fast' as unknown as number })).toThrow(/adam: expected a number or a schedule/);
  });

  it('string labels say how to map them', async () => {
    const model = dn.mlp([2, 1]);
    await expect(model.fit(x, ['a', 'b', 'a', 'b'] as unknown as number[])).rejects.toThrow(
      /y: the labels are strings \('a'\); give class indices .*dn\.tabular/,
    );
  });

  it('Model is a runtime export', () => {
    expect(dn.mlp([2, 1])).toBeInstanceOf(dn.Model);
  });

  it('the published Model type has the public surface only, and compiled is read-only', () => {
    // Built by `npm run build` (stripInternal drops the members tagged internal).
    const types = readFileSync(join(packageRoot, 'dist', 'model.d.ts'), 'utf8');
    for (const member of ['compile(', 'fit(', 'predict(', 'evaluate(', 'save(', 'getWeights(', 'setWeights(', 'summary(', 'get compiled()'])
      expect(types, member).toContain(member);
    for (const internal of ['params:', 'grads:', 'state:', 'layers:', 'lossAndGradients(', 'forward(', 'requireCompiled(', 'l2Penalty('])
      expect(types, internal).not.toContain(internal);
    const model = dn.mlp([2, 1]);
    expect(() => {
      (model as unknown as { compiled: null }).compiled = null;
    }).toThrow(TypeError);
  });
});
