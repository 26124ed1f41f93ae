// The column spec: how raw records (CSV rows, JSON bodies, database rows) become
// the model's float32 input, and its output becomes class names or values again.
// Plain data, fitted on the training split only and saved as model.json's
// `preprocessing.tabular`, so the CLI, model.predict(records) and the ONNX graph
// apply one transform.

/** The format version of a saved spec; a newer one is refused on load. */
export const TABULAR_VERSION = 1;

/** One raw cell as a record carries it: CSV text, a JSON value, a database value. */
export type Cell = string | number | boolean | Date | null | undefined;

/** A raw record: cells keyed by column name (a missing key means a missing cell). */
export type TableRecord = Readonly<Record<string, Cell>>;

/**
 * A numeric column: missing cells take the training median; with `log`, x becomes log(1 + max(x, 0));
 * then z = (x − mean)/std, clipped to ±`clip`; with `indicator` a 0/1 feature `<name>_missing`
 * follows (the training split had missing cells). Features: `<name>` [, `<name>_missing`].
 */
export interface NumericColumn {
  name: string;
  kind: 'numeric';
  median: number;
  mean: number;
  std: number;
  /** log1p before scaling: a skewed non-negative column (sizes, amounts, counts). */
  log: boolean;
  /** The bound of |z|: a ReLU network extrapolates linearly, so a value far outside the training range is held at it. */
  clip: number;
  indicator: boolean;
  /** Cells read with a decimal comma ('1,5' is 1.5). */
  decimalComma: boolean;
  /** Strings this column treats as missing besides the NA tokens (stray words in a numeric column). */
  extraMissing: string[];
}

/**
 * A categorical column, one-hot: a feature per kept level, then `<name>=(other)` (rare levels and
 * levels first seen at predict time), then `<name>=(missing)` when the training split had missing cells
 * (otherwise a missing cell counts as other). Numbers and booleans match levels by their text.
 */
export interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  levels: string[];
  missing: boolean;
}

/** How a date column's text is read. */
export type DateFormat = 'iso' | 'ymd' | 'dmy' | 'mdy';

/**
 * A date or date-time column: year (standardised, fractional), month and day of the year and the
 * weekday as sine/cosine pairs; a missing date takes the median and sets `<name>_missing` when
 * `indicator`. Features: `<name>_year`, `_month_sin`, `_month_cos`, `_doy_sin`, `_doy_cos`, `_weekday_sin`,
 * `_weekday_cos` [, `_missing`].
 */
export interface DateColumn {
  name: string;
  kind: 'date';
  format: DateFormat;
  /** Median of the training dates, in days since 1970-01-01 (UTC). */
  median: number;
  yearMean: number;
  yearStd: number;
  indicator: boolean;
}

/** Why a column feeds no feature. */
export type DropReason = 'ignored' | 'id' | 'text' | 'constant' | 'empty';

export interface DroppedColumn {
  name: string;
  kind: 'dropped';
  reason: DropReason;
}

export type ColumnSpec = NumericColumn | CategoricalColumn | DateColumn | DroppedColumn;

/** The target: class names by index, or a regression value standardised for training. */
export type TargetSpec = { name: string; kind: 'classes'; classes: string[] } | { name: string; kind: 'values'; mean: number; std: number };

/** The whole transform, as saved. */
export interface TabularSpec {
  version: typeof TABULAR_VERSION;
  /** Cell texts read as missing (compared trimmed and case-insensitively). */
  na: string[];
  /** Every column of the training table, in its order, with what became of it. */
  columns: ColumnSpec[];
  /** Null for a spec fitted without a target (features only). */
  target: TargetSpec | null;
  /** The encoded feature names, one per model input. */
  features: string[];
}

/** The default NA tokens: empty, '?', NA, N/A, NaN, null, None (case-insensitive). */
export const DEFAULT_NA = ['', '?', 'NA', 'N/A', 'NaN', 'null', 'None'];

export const DATE_PARTS = ['year', 'month_sin', 'month_cos', 'doy_sin', 'doy_cos', 'weekday_sin', 'weekday_cos'] as const;

/** The encoded feature names of one column, in input order. */
export function columnFeatures(column: ColumnSpec): string[] {
  switch (column.kind) {
    case 'numeric':
      return column.indicator ? [column.name, `${column.name}_missing`] : [column.name];
    case 'categorical':
      return [...column.levels, '(other)', ...(column.missing ? ['(missing)'] : [])].map((level) => `${column.name}=${level}`);
    case 'date':
      return [...DATE_PARTS.map((part) => `${column.name}_${part}`), ...(column.indicator ? [`${column.name}_missing`] : [])];
    case 'dropped':
      return [];
  }
}

/** The columns that feed features (what a record must carry). */
export function inputColumns(spec: TabularSpec): Exclude<ColumnSpec, DroppedColumn>[] {
  return spec.columns.filter((c): c is Exclude<ColumnSpec, DroppedColumn> => c.kind !== 'dropped');
}

/**
 * How raw data becomes the model's input and its output becomes labels; saved with the model. With
 * `tabular` (a fitted column spec), model.predict(records) and the CLI apply the whole transform;
 * without it, `features` with `mean`/`std` is a numeric-only standardisation (x − mean) / std.
 */
export interface Preprocessing {
  /** Feature names, in input order (with `tabular`: its encoded feature names). */
  features?: string[];
  /** The label column's name. */
  target?: string;
  /** Per-feature standardisation (x − mean) / std, fitted on the training split (numeric-only form). */
  mean?: number[];
  std?: number[];
  /** Class names by index. */
  classes?: string[];
  /** The column spec from raw records (see TabularSpec). */
  tabular?: TabularSpec;
}

/** The preprocessing a fitted spec gives a model. */
export function tabularPreprocessing(spec: TabularSpec): Preprocessing {
  return {
    features: [...spec.features],
    ...(spec.target !== null ? { target: spec.target.name } : {}),
    ...(spec.target?.kind === 'classes' ? { classes: [...spec.target.classes] } : {}),
    tabular: spec,
  };
}
