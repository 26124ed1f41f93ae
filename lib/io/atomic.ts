// Atomic file replacement: readers see the old file or the whole new one, never
// a torn write, even across a crash. The temp file lives in the target's
// directory because rename is only atomic within one file system.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkPath, invalidType } from '../errors.js';

/** Temporary files start with this, so a later save can sweep what a killed one left. */
export const TEMP_PREFIX = '.densenode-tmp-';

/** Bytes per write() call: one call may move at most 2 GiB, and a checkpoint may be larger. */
export const WRITE_CHUNK_BYTES = 64 << 20;

/**
 * Writes `data` to `path` via a temp file in the same directory: write (in chunks of
 * `chunkBytes`), datasync, close, rename, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, chunkBytes = WRITE_CHUNK_BYTES): Promise<void> {
  checkPath('writeFileAtomic', 'path', path);
  if (typeof data !== 'string' && !(data instanceof Uint8Array))
    throw invalidType('writeFileAtomic', 'data', 'a Uint8Array or a string', data);
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let at = 0; at < bytes.byteLength; ) {
        const { bytesWritten } = await handle.write(bytes, at, Math.min(chunkBytes, bytes.byteLength - at), at);
        at += bytesWritten;
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    // The caller knows the path it gave, not our temp file's name (a missing directory, a full disk).
    const e = error as NodeJS.ErrnoException;
    if (e.path === temp) Object.assign(e, { path, message: e.message.replace(temp, path) });
    throw error;
  }
  await syncDirectory(dir);
}

// Makes the rename itself durable. Some platforms (Windows) cannot open a directory; there the rename is as durable as the OS makes it.
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}
