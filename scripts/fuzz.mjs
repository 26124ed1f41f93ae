#!/usr/bin/env node
// `node scripts/fuzz.mjs [--target binding|load|tfjs|all] [--seconds N] [--merge]`: coverage-guided
// fuzzing with libFuzzer (clang and libfuzzer-<version>-dev). Builds the fuzz addon into
// build-fuzz/ (-DDENSENODE_FUZZ=ON: libFuzzer instrumentation, ASan, UBSan), then runs
// fuzz/harness.mjs per target for N seconds (each), starting from the committed corpus
// (fuzz/corpus/<target>/, plus fuzz/seeds/<target>/), new inputs going to a scratch directory.
// Any finding (a crash, a sanitizer report, an outcome the target forbids, an input slower than
// -timeout, an allocation over -malloc_limit_mb) fails the run; the input is saved under
// build-fuzz/findings/<target>/. --merge then minimizes the corpus into fuzz/corpus/<target>/
// (libFuzzer -merge=1: the smallest inputs that keep every feature). One summary line per target:
// libFuzzer's cov (edges) and ft (features), and for the JS targets the lines and V8 blocks of
// dist/io/ executed by the corpus.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = ['binding', 'load', 'tfjs'];
const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'all' },
    seconds: { type: 'string', default: '20' },
    merge: { type: 'boolean', default: false },
  },
});
const targets = values.target === 'all' ? TARGETS : [values.target];
const seconds = Number(values.seconds);
if (!targets.every((t) => TARGETS.includes(t))) throw new Error(`fuzz: --target is one of ${TARGETS.join(', ')}, all`);
if (!(Number.isInteger(seconds) && seconds >= 1)) throw new Error(`fuzz: --seconds must be an integer >= 1, received ${values.seconds}`);

const out = join(root, 'build-fuzz');
const addon = join(out, 'Release', 'densenode.node');
const cxx = process.env.CXX ?? 'clang++';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`fuzz: ${command} ${args.join(' ')} exited ${result.status ?? result.signal}`);
}

// 1. The fuzz addon (incremental) and dist/ (the harness runs the compiled library).
const started = performance.now();
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js', { paths: [root] });
run(process.execPath, [cmakeJs, 'compile', '--out', 'build-fuzz', '--CDDENSENODE_FUZZ=ON'], {
  env: { ...process.env, CXX: cxx, CC: process.env.CC ?? 'clang' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const newest = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.ts'))
    .reduce((t, f) => Math.max(t, statSync(join(dir, f)).mtimeMs), 0);
const distIndex = join(root, 'dist', 'index.js');
if (!existsSync(distIndex) || statSync(distIndex).mtimeMs < newest(join(root, 'lib'))) {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
}
console.log(`fuzz: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// node is not instrumented: the ASan runtime the addon needs is preloaded.
const runtime = execFileSync(cxx, ['-print-file-name=libclang_rt.asan-x86_64.so'], { encoding: 'utf8' }).trim();
if (!existsSync(runtime)) throw new Error(`fuzz: no ASan runtime at ${runtime}`);
const env = {
  ...process.env,
  LD_PRELOAD: runtime,
  DENSENODE_ADDON: addon,
  DENSENODE_BACKEND: 'native',
  // Node's own allocations are not freed at exit: leaks are not what this looks for.
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1:handle_abort=1',
  UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:suppressions=${join(root, 'fuzz', 'ubsan-suppressions.txt')}`,
};
delete env.NODE_OPTIONS;

const failures = [];
// 0. The driver's own check: a finding, a pending input and a blocked event loop each fail a run
// and leave the input in a crash- file.
for (const kind of ['BAD', 'HANG', 'SPIN']) {
  const dir = mkdtempSync(join(tmpdir(), 'densenode-fuzz-selftest-'));
  mkdirSync(join(dir, 'in'));
  writeFileSync(join(dir, 'in', 'input'), kind);
  const args = [join(root, 'fuzz', 'selftest.mjs'), '-timeout=1', '-runs=0', `-artifact_prefix=${dir}/`, join(dir, 'in')];
  const result = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  const saved = readdirSync(dir).some((f) => f.startsWith('crash-'));
  // 77 (libFuzzer's crash exit code), or SIGABRT when ASan handles the abort (handle_abort=1).
  if (!(result.status === 77 || result.signal === 'SIGABRT') || !saved) {
    process.stdout.write(`${result.stdout}${result.stderr}`);
    failures.push(
      `selftest ${kind}: exit ${result.status ?? result.signal}, ${saved ? 'input saved' : 'no crash- file'} (expected 77 or SIGABRT and a crash- file)`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}
console.log(`fuzz: selftest ${failures.length === 0 ? 'passed' : 'FAILED'} (a finding, a hang and a blocked event loop each fail a run)`);

for (const target of targets) {
  const corpus = join(root, 'fuzz', 'corpus', target);
  const seeds = join(root, 'fuzz', 'seeds', target);
  const scratch = mkdtempSync(join(tmpdir(), `densenode-fuzz-corpus-${target}-`));
  const findings = join(out, 'findings', target);
  const summaryFile = join(scratch, 'summary.json');
  mkdirSync(findings, { recursive: true });
  mkdirSync(corpus, { recursive: true });
  const dict = join(root, 'fuzz', 'dict', `${target === 'binding' ? 'binding' : 'model-files'}.dict`);
  const flags = [
    `-max_total_time=${seconds}`,
    '-timeout=10',
    '-rss_limit_mb=6144',
    '-malloc_limit_mb=1024',
    `-max_len=${target === 'binding' ? 4096 : 65536}`,
    `-artifact_prefix=${findings}/`,
    '-print_final_stats=1',
    ...(existsSync(dict) ? [`-dict=${dict}`] : []),
    join(scratch, 'new'),
    corpus,
    ...(existsSync(seeds) ? [seeds] : []),
  ];
  mkdirSync(join(scratch, 'new'));
  const t = performance.now();
  const result = spawnSync(process.execPath, [join(root, 'fuzz', 'harness.mjs'), target, ...flags], {
    cwd: root,
    env: { ...env, DENSENODE_FUZZ_SUMMARY: summaryFile },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const took = (performance.now() - t) / 1000;
  const output = `${result.stdout}${result.stderr}`;
  const stats = [...output.matchAll(/cov: (\d+) ft: (\d+)/g)].at(-1);
  const runs = /Done (\d+) runs in (\d+) second/.exec(output);
  const edges = /\((\d+) inline 8-bit counters\)/.exec(output);
  const found = readdirSync(findings).filter((f) => /^(crash|timeout|oom|leak|slow-unit)-/.test(f));
  if (result.status !== 0 || found.length > 0 || !runs) {
    process.stdout.write(output.split('\n').slice(-80).join('\n'));
    failures.push(
      `${target}: ${found.length > 0 ? `finding(s) ${found.map((f) => join(findings, f)).join(', ')}` : `exit ${result.status ?? result.signal}`}`,
    );
  }
  let js = '';
  if (existsSync(summaryFile)) {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    if (s.lines) {
      const pct = (a, b) => `${((100 * a) / b).toFixed(1)}%`;
      js =
        `, JS parsers (${s.files.length} files of dist/): lines ${s.linesRun}/${s.lines} (${pct(s.linesRun, s.lines)}), ` +
        `V8 blocks ${s.blocksRun}/${s.blocks} (${pct(s.blocksRun, s.blocks)}), coverage ${(s.jsCoverageMs / Math.max(1, s.inputs)).toFixed(2)} ms/input`;
    }
  }
  const size = (dir) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  console.log(
    `fuzz ${target}: ${runs ? `${runs[1]} runs in ${runs[2]} s` : 'no final stats'} (${took.toFixed(1)} s wall), ` +
      `cov: ${stats?.[1] ?? '?'} (of ${edges?.[1] ?? '?'} instrumented edges) ft: ${stats?.[2] ?? '?'}, corpus ${readdirSync(corpus).length} files ${size(corpus)} B${js}`,
  );

  // --merge: the smallest set of inputs keeping every feature, back into fuzz/corpus/<target>/.
  if (values.merge && failures.length === 0) {
    const merged = join(scratch, 'merged');
    mkdirSync(merged);
    const mergeRun = spawnSync(
      process.execPath,
      [
        join(root, 'fuzz', 'harness.mjs'),
        target,
        '-merge=1',
        `-max_len=${target === 'binding' ? 4096 : 65536}`,
        merged,
        corpus,
        join(scratch, 'new'),
      ],
      { cwd: root, env: { ...env, DENSENODE_FUZZ_JS_COVERAGE: '1' }, encoding: 'utf8' },
    );
    if (mergeRun.status !== 0) {
      process.stdout.write(`${mergeRun.stdout}${mergeRun.stderr}`.split('\n').slice(-40).join('\n'));
      failures.push(`${target}: merge exited ${mergeRun.status}`);
    } else {
      rmSync(corpus, { recursive: true, force: true });
      cpSync(merged, corpus, { recursive: true });
      console.log(`fuzz ${target}: corpus minimized to ${readdirSync(corpus).length} files, ${size(corpus)} B`);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`fuzz: FAILED\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
