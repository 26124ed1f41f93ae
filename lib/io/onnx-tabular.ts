// The ONNX graph's front for a model with a column spec: one graph input per
// column the spec reads, and the spec's transform as nodes, so the file takes
// raw columns as model.predict(records) does. What ONNX cannot do, the caller
// does before feeding it, and the inputs' doc strings say so: numbers arrive
// parsed (NaN when missing), dates as day counts (onnx-date.ts), category
// texts trimmed. The arithmetic runs in float64 with one rounding to float32
// per feature, as the encoder (lib/data/encode.ts) computes it.
import { isNumeral, levelKey, naLookup } from '../data/cells.js';
import { readTabularSpec } from '../data/read-spec.js';
import { type CategoricalColumn, columnFeatures, inputColumns, type NumericColumn, type TabularSpec } from '../data/spec.js';
import { dateFeatures } from './onnx-date.js';
import { attr, DataType, type OnnxGraph } from './onnx-graph.js';

/** The ONNX-ML operator set (LabelEncoder) and the version whose LabelEncoder maps strings to int64 through keys/values. */
export const ML_DOMAIN = 'ai.onnx.ml';
export const mlOpset = 2;

/** One graph input: a column of the spec. */
export interface ColumnInput {
  name: string;
  kind: 'numeric' | 'categorical' | 'date';
  dtype: 'float32' | 'string' | 'float64';
  elemType: number;
  /** What the caller puts in it; the graph input's doc_string. */
  doc: string;
}

const INPUT = {
  numeric: {
    dtype: 'float32',
    elemType: DataType.FLOAT,
    doc: "float32 [N, 1]: the number, parsed by the caller (the spec's decimalComma, or else thousands separators, and extraMissing apply there); NaN when missing",
  },
  categorical: {
    dtype: 'string',
    elemType: DataType.STRING,
    doc: "string [N, 1]: the cell's text, trimmed; a number as String(x) gives it, a boolean as true/false; '' or an NA token when missing",
  },
  date: {
    dtype: 'float64',
    elemType: DataType.DOUBLE,
    doc: 'float64 [N, 1]: days since 1970-01-01T00:00Z, fractional with a time of day (Date.getTime() / 86400000); NaN when missing',
  },
} as const;

// The fields the graph implements, per column kind: a spec that gained a field this exporter does not know is refused, not approximated.
const KNOWN_FIELDS: Record<string, readonly string[]> = {
  numeric: ['name', 'kind', 'median', 'mean', 'std', 'log', 'clip', 'indicator', 'decimalComma', 'extraMissing'],
  categorical: ['name', 'kind', 'levels', 'missing'],
  date: ['name', 'kind', 'format', 'median', 'yearMean', 'yearStd', 'indicator'],
  dropped: ['name', 'kind', 'reason'],
};
const SPEC_FIELDS = ['version', 'na', 'columns', 'target', 'features'];
const TARGET_FIELDS: Record<string, readonly string[]> = { classes: ['name', 'kind', 'classes'], values: ['name', 'kind', 'mean', 'std'] };

/** The model's spec, validated and checked to be one the graph can carry out exactly. */
export function exportableSpec(raw: unknown, inputs: number, fn: string): TabularSpec {
  const spec = readTabularSpec(raw, fn, 'preprocessing.tabular');
  const unknown = (value: object, known: readonly string[]) => Object.keys(value).find((key) => !known.includes(key));
  const refuse = (path: string, key: string) =>
    new Error(`${fn}: preprocessing.tabular${path} has '${key}', which the ONNX exporter does not know how to compute`);
  const top = unknown(raw as object, SPEC_FIELDS);
  if (top !== undefined) throw refuse('', top);
  const target = (raw as { target: object | null }).target;
  const targetKey = spec.target === null ? undefined : unknown(target as object, TARGET_FIELDS[spec.target.kind] ?? []);
  if (targetKey !== undefined) throw refuse('.target', targetKey);
  (raw as { columns: object[] }).columns.forEach((column, i) => {
    const kind = (column as { kind: string }).kind;
    const key = unknown(column, KNOWN_FIELDS[kind] ?? []);
    if (key !== undefined) throw refuse(`.columns[${i}] ('${spec.columns[i]?.name}')`, key);
  });
  if (spec.features.length !== inputs)
    throw new RangeError(`${fn}: preprocessing.tabular makes ${spec.features.length} features, the model has ${inputs} inputs`);
  for (const c of inputColumns(spec)) {
    if (c.name === '') throw new Error(`${fn}: a column without a name cannot be an ONNX graph input (ONNX reads '' as no input)`);
    if (c.name === 'output') throw new Error(`${fn}: a column named 'output' would clash with the graph's output; rename the column`);
  }
  return spec;
}

/** The graph inputs of a spec, in column order. */
export function columnInputs(spec: TabularSpec): ColumnInput[] {
  return inputColumns(spec).map((c) => ({ name: c.name, kind: c.kind, ...INPUT[c.kind] }));
}

/** Adds the transform from the column inputs to the [N, features] float32 row the first layer takes; returns that tensor's name. */
export function tabularFeatures(g: OnnxGraph, spec: TabularSpec): string {
  const pieces = inputColumns(spec).flatMap((c, j) => {
    const stem = `column${j}`;
    if (c.kind === 'numeric') return numericFeatures(g, c, stem);
    if (c.kind === 'categorical') return [categoricalFeatures(g, c, spec.na, stem)];
    return dateFeatures(g, c, stem, c.name);
  });
  return g.node('Concat', pieces, { output: g.name('features'), attribute: [attr.int('axis', 1)] });
}

function numericFeatures(g: OnnxGraph, c: NumericColumn, stem: string): string[] {
  const { log, clip } = c;
  const scalar = (name: string, v: number) => g.double(`${stem}.${name}`, [], [v]);
  const x = g.node('Cast', [c.name], { attribute: [attr.int('to', DataType.DOUBLE)] });
  const missing = g.node('IsNaN', [x]);
  // log(1 + max(x, 0)); a NaN's result is discarded by the Where below.
  const value = log ? g.node('Log', [g.node('Add', [g.node('Max', [x, scalar('zero', 0)]), scalar('one', 1)])]) : x;
  const imputed = g.node('Where', [missing, scalar('median', c.median), value]);
  let z = g.node('Div', [g.node('Sub', [imputed, scalar('mean', c.mean)]), scalar('std', c.std)]);
  // A spec read without a clip holds Number.MAX_VALUE, which bounds nothing.
  if (clip < Number.MAX_VALUE) z = g.node('Clip', [z, scalar('low', -clip), scalar('high', clip)]);
  const toFloat = [attr.int('to', DataType.FLOAT)];
  const out = [g.node('Cast', [z], { attribute: toFloat })];
  if (c.indicator) out.push(g.node('Cast', [missing], { attribute: toFloat }));
  return out;
}

function categoricalFeatures(g: OnnxGraph, c: CategoricalColumn, na: string[], stem: string): string {
  const { keys, values, other } = categoryKeys(c, na);
  const width = columnFeatures(c).length;
  const index = g.node('LabelEncoder', [c.name], {
    domain: ML_DOMAIN,
    attribute: [attr.strings('keys_strings', keys), attr.ints('values_int64s', values), attr.int('default_int64', other)],
  });
  const hot = g.node('OneHot', [index, g.int64(`${stem}.depth`, [1], [width]), g.float(`${stem}.offOn`, [2], [0, 1])]);
  return g.node('Flatten', [hot], { attribute: [attr.int('axis', 1)] });
}

const caseForms = (s: string) => [s, s.toLowerCase(), s.toUpperCase(), s.charAt(0).toUpperCase() + s.slice(1).toLowerCase()];

/**
 * The exact strings LabelEncoder matches, and the level index of each; anything else is (other).
 * The encoder compares NA tokens case-insensitively and levels through levelKey (numerals by value,
 * booleans in any case); an exact-match table can only list spellings, so it lists the likely ones:
 * each level as fitted, 'True'/'TRUE' for a boolean level, '3.0' for an integer level, and each NA
 * token as given, lower case, upper case and capitalised. A spelling is kept only when the encoder
 * reads it the same way, so the table never disagrees with model.predict, it only misses rarer spellings.
 */
export function categoryKeys(c: CategoricalColumn, na: string[]): { keys: string[]; values: number[]; other: number } {
  const naSet = naLookup(na);
  const other = c.levels.length;
  const table = new Map<string, number>();
  c.levels.forEach((level, i) => {
    const spellings = [level, ...caseForms(level), ...(isNumeral(level) && Number.isInteger(Number(level)) ? [`${level}.0`] : [])];
    // The level as fitted always matches (the encoder tries it first: a saved spec's 'Yes').
    for (const s of spellings) if (!naSet.has(s.toLowerCase()) && (s === level || levelKey(s) === level)) table.set(s, i);
  });
  // Without a (missing) level a missing cell is (other), the default already.
  if (c.missing) for (const token of ['', ...na]) for (const s of caseForms(token.trim())) table.set(s, other + 1);
  // LabelEncoder needs one key at least; '' is always missing, which is (other) here.
  if (table.size === 0) table.set('', other);
  return { keys: [...table.keys()], values: [...table.values()], other };
}
