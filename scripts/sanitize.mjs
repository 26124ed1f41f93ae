#!/usr/bin/env node
// `node scripts/sanitize.mjs`: the native code under AddressSanitizer + UndefinedBehaviorSanitizer
// (with LeakSanitizer). Builds the addon and the C++ tests with -DDENSENODE_SANITIZE=ON into
// build-asan/, runs the C++ tests with each ISA forced, then vitest on the native-heavy test
// files in node processes that preload the ASan runtime and load the sanitized addon
// (DENSENODE_ADDON). Every sanitizer report, from any process (vitest's forks and the processes
// the tests spawn included), goes to build-asan/reports/ (log_path), and the output is grepped
// too; any report, failed test or crash fails the run. Ends with one summary line.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build-asan');
const reports = join(out, 'reports');
const started = performance.now();
const seconds = (t) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
const problems = [];

// The vitest files: every export of the binding fuzzed and swept, the argument errors, the
// kernels against references, GEMM on each ISA and thread count (child processes), and training
// in process and in a worker thread, and the next batch gathered beside a step.
const vitestFiles = [
  'test/binding-fuzz.test.ts',
  'test/binding-sweep.test.ts',
  'test/binding-errors.test.ts',
  'test/kernels.test.ts',
  'test/gemm-native.test.ts',
  'test/training-runtime.test.ts',
  'test/read-ahead.test.ts',
];

const REPORT = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL/;

function step(title) {
  console.log(`\n=== ${title} ===`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result;
}

// 1. Build. cmake-js configures build-asan/ like build/ (npm run build:native), with the option on.
step('build (-DDENSENODE_SANITIZE=ON) into build-asan/');
let t = performance.now();
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js', { paths: [root] });
if (run(process.execPath, [cmakeJs, 'compile', '--out', 'build-asan', '--CDDENSENODE_SANITIZE=ON']).status !== 0) {
  console.error('sanitize: the addon did not build');
  process.exit(1);
}
if (run('cmake', ['--build', out, '--target', 'densenode_native_tests']).status !== 0) {
  console.error('sanitize: the C++ tests did not build');
  process.exit(1);
}
const addon = join(out, 'Release', 'densenode.node');
console.log(`built in ${seconds(t)}`);

// The ASan runtime of the compiler that built build-asan/, for LD_PRELOAD: node itself is not
// instrumented, so the runtime must be loaded before anything else (the sanitized addon refuses
// to load otherwise, which is also what proves the preload reached a process).
const cache = readFileSync(join(out, 'CMakeCache.txt'), 'utf8');
const cxx = /^CMAKE_CXX_COMPILER:\w+=(.+)$/m.exec(cache)?.[1] ?? 'g++';
const runtime = execFileSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
if (!runtime.startsWith('/') || !existsSync(runtime)) {
  console.error(`sanitize: ${cxx} has no libasan.so (install the compiler's sanitizer runtime)`);
  process.exit(1);
}

rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const env = {
  ...process.env,
  // abort_on_error: a report kills the process (a failed test or a dead fork, never a pass).
  // allow_user_segv_handler=0: V8 installs its own SIGSEGV handler, which would turn ASan's
  // "SEGV on unknown address" report (a wild read) into a bare crash with no stack.
  ASAN_OPTIONS: [
    'detect_leaks=1',
    'abort_on_error=1',
    'allow_user_segv_handler=0',
    'check_initialization_order=1',
    `log_path=${join(reports, 'asan')}`,
  ].join(':'),
  UBSAN_OPTIONS: ['print_stacktrace=1', 'halt_on_error=1', `log_path=${join(reports, 'ubsan')}`].join(':'),
  // print_suppressions: a process whose exit-time leak check ran leaves its "Suppressions used"
  // table (V8's own blocks) in its log, which counts the checks that really happened.
  LSAN_OPTIONS: `suppressions=${join(root, 'scripts', 'lsan-suppressions.txt')}:print_suppressions=1`,
};

// 2. The C++ tests, once per ISA (a forced ISA above the CPU's falls back to the best below it).
step('C++ kernel tests under ASan + UBSan + LSan, each ISA forced');
t = performance.now();
let cppChecks = 0;
for (const isa of process.arch === 'arm64' ? ['portable', 'neon'] : ['portable', 'avx2', 'avx512']) {
  for (const test of ['densenode_gemm_test', 'densenode_kernels_test']) {
    const result = spawnSync(join(out, test), [], { cwd: root, encoding: 'utf8', env: { ...env, DENSENODE_ISA: isa } });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    const summary = /(\d+) passed, (\d+) failed/.exec(output);
    console.log(`${test} ${isa}: ${summary ? summary[0] : `no summary (${result.signal ?? `exit ${result.status}`})`}`);
    cppChecks += summary ? Number(summary[1]) : 0;
    if (result.status !== 0 || !summary || Number(summary[2]) > 0 || REPORT.test(output)) {
      process.stdout.write(output);
      problems.push(`${test} with DENSENODE_ISA=${isa} failed`);
    }
  }
}
console.log(`C++ tests: ${cppChecks} checks in ${seconds(t)}`);

// 3. vitest, its test processes started with the ASan runtime preloaded: scripts/sanitize-preload.cjs
// sets LD_PRELOAD for everything vitest starts (its forks, and the processes the tests spawn
// inherit it), and makes the forks exit normally so that LeakSanitizer checks them.
step(`vitest (DENSENODE_BACKEND=native, DENSENODE_ADDON=build-asan/Release/densenode.node, LD_PRELOAD=${runtime})`);
t = performance.now();
const jsonReport = join(out, 'vitest.json');
const vitestEnv = {
  ...env,
  DENSENODE_ASAN_RUNTIME: runtime,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${join(root, 'scripts', 'sanitize-preload.cjs')}`.trim(),
  DENSENODE_BACKEND: 'native',
  DENSENODE_ADDON: addon,
};
delete vitestEnv.LD_PRELOAD;
// One vitest pass and the reading of every log; what it found goes to `found`.
async function vitestPass(found) {
  const vitestOutput = await new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonReport}`, ...vitestFiles],
      { cwd: root, env: vitestEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        text += chunk;
        (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
      });
    }
    child.on('error', fail);
    child.on('close', (code, signal) => done({ text, code, signal }));
  });
  let vitestSummary = 'no report';
  try {
    const summary = JSON.parse(readFileSync(jsonReport, 'utf8'));
    vitestSummary = `${summary.numPassedTests} passed, ${summary.numFailedTests} failed`;
    if (summary.numFailedTests > 0 || summary.numPassedTests === 0) found.push(`vitest: ${vitestSummary}`);
  } catch {
    found.push('vitest wrote no report');
  }
  if (vitestOutput.code !== 0) found.push(`vitest exited with ${vitestOutput.signal ?? vitestOutput.code}`);
  if (REPORT.test(vitestOutput.text)) found.push('a sanitizer report in the vitest output');
  console.log(`vitest: ${vitestSummary} in ${seconds(t)}`);

  // 4. Every log file, whichever process wrote it: a report, or the trace of a clean leak check.
  // Should vitest exit before its last fork has finished its exit-time leak check (0.3-0.6 s, more
  // on a busy machine), wait up to 60 s for one finished check per fork before reading the logs.
  const finishedChecks = () =>
    readdirSync(reports).filter((name) => readFileSync(join(reports, name), 'utf8').includes('Suppressions used:')).length;
  for (let waited = 0; finishedChecks() < vitestFiles.length && waited < 60_000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  let reportCount = 0;
  let leakChecks = 0;
  for (const name of readdirSync(reports)) {
    const text = readFileSync(join(reports, name), 'utf8');
    if (text.includes('Suppressions used:')) leakChecks++;
    const report =
      REPORT.exec(text) ?? (/\S/.test(text.replace(/-+\nSuppressions used:[\s\S]*?-+\n/g, '')) ? [text.trim().split('\n')[0]] : null);
    if (!report) continue;
    reportCount++;
    console.log(`\n--- build-asan/reports/${name} ---\n${text}`);
    found.push(`sanitizer report build-asan/reports/${name}: ${report[0]}`);
  }

  return { vitestSummary, reportCount, leakChecks };
}

// LeakSanitizer's tracer can itself crash ("Tracer caught signal 11 … LeakSanitizer has encountered
// a fatal error", seen once in CI on a busy machine): that process's leak check never ran, so it
// proves nothing either way. Such a pass is run once more; any other report fails at once.
const TRACER_CRASH = /^sanitizer report .*: Tracer caught signal/;
let found = [];
let pass = await vitestPass(found);
if (found.length > 0 && found.every((p) => TRACER_CRASH.test(p) || /^LeakSanitizer finished in/.test(p))) {
  console.log(`\nsanitize: LeakSanitizer's tracer crashed (${found.join('; ')}); running the vitest pass again`);
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  found = [];
  pass = await vitestPass(found);
}
problems.push(...found);
const { vitestSummary, reportCount, leakChecks } = pass;
// Each test file runs in its own fork: each must have finished its leak check.
if (leakChecks < vitestFiles.length)
  problems.push(`LeakSanitizer finished in ${leakChecks} processes, fewer than the ${vitestFiles.length} vitest forks`);

console.log(
  `\nsanitize: ${problems.length === 0 ? 'clean' : 'FAILED'}: C++ ${cppChecks} checks on 3 ISAs, vitest ${vitestSummary}, ${leakChecks} node processes leak-checked, ${reportCount} sanitizer reports, ${seconds(started)}`,
);
for (const problem of problems) console.log(`  - ${problem}`);
process.exit(problems.length === 0 ? 0 : 1);
