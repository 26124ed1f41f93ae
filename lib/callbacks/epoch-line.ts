// One line summing up an epoch, the same for fit({ verbose }) and the CLI, on a terminal and in a log.
import type { EpochLogs } from '../fit-types.js';

export const percent = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);
export const fixed = (v: number | undefined, digits = 4) => (v === undefined ? '-' : v.toFixed(digits));
export const rate = (v: number) => Math.round(v).toLocaleString('en-US');

// Logs that are not metrics: the line shows them its own way or not at all.
const NOT_METRICS = new Set(['epoch', 'loss', 'dataLoss', 'l2Loss', 'valLoss', 'learningRate', 'seconds', 'samplesPerSecond']);

// Keras's short names in the line: acc, val_acc, val_auc.
function label(key: string): string {
  const base = key.startsWith('val') && /[A-Z]/.test(key.charAt(3)) ? `val_${key.charAt(3).toLowerCase()}${key.slice(4)}` : key;
  return base.replace('accuracy', 'acc');
}

export function epochLine(epochs: number, logs: EpochLogs): string {
  const parts = [`epoch ${String(logs.epoch + 1).padStart(String(epochs).length)}/${epochs}`, `loss ${fixed(logs.loss)}`];
  const metrics = Object.keys(logs).filter((k) => !NOT_METRICS.has(k) && !k.startsWith('val'));
  const show = (key: string) => {
    const v = logs[key];
    if (typeof v === 'number') parts.push(`${label(key)} ${/accuracy/i.test(key) ? percent(v) : fixed(v)}`);
  };
  for (const key of metrics) show(key);
  if (logs.valLoss !== undefined) parts.push(`val_loss ${fixed(logs.valLoss)}`);
  for (const key of metrics) show(`val${key.charAt(0).toUpperCase()}${key.slice(1)}`);
  parts.push(
    logs.seconds < 1 ? `${Math.round(logs.seconds * 1e3)} ms` : `${logs.seconds.toFixed(1)} s`,
    `${rate(logs.samplesPerSecond)} samples/s`,
  );
  return parts.join('  ');
}
