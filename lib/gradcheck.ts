// gradCheck: backprop against centred finite differences, in float64. A twin
// of the model runs on the JS kernels over Float64Arrays with the same weights,
// fixed dropout masks and batch statistics, and every parameter is nudged ±h.
import { jsBackend } from './backend/js/index.js';
import { Dropout } from './layers/dropout.js';
import { lossAndGradient } from './losses.js';
import { Model } from './model.js';
import { Random } from './random.js';
import { type LabelsLike, toTargets } from './targets.js';
import { type MatrixLike, toMatrix } from './tensor.js';

export interface GradCheckResult {
  /** ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖): below 1e-7 is excellent, above 1e-5 suspicious. */
  relativeError: number;
  /** The largest |analytic − numeric| over the parameters checked. */
  maxAbsoluteError: number;
  parameters: number;
}

/**
 * Compares the gradient of the cost (data loss + L2) w.r.t. every trainable parameter with
 * centred differences (h = epsilon) on x, y as one batch. Keep x small: 2 forward passes per parameter.
 * A ReLU input sitting exactly at 0 (zero biases and an all-zero input row, say) is a kink where
 * the two differ legitimately: check a model whose biases are not all zero.
 */
export function gradCheck(model: Model, x: MatrixLike, y: LabelsLike, options: { epsilon?: number; seed?: number } = {}): GradCheckResult {
  const compiled = model.requireCompiled('gradCheck');
  const h = options.epsilon ?? 1e-5;
  // The JS kernels are generic over the array type; this cast is the one place float64 arrays enter.
  const twin = new Model(model.config, { backend: jsBackend, alloc: (n) => new Float64Array(n) as unknown as Float32Array });
  twin.compile({ loss: compiled.loss, l2: compiled.l2, optimizer: compiled.optimizer.spec });
  twin.params.set(model.params);
  twin.weightsChanged();
  twin.state.set(model.state);
  const data = toMatrix(x, 'x', model.inputs);
  const batch = data.rows;
  const targets = toTargets(y, batch, compiled.loss, model.outputWidth, jsBackend.findNonFinite);
  const input = Float64Array.from(data.data) as unknown as Float32Array;
  // One mask per dropout layer, drawn once, so every pass sees the same network.
  const masks = new Random(options.seed ?? 1);
  for (const layer of twin.layers) {
    if (layer instanceof Dropout) {
      const mask = new Uint8Array(batch * layer.inputWidth);
      masks.dropoutMask(mask, mask.length, 1 - layer.spec.rate);
      layer.fixedMask = mask;
    }
  }
  const end = twin.logitsEnd();
  const cost = (): number => {
    const z = twin.forward(input, batch, true, end);
    const data = lossAndGradient(jsBackend, compiled.loss, batch, twin.outputWidth, z, targets, 0, null, null) / batch;
    return data + twin.l2Penalty(batch);
  };
  twin.lossAndGradients(input, targets, batch);
  const analytic = Float64Array.from(twin.grads);
  let diff = 0;
  let normA = 0;
  let normN = 0;
  let maxAbsoluteError = 0;
  const params = twin.params;
  for (let i = 0; i < params.length; i++) {
    const saved = params[i] as number;
    params[i] = saved + h;
    const up = cost();
    params[i] = saved - h;
    const down = cost();
    params[i] = saved;
    const numeric = (up - down) / (2 * h);
    const a = analytic[i] as number;
    diff += (a - numeric) ** 2;
    normA += a * a;
    normN += numeric * numeric;
    maxAbsoluteError = Math.max(maxAbsoluteError, Math.abs(a - numeric));
  }
  const denominator = Math.sqrt(normA) + Math.sqrt(normN);
  return { relativeError: denominator === 0 ? 0 : Math.sqrt(diff) / denominator, maxAbsoluteError, parameters: params.length };
}
