// `densenode evaluate MODEL DATA` and `densenode predict MODEL DATA`: load a
// saved model, read DATA with the model's own preprocessing (its feature
// columns by name, its standardisation, its class names), then score or
// predict. Predictions go out as CSV: the class and one probability per class.
import { writeFileAtomic } from '../io/atomic.js';
import { loadModel } from '../io/model-file.js';
import { ModelFileError } from '../io/validate-manifest.js';
import type { Model } from '../model.js';
import { applyStandardization } from '../preprocess.js';
import { predictedClass } from '../targets.js';
import type { Matrix } from '../tensor.js';
import { readCsv } from './csv.js';
import { indexLabels, isIdx, readData } from './dataset.js';
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

function classNames(model: Model): string[] {
  const classes = model.preprocessing?.classes;
  if (classes !== undefined) return classes;
  return Array.from({ length: model.outputWidth === 1 ? 2 : model.outputWidth }, (_, i) => String(i));
}

interface ModelInput {
  x: Matrix;
  labels: Int32Array | Float32Array | null;
}

/** DATA as this model's input: the same columns, standardisation and class indices it was trained with. */
async function readForModel(model: Model, data: string, options: { labels?: string; needLabels: boolean }): Promise<ModelInput> {
  const pre = model.preprocessing;
  let x: Matrix;
  let labels: Int32Array | Float32Array | null = null;
  if (data === 'fashion-mnist' || isIdx(data)) {
    const raw = await readData(data, options.labels !== undefined ? { labels: options.labels } : {});
    // Fashion-MNIST's own test set is what evaluate means by it.
    const pair = raw.test ?? { x: raw.x, labels: raw.labels as Int32Array };
    x = pair.x;
    labels = isClassifier(model) ? pair.labels : Float32Array.from(pair.labels);
  } else {
    const target = pre?.target;
    const features = pre?.features;
    const table = await readCsv(data, {
      ...(target !== undefined ? { target } : {}),
      ...(features !== undefined ? { features } : {}),
      // Without saved feature names, a predict file may hold just the features.
      requireTarget: options.needLabels,
    });
    x = table.x;
    if (table.labels !== null && options.needLabels) {
      labels = isClassifier(model)
        ? indexLabels(table.labels, classNames(model), data, table.lines)
        : Float32Array.from(table.labels, (s, i) => {
            const v = Number(s);
            if (s.trim() === '' || !Number.isFinite(v))
              throw new DataError(`${data}: line ${table.lines[i]}: the target '${s}' is not a number`);
            return v;
          });
    }
  }
  if (x.cols !== model.inputs) throw new DataError(`${data}: ${x.cols} feature columns; the model takes ${model.inputs}`);
  if (pre?.mean !== undefined && pre.std !== undefined) applyStandardization(x, { mean: pre.mean, std: pre.std });
  if (options.needLabels && labels === null) throw new DataError(`${data}: no label column to evaluate against`);
  return { x, labels };
}

export async function evaluateCommand(modelDir: string, data: string, flags: { labels?: string; json: boolean }): Promise<number> {
  const model = await openModel(modelDir);
  if (model.compiled === null)
    throw new DataError(`${modelDir}: the model was saved without compile settings, so it has no loss to evaluate`);
  const input = await readForModel(model, data, { ...(flags.labels !== undefined ? { labels: flags.labels } : {}), needLabels: true });
  const labels = input.labels as Int32Array | Float32Array;
  const result = model.evaluate(input.x, labels);
  const classes = isClassifier(model) ? classNames(model) : null;
  const confusion =
    classes !== null ? confusionMatrix(model, { x: input.x, y: { kind: 'classes', y: labels as Int32Array } }, classes.length) : null;
  if (flags.json) {
    console.log(JSON.stringify({ rows: input.x.rows, ...result, ...(confusion !== null ? { classes, confusion } : {}) }));
    return 0;
  }
  console.log(`${data}: ${input.x.rows} rows`);
  console.log(`loss ${result.loss.toFixed(4)}${result.accuracy !== undefined ? `  accuracy ${percent(result.accuracy)}` : ''}`);
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
  const out = model.predict(input.x);
  const lines: string[] = [];
  if (isClassifier(model)) {
    const classes = classNames(model);
    lines.push(['predicted', ...classes.map((c) => `p(${c})`)].map(csvField).join(','));
    for (let i = 0; i < out.rows; i++) {
      const probs =
        out.cols === 1
          ? [1 - (out.data[i] as number), out.data[i] as number]
          : Array.from(out.data.subarray(i * out.cols, (i + 1) * out.cols));
      // The same rule as accuracy and the confusion matrix (p ≥ 0.5 picks the second class).
      const best = predictedClass(out.data, i, out.cols);
      lines.push([csvField(classes[best] as string), ...probs.map((p) => p.toPrecision(6))].join(','));
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
