// The HTML training report: one self-contained file (inline CSS and SVG, no
// script, no external resource) that can be mailed, archived or opened offline.
// Void elements are self-closed so the file is also well-formed XML, which the tests check.
import { type ColumnSpec, columnFeatures, type DropReason, type TabularSpec } from '../data/spec.js';
import type { ColumnNotice } from '../data/tabular.js';
import { invalidArgument } from '../errors.js';
import type { Matrix } from '../tensor.js';
import type { History } from '../train.js';

/** The raw table of a CSV run: the spec fitted on the training split, what fitting said, and that split encoded. */
export interface ReportData {
  spec: TabularSpec;
  notices: readonly ColumnNotice[];
  /** The encoded training split: a column's missing indicator (or its (missing) level) sums to its missing count there. */
  train: Matrix;
  /** The training split's rows when `train` holds only the first of them (a streamed table): counts are scaled from it. */
  trainRows?: number;
  /** Rows left out before the split because their label was missing. */
  droppedRows: number;
}

export interface ReportInput {
  title: string;
  /** The command line that produced the run, shown verbatim. */
  command: string;
  options: Record<string, unknown>;
  history: History;
  metrics: { split: string; loss: number; accuracy?: number }[];
  confusion?: { matrix: number[][]; classes: string[] };
  /** From learningCurvesSvg(): trusted markup, inlined as is. */
  curvesSvg: string;
  /** From confusionMatrixSvg(): trusted markup, inlined as is. */
  confusionSvg?: string;
  modelSummary?: string;
  /** The columns and what became of them (CSV data only). */
  data?: ReportData;
  /** An ISO 8601 date. */
  createdAt: string;
}

export interface ClassMetrics {
  /** NaN when the class is never predicted. */
  precision: number;
  /** NaN when the class never occurs. */
  recall: number;
  /** 2·TP / (2·TP + FP + FN): 0 rather than NaN when only one of precision and recall is undefined. */
  f1: number;
  /** How many samples truly belong to the class (the row sum). */
  support: number;
}

/** Per-class precision, recall and F1 of a confusion matrix whose rows are true classes and columns predicted ones. */
export function classMetrics(matrix: number[][]): ClassMetrics[] {
  const n = matrix.length;
  const bad = matrix.find((row) => row.length !== n);
  if (bad !== undefined)
    throw invalidArgument(RangeError, 'classMetrics', 'matrix', 'a square matrix', `${n} rows and a row of ${bad.length}`);
  return matrix.map((row, k) => {
    const tp = row[k] as number;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((sum, r) => sum + (r[k] as number), 0);
    const fp = predicted - tp;
    const fn = support - tp;
    return { precision: tp / predicted, recall: tp / support, f1: (2 * tp) / (2 * tp + fp + fn), support };
  });
}

/** Unweighted mean over classes, skipping undefined (NaN) values as scikit-learn's zero_division=np.nan does. */
export function macroAverage(metrics: ClassMetrics[]): { precision: number; recall: number; f1: number } {
  const mean = (pick: (m: ClassMetrics) => number) => {
    const values = metrics.map(pick).filter((v) => !Number.isNaN(v));
    return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  };
  return { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) };
}

export function reportHtml(input: ReportInput): string {
  const { history } = input;
  const epochs = history.epochs.length;
  const seconds = history.epochs.reduce((sum, e) => sum + e.seconds, 0);
  const last = history.epochs.at(-1);
  const cards: [string, string][] = [
    ['Stopped', STOP_REASONS[history.stopReason]],
    ['Epochs', String(epochs)],
    ['Training time', `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`],
    ['Final loss', last === undefined ? '—' : formatLoss(last.loss)],
  ];
  const sections = [
    section('Metrics', metricsTable(input.metrics)),
    section('Learning curves', figure(input.curvesSvg, 'curves')),
    input.confusion !== undefined || input.confusionSvg !== undefined
      ? section(
          'Confusion matrix',
          (input.confusionSvg === undefined ? '' : figure(input.confusionSvg, 'confusion')) +
            (input.confusion === undefined ? '' : confusionTable(input.confusion.matrix, input.confusion.classes)),
        )
      : '',
    input.confusion === undefined ? '' : section('Per-class metrics', classTable(input.confusion.matrix, input.confusion.classes)),
    input.data === undefined ? '' : section('Data', dataSection(input.data)),
    section('Options', optionsTable(input.options)),
    input.modelSummary === undefined ? '' : section('Model', `<pre>${escapeHtml(input.modelSummary)}</pre>`),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="generator" content="densenode" />
<title>${escapeHtml(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(input.title)}</h1>
<p class="meta"><time datetime="${escapeHtml(input.createdAt)}">${escapeHtml(formatDate(input.createdAt))}</time></p>
<p class="command"><code>${escapeHtml(input.command)}</code></p>
</header>
<dl class="cards">
${cards.map(([k, v]) => `<div class="card${k === 'Stopped' ? ` stop-${history.stopReason}` : ''}"><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n')}
</dl>
${sections.filter((s) => s !== '').join('\n')}
<footer>Generated by densenode</footer>
</main>
</body>
</html>
`;
}

const STOP_REASONS: Record<History['stopReason'], string> = {
  completed: 'Completed',
  earlyStopping: 'Early stopping',
  callback: 'Stopped by a callback',
  aborted: 'Aborted',
  diverged: 'Diverged',
};

function metricsTable(metrics: ReportInput['metrics']): string {
  const withAccuracy = metrics.some((m) => m.accuracy !== undefined);
  const head = `<tr><th scope="col">Split</th><th scope="col" class="num">Loss</th>${withAccuracy ? '<th scope="col" class="num">Accuracy</th>' : ''}</tr>`;
  const rows = metrics.map(
    (m) =>
      `<tr><th scope="row">${escapeHtml(m.split)}</th><td class="num">${formatLoss(m.loss)}</td>${
        withAccuracy ? `<td class="num">${m.accuracy === undefined ? '—' : formatPercent(m.accuracy)}</td>` : ''
      }</tr>`,
  );
  return table(head, rows);
}

function confusionTable(matrix: number[][], classes: string[]): string {
  const head = `<tr><th scope="col">True \\ predicted</th>${classes.map((c) => `<th scope="col" class="num">${escapeHtml(c)}</th>`).join('')}</tr>`;
  const rows = matrix.map(
    (row, i) =>
      `<tr><th scope="row">${escapeHtml(classes[i] ?? String(i))}</th>${row
        .map((v, j) => `<td class="num${i === j ? ' diag' : ''}">${v.toLocaleString('en-US')}</td>`)
        .join('')}</tr>`,
  );
  return table(head, rows, 'Confusion matrix: rows are true classes, columns predicted classes', 'confusion');
}

function classTable(matrix: number[][], classes: string[]): string {
  const metrics = classMetrics(matrix);
  const head =
    '<tr><th scope="col">Class</th><th scope="col" class="num">Precision</th><th scope="col" class="num">Recall</th><th scope="col" class="num">F1</th><th scope="col" class="num">Support</th></tr>';
  const cells = (m: { precision: number; recall: number; f1: number }) =>
    `<td class="num">${formatRatio(m.precision)}</td><td class="num">${formatRatio(m.recall)}</td><td class="num">${formatRatio(m.f1)}</td>`;
  const rows = metrics.map(
    (m, i) =>
      `<tr><th scope="row">${escapeHtml(classes[i] ?? String(i))}</th>${cells(m)}<td class="num">${m.support.toLocaleString('en-US')}</td></tr>`,
  );
  const support = metrics.reduce((sum, m) => sum + m.support, 0);
  rows.push(
    `<tr class="total"><th scope="row">Macro average</th>${cells(macroAverage(metrics))}<td class="num">${support.toLocaleString('en-US')}</td></tr>`,
  );
  return table(head, rows);
}

// Past this many, a categorical column's levels are counted rather than listed.
const LEVELS_SHOWN = 20;
const DROP_REASONS: Record<DropReason, string> = {
  id: 'ID-like',
  text: 'free text',
  constant: 'constant',
  empty: 'entirely missing',
  ignored: 'ignored (--ignore)',
};

function columnSum(x: Matrix, col: number): number {
  let sum = 0;
  for (let r = 0; r < x.rows; r++) sum += x.data[r * x.cols + col] as number;
  return sum;
}

function columnType(c: ColumnSpec): string {
  if (c.kind === 'date') return `date (${c.format})`;
  if (c.kind === 'dropped') return `dropped: ${DROP_REASONS[c.reason] ?? c.reason}`;
  return c.kind;
}

const count = (n: number) => n.toLocaleString('en-US');
const clipText = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

function levelList(levels: readonly string[]): string {
  const shown = levels
    .slice(0, LEVELS_SHOWN)
    .map((level) => `<code class="level" title="${escapeHtml(level)}">${escapeHtml(clipText(level))}</code>`)
    .join(' ');
  const more = levels.length - LEVELS_SHOWN;
  return more > 0 ? `${shown} <span class="more">… ${count(more)} more</span>` : shown;
}

function dataSection(data: ReportData): string {
  const { spec, train } = data;
  const total = data.trainRows ?? train.rows;
  // From a sample, a count is an estimate for the whole split.
  const scaled = (n: number) => (total === train.rows ? count(n) : `≈${count(Math.round((n * total) / Math.max(1, train.rows)))}`);
  const notices = new Map(data.notices.map((n) => [n.column, n.message]));
  const widths = spec.columns.map((c) => columnFeatures(c).length);
  // Counts are read off the encoded rows only when they line up with the spec's features.
  const aligned = widths.reduce((a, b) => a + b, 0) === train.cols;
  const kinds = new Map<string, number>();
  let offset = 0;
  const rows = spec.columns.map((c, i) => {
    const width = widths[i] as number;
    const start = offset;
    offset += width;
    kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
    let missing: number | null = null;
    if (c.kind === 'dropped') missing = c.reason === 'empty' ? train.rows : c.reason === 'constant' ? 0 : null;
    else if (aligned) missing = (c.kind === 'categorical' ? c.missing : c.indicator) ? columnSum(train, start + width - 1) : 0;
    const share = missing !== null && missing > 0 && train.rows > 0 ? ` (${formatPercent(missing / train.rows)})` : '';
    let levels = '';
    if (c.kind === 'categorical') {
      const other = aligned ? columnSum(train, start + c.levels.length) : 0;
      levels = `${levelList(c.levels)}${other > 0 ? ` <span class="more">(other): ${scaled(other)} rows</span>` : ''}`;
    }
    return (
      `<tr${c.kind === 'dropped' ? ' class="dropped"' : ''}><th scope="row"><code>${escapeHtml(c.name)}</code></th>` +
      `<td>${escapeHtml(columnType(c))}</td><td class="num">${missing === null ? '—' : `${scaled(missing)}${share}`}</td>` +
      `<td class="num">${width}</td><td>${levels}</td><td class="notes">${escapeHtml(notices.get(c.name) ?? '')}</td></tr>`
    );
  });
  const head =
    '<tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col" class="num">Missing (train)</th>' +
    '<th scope="col" class="num">Features</th><th scope="col">Levels kept</th><th scope="col">Notes</th></tr>';
  const tally = ['numeric', 'categorical', 'date', 'dropped']
    .filter((k) => kinds.has(k))
    .map((k) => `${kinds.get(k)} ${k}`)
    .join(', ');
  const target = spec.target;
  const label =
    target === null
      ? ''
      : `<p>Label <code>${escapeHtml(target.name)}</code>: ${
          target.kind === 'classes' ? `${target.classes.length} classes, ${levelList(target.classes)}` : 'numeric (regression)'
        }; ${data.droppedRows > 0 ? `${count(data.droppedRows)} rows without a label left out` : 'no rows without a label'}.</p>`;
  return (
    `<p>${spec.columns.length} columns besides the label (${tally}) make ${spec.features.length} features, ` +
    `fitted on ${count(total)} training rows${total === train.rows ? '' : ` (missing cells counted on the first ${count(train.rows)})`}.</p>${label}${table(head, rows, undefined, 'data')}`
  );
}

function optionsTable(options: Record<string, unknown>): string {
  const entries = Object.entries(options).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '<p class="empty">Defaults only.</p>';
  const head = '<tr><th scope="col">Option</th><th scope="col">Value</th></tr>';
  return table(
    head,
    entries.map(
      ([k, v]) => `<tr><th scope="row"><code>${escapeHtml(k)}</code></th><td><code>${escapeHtml(formatValue(v))}</code></td></tr>`,
    ),
    undefined,
    'options',
  );
}

function table(head: string, rows: string[], caption?: string, className?: string): string {
  return `<div class="scroll"><table${className === undefined ? '' : ` class="${className}"`}>${
    caption === undefined ? '' : `<caption>${escapeHtml(caption)}</caption>`
  }<thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function figure(svg: string, idPrefix: string): string {
  const markup = svg.replace(/^\s*<\?xml[^>]*>\s*/, '');
  if (!markup.startsWith('<svg')) throw new TypeError('reportHtml: expected SVG markup (from learningCurvesSvg or confusionMatrixSvg)');
  return `<figure>${scopeIds(markup, idPrefix)}</figure>`;
}

/**
 * vega numbers its clip paths and gradients per process (clip1, gradient_0, …), so two inlined
 * SVGs rendered apart can share an id, and url(#clip1) would then resolve to the wrong chart.
 */
export function scopeIds(svg: string, prefix: string): string {
  const ids = new Set(Array.from(svg.matchAll(/\sid="([^"]+)"/g), (m) => m[1]));
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) =>
    ids.has(id) ? `${lead}${prefix}-${id}` : whole,
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // BigInt or a cycle
  }
}

/** Fixed decimals so a column of losses lines up; exponents only outside [0.001, 10⁴). */
function formatLoss(value: number): string {
  if (Number.isNaN(value)) return '—';
  const a = Math.abs(value);
  return !Number.isFinite(value) || a === 0 || (a >= 1e-3 && a < 1e4) ? value.toFixed(4).replace('Infinity', '∞') : value.toExponential(3);
}

function formatPercent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(2)}%` : '—';
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '—';
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:880px;margin:32px auto;padding:32px 40px;background:#fff;border:1px solid var(--line);border-radius:8px}
header{border-bottom:1px solid var(--line);padding-bottom:16px;margin-bottom:20px}
h1{font-size:26px;line-height:1.25;margin:0 0 4px;font-weight:650;overflow-wrap:anywhere}
h2{font-size:18px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line);font-weight:600}
.meta{margin:0;color:var(--muted);font-size:14px}
.command{margin:10px 0 0}
.command code{display:block;padding:8px 12px;background:var(--soft);border:1px solid var(--line);border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;border-left:4px solid var(--line)}
.card dt{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card dd{margin:2px 0 0;font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
.stop-completed{border-left-color:#1a7f37}.stop-earlyStopping{border-left-color:var(--accent)}
.stop-aborted{border-left-color:#9a6700}.stop-diverged{border-left-color:#cf222e}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums;margin:4px 0}
caption{text-align:left;color:var(--muted);font-size:13px;padding-bottom:6px}
th,td{padding:6px 14px;text-align:left;border-bottom:1px solid #eaeef2;vertical-align:top}
thead th{background:var(--soft);border-bottom:1px solid var(--line);font-weight:600;font-size:13px;color:var(--muted)}
tbody th{font-weight:600}
.num{text-align:right}
tr.total th,tr.total td{border-top:1px solid var(--line);background:#fbfcfd}
table.confusion{margin-top:16px}
table.confusion td.diag{font-weight:700;background:#ddf4ff}
table.options td code{white-space:pre-wrap;overflow-wrap:anywhere}
table.options{width:100%}
figure{margin:8px 0}
figure svg{display:block;max-width:100%;height:auto}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:12px 14px;overflow-x:auto;line-height:1.45}
.empty{color:var(--muted)}
code.level{display:inline-block;margin:0 2px 4px 0;padding:0 5px;background:var(--soft);border:1px solid var(--line);border-radius:4px;font-size:12px}
.more{color:var(--muted);font-size:13px;white-space:nowrap}
table.data td.notes{color:var(--muted);font-size:13px;min-width:200px}
table.data tr.dropped th code{text-decoration:line-through;color:var(--muted)}
footer{margin-top:40px;padding-top:12px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
@media (max-width:700px){main{margin:0;border:0;border-radius:0;padding:20px}}
@media print{body{background:#fff}main{border:0;margin:0;max-width:none}}
`;
