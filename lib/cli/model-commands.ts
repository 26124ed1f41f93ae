// `densenode evaluate MODEL DATA` and `densenode predict MODEL DATA`: load a
// saved model, read DATA with the model's own preprocessing (its feature
// columns by name, its standardisation, its class names), then score or
// predict. Predictions go out as CSV: the class and one probability per class.
import { naLookup } from '../data/cells.js';
import { classNames, classProbabilities, errorsInTargetUnits, inTargetUnits, predictedNames, recordsInput } from '../data/model-records.js';
import type { CsvTable } from '../data/read-csv.js';
import { readTable } from '../data/read-json.js';
import { DEFAULT_NA, inputColumns, type TableRecord, type TargetSpec } from '../data/spec.js';
import { encodeTable, encodeTarget, labelledRows } from '../data/tabular.js';
import { writeFileAtomic } from '../io/atomic.js';
import { ModelFileError } from '../io/validate-manifest.js';
import type { Model } from '../model.js';
import { load as loadModel } from '../model-factory.js';
import { applyStandardization } from '../preprocess.js';
import type { Matrix } from '../tensor.js';
import { isIdx, readIdxData } from './dataset.js';
import { DataError } from './errors.js';
import { percent } from './progress.js';
import { confusionMatrix } from './run.js';

export async function openModel(dir: string): Promise<Model> {
  try {
    return await loadModel(dir);
  } catch (error) {
    if (error instanceof ModelFileError) throw new DataError(error.message.replace(/^load: /, ''));
    throw error;
  }
}

const isClassifier = (model: Model) => model.compiled !== null && model.compiled.loss !== 'meanSquaredError';

interface ModelInput {
  x: Matrix;
  labels: Int32Array | Float32Array | null;
  /** Rows left out because their label was missing (evaluate only). */
  droppedRows: number;
}

/** The columns a model reads from a CSV: its spec's inputs, or its saved feature names. */
function neededColumns(model: Model, table: CsvTable): string[] {
  const pre = model.preprocessing;
  if (pre?.tabular !== undefined) return inputColumns(pre.tabular).map((c) => c.name);
  return pre?.features ?? table.columns.filter((c) => c !== pre?.target);
}

/** DATA as this model's input: its columns by name (any order; extra ones ignored), its preprocessing, its class indices. */
async function readForModel(model: Model, data: string, options: { labels?: string; needLabels: boolean }): Promise<ModelInput> {
  const pre = model.preprocessing;
  if (data === 'fashion-mnist' || isIdx(data)) {
    const raw = await readIdxData(data, options.labels !== undefined ? { labels: options.labels } : {});
    // Fashion-MNIST's own test set is what evaluate means by it.
    const pair = raw.test ?? { x: raw.x, labels: raw.labels };
    if (pre?.mean !== undefined && pre.std !== undefined) applyStandardization(pair.x, { mean: pre.mean, std: pre.std });
    if (pair.x.cols !== model.inputs) throw new DataError(`${data}: ${pair.x.cols} pixels per image; the model takes ${model.inputs}`);
    return { x: pair.x, labels: isClassifier(model) ? pair.labels : Float32Array.from(pair.labels), droppedRows: 0 };
  }
  const table = await readTable(data);
  const needed = neededColumns(model, table);
  const absent = needed.filter((c) => !table.columns.includes(c));
  if (absent.length > 0)
    throw new DataError(
      `${data}: the model needs the column${absent.length > 1 ? 's' : ''} ${absent.map((c) => `'${c}'`).join(', ')}, which the header lacks`,
    );
  const target = pre?.target;
  const extra = table.columns.filter((c) => !needed.includes(c) && c !== target && !isDroppedColumn(pre, c));
  if (extra.length > 0)
    console.error(
      `densenode: ignoring ${extra.length > 1 ? 'columns' : 'column'} ${extra.map((c) => `'${c}'`).join(', ')}, which the model does not use`,
    );
  const hasTarget = target !== undefined && table.columns.includes(target);
  if (options.needLabels && !hasTarget)
    throw new DataError(`${data}: no label column${target !== undefined ? ` '${target}'` : ''} to evaluate against`);
  const na = naLookup(pre?.tabular?.na ?? DEFAULT_NA);
  const where = (i: number) => `${data}: ${table.unit ?? 'line'} ${table.lines[i]}`;
  // evaluate leaves out rows without a label; predict answers every row.
  const rows = options.needLabels ? labelledRows(table.records, target as string, na) : Array.from(table.records.keys());
  const records = rows.map((i) => table.records[i] as TableRecord);
  const at = (k: number) => where(rows[k] as number);
  const x =
    pre?.tabular !== undefined
      ? encodeTable({ ...pre.tabular, target: null }, records, at).x
      : recordsInput({ ...pre, features: needed }, records, model.inputs, 'predict', at).x;
  let labels: Int32Array | Float32Array | null = null;
  if (options.needLabels) {
    const spec: TargetSpec =
      pre?.tabular?.target ??
      (isClassifier(model)
        ? { name: target as string, kind: 'classes', classes: classNames(pre, model.outputWidth) }
        : { name: target as string, kind: 'values', mean: 0, std: 1 });
    labels = encodeTarget(
      spec,
      records.map((r) => r[target as string]),
      na,
      at,
    );
  }
  return { x, labels, droppedRows: table.records.length - rows.length };
}

const isDroppedColumn = (pre: Model['preprocessing'], name: string) => pre?.tabular?.columns.some((c) => c.name === name) ?? false;

export async function evaluateCommand(modelDir: string, data: string, flags: { labels?: string; json: boolean }): Promise<number> {
  const model = await openModel(modelDir);
  if (model.compiled === null)
    throw new DataError(`${modelDir}: the model was saved without compile settings, so it has no loss to evaluate`);
  const input = await readForModel(model, data, { ...(flags.labels !== undefined ? { labels: flags.labels } : {}), needLabels: true });
  const labels = input.labels as Int32Array | Float32Array;
  const result = model.evaluate(input.x, labels);
  errorsInTargetUnits(model.preprocessing, result);
  const classes = isClassifier(model) ? classNames(model.preprocessing, model.outputWidth) : null;
  const confusion =
    classes !== null ? confusionMatrix(model, { x: input.x, y: { kind: 'classes', y: labels as Int32Array } }, classes.length) : null;
  const dropped = input.droppedRows > 0 ? { droppedRows: input.droppedRows } : {};
  if (flags.json) {
    console.log(JSON.stringify({ rows: input.x.rows, ...dropped, ...result, ...(confusion !== null ? { classes, confusion } : {}) }));
    return 0;
  }
  console.log(`${data}: ${input.x.rows} rows${input.droppedRows > 0 ? ` (${input.droppedRows} without a label left out)` : ''}`);
  const figures =
    result.r2 !== undefined
      ? `  r2 ${result.r2.toFixed(4)}  mae ${(result.mae as number).toPrecision(5)}  rmse ${(result.rmse as number).toPrecision(5)}`
      : '';
  console.log(`loss ${result.loss.toFixed(4)}${result.accuracy !== undefined ? `  accuracy ${percent(result.accuracy)}` : ''}${figures}`);
  if (confusion !== null && classes !== null && classes.length <= 12) console.log(confusionTable(confusion, classes));
  return 0;
}

/** The confusion matrix as aligned text: rows are the true class, columns the predicted one. */
function confusionTable(matrix: number[][], classes: string[]): string {
  const names = classes.map((c) => (c.length > 12 ? `${c.slice(0, 11)}…` : c));
  const corner = 'true \\ predicted';
  const width = Math.max(5, ...names.map((n) => n.length), ...matrix.flat().map((v) => String(v).length));
  const label = Math.max(corner.length, ...names.map((n) => n.length)) + 2;
  const cell = (s: string) => s.padStart(width);
  const head = `${corner.padEnd(label)}${names.map(cell).join(' ')}`;
  const rows = matrix.map((row, i) => `${(names[i] as string).padEnd(label)}${row.map((v) => cell(String(v))).join(' ')}`);
  return [head, ...rows].join('\n');
}

// RFC 4180: quote a field holding a comma, quote or line break.
const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export async function predictCommand(modelDir: string, data: string, flags: { labels?: string; out?: string }): Promise<number> {
  const model = await openModel(modelDir);
  const input = await readForModel(model, data, { ...(flags.labels !== undefined ? { labels: flags.labels } : {}), needLabels: false });
  const out = inTargetUnits(model.preprocessing, model.predict(input.x));
  const lines: string[] = [];
  if (isClassifier(model)) {
    const classes = classNames(model.preprocessing, model.outputWidth);
    lines.push(['predicted', ...classes.map((c) => `p(${c})`)].map(csvField).join(','));
    // The same rule as accuracy and the confusion matrix (p ≥ 0.5 picks the second class).
    const names = predictedNames(model.preprocessing, out);
    for (let i = 0; i < out.rows; i++) {
      lines.push([csvField(names[i] as string), ...classProbabilities(out, i).map((p) => p.toPrecision(6))].join(','));
    }
  } else {
    lines.push(out.cols === 1 ? 'prediction' : Array.from({ length: out.cols }, (_, k) => `prediction_${k}`).join(','));
    for (let i = 0; i < out.rows; i++)
      lines.push(Array.from(out.data.subarray(i * out.cols, (i + 1) * out.cols), (v) => v.toPrecision(7)).join(','));
  }
  const text = `${lines.join('\n')}\n`;
  if (flags.out !== undefined) {
    await writeFileAtomic(flags.out, text);
    console.error(`wrote ${out.rows} predictions to ${flags.out}`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
