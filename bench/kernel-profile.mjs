// A backend whose every kernel call is timed (performance.now around the call, ~0.1 µs), for
// `npm run bench -- train --profile`: where an epoch's time goes, kernel by kernel, GEMMs by shape.
export function profiledBackend(backend) {
  const totals = new Map();
  const timed = { ...backend };
  for (const [name, fn] of Object.entries(backend)) {
    if (typeof fn !== 'function' || name === 'info' || name === 'setThreads') continue;
    timed[name] = (...args) => {
      const t0 = performance.now();
      const result = fn(...args);
      const ms = performance.now() - t0;
      // gemm(transA, transB, m, n, k, …): one row per shape and transpose pair.
      const key = name === 'gemm' ? `gemm ${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'} ${args[2]}×${args[3]}×${args[4]}` : name;
      const entry = totals.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += ms;
      entry.calls++;
      totals.set(key, entry);
      return result;
    };
  }
  return {
    backend: timed,
    reset: () => totals.clear(),
    /** Rows of { kernel, msPerEpoch, calls, usPerCall }, largest first. */
    rows: (epochs) =>
      [...totals.entries()]
        .map(([kernel, { ms, calls }]) => ({ kernel, msPerEpoch: ms / epochs, calls: calls / epochs, usPerCall: (1000 * ms) / calls }))
        .sort((a, b) => b.msPerEpoch - a.msPerEpoch),
  };
}
