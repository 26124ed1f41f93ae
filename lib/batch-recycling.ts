// Batches whose feature array goes back to its producer once fit or evaluate is done with it. A
// fresh 256×169 float array per batch cost its page faults on every batch (measured 100 µs a
// batch here, 0.4 µs a row: more than expanding the rows), so rowBatches reuses a few. The memory
// is moved back (transferred), so a batch someone kept holds a detached, empty array, never
// another batch's rows.

const TAKE_BACK: unique symbol = Symbol('densenode.takeBack');

interface Returnable {
  [TAKE_BACK]?: (buffer: ArrayBuffer) => void;
}

/** Marks `batch` (not enumerable, so a copy of it is not marked) as giving `data` back to `takeBack`. */
export function returnable<T extends object>(batch: T, takeBack: (buffer: ArrayBuffer) => void): T {
  Object.defineProperty(batch, TAKE_BACK, { value: takeBack });
  return batch;
}

/** Hands a consumed batch's feature array back to its producer, if it takes it. */
export function giveBack(batch: unknown): void {
  const takeBack = (batch as Returnable | null)?.[TAKE_BACK];
  const data = (batch as { x?: { data?: unknown } }).x?.data;
  if (takeBack === undefined || !(data instanceof Float32Array) || data.buffer instanceof SharedArrayBuffer) return;
  if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) return;
  takeBack(structuredClone(data.buffer, { transfer: [data.buffer] }));
}
