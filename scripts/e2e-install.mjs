#!/usr/bin/env node
// End-to-end install test (run by .ci/run): `npm pack` of the library and of the CLI
// (packages/cli), then in fresh projects, with compiler and cmake hidden from PATH and install
// scripts blocked (--ignore-scripts):
//   (a) the library alone: at most 8 packages and 10 MB of node_modules; the prebuild loads and
//       trains natively; the CLI commands and the ONNX export name what to install;
//   (b) a library tarball without prebuilds: the JS fallback, one stderr line naming the platform
//       and `npx densenode build`, the same model; then that command (toolchain back on PATH)
//       builds the addon in node_modules and it loads;
//   (c) the CLI's tarball next to the library's: `npx densenode-cli train` trains the built-in
//       data with the terminal chart, learning-curve.svg and report.html.
// Dependencies come from npm's cache (--prefer-offline).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_PACKAGES = 8;
const MAX_MB = 10;

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
const hidden = { ...process.env, PATH: `${noCompiler}:${process.env.PATH}`, npm_config_prefer_offline: 'true' };

function pack(dir) {
  const out = mkdtempSync(join(work, 'pack-'));
  sh('npm', ['pack', '--pack-destination', out], { cwd: dir });
  const name = readdirSync(out).find((f) => f.endsWith('.tgz'));
  return join(out, name);
}

// The library (prepack builds dist/; the committed prebuilds ship), a copy without prebuilds, the CLI.
const tarball = pack(root);
const unpacked = join(work, 'unpacked');
mkdirSync(unpacked);
sh('tar', ['xzf', tarball, '-C', unpacked]);
const shipped = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8'));
rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
const bare = join(work, 'densenode-no-prebuilds.tgz');
sh('tar', ['czf', bare, '-C', unpacked, 'package']);
const cliTarball = pack(join(root, 'packages', 'cli'));
const kib = (file) => Math.round(statSync(file).size / 1024);
console.log(`tarballs: library ${kib(tarball)} KiB (${kib(bare)} KiB without prebuilds), CLI ${kib(cliTarball)} KiB`);

const trainScript = `
  const dn = await import('densenode');
  const data = dn.breastCancer();
  const net = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.1, l2: 1e-3, optimizer: dn.adam({ learningRate: 0.01 }), seed: 1 });
  await net.fit(data.xTrain, data.yTrain, { epochs: 30, batchSize: 32 });
  console.log(JSON.stringify({ ...dn.backendInfo(), accuracy: net.evaluate(data.xTest, data.yTest).accuracy }));`;

/** A fresh project with `tarballs` installed, install scripts blocked; the install's seconds and footprint. */
function project(name, tarballs) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `e2e-${name}`, version: '1.0.0', private: true }));
  const started = process.hrtime.bigint();
  const install = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs], {
    cwd: dir,
    encoding: 'utf8',
    env: hidden,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lock = existsSync(join(dir, 'package-lock.json'))
    ? JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
    : { packages: {} };
  const packages = Object.keys(lock.packages).filter((key) => key !== '').length;
  const du = spawnSync('du', ['-sk', join(dir, 'node_modules')], { encoding: 'utf8' });
  const mb = Number.parseInt(du.stdout, 10) / 1024;
  return { dir, install, seconds, packages, mb };
}

function node(dir, args, env) {
  return spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env });
}

function train(dir, env) {
  const result = node(dir, ['--input-type=module', '-e', trainScript], env);
  if (result.status !== 0) return { error: result.stderr };
  return { ...JSON.parse(result.stdout.trim().split('\n').pop()), stderr: result.stderr };
}

try {
  const scripts = Object.keys(shipped.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s));
  check('the packed package.json has no install or prepare script', scripts.length === 0, scripts.join(', '));

  const a = project('a-library', [tarball]);
  check('(a) install with no compiler and scripts blocked succeeds', a.install.status === 0, a.install.stderr.trim().split('\n').pop());
  console.log(`(a) ${a.packages} packages, ${a.mb.toFixed(1)} MB of node_modules, installed in ${a.seconds.toFixed(1)} s`);
  check(`(a) at most ${MAX_PACKAGES} packages`, a.packages <= MAX_PACKAGES, String(a.packages));
  check(`(a) at most ${MAX_MB} MB of node_modules`, a.mb <= MAX_MB, `${a.mb.toFixed(1)} MB`);
  const ra = train(a.dir, hidden);
  check('(a) the prebuild loads', ra.name === 'native' && /prebuilds/.test(ra.reason ?? ''), ra.reason ?? ra.error);
  check('(a) trains the built-in data natively to >= 95% test accuracy', ra.accuracy >= 0.95, String(ra.accuracy));
  check('(a) nothing written to stderr', ra.stderr === '', ra.stderr);
  // The one x64 binary serves every CPU: each lower ISA, forced, gives the same model.
  for (const isa of ['avx2', 'portable']) {
    const r = train(a.dir, { ...hidden, DENSENODE_ISA: isa });
    check(
      `(a) the prebuild with DENSENODE_ISA=${isa}`,
      r.accuracy === ra.accuracy && (r.isa === isa || process.arch !== 'x64'),
      `${r.isa}, ${r.accuracy}`,
    );
  }
  const cli = node(a.dir, [join(a.dir, 'node_modules', 'densenode', 'bin', 'densenode.cjs'), 'train'], hidden);
  check(
    '(a) `densenode train` without the CLI package names densenode-cli',
    cli.status === 1 && /'commander' package.*npm install densenode-cli/.test(cli.stderr),
    cli.stderr.trim(),
  );
  const onnx = node(
    a.dir,
    [
      '--input-type=module',
      '-e',
      `const dn = await import('densenode'); await dn.mlp([2, 1]).exportOnnx('m.onnx').catch((e) => console.log(e.message));`,
    ],
    hidden,
  );
  check(
    '(a) exportOnnx without protobufjs names it',
    /needs the 'protobufjs' package.*npm install protobufjs@/.test(onnx.stdout),
    onnx.stdout.trim(),
  );

  const b = project('b-fallback', [bare]);
  check('(b) install without prebuilds or compiler succeeds', b.install.status === 0, b.install.stderr.trim().split('\n').pop());
  const rb = train(b.dir, hidden);
  const lines = (rb.stderr ?? '').trim().split('\n');
  const platform = `${process.platform}-${process.arch}`;
  check(
    '(b) the JS fallback loads with one stderr line naming the platform and `npx densenode build`',
    rb.name === 'js' && lines.length === 1 && lines[0].includes(platform) && lines[0].includes('`npx densenode build`'),
    rb.stderr?.trim() ?? rb.error,
  );
  check('(b) same accuracy as native', rb.accuracy === ra.accuracy, `${rb.accuracy} vs ${ra.accuracy}`);
  const noTools = spawnSync('npx', ['densenode', 'build'], { cwd: b.dir, encoding: 'utf8', env: hidden });
  check(
    '(b) `npx densenode build` with no compiler fails in one line',
    noTools.status === 1 && /^densenode build: /.test(noTools.stderr),
    noTools.stderr.trim(),
  );
  const started = process.hrtime.bigint();
  const built = spawnSync('npx', ['densenode', 'build'], {
    cwd: b.dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_prefer_offline: 'true' },
  });
  const buildSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  check(
    `(b) \`npx densenode build\` with the toolchain (${buildSeconds.toFixed(0)} s)`,
    built.status === 0,
    (built.stderr || built.stdout).trim(),
  );
  const log = join(b.dir, 'node_modules', 'densenode', 'build', 'build.log');
  const driver = existsSync(log) ? (readFileSync(log, 'utf8').split('\n')[0] ?? '') : '';
  check('(b) the build was driven by cmake-js (fetched by npm exec)', /^\$ npm exec .*cmake-js/.test(driver), driver);
  const rc = train(b.dir, process.env);
  check('(b) the source build then loads', rc.name === 'native' && /build[/\\]Release/.test(rc.reason ?? ''), rc.reason ?? rc.error);

  const c = project('c-cli', [tarball, cliTarball]);
  check('(c) the CLI next to the library installs', c.install.status === 0, c.install.stderr.trim().split('\n').pop());
  console.log(`(c) ${c.packages} packages, ${c.mb.toFixed(1)} MB of node_modules, installed in ${c.seconds.toFixed(1)} s`);
  const runDir = join(c.dir, 'run');
  mkdirSync(runDir);
  const t = spawnSync('npx', ['densenode-cli', 'train', '--epochs', '15'], { cwd: runDir, encoding: 'utf8', env: hidden });
  const accuracy = Number(/test accuracy: ([\d.]+)%/.exec(t.stdout)?.[1]);
  check(
    '(c) `npx densenode-cli train` trains the built-in data to > 93%',
    t.status === 0 && accuracy > 93,
    `${accuracy} ${t.stderr.trim()}`,
  );
  const out = join(runDir, 'densenode-model');
  const svg = existsSync(join(out, 'learning-curve.svg')) ? readFileSync(join(out, 'learning-curve.svg'), 'utf8') : '';
  check('(c) with the charts: learning-curve.svg and report.html', svg.startsWith('<svg') && existsSync(join(out, 'report.html')));
  check('(c) and the terminal chart', /[┼┤╭╮╰╯│─]/.test(t.stdout));
} catch (error) {
  check('e2e install', false, error.message);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
