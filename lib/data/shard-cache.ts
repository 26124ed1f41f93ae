// The disk cache of an encoded table: each split's float32 rows (features, then the target) in
// shard files, described by cache.json. Built once from the source; later epochs read it back in
// chunks, in a seeded random chunk order for training, at disk speed and without parsing. The
// manifest names the source's size, mtime and a hash of its head, the spec and the split: a change
// to any of them, or a shard of the wrong size, means the cache is rebuilt; every chunk carries a
// CRC-32 checked as it is read.
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../io/atomic.js';
import type { Random } from '../random.js';
import { DataError } from './data-error.js';
import type { SplitName } from './row-split.js';

const FORMAT = 'densenode-table-cache';
// 2: one-hot blocks stored as indices (row-layout.ts).
const VERSION = 2;
const MANIFEST = 'cache.json';
const SHARD = /^(train|validation|test)-[0-9a-f]+-\d+\.f32$/;
// A chunk is the unit of reading and of the random order: big enough for sequential-speed reads,
// small enough that a chunk-level shuffle mixes a sorted file well (see docs/decisions.md).
const CHUNK_BYTES = 64 << 10;
const SHARD_BYTES = 256 << 20;
// Bytes written per write() call.
const WRITE_BYTES = 4 << 20;
const HEAD_BYTES = 64 << 10;
const READS_AHEAD = 8;
// Chunks per read (512 KiB): reading the 1 GB bench cache alone, one 64 KiB chunk a read ran
// 0.51-0.55 µs a row, four 0.36-0.45, eight 0.31-0.36, sixteen 0.32-0.35.
const RUN_CHUNKS = 8;

interface ShardEntry {
  file: string;
  rows: number;
  /** CRC-32 of each chunk of `chunkRows` rows, in order. */
  crcs: number[];
}

export interface CacheManifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** Hash of what the rows were made from: the source's fingerprint, the spec, the split. */
  key: string;
  /** Floats per stored row (row-layout.ts), the target last. */
  stride: number;
  chunkRows: number;
  splits: Record<SplitName, { rows: number; shards: ShardEntry[] }>;
}

/** What identifies a source file's content cheaply: size, mtime and a SHA-256 of its first 64 KiB. */
export async function sourceFingerprint(file: string): Promise<{ size: number; mtimeMs: number; head: string }> {
  const info = await stat(file);
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
    await handle.read(head, 0, head.length, 0);
    return { size: info.size, mtimeMs: info.mtimeMs, head: createHash('sha256').update(head).digest('hex') };
  } finally {
    await handle.close();
  }
}

/** A stable hash of JSON-able parts (the cache key). */
export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const chunkRowsFor = (stride: number) => Math.max(1, Math.floor(CHUNK_BYTES / (stride * 4)));

const SPLITS = ['train', 'validation', 'test'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isCrc = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff;

/** A shard entry of `split` whose chunk CRCs match its row count (`files` collects the names: none twice). */
function isShard(value: unknown, split: SplitName, chunkRows: number, files: Set<string>): value is ShardEntry {
  if (!isObject(value) || typeof value.file !== 'string' || !isCount(value.rows) || !Array.isArray(value.crcs)) return false;
  if (!SHARD.test(value.file) || !value.file.startsWith(`${split}-`) || files.has(value.file)) return false;
  files.add(value.file);
  return value.crcs.length === Math.ceil(value.rows / chunkRows) && value.crcs.every(isCrc);
}

/** Every field of a manifest for `key` and `stride`, each split's rows the sum of its shards'. */
function isManifest(value: unknown, key: string, stride: number): value is CacheManifest {
  if (!isObject(value) || value.format !== FORMAT || value.version !== VERSION || value.key !== key) return false;
  if (value.stride !== stride || value.chunkRows !== chunkRowsFor(stride) || !isObject(value.splits)) return false;
  const { splits } = value;
  const files = new Set<string>();
  return SPLITS.every((name) => {
    const split = Object.hasOwn(splits, name) ? splits[name] : undefined;
    if (!isObject(split) || !isCount(split.rows) || !Array.isArray(split.shards)) return false;
    const shards: unknown[] = split.shards;
    if (!shards.every((shard) => isShard(shard, name, chunkRowsFor(stride), files))) return false;
    return (shards as ShardEntry[]).reduce((n, shard) => n + shard.rows, 0) === split.rows;
  });
}

/** The cache in `dir` if it is complete and made from `key` (shard sizes checked), else null. */
export async function openCache(dir: string, key: string, stride: number): Promise<CacheManifest | null> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
  } catch {
    return null; // absent, unreadable or torn: rebuilt
  }
  // Any field out of shape is a cache to rebuild, as a torn file is.
  if (!isManifest(manifest, key, stride)) return null;
  for (const split of SPLITS) {
    for (const shard of manifest.splits[split].shards) {
      const size = await stat(join(dir, shard.file)).then(
        (s) => s.size,
        () => -1,
      );
      if (size !== shard.rows * stride * 4) return null;
    }
  }
  return manifest;
}

/** Writes a new cache: rows appended per split, the manifest written last (atomically) by finish(). */
export class CacheBuilder {
  private readonly id = randomBytes(4).toString('hex');
  private readonly chunkRows: number;
  private readonly writers = new Map<SplitName, SplitWriter>();

  private constructor(
    private readonly dir: string,
    private readonly key: string,
    private readonly stride: number,
  ) {
    this.chunkRows = chunkRowsFor(stride);
  }

  /** Starts a build in `dir`: the old manifest goes first, so a build that dies midway leaves no cache that looks whole. */
  static async start(dir: string, key: string, stride: number): Promise<CacheBuilder> {
    await rm(join(dir, MANIFEST), { force: true });
    // Shards of earlier builds (this one's names are new).
    const old = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(old.filter((f) => SHARD.test(f)).map((f) => rm(join(dir, f), { force: true })));
    return new CacheBuilder(dir, key, stride);
  }

  /** Appends `rows` rows of `stride` floats to `split`. */
  async add(split: SplitName, data: Float32Array, rows: number): Promise<void> {
    let writer = this.writers.get(split);
    if (writer === undefined) {
      writer = new SplitWriter(this.dir, `${split}-${this.id}`, this.stride, this.chunkRows);
      this.writers.set(split, writer);
    }
    await writer.add(data, rows);
  }

  async finish(): Promise<CacheManifest> {
    const splits = {} as CacheManifest['splits'];
    for (const split of SPLITS) {
      const shards = (await this.writers.get(split)?.finish()) ?? [];
      splits[split] = { rows: shards.reduce((n, s) => n + s.rows, 0), shards };
    }
    const manifest: CacheManifest = {
      format: FORMAT,
      version: VERSION,
      key: this.key,
      stride: this.stride,
      chunkRows: this.chunkRows,
      splits,
    };
    await writeFileAtomic(join(this.dir, MANIFEST), `${JSON.stringify(manifest)}\n`);
    return manifest;
  }

  /** Closes and deletes what a failed build wrote. */
  async abort(): Promise<void> {
    for (const writer of this.writers.values()) await writer.abort();
  }
}

class SplitWriter {
  private readonly shards: ShardEntry[] = [];
  private handle: Awaited<ReturnType<typeof open>> | null = null;
  private current: ShardEntry | null = null;
  // Whole chunks are buffered, so each chunk's CRC is taken over its bytes once.
  private readonly buffer: Float32Array;
  private buffered = 0;
  private readonly shardRows: number;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly stride: number,
    private readonly chunkRows: number,
  ) {
    const chunksPerWrite = Math.max(1, Math.floor(WRITE_BYTES / (chunkRows * stride * 4)));
    this.buffer = new Float32Array(chunksPerWrite * chunkRows * stride);
    this.shardRows = Math.max(1, Math.floor(SHARD_BYTES / (chunkRows * stride * 4))) * chunkRows;
  }

  async add(data: Float32Array, rows: number): Promise<void> {
    const capacity = this.buffer.length / this.stride;
    for (let done = 0; done < rows; ) {
      const n = Math.min(rows - done, capacity - this.buffered);
      this.buffer.set(data.subarray(done * this.stride, (done + n) * this.stride), this.buffered * this.stride);
      this.buffered += n;
      done += n;
      if (this.buffered === capacity) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    let start = 0;
    while (start < this.buffered) {
      if (this.current === null || this.current.rows === this.shardRows) await this.nextShard();
      const shard = this.current as ShardEntry;
      const n = Math.min(this.buffered - start, this.shardRows - shard.rows);
      const bytes = new Uint8Array(this.buffer.buffer, start * this.stride * 4, n * this.stride * 4);
      const chunkBytes = this.chunkRows * this.stride * 4;
      // Every shard but the last holds whole chunks, so a chunk never straddles two writes.
      for (let at = 0; at < bytes.length; at += chunkBytes) shard.crcs.push(crc32(bytes.subarray(at, at + chunkBytes)));
      let written = 0;
      while (written < bytes.length) {
        const r = await (this.handle as Awaited<ReturnType<typeof open>>).write(bytes, written, bytes.length - written);
        written += r.bytesWritten;
      }
      shard.rows += n;
      start += n;
    }
    this.buffered = 0;
  }

  private async nextShard(): Promise<void> {
    await this.handle?.close();
    const file = `${this.prefix}-${this.shards.length}.f32`;
    this.handle = await open(join(this.dir, file), 'w');
    this.current = { file, rows: 0, crcs: [] };
    this.shards.push(this.current);
  }

  async finish(): Promise<ShardEntry[]> {
    await this.flush();
    await this.handle?.datasync();
    await this.handle?.close();
    this.handle = null;
    return this.shards;
  }

  async abort(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
    await Promise.all(this.shards.map((s) => rm(join(this.dir, s.file), { force: true })));
  }
}

/** Deletes the manifest, so the next open rebuilds (a chunk failed its check). */
export async function invalidateCache(dir: string): Promise<void> {
  await rm(join(dir, MANIFEST), { force: true });
}

/** Which chunks of which shard file have passed their CRC (kept by a dataset across its epochs). */
export type VerifiedChunks = Map<string, Uint8Array>;

function verified(checked: VerifiedChunks, path: string, shard: ShardEntry): Uint8Array {
  let seen = checked.get(path);
  if (seen === undefined || seen.length !== shard.crcs.length) {
    seen = new Uint8Array(shard.crcs.length);
    checked.set(path, seen);
  }
  return seen;
}

/**
 * One split's rows, chunk by chunk (each a Float32Array of rows × stride), in file order or, with
 * `random`, in a random order of runs of neighbouring chunks; the next runs are read while the
 * caller works on this one.
 */
export async function* cachedChunks(
  dir: string,
  manifest: CacheManifest,
  split: SplitName,
  random: Random | null,
  checked: VerifiedChunks = new Map(),
): AsyncGenerator<Float32Array> {
  const { stride, chunkRows } = manifest;
  const shards = manifest.splits[split].shards;
  // Runs of RUN_CHUNKS neighbouring chunks of a shard: the unit of a read and of the random order.
  const runs: [number, number][] = [];
  shards.forEach((s, i) => {
    for (let c = 0; c < s.crcs.length; c += RUN_CHUNKS) runs.push([i, c]);
  });
  if (random !== null)
    for (let i = runs.length - 1; i > 0; i--) {
      const j = random.below(i + 1);
      [runs[i], runs[j]] = [runs[j] as [number, number], runs[i] as [number, number]];
    }
  const handles = await Promise.all(shards.map((s) => open(join(dir, s.file), 'r')));
  // A run's chunks, each checked the first time the dataset reads it (opening the file again checks again).
  const read = async ([s, first]: [number, number]): Promise<Float32Array[]> => {
    const shard = shards[s] as ShardEntry;
    const last = Math.min(first + RUN_CHUNKS, shard.crcs.length);
    const rows = Math.min(last * chunkRows, shard.rows) - first * chunkRows;
    const bytes = new Uint8Array(rows * stride * 4);
    const { bytesRead } = await (handles[s] as Awaited<ReturnType<typeof open>>).read(
      bytes,
      0,
      bytes.length,
      first * chunkRows * stride * 4,
    );
    const seen = verified(checked, join(dir, shard.file), shard);
    const chunks: Float32Array[] = [];
    for (let c = first; c < last; c++) {
      const from = (c - first) * chunkRows * stride * 4;
      const part = bytes.subarray(from, Math.min(from + chunkRows * stride * 4, bytes.length));
      if (bytesRead !== bytes.length || (seen[c] === 0 && crc32(part) !== shard.crcs[c])) {
        await invalidateCache(dir);
        throw new DataError(
          `${join(dir, shard.file)}: chunk ${c} changed since the cache was written; the cache is dropped, run again to rebuild it`,
        );
      }
      seen[c] = 1;
      chunks.push(new Float32Array(bytes.buffer, from, part.length / 4));
    }
    return chunks;
  };
  try {
    // READS_AHEAD reads in flight: each is a round trip through libuv's thread pool, and one at a
    // time left the reader idle half the time (measured reading a 100 MB table's cache alone: 296 k rows/s with one, 432 k with eight).
    const ahead: Promise<Float32Array[]>[] = [];
    let queued = 0;
    const queue = () => {
      while (ahead.length < READS_AHEAD && queued < runs.length) {
        const p = read(runs[queued++] as [number, number]);
        p.catch(() => undefined);
        ahead.push(p);
      }
    };
    queue();
    while (ahead.length > 0) {
      const chunks = await (ahead.shift() as Promise<Float32Array[]>);
      queue();
      yield* chunks;
    }
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}
