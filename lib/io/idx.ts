// IDX files (the MNIST / Fashion-MNIST format), optionally gzipped: images as
// a Matrix scaled to [0, 1], labels as an Int32Array. Every size in the header
// is checked against the bytes actually present before anything is trusted.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Matrix } from '../tensor.js';

interface Idx {
  dims: number[];
  bytes: Uint8Array;
}

function parseIdx(file: string, raw: Buffer): Idx {
  const data = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  if (data.length < 4 || data[0] !== 0 || data[1] !== 0) throw new Error(`${file}: not an IDX file (bad magic number)`);
  if (data[2] !== 0x08)
    throw new Error(`${file}: only unsigned-byte IDX data (type 0x08) is supported, found 0x${(data[2] ?? 0).toString(16)}`);
  const rank = data[3] as number;
  if (rank < 1 || rank > 4) throw new Error(`${file}: expected 1 to 4 dimensions, found ${rank}`);
  const header = 4 + 4 * rank;
  if (data.length < header) throw new Error(`${file}: truncated header`);
  const dims = Array.from({ length: rank }, (_, i) => data.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== header + count) {
    throw new Error(`${file}: header says ${dims.join('×')} = ${count} values, file holds ${data.length - header}`);
  }
  return { dims, bytes: data.subarray(header) };
}

/** Images [n, h, w] (or any n × …) as an n × (h·w) matrix of values scaled from 0..255 to [0, 1]. */
export async function loadIdxImages(file: string): Promise<Matrix> {
  const { dims, bytes } = parseIdx(file, await readFile(file));
  const rows = dims[0] as number;
  const cols = dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (bytes[i] as number) / 255;
  return { rows, cols, data: out };
}

/** Labels [n] as class indices. */
export async function loadIdxLabels(file: string): Promise<Int32Array> {
  const { dims, bytes } = parseIdx(file, await readFile(file));
  if (dims.length !== 1) throw new Error(`${file}: expected 1 dimension for labels, found ${dims.length}`);
  return Int32Array.from(bytes);
}
