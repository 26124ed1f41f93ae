// A dense kernel packed once in the layout the native GEMM reads, for inference: the GEMM
// otherwise packs W on every call, 5–12 % of a 256-row prediction (docs/decisions.md). A pack is
// remade when the model's weight version has moved since it was made; the version moves on every
// write to the weights (WeightPacking.changed), and the model turns packing off where another
// thread may write them.
import type { Backend } from '../backend/backend.js';

/** One per model: whether forward may read packs now, and the weights' version. */
export class WeightPacking {
  active = false;
  private version = 0;

  /** Called by every writer of the weights (optimizer steps, restores, setWeights, loads). */
  changed(): void {
    this.version++;
  }

  get current(): number {
    return this.version;
  }
}

/** The pack of one dense kernel (k×n, row-major), made on first use. */
export class KernelPack {
  private data: Float32Array | null = null;
  private madeAt = -1;
  // The pack's length for the last row count asked (a binding call otherwise on every product).
  private lengthFor = { rows: -1, length: 0 };

  constructor(
    private readonly packing: WeightPacking,
    private readonly backend: Backend,
  ) {}

  /** The pack for a product of `rows` rows, or null where there is none to read (then the GEMM reads W). */
  get(kernel: Float32Array, rows: number, n: number, k: number): Float32Array | null {
    const packs = this.backend.packs;
    if (!this.packing.active || packs === null) return null;
    if (this.lengthFor.rows !== rows) this.lengthFor = { rows, length: packs.length(rows, n, k) };
    const length = this.lengthFor.length;
    if (length === 0) return null;
    if (this.data?.length !== length) {
      this.data = new Float32Array(length);
      this.madeAt = -1;
    }
    if (this.madeAt !== this.packing.current) {
      packs.pack(n, k, kernel, n, this.data);
      this.madeAt = this.packing.current;
    }
    return this.data;
  }
}
