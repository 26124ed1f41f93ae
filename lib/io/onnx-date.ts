// A date column's features inside the ONNX graph, from a day count: the graph
// takes days since 1970-01-01 UTC (what Date.getTime()/86400000 gives) rather
// than text, because ONNX has no date parsing, and rather than the seven
// features themselves, so a client only converts a date to a number. The
// calendar is worked out in float64 with Floor alone (no Mod: ONNX forbids it
// on floats without fmod, which truncates), the proleptic Gregorian calendar
// of JS Dates, so every value equals the encoder's before the final float32
// rounding. Every integer stays far below 2^53, so float64 holds it exactly.
import type { DateColumn } from '../data/spec.js';
import { attr, DataType, type OnnxGraph } from './onnx-graph.js';

// Days from 0000-03-01 to 1970-01-01: the calendar below counts from a March 1st so that the leap day ends a year.
const MARCH_EPOCH = 719468;
// Days from 0001-01-01 to 1970-01-01.
const JANUARY_EPOCH = 719162;
const DAYS_PER_ERA = 146097; // 400 Gregorian years
const TAU = 2 * Math.PI;

/** The date column's pieces of the feature row: [N, 7] float32 features, then [N, 1] the missing indicator when it has one. */
export function dateFeatures(g: OnnxGraph, c: DateColumn, stem: string, input: string): string[] {
  const constants = new Map<number, string>();
  const k = (v: number): string => {
    let name = constants.get(v);
    if (name === undefined) {
      name = g.double(`${stem}.k${constants.size}`, [], [v]);
      constants.set(v, name);
    }
    return name;
  };
  const add = (a: string, b: string) => g.node('Add', [a, b]);
  const sub = (a: string, b: string) => g.node('Sub', [a, b]);
  const mul = (a: string, b: string) => g.node('Mul', [a, b]);
  const div = (a: string, b: string) => g.node('Div', [a, b]);
  const floor = (a: string) => g.node('Floor', [a]);
  const floorDiv = (a: string, n: number) => floor(div(a, k(n)));
  // Days before January 1st of year u + 1, counted from 0001-01-01.
  const daysBefore = (u: string) => add(sub(add(mul(u, k(365)), floorDiv(u, 4)), floorDiv(u, 100)), floorDiv(u, 400));

  const missing = g.node('IsNaN', [input]);
  const days = g.node('Where', [missing, g.double(`${stem}.median`, [], [c.median]), input]);
  const day = floor(days);

  // Year and month: split the March-based day count into 400-year eras, then years of 365 days
  // corrected for the leap days before them, then five-month blocks of 153 days.
  const z = add(day, k(MARCH_EPOCH));
  const era = floorDiv(z, DAYS_PER_ERA);
  const dayOfEra = sub(z, mul(era, k(DAYS_PER_ERA)));
  const leapCorrected = sub(add(sub(dayOfEra, floorDiv(dayOfEra, 1460)), floorDiv(dayOfEra, 36524)), floorDiv(dayOfEra, 146096));
  const yearOfEra = floorDiv(leapCorrected, 365);
  const marchDay = sub(dayOfEra, sub(add(mul(yearOfEra, k(365)), floorDiv(yearOfEra, 4)), floorDiv(yearOfEra, 100)));
  const marchMonth = floorDiv(add(mul(marchDay, k(5)), k(2)), 153); // 0 = March … 11 = February
  const wrap = floorDiv(marchMonth, 10); // 1 for January and February, which belong to the next year
  const month = sub(add(marchMonth, k(2)), mul(wrap, k(12))); // 0 = January, as Date.getUTCMonth
  const year = add(add(yearOfEra, mul(era, k(400))), wrap);

  const lastYear = sub(year, k(1));
  const start = sub(daysBefore(lastYear), k(JANUARY_EPOCH));
  const length = sub(daysBefore(year), daysBefore(lastYear));
  const dayOfYear = sub(days, start);
  const fractionalYear = add(year, div(dayOfYear, length));
  const shifted = add(day, k(4)); // 1970-01-01 was a Thursday (Sunday is 0)
  const weekday = sub(shifted, mul(floorDiv(shifted, 7), k(7)));

  // The encoder's operations in its order (τ·x, then / period), so float64 rounds alike.
  const angle = (x: string, period: number) => div(mul(x, k(TAU)), k(period));
  const sinCos = (x: string, period: number) => {
    const a = angle(x, period);
    return [g.node('Sin', [a]), g.node('Cos', [a])];
  };
  const yearFeature = div(
    sub(fractionalYear, g.double(`${stem}.yearMean`, [], [c.yearMean])),
    g.double(`${stem}.yearStd`, [], [c.yearStd]),
  );
  const parts = [yearFeature, ...sinCos(month, 12), ...sinCos(dayOfYear, 366), ...sinCos(weekday, 7)];
  const features = g.node('Concat', parts, { attribute: [attr.int('axis', 1)] });
  const toFloat = [attr.int('to', DataType.FLOAT)];
  const out = [g.node('Cast', [features], { attribute: toFloat })];
  if (c.indicator) out.push(g.node('Cast', [missing], { attribute: toFloat }));
  return out;
}
