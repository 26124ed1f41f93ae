// model.summary(): the layers as a Keras-like table of output shapes and parameter counts.
import type { Layer } from './layer.js';

export function summaryTable(inputs: number, layers: Layer[], trainable: number, nonTrainable: number): string {
  const rows = layers.map((l, i) => {
    const spec = l.spec;
    const name = spec.type === 'activation' ? spec.activation : spec.type;
    const detail = spec.type === 'dropout' ? ` (${spec.rate})` : '';
    return [`${i} ${name}${detail}`, `[batch, ${l.outputWidth}]`, String(l.paramCount + l.stateCount)];
  });
  const header = ['layer', 'output shape', 'params'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  const line = (r: string[]) => r.map((v, c) => (c === 2 ? v.padStart(widths[c] as number) : v.padEnd(widths[c] as number))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    `input [batch, ${inputs}]`,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `trainable: ${trainable}, non-trainable: ${nonTrainable}`,
  ].join('\n');
}
