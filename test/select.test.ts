// Backend selection: forced js, forced native, bad values, and a package with
// no binary at all (falls back to JS with one line on stderr, or refuses when
// native is forced).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../lib/backend/select.js';
import { packageRoot } from './helpers/backends.js';

const scratch = mkdtempSync(join(tmpdir(), 'densenode-select-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A copy of the package's runtime files, without build/ or prebuilds/.
function packageWithoutBinary(name: string): string {
  const dir = join(scratch, name);
  for (const entry of ['package.json', 'dist', 'scripts', 'CMakeLists.txt', 'native']) {
    cpSync(join(packageRoot, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

function runNode(cwd: string, code: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('backend selection', () => {
  it('DENSENODE_BACKEND=js forces the JS kernels', () => {
    const { backend, reason } = selectBackend({ DENSENODE_BACKEND: 'js' });
    expect(backend.name).toBe('js');
    expect(reason).toBe('forced by DENSENODE_BACKEND=js');
    expect(backend.info()).toEqual({ name: 'js', isa: 'js', threads: 1 });
  });

  it('DENSENODE_BACKEND=native loads the addon from build/Release', () => {
    const { backend, reason } = selectBackend({ DENSENODE_BACKEND: 'native' });
    expect(backend.name).toBe('native');
    expect(reason).toMatch(/^forced by DENSENODE_BACKEND=native: .*build[/\\]Release[/\\]densenode\.node$/);
  });

  it('with no variable, native is chosen when it loads', () => {
    expect(selectBackend({}).backend.name).toBe('native');
  });

  it('an unknown DENSENODE_BACKEND is an error naming the variable', () => {
    expect(() => selectBackend({ DENSENODE_BACKEND: 'gpu' })).toThrow("expected 'js' or 'native' for DENSENODE_BACKEND, received 'gpu'");
  });

  it('without any binary, falls back to JS and says why in one stderr line', () => {
    const dir = packageWithoutBinary('no-binary');
    symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'));
    const code = `const dn = await import('./dist/index.js'); const C = new Float32Array(1);
      dn.kernels.gemm(false, false, 1, 1, 1, 1, new Float32Array([2]), 1, new Float32Array([3]), 1, 0, C, 1);
      console.log(JSON.stringify({ ...dn.backendInfo(), product: C[0] }));`;
    const result = runNode(dir, code, { DENSENODE_BACKEND: '' });
    expect(result.status).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info).toMatchObject({ name: 'js', isa: 'js', threads: 1, product: 6 });
    expect(info.reason).toMatch(/^native addon unavailable: No native build was found/);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^densenode: native addon unavailable on (linux|darwin|win32)-\w+(-glibc|-musl)? \(.*\); using the slower JS fallback\./,
    );
    expect(lines[0]).toContain(`${process.platform}-${process.arch}`);
    expect(lines[0]).toContain('To fix, build it from source with `npx densenode build`');

    const forced = runNode(dir, code, { DENSENODE_BACKEND: 'native' });
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toContain('DENSENODE_BACKEND=native, but the native addon did not load: No native build was found');
  });

  it('DENSENODE_ADDON loads that file instead of searching, and must be absolute', () => {
    const dir = packageWithoutBinary('addon-env');
    symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'));
    const addon = join(packageRoot, 'build', 'Release', 'densenode.node');
    const code = `const dn = await import('./dist/index.js'); console.log(JSON.stringify(dn.backendInfo()));`;
    const result = runNode(dir, code, { DENSENODE_BACKEND: 'native', DENSENODE_ADDON: addon });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'native', reason: `forced by DENSENODE_BACKEND=native: ${addon}` });

    expect(() => selectBackend({ DENSENODE_BACKEND: 'native', DENSENODE_ADDON: 'build/Release/densenode.node' })).toThrow(
      "the native addon did not load: expected an absolute path for DENSENODE_ADDON, received 'build/Release/densenode.node'",
    );
  });
});
