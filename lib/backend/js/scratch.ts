// Float64 scratch buffers for the JS kernels, grown when needed and reused, so
// a kernel call allocates nothing in steady state. Each kernel names its own
// slot; kernels never call each other while holding one.
const slots = new Map<string, Float64Array>();

/** A float64 buffer of at least `length` elements for `slot` (contents unspecified). */
export function scratch(slot: string, length: number): Float64Array {
  const current = slots.get(slot);
  if (current !== undefined && current.length >= length) return current;
  const grown = new Float64Array(Math.max(length, (current?.length ?? 0) * 2));
  slots.set(slot, grown);
  return grown;
}
