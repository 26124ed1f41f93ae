// Reads decisions from a fuzz input, front to back: libFuzzer's mutations of the bytes become
// mutations of the decoded call or files. Past the end every read is 0, so every input decodes.

export class Bytes {
  /** @param {Uint8Array} data */
  constructor(data) {
    this.data = data;
    this.at = 0;
  }

  get left() {
    return this.data.length - this.at;
  }

  u8() {
    return this.at < this.data.length ? this.data[this.at++] : 0;
  }

  u16() {
    return this.u8() | (this.u8() << 8);
  }

  u32() {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }

  /** An index into a list of `n` items. */
  pick(items) {
    return items[this.u8() % items.length];
  }

  /** A float64 from 8 bytes (any bit pattern: NaN, ±Infinity, subnormals). */
  f64() {
    const view = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 8; i++) view.setUint8(i, this.u8());
    return view.getFloat64(0, true);
  }

  /** The next `n` bytes (fewer at the end). */
  take(n) {
    const out = this.data.subarray(this.at, this.at + n);
    this.at += out.length;
    return out;
  }
}
