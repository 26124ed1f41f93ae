// What fit trains and validates on, checked once before the first step: the inputs, the
// targets, a weight per row (sampleWeight × classWeight) and the validation data (given, or
// the last validationSplit of the rows, as Keras takes it).
import { classRowWeights, rowWeights } from './class-weights.js';
import { invalidArgument, invalidRange, invalidType } from './errors.js';
import type { ClassWeight, FitOptions } from './fit-types.js';
import type { Targets } from './losses.js';
import type { TrainableModel } from './model-types.js';
import { type LabelsLike, toTargets } from './targets.js';
import { checkFinite, type Matrix, type MatrixLike, toMatrix } from './tensor.js';

/** Rows with their targets and weights (null: every row 1). */
export interface WeightedData {
  x: Matrix;
  targets: Targets;
  weights: Float32Array | null;
}

export interface FitData extends WeightedData {
  validation: WeightedData | null;
}

function rows(data: WeightedData, start: number, end: number): WeightedData {
  const { x, targets, weights } = data;
  const t: Targets =
    targets.kind === 'labels'
      ? { kind: 'labels', data: targets.data.subarray(start, end) }
      : { kind: 'matrix', cols: targets.cols, data: targets.data.subarray(start * targets.cols, end * targets.cols) };
  return {
    x: { rows: end - start, cols: x.cols, data: x.data.subarray(start * x.cols, end * x.cols) },
    targets: t,
    weights: weights === null ? null : weights.subarray(start, end),
  };
}

/** x, y and their weights as the loss kernels take them; `name` prefixes errors ('x', 'validationData[0]'). */
export function weightedData(
  model: TrainableModel,
  x: MatrixLike,
  y: LabelsLike,
  weights: unknown,
  names: [string, string, string],
): WeightedData {
  const { loss } = model.requireCompiled('fit');
  const m = toMatrix(x, names[0], model.inputs);
  checkFinite(m, names[0], model.backend.findNonFinite);
  const targets = toTargets(y, m.rows, loss, model.outputWidth, model.backend.findNonFinite, names[1]);
  return { x: m, targets, weights: weights === undefined ? null : rowWeights('fit', names[2], weights, m.rows) };
}

/** The rows' weights times their classes' (Keras multiplies sampleWeight by classWeight). */
export function withClassWeights(model: TrainableModel, data: WeightedData, classWeight: ClassWeight): WeightedData {
  const { loss } = model.requireCompiled('fit');
  const classes = model.preprocessing?.classes ?? null;
  const weights = classRowWeights(classWeight, data.targets, data.x.rows, loss, model.outputWidth, classes);
  if (data.weights !== null) for (let i = 0; i < weights.length; i++) weights[i] = (weights[i] as number) * (data.weights[i] as number);
  const over = weights.indexOf(Number.POSITIVE_INFINITY);
  if (over >= 0)
    throw invalidRange('fit', `sampleWeight[${over}] × classWeight`, 'a product within float32 (at most 3.4e38)', Number.POSITIVE_INFINITY);
  return { ...data, weights };
}

/** validationData given as arrays: [x, y] or [x, y, sampleWeight] (`also` names what else it may be). */
export function validationArrays(model: TrainableModel, given: unknown, also = ''): WeightedData {
  if (!Array.isArray(given) || given.length < 2 || given.length > 3)
    throw invalidType('fit', 'validationData', `[x, y]${also === '' ? ' or' : ','} [x, y, sampleWeight]${also}`, given);
  return weightedData(model, given[0], given[1], given[2], ['validationData[0]', 'validationData[1]', 'validationData[2]']);
}

export function fitData(model: TrainableModel, x: MatrixLike, y: LabelsLike, options: FitOptions): FitData {
  const sampled = weightedData(model, x, y, options.sampleWeight, ['x', 'y', 'sampleWeight']);
  if (sampled.x.rows === 0) throw new RangeError('fit: x has no rows');
  let data = options.classWeight === undefined ? sampled : withClassWeights(model, sampled, options.classWeight);
  let validation: WeightedData | null = null;
  const given = options.validationData;
  if (given !== undefined) validation = validationArrays(model, given);
  const split = options.validationSplit;
  if (split !== undefined) {
    if (given !== undefined) throw invalidArgument(TypeError, 'fit', 'validationSplit', 'no validationData as well', 'both');
    if (!(typeof split === 'number' && split > 0 && split < 1)) throw invalidRange('fit', 'validationSplit', 'a number in (0, 1)', split);
    // Keras: the first floor(n·(1 − split)) rows train, the rest validate, before any shuffling.
    const at = Math.floor(data.x.rows * (1 - split));
    if (at === 0 || at === data.x.rows)
      throw invalidArgument(RangeError, 'fit', 'validationSplit', 'a split leaving rows on both sides', `${split} of ${data.x.rows} rows`);
    // Class weights weigh training only (Keras); the held-out rows keep their sample weights.
    validation = rows(sampled, at, data.x.rows);
    data = rows(data, 0, at);
  }
  if (data.weights !== null && !data.weights.some((w) => w > 0))
    throw invalidArgument(RangeError, 'fit', 'sampleWeight', 'some weight > 0', 'all 0');
  return { ...data, validation };
}
