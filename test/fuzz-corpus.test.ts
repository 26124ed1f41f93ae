// The fuzzers' committed corpus (fuzz/corpus/<target>/ and fuzz/seeds/<target>/) replayed through
// the same checks as scripts/fuzz.mjs, without libFuzzer: on the active backend, every input must
// end in an allowed outcome (a ModelFileError naming a file of the directory, a model that
// predicts, saves and loads back; for the binding, a return or a TypeError/RangeError naming the
// export). So each input the fuzzer kept, findings' regressions included, is a test on both
// backends. The harness runs the compiled library (dist/), as the fuzzer does.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binding, packageRoot } from './helpers/backends.js';

const root = mkdtempSync(join(tmpdir(), 'densenode-fuzz-replay-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dist = join(packageRoot, 'dist', 'index.js');

function inputs(target: string): { name: string; bytes: Buffer }[] {
  return ['corpus', 'seeds'].flatMap((kind) => {
    const dir = join(packageRoot, 'fuzz', kind, target);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).map((name) => ({ name: `${kind}/${name}`, bytes: readFileSync(join(dir, name)) }));
  });
}

type Check = (bytes: Uint8Array) => Promise<void>;

async function replay(target: string, check: Check): Promise<void> {
  const all = inputs(target);
  expect(all.length).toBeGreaterThan(0);
  const failed: string[] = [];
  for (const { name, bytes } of all) {
    await check(bytes).catch((e: Error) => failed.push(`${name}: ${e.message.split('\n')[0]}`));
  }
  expect(failed).toEqual([]);
}

describe('the fuzz corpus replayed', () => {
  for (const target of ['load', 'tfjs']) {
    it(`${target}: every input ends in a ModelFileError or a model that works`, { timeout: 120_000 }, async () => {
      const dn = await import(dist);
      const { modelFileTarget } = await import(join(packageRoot, 'fuzz', 'targets', 'model-files.mjs'));
      await replay(target, modelFileTarget(dn, target, join(root, target)) as Check);
    });
  }

  it('binding: every input is a return or a TypeError/RangeError naming the export', { timeout: 120_000 }, async () => {
    const { bindingTarget } = await import(join(packageRoot, 'fuzz', 'targets', 'binding.mjs'));
    const threads = binding.info().threads;
    try {
      await replay('binding', bindingTarget(binding) as Check);
    } finally {
      binding.setThreads(threads);
    }
  });
});
