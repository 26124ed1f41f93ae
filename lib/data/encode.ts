// Applying a fitted spec: records in, the model's float32 rows out. Compiled
// once per spec into one closure per column, so a million rows cost one pass.
import { calendar, cellOf, cellText, daysSinceEpoch, impossibleDate, levelKey, naLookup, numberOf, outsideFloat32 } from './cells.js';
import { DataError } from './data-error.js';
import { type Cell, type ColumnSpec, columnFeatures, inputColumns, type TableRecord, type TabularSpec } from './spec.js';

/** Writes one column's features for a cell at out[offset…]; `where` names the row in errors. */
type ColumnEncoder = (cell: Cell, out: Float32Array, offset: number, where: () => string) => void;

const TAU = 2 * Math.PI;

function numericEncoder(c: Extract<ColumnSpec, { kind: 'numeric' }>, na: Set<string>): ColumnEncoder {
  const extra = new Set(c.extraMissing);
  return (cell, out, offset, where) => {
    let value: number;
    if (typeof cell === 'number') value = cell;
    else {
      const text = cellText(cell, na);
      value = text === null || extra.has(text) ? Number.NaN : numberOf(text, c.decimalComma);
      if (text !== null && !extra.has(text) && Number.isNaN(value))
        throw new DataError(`${where()}, column '${c.name}': expected a number, found '${clip(text)}'`);
    }
    if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY || (Number.isFinite(value) && outsideFloat32(value)))
      throw new DataError(`${where()}, column '${c.name}': ${value} does not fit a float32`);
    const missing = Number.isNaN(value);
    const x = missing ? c.median : c.log ? Math.log1p(Math.max(value, 0)) : value;
    out[offset] = Math.max(-c.clip, Math.min(c.clip, (x - c.mean) / c.std));
    if (c.indicator) out[offset + 1] = missing ? 1 : 0;
  };
}

function categoricalEncoder(c: Extract<ColumnSpec, { kind: 'categorical' }>, na: Set<string>): ColumnEncoder {
  const index = new Map(c.levels.map((level, i) => [level, i]));
  const other = c.levels.length;
  const width = other + 1 + (c.missing ? 1 : 0);
  return (cell, out, offset) => {
    const text = cellText(cell, na);
    // As written first: a saved spec's levels may predate levelKey ('Yes' beside 'yes').
    const k = text === null ? (c.missing ? other + 1 : other) : (index.get(text) ?? index.get(levelKey(text)) ?? other);
    out.fill(0, offset, offset + width);
    out[offset + k] = 1;
  };
}

function dateEncoder(c: Extract<ColumnSpec, { kind: 'date' }>, na: Set<string>): ColumnEncoder {
  return (cell, out, offset, where) => {
    const text = cellText(cell, na);
    let days = Number.NaN;
    if (text !== null) {
      days = daysSinceEpoch(cell, text, c.format);
      // An impossible date of the column's form (2021-02-30) is missing, as fitting read it.
      if (Number.isNaN(days) && !impossibleDate(text, c.format))
        throw new DataError(`${where()}, column '${c.name}': expected a date (${c.format}), found '${clip(text)}'`);
    }
    const missing = Number.isNaN(days);
    const { year, month, dayOfYear, weekday } = calendar(missing ? c.median : days);
    out[offset] = (year - c.yearMean) / c.yearStd;
    out[offset + 1] = Math.sin((TAU * month) / 12);
    out[offset + 2] = Math.cos((TAU * month) / 12);
    out[offset + 3] = Math.sin((TAU * dayOfYear) / 366);
    out[offset + 4] = Math.cos((TAU * dayOfYear) / 366);
    out[offset + 5] = Math.sin((TAU * weekday) / 7);
    out[offset + 6] = Math.cos((TAU * weekday) / 7);
    if (c.indicator) out[offset + 7] = missing ? 1 : 0;
  };
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** One record's encoder: writes `spec.features.length` values per record. */
export interface RecordEncoder {
  width: number;
  /** Encodes `record` into out[row·width…]; `where` names the record in errors (e.g. 'line 7'). */
  encode(record: TableRecord, out: Float32Array, row: number, where: () => string): void;
}

/** Compiles a spec into a record encoder. */
export function recordEncoder(spec: TabularSpec): RecordEncoder {
  const na = naLookup(spec.na);
  const columns = inputColumns(spec);
  const parts = columns.map((c) => ({
    name: c.name,
    width: columnFeatures(c).length,
    encode: c.kind === 'numeric' ? numericEncoder(c, na) : c.kind === 'categorical' ? categoricalEncoder(c, na) : dateEncoder(c, na),
  }));
  const width = parts.reduce((sum, p) => sum + p.width, 0);
  if (width !== spec.features.length) throw new DataError(`the spec names ${spec.features.length} features but its columns make ${width}`);
  return {
    width,
    encode(record, out, row, where) {
      let offset = row * width;
      for (const p of parts) {
        try {
          p.encode(cellOf(record, p.name), out, offset, where);
        } catch (error) {
          if (error instanceof TypeError) throw new TypeError(`${where()}, column '${p.name}': ${error.message}`);
          throw error;
        }
        offset += p.width;
      }
    },
  };
}
