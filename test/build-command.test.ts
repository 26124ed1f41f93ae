// `densenode build` (the source build a user runs when no prebuild matches) and the `densenode`
// command without the CLI's packages: each fails in one line that says what to do.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingPackageMessage } from '../lib/cli/cli-packages.js';
import { packageRoot } from './helpers/backends.js';

const { plainCmakeArgs } = createRequire(import.meta.url)('../scripts/native-build.cjs') as {
  plainCmakeArgs(platform: string, include: string): string[];
};
const scratch = mkdtempSync(join(tmpdir(), 'densenode-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The package's shipped files with no node_modules anywhere above (so no cmake-js, no commander).
function bareCopy(name: string): string {
  const dir = join(scratch, name);
  for (const entry of ['package.json', 'dist', 'bin', 'scripts', 'CMakeLists.txt', 'native']) {
    cpSync(join(packageRoot, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

describe('densenode build', () => {
  it('with no npm, cmake-js or cmake on PATH fails in one stderr line naming the log', () => {
    const dir = bareCopy('no-tools');
    const empty = join(dir, 'no-such-bin');
    mkdirSync(empty);
    const result = spawnSync(process.execPath, [join(dir, 'bin', 'densenode.cjs'), 'build'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: empty },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^densenode build: cmake could not run \(ENOENT\) \(full output in .*build[/\\]build\.log\)$/);
    const log = readFileSync(join(dir, 'build', 'build.log'), 'utf8');
    expect(log).toMatch(/^\$ npm exec --yes --package=cmake-js@\^8\.\d+\.\d+ -- cmake-js compile --out build/);
    expect(log).toContain('plain cmake instead');
    expect(existsSync(join(dir, 'build', 'Release'))).toBe(false);
  });

  it('without cmake-js passes what cmake-js would: dynamic_lookup on macOS; refuses Windows (node.lib)', () => {
    const linux = plainCmakeArgs('linux', '/node/include');
    expect(linux).toEqual(['-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_JS_INC=/node/include']);
    expect(plainCmakeArgs('darwin', '/node/include')).toEqual([...linux, '-DCMAKE_SHARED_LINKER_FLAGS=-undefined dynamic_lookup']);
    expect(() => plainCmakeArgs('win32', 'C:\\node\\include')).toThrow('on Windows the build needs cmake-js (it makes node.lib)');
  });

  it("CMakeLists.txt links through cmake-js's variables, so cmake-js's per-platform flags apply", () => {
    const cmake = readFileSync(join(packageRoot, 'CMakeLists.txt'), 'utf8');
    for (const variable of ['CMAKE_JS_SRC}', 'CMAKE_JS_INC}', 'CMAKE_JS_LIB}', 'CMAKE_JS_NODELIB_DEF', 'CMAKE_JS_NODELIB_TARGET'])
      expect(cmake).toContain(variable);
  });
});

describe('the densenode command without the CLI packages', () => {
  it('names the missing package and `npm install densenode-cli`, exit 1', () => {
    const dir = bareCopy('no-cli');
    const result = spawnSync(process.execPath, [join(dir, 'bin', 'densenode.cjs'), 'train'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      "densenode: the command line needs the 'commander' package, which the library alone does not install: `npm install densenode-cli` brings it and every chart library, then run `npx densenode-cli train`",
    );
  });

  it('leaves other errors alone', () => {
    expect(missingPackageMessage(new Error("Cannot find package 'vega'"))).toBeUndefined();
    expect(missingPackageMessage(Object.assign(new Error('Cannot find module ./x.js'), { code: 'ERR_MODULE_NOT_FOUND' }))).toBeUndefined();
    expect(missingPackageMessage(undefined)).toBeUndefined();
    expect(
      missingPackageMessage(Object.assign(new Error("Cannot find package 'vega' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' })),
    ).toContain("needs the 'vega' package");
  });
});

describe('the densenode command in a clone before dist/ is built', () => {
  it('says which script builds it, exit 1', () => {
    const dir = join(scratch, 'no-dist');
    for (const entry of ['package.json', 'bin', 'scripts']) cpSync(join(packageRoot, entry), join(dir, entry), { recursive: true });
    const result = spawnSync(process.execPath, [join(dir, 'bin', 'densenode.cjs'), 'train'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('densenode: dist/ is not built; run `npm run build:ts` (or `npm run build`) first');
  });
});
