// Timing for the systems too slow to train a whole epoch: the first `warmup` batches (kernel
// set-up, JIT, allocation) are not timed; the rest are timed end to end.
import { performance } from 'node:perf_hooks';

export class BatchClock {
  constructor(warmup) {
    this.warmup = warmup;
    this.ends = [];
  }

  /** Call at the end of every batch. */
  tick() {
    this.ends.push(performance.now());
  }

  /** { seconds, samples } of the batches after warm-up, from the end of the last warm-up batch, and each batch's seconds. */
  measured(batchSize) {
    const timed = this.ends.length - this.warmup;
    if (this.warmup < 1 || timed < 1) throw new Error(`expected more than ${this.warmup} batches, saw ${this.ends.length}`);
    const batchSeconds = this.ends.slice(this.warmup - 1).map((end, i, ends) => (i === 0 ? null : (end - ends[i - 1]) / 1e3));
    return {
      seconds: (this.ends.at(-1) - this.ends[this.warmup - 1]) / 1e3,
      samples: timed * batchSize,
      batchSeconds: batchSeconds.slice(1).map((s) => Number(s.toFixed(5))),
    };
  }
}

/** Seconds of each epoch from the wall-clock times at which epochs ended (and training started). */
export function epochDurations(start, ends) {
  return ends.map((end, i) => (end - (i === 0 ? start : ends[i - 1])) / 1e3);
}

/** The median of the epochs after the first (which includes warm-up); the only one when there is one. */
export function steadyEpochSeconds(epochSeconds) {
  const steady = (epochSeconds.length > 1 ? epochSeconds.slice(1) : epochSeconds).toSorted((a, b) => a - b);
  const mid = steady.length >> 1;
  return steady.length % 2 === 1 ? steady[mid] : (steady[mid - 1] + steady[mid]) / 2;
}
