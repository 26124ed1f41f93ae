// What the user sees while a model trains. On a terminal: a progress bar per
// epoch (cli-progress) and one summary line per epoch. Piped (CI logs): no
// bar, and at most ~20 epoch lines. With --json: one JSON object per line.
import cliProgress from 'cli-progress';
import { epochLine, fixed, percent, rate } from '../callbacks/epoch-line.js';
import type { BatchLogs, EpochLogs } from '../fit-types.js';

export type ReportMode = 'tty' | 'plain' | 'json' | 'quiet';

export function reportMode(flags: { json?: boolean; quiet?: boolean }): ReportMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  return process.stdout.isTTY ? 'tty' : 'plain';
}

export { epochLine, fixed, percent } from '../callbacks/epoch-line.js';

/** Receives training events for one run and shows them in the chosen mode. */
export class Reporter {
  private bar: cliProgress.SingleBar | null = null;
  private epochs = 0;
  private steps = 0;
  private run = '';
  private epochStarted = 0;
  private seen = 0;
  private lossSum = 0;
  private correct = 0;

  /** epochLines: how many epoch lines a run prints at most (every epoch on a terminal by default, 20 when piped). */
  constructor(
    readonly mode: ReportMode,
    private readonly epochLines?: number,
  ) {}

  /** Plain text for the user (nothing in json or quiet mode). */
  say(line: string): void {
    if (this.mode === 'tty' || this.mode === 'plain') console.log(line);
  }

  /** A machine-readable event (json mode only). */
  emit(event: Record<string, unknown>): void {
    if (this.mode === 'json') console.log(JSON.stringify(event));
  }

  begin(run: string, epochs: number, steps: number): void {
    this.run = run;
    this.epochs = epochs;
    this.steps = steps;
  }

  /** Whether per-batch events are wanted (they cost an await per step). */
  get wantsBatches(): boolean {
    return this.mode === 'tty';
  }

  batch(step: number, logs: BatchLogs, epoch: number): void {
    if (this.mode !== 'tty') return;
    if (step === 0 || this.bar === null) {
      this.bar?.stop();
      this.bar = new cliProgress.SingleBar(
        {
          format: `epoch ${epoch + 1}/${this.epochs} {bar} {value}/{total} | loss {loss} | acc {acc} | {rate} samples/s | ETA {eta_formatted}`,
          clearOnComplete: true,
          hideCursor: true,
          barsize: 24,
          stream: process.stdout,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.steps, 0, { loss: '-', acc: '-', rate: '-' });
      this.epochStarted = performance.now();
      this.seen = 0;
      this.lossSum = 0;
      this.correct = 0;
    }
    this.seen += logs.size;
    this.lossSum += logs.loss * logs.size;
    this.correct += (logs.accuracy ?? 0) * logs.size;
    const seconds = (performance.now() - this.epochStarted) / 1e3;
    this.bar.update(step + 1, {
      loss: fixed(this.lossSum / this.seen),
      acc: logs.accuracy === undefined ? '-' : percent(this.correct / this.seen),
      rate: seconds > 0 ? rate(this.seen / seconds) : '-',
    });
  }

  epoch(logs: EpochLogs): void {
    this.bar?.stop();
    this.bar = null;
    if (this.mode === 'json') {
      this.emit({ type: 'epoch', run: this.run, ...logs, epoch: logs.epoch + 1 });
      return;
    }
    // Piped output keeps ~20 lines however many epochs: every k-th, and the last.
    const lines = this.epochLines ?? (this.mode === 'plain' ? 20 : this.epochs);
    const every = Math.max(1, Math.ceil(this.epochs / lines));
    if ((logs.epoch + 1) % every === 0 || logs.epoch + 1 === this.epochs) this.say(epochLine(this.epochs, logs));
  }

  end(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
