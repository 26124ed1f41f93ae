// Charts for the terminal: the loss plot printed at the end of `densenode train`
// and the one-line sparklines and text tables of `densenode compare`.
import asciichart from 'asciichart';

const BARS = '▁▂▃▄▅▆▇█';

/** A line chart of values (e.g. loss per epoch) with a summary line; NaN and ±Infinity are skipped. */
export function lossChart(values: number[], options: { height?: number; width?: number } = {}): string {
  const height = Math.max(2, Math.round(options.height ?? 8));
  const width = Math.max(1, Math.round(options.width ?? 60));
  const points = finite(values);
  if (points.length === 0) return 'loss: no finite values to plot';
  const series = resample(
    points.map((p) => p.value),
    width,
  );
  const first = points[0] as Point;
  const lastPoint = points.at(-1) as Point;
  const best = points.reduce((b, p) => (p.value < b.value ? p : b));
  const min = best.value;
  let max = points.reduce((m, p) => Math.max(m, p.value), min);
  // asciichart labels a flat series with its rounded value; an empty band above it keeps the
  // label true (the bottom row is labelled exactly min, middle rows fall between values).
  if (min === max) max += Math.abs(min) * 0.1 || 1;
  // asciichart draws height + 1 rows.
  const format = axisFormat(min, max, height);
  const chart = asciichart.plot(series, { height: height - 1, min, max, format: (v) => format(v).padStart(10) });
  // 1-based epochs, counted in the caller's array so skipped NaNs do not shift them.
  const epochs = `${values.length} epoch${values.length === 1 ? '' : 's'}`;
  const label = `loss ${formatNumber(first.value)} → ${formatNumber(lastPoint.value)}  (best ${formatNumber(best.value)} at epoch ${best.index + 1}, ${epochs})`;
  return `${chart
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n${label}`;
}

/** One character per value (resampled to at most `width`), from ▁ (minimum) to █ (maximum); NaN and ±Infinity are skipped. */
export function sparkline(values: number[], width = 40): string {
  const series = resample(
    finite(values).map((p) => p.value),
    Math.max(1, Math.round(width)),
  );
  const min = Math.min(...series);
  const range = Math.max(...series) - min;
  // A constant series sits mid-height: ▁ would read as "at its minimum", █ as "at its maximum".
  return series.map((v) => BARS[range === 0 ? 3 : Math.round(((v - min) / range) * (BARS.length - 1))]).join('');
}

interface Point {
  value: number;
  index: number;
}

function finite(values: number[]): Point[] {
  const points: Point[] = [];
  values.forEach((value, index) => {
    if (Number.isFinite(value)) points.push({ value, index });
  });
  return points;
}

/** Means of `width` equal buckets: averaging keeps a noisy curve's level, where picking every k-th point would alias. */
function resample(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  const out: number[] = [];
  for (let b = 0; b < width; b++) {
    const start = Math.floor((b * values.length) / width);
    const end = Math.floor(((b + 1) * values.length) / width);
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i] as number;
    out.push(sum / (end - start));
  }
  return out;
}

/** One number of decimals for every axis label, just enough to tell neighbouring rows apart. */
function axisFormat(min: number, max: number, rows: number): (v: number) => string {
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  if (magnitude < 1e-3 || magnitude >= 1e6) return (v) => v.toExponential(2);
  const step = (max - min) / Math.max(1, rows - 1);
  const decimals = Math.min(8, Math.max(0, Math.ceil(-Math.log10(step)) + 1));
  return (v) => v.toFixed(decimals);
}

/** Four significant digits, without exponent for the usual loss range. */
function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** Rows under a header, each column padded to its widest cell, with a rule of dashes between. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
