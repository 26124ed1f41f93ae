// `node fuzz/selftest.mjs [libFuzzer flags] dir`, run by scripts/fuzz.mjs before the targets: proves
// that the driver turns each kind of finding into a failed run with the input saved. An input
// containing BAD reports a finding, HANG never finishes, SPIN blocks the event loop; anything
// else passes. Each must end the run with libFuzzer's crash exit code and a crash- file.
import { createRequire } from 'node:module';

const binding = createRequire(import.meta.url)(process.env.DENSENODE_ADDON);
const self = [process.execPath, process.argv[1]].join(' ');
binding.runFuzzer(
  [self, ...process.argv.slice(2)],
  (bytes) => {
    const text = Buffer.from(bytes).toString('latin1');
    if (text.includes('HANG')) return;
    if (text.includes('SPIN')) for (;;);
    if (text.includes('BAD')) return binding.fuzzDone('selftest: a finding');
    binding.fuzzDone();
  },
  () => binding.fuzzDone(),
);
