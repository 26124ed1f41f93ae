// IDX files (the MNIST / Fashion-MNIST format), optionally gzipped: images as a Matrix scaled to
// [0, 1], labels as an Int32Array. The file is untrusted: only a regular file is opened (a FIFO
// would block, /dev/zero never ends), and the header (magic, rank, dimensions) fixes the exact
// size before the body is read, so a truncated file, trailing bytes or a header whose dimensions
// multiply past the limit are refused without allocating for them. Gzip input is inflated as a
// stream and stopped at the first byte past that size, so a gzip bomb costs the size it announces.
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DataError } from '../data/data-error.js';
import { checkPath } from '../errors.js';
import type { Matrix } from '../tensor.js';
import { openRegularFile, type Refuse, readExactly } from './read-file.js';

/** The most values (bytes after the header) one IDX file may hold: 2^30, 4 GiB as float32 images. */
export const IDX_MAX_VALUES = 2 ** 30;
/** Compressed bytes per read() of a gzipped file. */
const GZIP_CHUNK_BYTES = 1 << 20;
const HEADER_MAX = 4 + 4 * 4;

interface Header {
  dims: number[];
  /** Header plus values: the exact size of the (uncompressed) file. */
  size: number;
}

// The header from the file's first bytes; `undefined` while more bytes are needed.
function parseHeader(head: Uint8Array, refuse: Refuse, rank?: number): Header | undefined {
  if (head.length < 4) return undefined;
  if (head[0] !== 0 || head[1] !== 0) throw refuse('not an IDX file (bad magic number)');
  if (head[2] !== 0x08) {
    throw refuse(`only unsigned-byte IDX data (type 0x08) is supported, found 0x${(head[2] as number).toString(16)}`);
  }
  const found = head[3] as number;
  if (found < 1 || found > 4) throw refuse(`expected 1 to 4 dimensions, found ${found}`);
  if (rank !== undefined && found !== rank) throw refuse(`expected ${rank} dimension for labels, found ${found}`);
  const length = 4 + 4 * found;
  if (head.length < length) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims = Array.from({ length: found }, (_, i) => view.getUint32(4 + 4 * i));
  let count = 1;
  for (const [i, d] of dims.entries()) {
    if (d === 0) throw refuse(`dimension ${i + 1} is 0 (no values)`);
    count *= d; // exact while <= 2^30 · 2^32 < 2^53; checked after every factor
    if (count > IDX_MAX_VALUES) throw refuse(`header says ${dims.join('×')} values, more than the ${IDX_MAX_VALUES} allowed`);
  }
  return { dims, size: length + count };
}

const sizeProblem = (header: Header, size: number) =>
  `header says ${header.dims.join('×')} = ${header.size - (4 + 4 * header.dims.length)} values (${header.size} bytes), ` +
  (size < header.size ? `the file is truncated at ${size} bytes` : `the file has ${size - header.size} bytes past them`);

// A plain file: the header from its first bytes, checked against fstat's size, then the whole file.
async function readPlain(handle: FileHandle, size: number, refuse: Refuse, rank?: number) {
  const head = Buffer.alloc(Math.min(size, HEADER_MAX));
  await handle.read(head, 0, head.length, 0);
  const header = parseHeader(head, refuse, rank);
  if (header === undefined) throw refuse(`truncated header (${size} bytes)`);
  if (size !== header.size) throw refuse(sizeProblem(header, size));
  return { header, data: await readExactly(handle, size, refuse) };
}

// A gzipped file, inflated as it is read into a buffer of the size its header announces.
async function readGzip(handle: FileHandle, size: number, refuse: Refuse, rank?: number) {
  let head = Buffer.alloc(0);
  let header: Header | undefined;
  let data: Buffer | undefined;
  let at = 0;
  // Each inflated piece: the header first, then the values, refused past the size it announces.
  const take = (piece: Buffer) => {
    if (data === undefined) {
      head = Buffer.concat([head, piece]);
      header = parseHeader(head, refuse, rank);
      if (header === undefined) return;
      if (head.length > header.size) throw refuse(sizeProblem(header, head.length));
      data = Buffer.allocUnsafeSlow(header.size);
      at = head.copy(data);
    } else {
      const { size: expected } = header as Header;
      if (at + piece.length > expected) throw refuse(sizeProblem(header as Header, at + piece.length));
      at += piece.copy(data, at);
    }
  };
  let refusal: unknown; // kept here: pipeline reports a consumer's throw as an AbortError
  const collect = async (pieces: AsyncIterable<Buffer>) => {
    for await (const piece of pieces) {
      try {
        take(piece);
      } catch (error) {
        refusal = error;
        break;
      }
    }
  };
  const source = handle.createReadStream({ start: 0, end: size - 1, highWaterMark: GZIP_CHUNK_BYTES, autoClose: false });
  try {
    await pipeline(source, createGunzip({ chunkSize: 64 << 10 }), collect);
    if (refusal !== undefined) throw refusal;
  } catch (error) {
    if (refusal !== undefined) throw refusal;
    const e = error as NodeJS.ErrnoException;
    if (e.code?.startsWith('Z_') || e.code === 'ERR_ZLIB_INITIALIZATION_FAILED') throw refuse(`not a valid gzip stream (${e.message})`);
    throw error;
  }
  if (header === undefined || data === undefined) throw refuse(`truncated header (${head.length} bytes after gunzip)`);
  if (at !== header.size) throw refuse(sizeProblem(header, at));
  return { header, data };
}

async function readIdx(fn: string, file: unknown, rank?: number): Promise<{ dims: number[]; bytes: Uint8Array }> {
  checkPath(fn, 'file', file);
  const refuse: Refuse = (what) => new DataError(`${file}: ${what}`);
  const { handle, size } = await openRegularFile(file, refuse, 'no such file');
  try {
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    const gzip = size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    const { header, data } = await (gzip ? readGzip : readPlain)(handle, size, refuse, rank);
    return { dims: header.dims, bytes: data.subarray(4 + 4 * header.dims.length) };
  } finally {
    await handle.close();
  }
}

/**
 * Images [n, h, w] (or any n × …) as an n × (h·w) matrix of values scaled from 0..255 to [0, 1].
 * Rejects with a DataError naming the file if it is not a regular file, not IDX, or not the size
 * its header says.
 */
export async function loadIdxImages(file: string): Promise<Matrix> {
  const { dims, bytes } = await readIdx('loadIdxImages', file);
  const rows = dims[0] as number;
  const cols = dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (bytes[i] as number) / 255;
  return { rows, cols, data: out };
}

/** Labels [n] as class indices; rejects as loadIdxImages does, and if the file has more than one dimension. */
export async function loadIdxLabels(file: string): Promise<Int32Array> {
  return Int32Array.from((await readIdx('loadIdxLabels', file, 1)).bytes);
}
