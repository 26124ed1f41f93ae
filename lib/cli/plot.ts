// SVG charts for the CLI: learning curves and confusion matrices, drawn by
// vega-lite. vega and vega-lite (~25 MB, ~0.35 s to load) are imported inside
// the functions, so importing this module — or densenode — costs nothing.
import type { Config, TopLevelSpec } from 'vega-lite';
import { invalidArgument } from '../errors.js';
import type { History } from '../train.js';

export interface CurveRun {
  name: string;
  history: History;
}

/** System fonts only: the SVG must render the same offline, in a browser or an image viewer. */
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

const CONFIG = {
  background: 'white',
  font: FONT,
  padding: 16,
  view: { stroke: '#d0d7de' },
  title: { fontSize: 16, fontWeight: 600, anchor: 'start', subtitleFontSize: 12, subtitleColor: '#57606a', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, gridColor: '#eaeef2', domainColor: '#8c959f', tickColor: '#8c959f' },
  legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 180, symbolStrokeWidth: 2.5 },
} satisfies Config;

const PANEL_WIDTH = 520;

/** One panel of a vertical concatenation, named from the public TopLevelSpec type. */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

interface CurvePoint {
  run: string;
  epoch: number;
  split: 'training' | 'validation';
  value: number;
}

/** Learning curves: loss (and accuracy when logged) per epoch; training solid, validation dashed, one colour per run. */
export async function learningCurvesSvg(runs: CurveRun[], options: { title?: string } = {}): Promise<string> {
  const names = uniqueNames(runs.map((r) => r.name));
  const loss: CurvePoint[] = [];
  const accuracy: CurvePoint[] = [];
  runs.forEach((run, i) => {
    const name = names[i] as string;
    for (const e of run.history.epochs) {
      // EpochLogs.epoch counts from 0; people count epochs from 1.
      const epoch = e.epoch + 1;
      push(loss, name, epoch, 'training', e.loss);
      push(loss, name, epoch, 'validation', e.valLoss);
      push(accuracy, name, epoch, 'training', e.accuracy);
      push(accuracy, name, epoch, 'validation', e.valAccuracy);
    }
  });
  const logLoss = spansDecades(loss.map((p) => p.value));
  const maxEpochs = runs.reduce((m, r) => Math.max(m, r.history.epochs.length), 0);
  const single = runs.length === 1;
  const hasValidation = loss.some((p) => p.split === 'validation') || accuracy.some((p) => p.split === 'validation');
  const color = {
    field: 'run',
    type: 'nominal' as const,
    title: 'Run',
    scale: { domain: names, scheme: names.length <= 10 ? 'tableau10' : 'tableau20' },
    // One run needs no colour key: its name is in the subtitle.
    legend: single ? null : { orient: 'right' as const, symbolType: 'stroke' },
  };
  const panel = (data: CurvePoint[], yTitle: string, log: boolean, format: string | undefined, height: number): Panel => ({
    width: PANEL_WIDTH,
    height,
    data: { values: data },
    // Markers keep short runs (even a single epoch) visible; on long runs they would be clutter.
    mark: { type: 'line', strokeWidth: 2, point: maxEpochs <= 25 ? { size: 30, filled: true } : false },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'Epoch', scale: { nice: false }, axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yTitle,
        scale: log ? { type: 'log' } : { zero: false },
        axis: format === undefined ? {} : { format },
      },
      color,
      strokeDash: {
        field: 'split',
        type: 'nominal',
        title: 'Split',
        scale: {
          domain: ['training', 'validation'],
          range: [
            [1, 0],
            [6, 4],
          ],
        },
        // Without validation data the key would promise a dashed line that is not there.
        legend: hasValidation ? { symbolType: 'stroke' } : null,
      },
    },
  });
  // Loss that falls over more than two decades (e.g. 2 → 0.001) hugs the x axis on a linear scale,
  // hiding everything after the first epochs; within two decades a linear axis is easier to read.
  const panels = [panel(loss, logLoss ? 'Loss (log scale)' : 'Loss', logLoss, undefined, 260)];
  if (accuracy.length > 0) panels.push(panel(accuracy, 'Accuracy', false, '%', 200));
  const spec: TopLevelSpec = {
    title: {
      text: options.title ?? (single ? 'Learning curves' : `Learning curves: ${runs.length} runs`),
      subtitle: single ? (names[0] as string) : hasValidation ? 'Solid: training · dashed: validation' : 'Training',
    },
    config: CONFIG,
    vconcat: panels,
    spacing: 24,
  };
  return renderSvg(spec);
}

/** A confusion-matrix heatmap: rows true classes, columns predicted, counts in the cells, shaded by share of the true class. */
export async function confusionMatrixSvg(matrix: number[][], classes: string[]): Promise<string> {
  const n = classes.length;
  if (n === 0) throw invalidArgument(RangeError, 'confusionMatrixSvg', 'classes', 'one or more class names', 'none');
  const bad = matrix.find((row) => row.length !== n);
  if (matrix.length !== n || bad !== undefined) {
    // Name what is off: the row count, or the first row of the wrong length.
    const received = bad === undefined || matrix.length !== n ? `${matrix.length} rows` : `a row of ${bad.length}`;
    throw invalidArgument(RangeError, 'confusionMatrixSvg', 'matrix', `a ${n}×${n} matrix (${n} classes)`, received);
  }
  if (new Set(classes).size !== n) throw new RangeError('confusionMatrixSvg: class names must be unique');
  const cells = matrix.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ actual: classes[i], predicted: classes[j], count, share: total > 0 ? count / total : 0 }));
  });
  // Cells from ~56 px (2–10 classes) down to ~28 px (20 classes); the text shrinks with them.
  const side = Math.min(560, Math.max(280, n * 56));
  const cell = side / n;
  const fontSize = Math.round(Math.max(8, Math.min(14, cell * 0.3)));
  // Upright labels when the longest fits its cell (~6.5 px a character at 11 px), slanted otherwise.
  const rotate = classes.reduce((m, c) => Math.max(m, c.length), 0) * 6.5 > cell - 4;
  const spec: TopLevelSpec = {
    title: { text: 'Confusion matrix', subtitle: 'Rows: true class · columns: predicted class · shade: share of the row' },
    config: { ...CONFIG, view: { stroke: null }, axis: { ...CONFIG.axis, grid: false, ticks: false, domain: false, labelLimit: 140 } },
    width: side,
    height: side,
    data: { values: cells },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        title: 'Predicted class',
        scale: { domain: classes },
        axis: { labelAngle: rotate ? -45 : 0 },
      },
      y: { field: 'actual', type: 'nominal', title: 'True class', scale: { domain: classes } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            // Empty cells stay white so the few confusions stand out from the pale blue of rare ones.
            condition: { test: 'datum.count === 0', value: 'white' },
            field: 'share',
            type: 'quantitative',
            title: 'Share of row',
            scale: { scheme: 'blues', domain: [0, 1] },
            legend: { format: '%', gradientLength: Math.min(side, 200) },
          },
        },
      },
      {
        mark: { type: 'text', fontSize, fontWeight: 500 },
        encoding: {
          text: { field: 'count', type: 'quantitative', format: ',d' },
          // Past ~0.7 the 'blues' ramp is darker than relative luminance ~0.21, where white text
          // starts to contrast more than near-black text (WCAG contrast ratio).
          color: { condition: { test: 'datum.share > 0.7', value: 'white' }, value: '#1f2328' },
        },
      },
    ],
  };
  return renderSvg(spec);
}

/** Compiles a vega-lite spec and renders it to SVG (vega and vega-lite load on first use). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function push(points: CurvePoint[], run: string, epoch: number, split: CurvePoint['split'], value: number | undefined): void {
  // NaN/Infinity (a diverged epoch) would break the scale; the line simply stops there.
  if (value !== undefined && Number.isFinite(value)) points.push({ run, epoch, split, value });
}

function spansDecades(values: number[]): boolean {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return min > 0 && max / min > 100;
}

/** Two runs with one name would merge into one line; number the repeats instead. */
function uniqueNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let k = 2; used.has(unique); k++) unique = `${name} (${k})`;
    used.add(unique);
    return unique;
  });
}
