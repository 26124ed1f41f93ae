// Small datasets for the training tests: the built-in breast-cancer CSV
// (standardised, split), XOR and a two-class spiral.
import { breastCancer as builtIn } from '../../lib/datasets.js';
import type { Matrix } from '../../lib/tensor.js';

/** The built-in data as rows of numbers, as a user with plain arrays would have it. */
export function breastCancer(): Split {
  const d = builtIn();
  const rows = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return { xTrain: rows(d.xTrain), yTrain: Array.from(d.yTrain), xTest: rows(d.xTest), yTest: Array.from(d.yTest) };
}

export interface Split {
  xTrain: number[][];
  yTrain: number[];
  xTest: number[][];
  yTest: number[];
}

export const xor = {
  x: [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ],
  y: [0, 1, 1, 0],
};

/** Two interleaved spirals, `perClass` points each, labels 0/1. */
export function spiral(perClass: number): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = ((i + 1) / perClass) * 5; // from i + 1: both spirals starting at the origin would share a point
      const t = 1.75 * (i / perClass) * 2 * Math.PI + c * Math.PI;
      x.push([r * Math.sin(t) * 0.2, r * Math.cos(t) * 0.2]);
      y.push(c);
    }
  }
  return { x, y };
}
