// Small datasets for the training tests: the built-in breast-cancer CSV
// (standardised, split), XOR and a two-class spiral.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './backends.js';

export interface Split {
  xTrain: number[][];
  yTrain: number[];
  xTest: number[][];
  yTest: number[];
}

/** The Wisconsin data, standardised with the training rows' statistics, shuffled by a fixed seed, 80/20. */
export function breastCancer(): Split {
  const lines = readFileSync(join(packageRoot, 'data', 'breast_cancer.csv'), 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1);
  const rows = lines.map((line) => line.split(','));
  let seed = 7;
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const x = order.map((i) => (rows[i] as string[]).slice(0, 30).map(Number));
  const y = order.map((i) => ((rows[i] as string[])[30] === 'malignant' ? 1 : 0));
  const cut = Math.floor(x.length * 0.8);
  const train = x.slice(0, cut);
  const mean = (train[0] as number[]).map((_, j) => train.reduce((a, r) => a + (r[j] as number), 0) / train.length);
  const sd = (train[0] as number[]).map((_, j) =>
    Math.sqrt(train.reduce((a, r) => a + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / train.length),
  );
  const scale = (r: number[]) => r.map((v, j) => (v - (mean[j] as number)) / (sd[j] as number));
  return { xTrain: train.map(scale), yTrain: y.slice(0, cut), xTest: x.slice(cut).map(scale), yTest: y.slice(cut) };
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
