// Finds and loads the native addon, or falls back to the JS kernels and says
// why. DENSENODE_BACKEND=js|native forces one; forcing native when it cannot
// load is an error, never a silent fallback. DENSENODE_ADDON=/abs/path.node
// loads that file instead of searching (the sanitizer build: scripts/sanitize.mjs).
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBinding, NativeInfo } from '../../binding.js';
import { invalidArgument, oneOf } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js/index.js';
import { nativeBackend } from './native.js';
import { MAX_THREADS } from './signatures.js';

const require = createRequire(import.meta.url);
// lib/backend/ (sources, under vitest) and dist/backend/ (compiled) are both two levels down.
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The loaded backend and why it was chosen. */
export interface Selection {
  backend: Backend;
  reason: string;
}

const FIX = 'build it from source with `npx densenode build` (needs cmake >= 3.15 and a C++17 compiler)';

/** This process's platform as prebuilds/ names it, with the C library on Linux (glibc and musl binaries differ). */
function platformName(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const header = report?.header;
  const libc = process.platform === 'linux' ? (header?.glibcVersionRuntime ? '-glibc' : '-musl') : '';
  return `${process.platform}-${process.arch}${libc}`;
}

function loadNative(addon: string | undefined): { binding: NativeBinding; file: string } {
  if (addon) {
    // Absolute only: a relative path would silently depend on the working directory.
    if (!isAbsolute(addon)) throw new Error(`expected an absolute path for DENSENODE_ADDON, received '${addon}'`);
    return { binding: require(addon) as NativeBinding, file: addon };
  }
  const gypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  // node-gyp-build looks in build/Release first, then prebuilds/<platform>-<arch>/.
  const file = gypBuild.resolve(packageRoot);
  return { binding: require(file) as NativeBinding, file };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/**
 * DENSENODE_BLOCKING=mc,kc,nc sets the GEMM block sizes (an experiment's knob; the addon reads it at
 * load and reports it in backendInfo().blocking). The addon would ignore a malformed value, so it is
 * an error here instead.
 */
function checkBlocking(value: string | undefined): void {
  if (value === undefined) return;
  const parts = value.split(',');
  const ok = parts.length === 3 && parts.every((p) => /^[0-9]{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65536);
  if (!ok) throw invalidArgument(RangeError, 'densenode', 'DENSENODE_BLOCKING', "'mc,kc,nc' (three integers 1..65536)", `'${value}'`);
}

/**
 * DENSENODE_ISA lowers the addon's kernels to one of these (for tests and benchmarks; another
 * architecture's name is ignored there, so one setting serves x64 and arm64 runs). The addon would
 * ignore a misspelt name too, and run the best ISA, so it is an error here instead; '' is unset.
 */
// Keyed by the binding's own ISA type, so a new ISA there that is missing here fails to compile.
const ISAS: Record<NativeInfo['isa'], true> = { portable: true, avx2: true, avx512: true, neon: true };
const ISA_NAMES = Object.keys(ISAS);
function checkIsa(value: string | undefined): void {
  if (value === undefined || value === '' || ISA_NAMES.includes(value)) return;
  throw oneOf('densenode', 'DENSENODE_ISA', ISA_NAMES, value);
}

/**
 * DENSENODE_THREADS sizes the addon's pool at load (native/threadpool.h: 1..MAX_THREADS, setThreads' range).
 * The addon would ignore a value that is no such integer and size the pool from the CPUs, so it is
 * an error here instead; '' is unset.
 */
function checkThreads(value: string | undefined): void {
  if (value === undefined || value === '') return;
  if (/^[0-9]{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_THREADS) return;
  throw invalidArgument(RangeError, 'densenode', 'DENSENODE_THREADS', `an integer 1..${MAX_THREADS}`, `'${value}'`);
}

/** Chooses the backend for this process (or worker) from DENSENODE_BACKEND, DENSENODE_ADDON and what loads. */
export function selectBackend(env: NodeJS.ProcessEnv = process.env): Selection {
  const requested = env.DENSENODE_BACKEND ?? '';
  if (requested === 'js') return { backend: jsBackend, reason: 'forced by DENSENODE_BACKEND=js' };
  if (requested !== '' && requested !== 'native') throw oneOf('densenode', 'DENSENODE_BACKEND', ['js', 'native'], requested);
  checkBlocking(env.DENSENODE_BLOCKING);
  checkIsa(env.DENSENODE_ISA);
  checkThreads(env.DENSENODE_THREADS);
  try {
    const { binding, file } = loadNative(env.DENSENODE_ADDON);
    const how = requested === 'native' ? 'forced by DENSENODE_BACKEND=native' : 'loaded';
    return { backend: nativeBackend(binding), reason: `${how}: ${file}` };
  } catch (error) {
    const why = firstLine(error);
    if (requested === 'native') {
      throw new Error(
        `densenode: DENSENODE_BACKEND=native, but the native addon did not load: ${why}. To fix, ${FIX}, or use DENSENODE_BACKEND=js.`,
      );
    }
    process.stderr.write(
      `densenode: native addon unavailable on ${platformName()} (${why}); using the slower JS fallback. To fix, ${FIX}; DENSENODE_BACKEND=js silences this.\n`,
    );
    return { backend: jsBackend, reason: `native addon unavailable: ${why}` };
  }
}

let selected: Selection | undefined;

/** The backend of this process, chosen once on first use. */
export function activeSelection(): Selection {
  selected ??= selectBackend();
  return selected;
}
