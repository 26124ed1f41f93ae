// What `npm pack` ships: dist/, prebuilds/, the native sources and their build
// file, the binding's types, the CLI, the built-in data, README, LICENSE — and
// nothing else (no tests, benchmarks or local build/).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './helpers/backends.js';

describe('the npm package', () => {
  it('contains exactly the shipped files, at a bounded size', () => {
    const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageRoot, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const [pack] = JSON.parse(result.stdout) as { files: { path: string }[]; size: number; unpackedSize: number }[];
    const files = (pack?.files ?? []).map((f) => f.path);
    const allowed =
      /^(dist\/|prebuilds\/|native\/|bin\/densenode\.cjs$|scripts\/(install|native-build)\.cjs$|CMakeLists\.txt$|binding\.d\.ts$|data\/|README\.md$|SECURITY\.md$|LICENSE$|package\.json$)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    for (const required of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker.js',
      'binding.d.ts',
      'CMakeLists.txt',
      'native/binding/module.cc',
      'native/gemm/gemm.cc',
      'data/breast_cancer.csv',
      'data/README.md',
      'README.md',
      'LICENSE',
    ]) {
      expect(files).toContain(required);
    }
    expect(files.some((f) => /^(test|bench|build)\//.test(f))).toBe(false);
    // Without prebuilds the package is ~1.2 MB unpacked (dist with its source maps, the data, the README); each prebuild adds ~0.6 MB.
    const prebuilds = files.filter((f) => f.startsWith('prebuilds/')).length;
    expect(pack?.unpackedSize ?? 0).toBeLessThan(1_600_000 + prebuilds * 800_000);
  });
});
