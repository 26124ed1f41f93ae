// What training takes from the data, whatever it was read from: the splits,
// the output kind, and the preprocessing to save with the model.
import type { Preprocessing } from '../data/spec.js';
import type { ColumnNotice } from '../data/tabular.js';
import type { Matrix } from '../tensor.js';

export type OutputKind = 'sigmoid' | 'softmax' | 'linear';

/** Labels as the model takes them: class indices, or values for regression. */
export type Encoded = { kind: 'classes'; y: Int32Array } | { kind: 'values'; y: Float32Array };

export interface Split {
  x: Matrix;
  y: Encoded;
}

export interface PreparedData {
  name: string;
  /** The model's input names (after one-hot and the other encodings). */
  features: string[];
  target: string;
  output: OutputKind;
  /** Class names by index (classification only). */
  classes: string[] | null;
  train: Split;
  validation: Split | null;
  test: Split | null;
  /** Saved with the model: the column spec (CSV) or the pixel standardisation (IDX). */
  preprocessing: Preprocessing;
  /** What typing decided about each column (CSV only). */
  notices: ColumnNotice[];
  /** Rows dropped because their label was missing. */
  droppedRows: number;
  /** Columns of the raw table besides the label. */
  rawColumns: number;
}
