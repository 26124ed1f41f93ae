// Two overlapping clusters (deterministic pseudo-noise), labels alternating: a toy problem a small
// network learns in a few epochs, for the source tests.
export function blobs(n: number, seed: number): { rows: number[][]; labels: number[] } {
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    rows.push([label * 2 - 1 + Math.sin(i * 12.9898 + seed) * 0.8, (label * 2 - 1) * 0.5 + Math.cos(i * 78.233 + seed) * 0.8]);
    labels.push(label);
  }
  return { rows, labels };
}

/** The uneven batch sizes the source tests cycle through. */
export const BATCH_SIZES = [7, 16, 3, 16, 16, 9, 13];
