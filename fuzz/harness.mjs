// `node fuzz/harness.mjs <target> [libFuzzer flags and corpus directories]`, started by
// scripts/fuzz.mjs (which builds build-fuzz/, preloads the ASan runtime and sets the flags).
// Loads the fuzz build of the addon (DENSENODE_ADDON, also the backend the library uses) and
// hands libFuzzer's loop one JS callback per input: the target's check, then this input's JS
// coverage into the extra counters. A target rejects with the finding; the harness then tells
// the driver, which aborts inside libFuzzer's callback so libFuzzer saves the input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JsCoverage } from './js-coverage.mjs';
import { bindingTarget } from './targets/binding.mjs';
import { modelFileTarget } from './targets/model-files.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [target, ...flags] = process.argv.slice(2);
const addonPath = process.env.DENSENODE_ADDON;
if (!addonPath) throw new Error('fuzz: DENSENODE_ADDON must name the fuzz build (scripts/fuzz.mjs sets it)');
const binding = createRequire(import.meta.url)(addonPath);
if (typeof binding.runFuzzer !== 'function') throw new Error(`fuzz: ${addonPath} is not the fuzz build (no runFuzzer)`);

// The JS under test per target, the parsers of the compiled library (its C++ is counted by
// libFuzzer's own instrumentation; the binding target has no JS under test).
const dist = pathToFileURL(join(root, 'dist')).href;
const SHARED = [
  'io/validate-manifest.js',
  'io/json-text.js',
  'io/json-read.js',
  'io/read-file.js',
  'io/common.js',
  'data/read-spec.js',
  'model-factory.js',
];
const PARSERS = { load: ['io/model-file.js', ...SHARED], tfjs: ['io/tfjs-import.js', ...SHARED] };
const WANTED = Object.fromEntries(
  Object.entries(PARSERS).map(([name, files]) => {
    const urls = new Set(files.map((f) => `${dist}/${f}`));
    return [name, (url) => urls.has(url)];
  }),
);
// Coverage starts before the library loads, so its scripts' top-level code and every function
// V8 knows of are in the figures (a function never run reports a count of 0, not nothing).
const measured = target in WANTED && process.env.DENSENODE_FUZZ_JS_COVERAGE !== '0';
const jsCoverage = measured ? await JsCoverage.start(binding.jsCounters(), WANTED[target]) : null;
const dn = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
const work = mkdtempSync(join(tmpdir(), `densenode-fuzz-${target}-`));
const targets = {
  binding: () => bindingTarget(binding),
  load: () => modelFileTarget(dn, 'load', work),
  tfjs: () => modelFileTarget(dn, 'tfjs', work),
};
if (!(target in targets)) throw new Error(`fuzz: unknown target '${target}' (one of ${Object.keys(targets).join(', ')})`);
const check = targets[target]();

let inputs = 0;
let jsMs = 0;
function onInput(bytes) {
  inputs++;
  check(bytes)
    .then(
      async () => {
        if (jsCoverage) {
          const t = performance.now();
          await jsCoverage.collect();
          jsMs += performance.now() - t;
        }
        binding.fuzzDone();
      },
      (error) => binding.fuzzDone(String(error?.stack ?? error)),
    )
    // The harness's own failure (coverage, a bug here) stops the run too, rather than leaving the input pending.
    .catch((error) => binding.fuzzDone(`harness: ${String(error?.stack ?? error)}`));
}

// At the end of the run: the JS coverage figures, for scripts/fuzz.mjs to report.
function onExit() {
  try {
    rmSync(work, { recursive: true, force: true });
    const out = process.env.DENSENODE_FUZZ_SUMMARY;
    if (out && jsCoverage) {
      const sourceOf = (url) => readFileSync(fileURLToPath(url), 'utf8');
      writeFileSync(out, JSON.stringify({ target, inputs, jsCoverageMs: jsMs, ...jsCoverage.summary(sourceOf) }, null, 1));
    } else if (out) writeFileSync(out, JSON.stringify({ target, inputs }));
  } finally {
    binding.fuzzDone();
  }
}

// argv[0] reruns this harness (libFuzzer's -merge starts it again with its own flags).
const self = [process.execPath, fileURLToPath(import.meta.url), target].join(' ');
binding.runFuzzer([self, ...flags], onInput, onExit);
