// What `npm pack` ships: dist/ (no source maps, no demo), prebuilds/, the native sources and
// their build file, the binding's types, the `densenode` bin, the built-in data, README,
// CHANGELOG, LICENSE — and nothing else (no tests, benchmarks or local build/). And the
// package.json promises: no install script, two runtime dependencies, the CLI's packages as
// optional peers that packages/cli (densenode-cli) depends on at the same ranges.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './helpers/backends.js';

interface Manifest {
  name: string;
  version: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  repository: { url: string };
  homepage: string;
  bugs: { url: string };
  bin: Record<string, string>;
}
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

describe('the npm package', () => {
  it('contains exactly the shipped files, at a bounded size', () => {
    const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageRoot, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const [pack] = JSON.parse(result.stdout) as { files: { path: string; size: number }[]; size: number; unpackedSize: number }[];
    const files = (pack?.files ?? []).map((f) => f.path);
    const allowed =
      /^(dist\/|prebuilds\/|native\/|bin\/densenode\.cjs$|scripts\/native-build\.cjs$|CMakeLists\.txt$|binding\.d\.ts$|data\/|README\.md$|CHANGELOG\.md$|SECURITY\.md$|LICENSE$|package\.json$)/;
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
    expect(files).toContain('CHANGELOG.md');
    expect(files.some((f) => /^(test|bench|build|packages)\//.test(f))).toBe(false);
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('dist/demo.'))).toEqual([]);
    // Unpacked: ~1.41 MB without the prebuilds (dist without source maps, the native sources, the data, the README);
    // linux-x64's prebuild ~1.15 MB (portable, AVX2 and AVX-512 kernels, static libstdc++), linux-arm64's ~0.57 MB.
    const prebuildSizes = (pack?.files ?? []).filter((f) => f.path.startsWith('prebuilds/'));
    const prebuildBytes = prebuildSizes.reduce((sum, f) => sum + f.size, 0);
    expect((pack?.unpackedSize ?? 0) - prebuildBytes).toBeLessThan(1_450_000);
    for (const f of prebuildSizes) expect(f.size, f.path).toBeLessThan(f.path.includes('x64') ? 1_200_000 : 600_000);
  });

  it('runs no install script and depends on the addon loader and headers only', () => {
    const pkg = readManifest(packageRoot);
    expect(Object.keys(pkg.scripts).filter((s) => /^(pre|post)?install$|^(pre|post)?prepare$/.test(s))).toEqual([]);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['node-addon-api', 'node-gyp-build']);
    expect(pkg.bin).toEqual({ densenode: 'bin/densenode.cjs' });
    expect(pkg.repository.url).toBe('git+https://github.com/densenode/densenode.git');
    expect(pkg.homepage).toMatch(/^https:\/\/github\.com\/densenode\/densenode\b/);
    expect(pkg.bugs.url).toBe('https://github.com/densenode/densenode/issues');
  });

  it("lists the CLI's packages and protobufjs as optional peers, which densenode-cli depends on at the same ranges", () => {
    const pkg = readManifest(packageRoot);
    const cli = readManifest(join(packageRoot, 'packages', 'cli'));
    expect(cli.name).toBe('densenode-cli');
    expect(cli.version).toBe(pkg.version);
    const { densenode, ...cliPackages } = cli.dependencies;
    // The CLI's code is this package's dist/cli: the exact same release.
    expect(densenode).toBe(pkg.version);
    const { protobufjs, ...peers } = pkg.peerDependencies;
    expect(protobufjs).toMatch(/^\^8\./);
    expect(cliPackages).toEqual(peers);
    expect(Object.keys(pkg.peerDependenciesMeta).sort()).toEqual(Object.keys(pkg.peerDependencies).sort());
    expect(Object.values(pkg.peerDependenciesMeta).every((m) => m.optional === true)).toBe(true);
    expect(cli.bin).toEqual({ 'densenode-cli': 'bin/densenode-cli.cjs' });
    expect(cli.repository.url).toBe(pkg.repository.url);
  });

  it("dist's public types do not mention protobufjs (the ONNX export loads it on first use)", () => {
    const declarations = (readdirSync(join(packageRoot, 'dist'), { recursive: true }) as string[]).filter((f) => f.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(20);
    const leaking = declarations.filter((f) => /protobuf/.test(readFileSync(join(packageRoot, 'dist', f), 'utf8')));
    expect(leaking).toEqual([]);
  });
});
