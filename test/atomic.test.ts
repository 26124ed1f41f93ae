// writeFileAtomic: the file holds the old or the new contents, and a failed
// write leaves neither a torn file nor a temp file behind.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../lib/io/atomic.js';
import { scratchDir } from './helpers/interop.js';

const dir = scratchDir('atomic');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes strings and bytes, replaces an existing file, leaves no temp file', async () => {
    const file = join(dir, 'a.txt');
    await writeFileAtomic(file, 'first');
    expect(readFileSync(file, 'utf8')).toBe('first');
    await writeFileAtomic(file, Uint8Array.of(1, 2, 3));
    expect(Array.from(readFileSync(file))).toEqual([1, 2, 3]);
    await writeFileAtomic(file, new Uint8Array(new Uint8Array(10).fill(7).buffer, 2, 3)); // a view: only its bytes
    expect(Array.from(readFileSync(file))).toEqual([7, 7, 7]);
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('a failed rename keeps the target as it was and removes the temp file', async () => {
    const sub = join(dir, 'fail');
    mkdirSync(join(sub, 'target'), { recursive: true });
    writeFileSync(join(sub, 'target', 'inside'), 'kept');
    // Renaming a file over a non-empty directory fails after the temp file was written.
    await expect(writeFileAtomic(join(sub, 'target'), 'new')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect(readdirSync(sub)).toEqual(['target']);
    expect(readFileSync(join(sub, 'target', 'inside'), 'utf8')).toBe('kept');
  });

  it('reports a missing directory and bad arguments', async () => {
    await expect(writeFileAtomic(join(dir, 'no', 'such', 'f'), 'x')).rejects.toThrow(/ENOENT/);
    await expect(writeFileAtomic('', 'x')).rejects.toThrow(TypeError);
    await expect(writeFileAtomic(join(dir, 'b'), 42 as unknown as string)).rejects.toThrow(
      /writeFileAtomic: expected a Uint8Array or a string for data/,
    );
  });
});
