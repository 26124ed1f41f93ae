#!/usr/bin/env node
// End-to-end install test (run by .ci/run): `npm pack`, then in fresh projects
//   (a) the tarball, compiler and cmake hidden from PATH: the prebuild loads, native training;
//   (b) a tarball without prebuilds, no compiler: the install succeeds, JS fallback, same accuracy;
//   (c) DENSENODE_BUILD_FROM_SOURCE=1 with the toolchain: built from source, native.
// Dependencies come from npm's cache (--prefer-offline); nothing else is downloaded.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'densenode-e2e-'));
let passed = 0;
let failed = 0;

function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result;
}

function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (ok) passed++;
  else failed++;
}

// Stand-ins that fail like a missing program, placed first on PATH.
const noCompiler = join(work, 'no-compiler');
mkdirSync(noCompiler);
for (const tool of ['cmake', 'c++', 'g++', 'gcc', 'cc', 'clang++', 'make', 'ninja']) {
  writeFileSync(join(noCompiler, tool), '#!/bin/sh\necho "$0: not installed" >&2\nexit 127\n');
  chmodSync(join(noCompiler, tool), 0o755);
}
const hidden = { ...process.env, PATH: `${noCompiler}:${process.env.PATH}` };

// The tarball (prepack builds dist/ and this platform's prebuild), and a copy without prebuilds.
sh('npm', ['pack', '--pack-destination', work], { cwd: root });
const tarball = join(
  work,
  readdirSync(work).find((f) => f.endsWith('.tgz')),
);
const unpacked = join(work, 'unpacked');
mkdirSync(unpacked);
sh('tar', ['xzf', tarball, '-C', unpacked]);
rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
const bare = join(work, 'densenode-no-prebuilds.tgz');
sh('tar', ['czf', bare, '-C', unpacked, 'package']);
console.log(`tarball ${Math.round(statSync(tarball).size / 1024)} KiB; without prebuilds ${Math.round(statSync(bare).size / 1024)} KiB`);

const trainScript = `
  const dn = await import('densenode');
  const data = dn.breastCancer();
  const net = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.1, l2: 1e-3, optimizer: dn.adam({ learningRate: 0.01 }), seed: 1 });
  await net.fit(data.xTrain, data.yTrain, { epochs: 30, batchSize: 32 });
  console.log(JSON.stringify({ ...dn.backendInfo(), accuracy: net.evaluate(data.xTest, data.yTest).accuracy }));`;

function project(name, tgz, env) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `e2e-${name}`, version: '1.0.0', private: true }));
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], { cwd: dir, encoding: 'utf8', env });
  return { dir, install };
}

function train(dir, env) {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', trainScript], { cwd: dir, encoding: 'utf8', env });
  if (result.status !== 0) return { error: result.stderr };
  return { ...JSON.parse(result.stdout.trim().split('\n').pop()), stderr: result.stderr };
}

try {
  const a = project('a-prebuild', tarball, hidden);
  check('(a) install with no compiler succeeds', a.install.status === 0, a.install.stderr.trim().split('\n').pop());
  const ra = train(a.dir, hidden);
  check('(a) the prebuild loads', ra.name === 'native' && /prebuilds/.test(ra.reason ?? ''), ra.reason ?? ra.error);
  check('(a) trains the built-in data natively to >= 95% test accuracy', ra.accuracy >= 0.95, String(ra.accuracy));
  check('(a) no build/ was made', !existsSync(join(a.dir, 'node_modules', 'densenode', 'build', 'Release')));
  // The one x64 binary serves every CPU: each lower ISA, forced, gives the same model.
  for (const isa of ['avx2', 'portable']) {
    const r = train(a.dir, { ...hidden, DENSENODE_ISA: isa });
    check(
      `(a) the prebuild with DENSENODE_ISA=${isa}`,
      r.accuracy === ra.accuracy && (r.isa === isa || process.arch !== 'x64'),
      `${r.isa}, ${r.accuracy}`,
    );
  }

  const b = project('b-fallback', bare, hidden);
  check('(b) install without prebuilds or compiler succeeds', b.install.status === 0, b.install.stderr.trim().split('\n').pop());
  const rb = train(b.dir, hidden);
  check(
    '(b) the JS fallback loads and says why on stderr',
    rb.name === 'js' && /native addon unavailable/.test(rb.stderr ?? ''),
    rb.reason ?? rb.error,
  );
  check('(b) same accuracy as native', rb.accuracy === ra.accuracy, `${rb.accuracy} vs ${ra.accuracy}`);

  const forced = { ...process.env, DENSENODE_BUILD_FROM_SOURCE: '1' };
  const c = project('c-source', tarball, forced);
  check('(c) install with DENSENODE_BUILD_FROM_SOURCE=1 succeeds', c.install.status === 0);
  // npm may block the install script; `densenode build` is the documented way then.
  const release = join(c.dir, 'node_modules', 'densenode', 'build', 'Release', 'densenode.node');
  if (!existsSync(release))
    sh(process.execPath, [join(c.dir, 'node_modules', 'densenode', 'bin', 'densenode.cjs'), 'build'], { cwd: c.dir });
  const rc = train(c.dir, process.env);
  check('(c) the source build loads', rc.name === 'native' && /build[/\\]Release/.test(rc.reason ?? ''), rc.reason ?? rc.error);
} catch (error) {
  check('e2e install', false, error.message);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
