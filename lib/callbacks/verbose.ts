// fit({ verbose }): 1 prints a line per epoch and, on a terminal, redraws the epoch's batch
// progress at most ten times a second; 2 prints the epoch lines only. No dependency: the CLI's
// bars (cli-progress) stay out of the library.
import type { Callback } from '../fit-types.js';
import { epochLine, fixed } from './epoch-line.js';

export function verboseCallback(level: 1 | 2, out: NodeJS.WriteStream = process.stdout): Callback {
  const live = level === 1 && out.isTTY === true;
  let epochs = 0;
  let steps: number | null = null;
  let epoch = 0;
  let drawn = 0;
  return {
    onTrainBegin(_model, run) {
      epochs = run.epochs;
      steps = run.steps;
    },
    onEpochBegin(e) {
      epoch = e;
    },
    onBatchEnd(batch, logs) {
      if (!live) return;
      const now = performance.now();
      if (now - drawn < 100 && (steps === null || batch + 1 < steps)) return;
      drawn = now;
      // A source's length is not known: then the batch count alone.
      const width = 24;
      const done = steps === null ? 0 : Math.round((width * (batch + 1)) / steps);
      const progress = steps === null ? `batch ${batch + 1}` : `[${'='.repeat(done)}${' '.repeat(width - done)}] ${batch + 1}/${steps}`;
      out.write(`\repoch ${epoch + 1}/${epochs} ${progress}  loss ${fixed(logs.loss)}`);
    },
    onEpochEnd(_e, logs) {
      out.write(`${live ? '\r\x1b[2K' : ''}${epochLine(epochs, logs)}\n`);
    },
  };
}
