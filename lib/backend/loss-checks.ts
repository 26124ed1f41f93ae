// The losses' argument checks (part of kernelChecks), mirroring native/binding/losses.cc.
import { describe, invalidArgument } from '../errors.js';
import { allDisjoint, Check, type Checks, matrixShape, noView, type View } from './validate.js';

type LossKernel =
  | 'sigmoidCrossEntropy'
  | 'softmaxCrossEntropy'
  | 'softmaxCrossEntropyLabels'
  | 'meanSquaredError'
  | 'huber'
  | 'meanAbsoluteError';

// The optional last argument of every loss: rows weights, each finite and >= 0 (the table's
// [0..Infinity), which the fuzz holds this to), or null; `given` is false when the call left it
// out. The twin of RowWeights in native/binding/losses.cc.
function rowWeightsView(c: Check, fn: LossKernel, value: unknown, rows: number, given: boolean): View {
  if (!given) return noView('rowWeights');
  const view = c.optionalFloats('rowWeights', value, rows);
  if (value === null) return view;
  const w = value as Float32Array;
  for (let i = 0; i < rows; i++) {
    const v = w[i] as number;
    if (!(v >= 0 && v < Number.POSITIVE_INFINITY)) {
      throw invalidArgument(RangeError, fn, 'rowWeights', 'finite numbers >= 0', `rowWeights[${i}] = ${describe(v)}`);
    }
  }
  return view;
}

// A loss against dense targets y (rows, cols, z, y, scale, probs, dz, rowWeights?); dz may be z
// itself. The twin of LossWithDenseTargets in native/binding/losses.cc.
function checkLossWithDenseTargets(fn: 'sigmoidCrossEntropy' | 'softmaxCrossEntropy', args: IArguments): void {
  const c = new Check(fn);
  const [rows, cols, z, y, scale, probs, dz, rowWeights] = args;
  const { r, count } = matrixShape(c, rows, cols);
  const zs = c.floats('z', z, count);
  const ys = c.floats('y', y, count);
  c.num('scale', scale);
  const ps = c.optionalFloats('probs', probs, count);
  const dzs = c.optionalFloats('dz', dz, count);
  const ws = rowWeightsView(c, fn, rowWeights, r, args.length > 7);
  allDisjoint(c, [ps, dzs], [zs, ys, ws], [[dzs, zs]]);
}

// A regression loss (rows, cols, z, y, [delta,] scale, dz, rowWeights?); dz may be z itself.
// The twin of ReadRegression in native/binding/losses.cc.
function checkRegression(fn: 'meanSquaredError' | 'huber' | 'meanAbsoluteError', args: IArguments): void {
  const c = new Check(fn);
  const [rows, cols, z, y] = args;
  const { r, count } = matrixShape(c, rows, cols);
  const zs = c.floats('z', z, count);
  const ys = c.floats('y', y, count);
  let i = 4;
  if (fn === 'huber') c.num('delta', args[i++]);
  c.num('scale', args[i++]);
  const dzs = c.optionalFloats('dz', args[i++], count);
  const ws = rowWeightsView(c, fn, args[i], r, args.length > i);
  allDisjoint(c, [dzs], [zs, ys, ws], [[dzs, zs]]);
}

/** Throws a TypeError/RangeError naming the first bad argument of a loss call. */
export const lossChecks: Pick<Checks, LossKernel> = {
  // The losses hand `arguments` on: a left-out rowWeights is not a passed undefined, as in the binding.
  sigmoidCrossEntropy(_rows, _cols, _z, _y, _scale, _probs, _dz, _rowWeights) {
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    checkLossWithDenseTargets('sigmoidCrossEntropy', arguments);
  },

  softmaxCrossEntropyLabels(rows, cols, z, labels, scale, probs, dz, rowWeights) {
    const c = new Check('softmaxCrossEntropyLabels');
    const { r, k, count } = matrixShape(c, rows, cols);
    const zs = c.floats('z', z, count);
    const ls = c.int32s('labels', labels, r);
    c.num('scale', scale);
    const ps = c.optionalFloats('probs', probs, count);
    const dzs = c.optionalFloats('dz', dz, count);
    for (let i = 0; i < r; i++) {
      const label = labels[i] as number;
      if (label < 0 || label >= k)
        throw new RangeError(`softmaxCrossEntropyLabels: expected class indices in [0, ${k}) for labels, received labels[${i}] = ${label}`);
    }
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    const ws = rowWeightsView(c, 'softmaxCrossEntropyLabels', rowWeights, r, arguments.length > 7);
    allDisjoint(c, [ps, dzs], [zs, ls, ws], [[dzs, zs]]);
  },

  softmaxCrossEntropy(_rows, _cols, _z, _y, _scale, _probs, _dz, _rowWeights) {
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    checkLossWithDenseTargets('softmaxCrossEntropy', arguments);
  },

  meanSquaredError(_rows, _cols, _z, _y, _scale, _dz, _rowWeights) {
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    checkRegression('meanSquaredError', arguments);
  },

  huber(_rows, _cols, _z, _y, _delta, _scale, _dz, _rowWeights) {
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    checkRegression('huber', arguments);
  },

  meanAbsoluteError(_rows, _cols, _z, _y, _scale, _dz, _rowWeights) {
    // biome-ignore lint/complexity/noArguments: an omitted argument is not a passed undefined, as in the binding
    checkRegression('meanAbsoluteError', arguments);
  },
};
