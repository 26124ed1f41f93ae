// ROC AUC, exact: the epoch's scores are kept and ranked once at the end (semantics: index.ts).
import { type Accumulator, byClass, isPositive, type MetricBatch, type MetricTask, rowWeight, take, trueClass } from './batch.js';

/**
 * The weighted ROC AUC of `scores` for the rows where `positive[i]` is 1 against those where it is 0:
 * Σ w_i·w_j·([s_i > s_j] + ½[s_i = s_j]) over positive i and negative j, divided by W₊·W₋ (the
 * Mann–Whitney U with average ranks for ties, equal to sklearn's roc_auc_score with sample_weight).
 * NaN when either class has no weight or a score is NaN. O(n) time after an O(n) radix sort.
 */
export function rocAuc(scores: Float32Array, positive: Uint8Array, weights: Float32Array | null = null): number {
  const n = scores.length;
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) return Number.NaN;
  const order = orderByScore(scores);
  let pairs = 0; // Σ over positives of the negative weight ranked below (+ half the tied)
  let negativesBelow = 0;
  let positives = 0;
  for (let start = 0; start < n; ) {
    // One group of equal scores (−0 and +0 are adjacent in the order, so they form one group).
    const score = scores[order[start] as number] as number;
    let groupPositive = 0;
    let groupNegative = 0;
    let end = start;
    for (; end < n && scores[order[end] as number] === score; end++) {
      const row = order[end] as number;
      const w = weights === null ? 1 : (weights[row] as number);
      if (positive[row] === 1) groupPositive += w;
      else groupNegative += w;
    }
    pairs += groupPositive * (negativesBelow + groupNegative / 2);
    negativesBelow += groupNegative;
    positives += groupPositive;
    start = end;
  }
  return positives > 0 && negativesBelow > 0 ? pairs / (positives * negativesBelow) : Number.NaN;
}

/**
 * Row indices in ascending order of score: an LSD radix sort (two 16-bit passes) of the float32 bit
 * patterns mapped to unsigned integers that sort like the values (flip the sign bit of a positive,
 * every bit of a negative). Linear in n and exact, where a comparison sort of indices would be slow.
 */
export function orderByScore(scores: Float32Array): Uint32Array {
  const n = scores.length;
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  let keys = new Uint32Array(n);
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = bits[i] as number;
    keys[i] = b & 0x80000000 ? ~b : b | 0x80000000;
    order[i] = i;
  }
  let nextKeys = new Uint32Array(n);
  let nextOrder = new Uint32Array(n);
  const starts = new Uint32Array(0x10000);
  for (const shift of [0, 16]) {
    starts.fill(0);
    for (let i = 0; i < n; i++) starts[((keys[i] as number) >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < starts.length; d++) {
      const count = starts[d] as number;
      starts[d] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i] as number;
      const at = starts[(key >>> shift) & 0xffff]++;
      nextKeys[at] = key;
      nextOrder[at] = order[i] as number;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }
  return order;
}

/**
 * AUC over the whole epoch: binary for one sigmoid output, the macro mean of one-vs-rest AUCs over
 * the classes of a softmax or the outputs of a multi-output sigmoid.
 */
export function aucAccumulator(task: MetricTask, width: number): Accumulator {
  let rows = 0;
  let scores: Float32Array = new Float32Array(0); // rows × width outputs
  let truth: Float32Array = new Float32Array(0); // softmax: the class per row; sigmoid: 1/0 per output
  let weights: Float32Array = new Float32Array(0);
  const truthWidth = task === 'softmax' ? 1 : width;
  return {
    reset() {
      rows = 0;
    },
    update(b: MetricBatch) {
      const total = rows + b.rows;
      scores = ensureLength(scores, total * width, rows * width);
      truth = ensureLength(truth, total * truthWidth, rows * truthWidth);
      weights = ensureLength(weights, total, rows);
      scores.set(b.probs.subarray(0, b.rows * width), rows * width);
      const classes = byClass(task, b.targets);
      for (let i = 0; i < b.rows; i++) {
        weights[rows + i] = rowWeight(b, i);
        if (classes) truth[rows + i] = trueClass(b, i);
        else
          for (let j = 0; j < width; j++)
            truth[(rows + i) * width + j] = isPositive(b.targets.data[(b.offset + i) * width + j] as number) ? 1 : 0;
      }
      rows = total;
    },
    write(out) {
      const column = new Float32Array(rows);
      const positive = new Uint8Array(rows);
      let sum = 0;
      for (let k = 0; k < width; k++) {
        for (let i = 0; i < rows; i++) {
          column[i] = scores[i * width + k] as number;
          positive[i] = task === 'softmax' ? (truth[i] === k ? 1 : 0) : (truth[i * width + k] as number);
        }
        sum += rocAuc(column, positive, weights.subarray(0, rows));
      }
      out.auc = sum / width;
    },
    save: () => [rows, ...scores.subarray(0, rows * width), ...truth.subarray(0, rows * truthWidth), ...weights.subarray(0, rows)],
    load(values) {
      const n = values[0] as number;
      if (!Number.isInteger(n) || n < 0 || values.length !== 1 + n * (width + truthWidth + 1)) return false;
      rows = n;
      scores = new Float32Array(n * width);
      truth = new Float32Array(n * truthWidth);
      weights = new Float32Array(n);
      take(weights, values, take(truth, values, take(scores, values, 1)));
      return true;
    },
  };
}

// The array itself if it holds `length` values, else a copy of its first `used` values into one
// at least twice as long (amortised O(1) growth over an epoch).
function ensureLength(array: Float32Array, length: number, used: number): Float32Array {
  if (array.length >= length) return array;
  const grown = new Float32Array(Math.max(length, 2 * array.length));
  grown.set(array.subarray(0, used));
  return grown;
}
