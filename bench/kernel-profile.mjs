// A backend whose every kernel call is timed (performance.now around the call, ~0.1 µs), for
// `npm run bench -- train --profile`: where an epoch's time goes, kernel by kernel, GEMMs by shape.
// Each row has the mean-based total and the total at the median call: on a shared VM a call now
// and then runs at one thread's speed (the host took the other vCPU), which moves the first only.
function leadingSizes(args) {
  const sizes = [];
  for (const a of args.slice(0, 2)) {
    if (!Number.isInteger(a)) break;
    sizes.push(a);
  }
  return sizes.join('×');
}

export function profiledBackend(backend) {
  const calls = new Map();
  const timed = { ...backend };
  for (const [name, fn] of Object.entries(backend)) {
    if (typeof fn !== 'function' || name === 'info' || name === 'setThreads') continue;
    timed[name] = (...args) => {
      const t0 = performance.now();
      const result = fn(...args);
      const ms = performance.now() - t0;
      // One row per kernel and shape: gemm(transA, transB, m, n, k, …) by shape and transpose pair,
      // the others by their leading integer arguments (counts, rows × columns).
      const key =
        name === 'gemm'
          ? `gemm ${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'} ${args[2]}×${args[3]}×${args[4]}`
          : `${name} ${leadingSizes(args)}`;
      let list = calls.get(key);
      if (list === undefined) {
        list = [];
        calls.set(key, list);
      }
      list.push(ms);
      return result;
    };
  }
  return {
    backend: timed,
    reset: () => calls.clear(),
    /** Rows of { kernel, msPerEpoch, msPerEpochAtMedian, calls, usPerCall, usMedian }, largest first. */
    rows: (epochs) =>
      [...calls.entries()]
        .map(([kernel, list]) => {
          const ms = list.reduce((a, b) => a + b, 0);
          const median = [...list].sort((a, b) => a - b)[list.length >> 1];
          return {
            kernel,
            msPerEpoch: ms / epochs,
            msPerEpochAtMedian: (median * list.length) / epochs,
            calls: list.length / epochs,
            usPerCall: (1000 * ms) / list.length,
            usMedian: 1000 * median,
          };
        })
        .sort((a, b) => b.msPerEpoch - a.msPerEpoch),
  };
}
