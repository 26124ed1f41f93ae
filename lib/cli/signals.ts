// Ctrl-C during training: the first one stops after the current step (fit
// resolves with what was learnt, and the caller still writes it); a second
// one quits at once, as users expect when something hangs.
import type { Reporter } from './progress.js';

export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>, reporter: Reporter): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    reporter.end();
    process.stderr.write('densenode: stopping after this step (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
