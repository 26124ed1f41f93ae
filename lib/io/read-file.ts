// Every byte a model reader takes from disk comes through here. A model directory is untrusted,
// so a file is read only if it resolves (through any links) to a path inside the directory, is a
// regular file (a FIFO would block forever, /dev/zero never ends), and its size, taken from the
// open descriptor, is within the caller's cap; then it is read in bounded chunks into a buffer of
// exactly that size, so a file of any length (even over 2 GiB, which readFile refuses) costs its
// size and no more.
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { ModelFileError } from './model-file-error.js';

/** Bytes per read() call: large enough to be fast, far below the 2 GiB a single call may move. */
export const READ_CHUNK_BYTES = 64 << 20;

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, before fstat can refuse it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export interface ReadOptions {
  /** The model's directory: the file must resolve inside it. */
  dir: string;
  /** The entry point the messages start with ('load', 'importTfjs'). */
  fn: string;
  /** The message when the file does not exist, e.g. 'no model here (model.json is missing)'. */
  missing: string;
  /** The largest size accepted, in bytes. */
  limit: number;
  /** The size the file must have (a weights file, known from the manifest), checked before any allocation. */
  size?: number;
  /** Bytes per read() call (tests use small ones to go through many chunks). */
  chunkBytes?: number;
}

/** What an errno means for a model file, in words (never the file's content). */
export function fileProblem(error: NodeJS.ErrnoException, missing: string): string {
  switch (error.code) {
    case 'ENOENT':
      return missing;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return `${missing} (a part of the path is not a directory)`;
    case 'ELOOP':
      return 'a loop of symbolic links';
    default:
      return `cannot be read (${error.code ?? error.message})`;
  }
}

function kind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

/** `path`'s real path if it is inside `dir`'s; a ModelFileError naming `path` otherwise. */
export async function resolveInside(path: string, options: Pick<ReadOptions, 'dir' | 'fn' | 'missing'>): Promise<string> {
  const { fn, missing } = options;
  let dir: string;
  let real: string;
  try {
    dir = await realpath(options.dir);
    real = await realpath(path);
  } catch (error) {
    throw new ModelFileError(path, fileProblem(error as NodeJS.ErrnoException, missing), fn);
  }
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  if (!real.startsWith(prefix)) throw new ModelFileError(path, "a link to a file outside the model's directory (refused)", fn);
  return real;
}

/** What a reader says when a file cannot be used: `what` in words, the error type the reader's own. */
export type Refuse = (what: string) => Error;

/**
 * `path` opened for reading if it is a regular file (O_NONBLOCK, so a FIFO cannot block the open),
 * with its size from the open descriptor; `refuse` builds the error, `missing` says a missing file.
 */
export async function openRegularFile(path: string, refuse: Refuse, missing: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    throw refuse(fileProblem(error as NodeJS.ErrnoException, missing));
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw refuse(`${kind(info)}, not a regular file`);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

// The file opened and measured: a regular file inside the directory, its size from the descriptor.
async function openChecked(path: string, options: ReadOptions): Promise<{ handle: FileHandle; size: number }> {
  const { fn } = options;
  const real = await resolveInside(path, options);
  const refuse: Refuse = (what) => new ModelFileError(path, what, fn);
  const { handle, size } = await openRegularFile(real, refuse, options.missing);
  try {
    if (options.size !== undefined && size !== options.size) {
      const what = size < options.size ? 'truncated' : 'too long';
      throw refuse(`${what}: ${size} bytes, the architecture needs ${options.size}`);
    }
    if (size > options.limit) throw refuse(`${size} bytes is larger than the ${options.limit}-byte limit`);
    return { handle, size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The size of a model file, checked as readModelFile checks it, without reading it. */
export async function modelFileSize(path: string, options: ReadOptions): Promise<number> {
  const { handle, size } = await openChecked(path, options);
  await handle.close();
  return size;
}

/** The bytes of a model file, checked as the file comment says. */
export async function readModelFile(path: string, options: ReadOptions): Promise<Buffer> {
  const { handle, size } = await openChecked(path, options);
  try {
    const refuse: Refuse = (what) => new ModelFileError(path, what, options.fn);
    return await readExactly(handle, size, refuse, options.chunkBytes ?? READ_CHUNK_BYTES);
  } finally {
    await handle.close();
  }
}

/** `size` bytes of an open file in chunks; a file that changes size meanwhile is refused rather than read torn. */
export async function readExactly(handle: FileHandle, size: number, refuse: Refuse, chunk = READ_CHUNK_BYTES): Promise<Buffer> {
  // Not from the shared pool: readFloat32LE may keep a view of these bytes as the weights.
  const out = Buffer.allocUnsafeSlow(size);
  for (let at = 0; at < size; ) {
    const { bytesRead } = await handle.read(out, at, Math.min(chunk, size - at), at);
    if (bytesRead === 0) throw refuse('the file shrank while being read');
    at += bytesRead;
  }
  const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, size);
  if (bytesRead !== 0) throw refuse('the file grew while being read');
  return out;
}
