// Hostile IDX files (issue 21): the IDX readers read only regular files, bounded by the size their
// header announces, gzip included. Every failure is a DataError naming the file, reached without
// reading (or inflating) past that size.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';

const root = mkdtempSync(join(tmpdir(), 'densenode-idx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const fresh = (name = 'f.idx') => join(root, `${files++}-${name}`);

function header(dims: number[], type = 0x08): Buffer {
  const out = Buffer.alloc(4 + 4 * dims.length);
  out[2] = type;
  out[3] = dims.length;
  for (const [i, d] of dims.entries()) out.writeUInt32BE(d, 4 + 4 * i);
  return out;
}
const idx = (dims: number[], values: Uint8Array) => Buffer.concat([header(dims), values]);

function write(bytes: Buffer, name?: string): string {
  const file = fresh(name);
  writeFileSync(file, bytes);
  return file;
}

async function refused(promise: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => {
      throw new Error('expected a DataError, it resolved');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(dn.DataError);
  expect((error as Error).message).toContain(file);
  expect((error as Error).message).toMatch(pattern);
}

const readers = { images: dn.loadIdxImages, labels: dn.loadIdxLabels };

describe('valid files', () => {
  const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
  for (const gzip of [false, true]) {
    it(`reads images and labels${gzip ? ' (gzipped)' : ''}`, async () => {
      const pack = (b: Buffer) => (gzip ? gzipSync(b) : b);
      const x = await dn.loadIdxImages(write(pack(idx([3, 2, 2], pixels))));
      expect([x.rows, x.cols]).toEqual([3, 4]);
      expect(Array.from(x.data)).toEqual(Array.from(pixels, (p) => Math.fround(p / 255)));
      const y = await dn.loadIdxLabels(write(pack(idx([3], Uint8Array.of(2, 0, 9)))));
      expect(Array.from(y)).toEqual([2, 0, 9]);
    });
  }

  it('a gzip file of several megabytes, inflated in chunks, comes back whole', async () => {
    const values = Uint8Array.from({ length: 600 * 28 * 28 }, (_, i) => (i * 7) % 256);
    const x = await dn.loadIdxImages(write(gzipSync(idx([600, 28, 28], values))));
    expect([x.rows, x.cols]).toEqual([600, 784]);
    expect(x.data[599 * 784 + 783]).toBeCloseTo(values[599 * 784 + 783] / 255, 6);
  });

  it('a file path that is not a string is a TypeError naming the argument', async () => {
    await expect(dn.loadIdxImages(42 as unknown as string)).rejects.toThrow(/loadIdxImages.*file/);
    await expect(dn.loadIdxLabels('' as string)).rejects.toBeInstanceOf(TypeError);
  });
});

for (const [name, read] of Object.entries(readers)) {
  const dims = name === 'images' ? [2, 2, 2] : [8];
  const body = new Uint8Array(8).fill(1);

  describe(`${name}: special files`, () => {
    it('a FIFO is refused at once (it used to hang)', { timeout: 10_000 }, async () => {
      const file = fresh();
      execFileSync('mkfifo', [file]);
      await refused(read(file), file, /a FIFO, not a regular file/);
    });

    it('/dev/zero and /dev/urandom through a link are refused without reading them', async () => {
      for (const device of ['/dev/zero', '/dev/urandom']) {
        const file = fresh();
        symlinkSync(device, file);
        await refused(read(file), file, /a character device, not a regular file/);
      }
    });

    it('a directory, a missing file', async () => {
      const dir = fresh();
      mkdirSync(dir);
      await refused(read(dir), dir, /a directory, not a regular file/);
      const missing = fresh();
      await refused(read(missing), missing, /no such file/);
    });
  });

  describe(`${name}: the header fixes the size`, () => {
    it('truncated: the body and the header', async () => {
      const file = write(idx(dims, body).subarray(0, 4 + 4 * dims.length + 5));
      await refused(read(file), file, /= 8 values .*truncated at/);
      const short = write(idx(dims, body).subarray(0, 6));
      await refused(read(short), short, /truncated header \(6 bytes\)/);
      const empty = write(Buffer.alloc(0));
      await refused(read(empty), empty, /truncated header \(0 bytes\)/);
    });

    it('trailing junk after the announced values', async () => {
      const file = write(Buffer.concat([idx(dims, body), Buffer.from('junk')]));
      await refused(read(file), file, /the file has 4 bytes past them/);
    });

    it('a huge file whose header announces a few values is refused by its size (sparse, never read)', async () => {
      const file = write(idx(dims, body));
      truncateSync(file, 3 * 2 ** 30);
      await refused(read(file), file, /bytes past them/);
    });

    it('wrong magic, wrong type, wrong rank', async () => {
      const text = write(Buffer.from('root:x:0:0:root:/root:/bin/bash\n'));
      await refused(read(text), text, /not an IDX file \(bad magic number\)$/);
      const floats = write(Buffer.concat([header(dims, 0x0d), body]));
      await refused(read(floats), floats, /type 0x08.*found 0xd/);
      const rank9 = write(Buffer.from([0, 0, 8, 9, 0, 0, 0, 1]));
      await refused(read(rank9), rank9, /expected 1 to 4 dimensions, found 9/);
    });

    it('dimensions whose product overflows, or is 0', async () => {
      const file = write(header(name === 'images' ? [0xffffffff, 0xffffffff, 0xffffffff] : [0xffffffff]));
      await refused(read(file), file, /more than the 1073741824 allowed/);
      const zero = write(header(name === 'images' ? [4, 0, 3] : [0]));
      await refused(read(zero), zero, /dimension \d is 0/);
    });
  });

  describe(`${name}: gzip`, () => {
    it('a gzip bomb (a few values announced, 1 GiB of zeros after them) stops at the announced size', async () => {
      // Concatenated gzip members inflate as one stream: the header and values, then 16 × 64 MiB of
      // zeros (1 GiB inflated, about 1 MiB on disk). The reader must stop at the first chunk past them.
      const zeros = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
      const bomb = Buffer.concat([gzipSync(idx(dims, body)), ...Array.from({ length: 16 }, () => zeros)]);
      const file = write(bomb, 'bomb.gz');
      const before = process.memoryUsage().rss;
      const started = performance.now();
      await refused(read(file), file, /bytes past them/);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(process.memoryUsage().rss - before).toBeLessThan(48 << 20);
    });

    it('a header announcing 2^30 values in a tiny gzip file is refused once the stream ends short', async () => {
      const file = write(gzipSync(Buffer.concat([header(name === 'images' ? [1024, 1024, 1024] : [2 ** 30]), body])));
      await refused(read(file), file, /truncated at/);
    });

    it('a corrupt or cut gzip stream', async () => {
      const good = gzipSync(idx(dims, body));
      const cut = write(good.subarray(0, good.length - 6));
      await refused(read(cut), cut, /not a valid gzip stream/);
      const bad = Buffer.from(good);
      bad[12] ^= 0xff;
      const corrupt = write(bad);
      await refused(read(corrupt), corrupt, /not a valid gzip stream|bad magic|truncated|past them/);
    });

    it('trailing junk and wrong magic inside a gzip file', async () => {
      const junk = write(gzipSync(Buffer.concat([idx(dims, body), Buffer.from('junk')])));
      await refused(read(junk), junk, /the file has 4 bytes past them/);
      const magic = write(gzipSync(Buffer.from('not idx at all')));
      await refused(read(magic), magic, /bad magic number/);
    });
  });
}

it('labels: a file with 3 dimensions is refused before its body is read', async () => {
  const file = write(header([3, 2, 2]));
  await refused(dn.loadIdxLabels(file), file, /expected 1 dimension for labels, found 3/);
});
