// evaluate(): the cost and every compiled metric over data in inference mode, batch by batch;
// the training loop's validation uses the same function.
import type { Backend } from './backend/backend.js';
import { type BatchSource, sourceBatches } from './batch-source.js';
import { compiledLoss } from './custom-loss.js';
import { checkPositiveInteger } from './errors.js';
import { REGRESSION_LOSSES, type Targets } from './losses.js';
import { createMetrics, type MetricSpec } from './metrics/index.js';
import type { Compiled, Evaluation, TrainableModel } from './model-types.js';
import type { Matrix } from './tensor.js';

/** What evaluation runs of a model. */
export interface Evaluable {
  readonly outputWidth: number;
  readonly backend: Backend;
  requireCompiled(fn: string): Compiled;
  logitsEnd(): number;
  forward(x: Float32Array, batch: number, training: boolean, end?: number): Float32Array;
  /** A batch×outputs buffer for the output activation a fused loss writes. */
  probsFor(batch: number): Float32Array;
  l2Penalty(m: number): number;
}

// Regressions always report these (densenode evaluate and the report read them), compiled or not.
const REGRESSION_FIGURES: MetricSpec[] = ['r2', 'mae', 'rmse'];

/** The metrics evaluate reports for `compiled`: its own, plus r2, mae and rmse for a regression. */
export function evaluationMetrics(compiled: Compiled): MetricSpec[] {
  const own = compiled.metrics.map((m) => m.metric);
  if (!REGRESSION_LOSSES.includes(compiled.loss)) return own;
  return [...own, ...REGRESSION_FIGURES.filter((f) => !compiled.metrics.some((m) => m.name === f))];
}

/** Accumulates the cost and metrics over parts of the data fed one after another (see evaluateData). */
export function evaluator(model: Evaluable, fn = 'evaluate', batchSize = 1024) {
  const compiled = model.requireCompiled(fn);
  const { loss, fused } = compiled;
  checkPositiveInteger(fn, 'batchSize', batchSize);
  const metrics = createMetrics(evaluationMetrics(compiled), { loss, outputWidth: model.outputWidth });
  const width = model.outputWidth;
  const end = model.logitsEnd();
  let lossSum = 0;
  let rows = 0;
  return {
    add(x: Matrix, targets: Targets, rowWeights: Float32Array | null): void {
      for (let start = 0; start < x.rows; start += batchSize) {
        const batch = Math.min(batchSize, x.rows - start);
        const part = x.data.subarray(start * x.cols, (start + batch) * x.cols);
        const z = model.forward(part, batch, false, end);
        const probs = fused ? model.probsFor(batch) : z;
        lossSum += compiledLoss(compiled, model.backend, batch, width, z, targets, start, fused ? probs : null, null, rowWeights);
        metrics.update(probs, batch, targets, start, rowWeights);
      }
      rows += x.rows;
    },
    result(): Evaluation {
      const dataLoss = lossSum / Math.max(1, rows);
      const l2Loss = model.l2Penalty(rows);
      return { loss: dataLoss + l2Loss, dataLoss, l2Loss, ...metrics.result() };
    },
  };
}

/**
 * Cost (the weighted data loss Σwᵢℓᵢ/n plus (λ/2n)·Σ‖W‖²) and metrics over the n rows of x, in
 * inference mode, `batchSize` rows at a time.
 */
export function evaluateData(
  model: Evaluable,
  x: Matrix,
  targets: Targets,
  rowWeights: Float32Array | null,
  batchSize = 1024,
  fn = 'evaluate',
): Evaluation {
  const e = evaluator(model, fn, batchSize);
  e.add(x, targets, rowWeights);
  return e.result();
}

/** evaluate() over a source's batches (see fit(source)), read once: what model.evaluateDataset does. */
export async function evaluateSource(model: Evaluable & TrainableModel, source: BatchSource, fn = 'evaluateDataset'): Promise<Evaluation> {
  const e = evaluator(model, fn);
  for await (const part of sourceBatches(model, source, fn)) e.add(part.x, part.targets, part.weights);
  return e.result();
}
