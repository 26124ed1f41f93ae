// The machine a benchmark runs on, printed first by every benchmark so its figures can be read
// against this machine's bound: the CPU, its cores, the ISA densenode runs, the caches and GEMM
// blocking, and the FMA peak measured by bench/fma-peak.cc on 1 thread and on all cores.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'bench', 'fma-peak.cc');
// The flags that let the compiler use the ISA's vectors and FMA; NEON is the arm64 baseline.
const isaFlags = { avx512: ['-mavx512f', '-mfma'], avx2: ['-mavx2', '-mfma'], neon: [], portable: [] };
const peakSeconds = 0.3;
const peakRepetitions = 5;

/** `model name`, vendor, family and model from /proc/cpuinfo (Linux x86; arm64 has implementer and part). */
function cpuinfo() {
  if (platform() !== 'linux' || !existsSync('/proc/cpuinfo')) return {};
  const fields = {};
  for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
    if (line === '') break; // the first processor's block is enough
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return {
    vendor: fields.vendor_id ?? fields['CPU implementer'] ?? null,
    family: fields['cpu family'] ?? fields['CPU architecture'] ?? null,
    model: fields.model ?? fields['CPU part'] ?? null,
  };
}

const sizeBytes = (text) => {
  const match = /^(\d+)([KMG]?)$/.exec(text.trim());
  return match ? Number(match[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2]] : null;
};

/** backendInfo().caches (bytes of one instance per level, 0 = unknown) in the form sysfsCaches gives. */
function fromBinding(c) {
  const bytes = (level) => (level.bytes > 0 ? level.bytes : null);
  return { l1d: bytes(c.l1d), l2: bytes(c.l2), l3: bytes(c.l3), source: c.source };
}

/** cpu0's L1 data, L2 and L3 sizes from sysfs (Linux), or null. */
function sysfsCaches() {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  if (!existsSync(dir)) return null;
  const caches = { l1d: null, l2: null, l3: null, source: 'sysfs' };
  for (const entry of readdirSync(dir).filter((name) => name.startsWith('index'))) {
    const read = (file) => readFileSync(join(dir, entry, file), 'utf8').trim();
    const level = read('level');
    const type = read('type');
    if (level === '1' && type === 'Data') caches.l1d = sizeBytes(read('size'));
    else if (level === '2' && type !== 'Instruction') caches.l2 = sizeBytes(read('size'));
    else if (level === '3' && type !== 'Instruction') caches.l3 = sizeBytes(read('size'));
  }
  return caches;
}

/** Logical CPUs on cpu0's physical core (2 with SMT), from sysfs (Linux); null elsewhere. */
function threadsPerCore() {
  const file = '/sys/devices/system/cpu/cpu0/topology/thread_siblings_list';
  if (!existsSync(file)) return null;
  // A list such as "0", "0,8" or "0-1".
  return readFileSync(file, 'utf8')
    .trim()
    .split(',')
    .reduce((n, part) => {
      const [first, last = first] = part.split('-').map(Number);
      return n + last - first + 1;
    }, 0);
}

const compilers = ['c++', 'g++'];

/** Builds build/bench/fma_peak_<isa> once (again when the source is newer); returns its path or the reason it cannot. */
function buildPeak(isa) {
  const binary = join(root, 'build', 'bench', `fma_peak_${isa}`);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { binary };
  mkdirSync(dirname(binary), { recursive: true });
  const flags = ['-O2', '-std=c++17', '-ffp-contract=fast', ...isaFlags[isa], '-pthread', '-o', binary, source];
  let found = false;
  for (const compiler of compilers) {
    const result = spawnSync(compiler, flags, { encoding: 'utf8' });
    if (result.error) continue; // not installed
    found = true;
    if (result.status === 0) return { binary };
  }
  return { error: found ? `not measured (${isa} build failed)` : 'not measured (no C++ compiler)' };
}

/** Median GFLOP/s of the FMA loop on `threads` threads. */
function runPeak(binary, threads) {
  const result = spawnSync(binary, [String(threads), String(peakSeconds), String(peakRepetitions)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`fma_peak failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout);
}

/** The FMA peak for densenode's ISA on 1 thread and on all cores: { isa, one, all, chains, lanes } or { isa, error }. */
function measurePeak(isa, cores) {
  const built = buildPeak(isa);
  if (built.error) return { isa, error: built.error };
  const one = runPeak(built.binary, 1);
  const all = cores > 1 ? runPeak(built.binary, cores) : one;
  return { isa, one: one.gflops, all: all.gflops, chains: one.chains, lanes: one.lanes, runsOne: one.runs, runsAll: all.runs };
}

/**
 * The threads a benchmark runs "on all cores": the CPUs this process may use (the addon's budget:
 * affinity and cgroup quota; Node's count of the affinity mask on the JS backend), not the host's.
 */
export function usableThreads() {
  return backendInfo().cpus?.threads ?? availableParallelism();
}

/** Everything printMachine shows, as data for a benchmark's JSON. */
export function describeMachine() {
  const info = backendInfo();
  const cores = cpus().length;
  const threads = usableThreads();
  // The JS backend has no ISA of its own: its peak is the compiler's portable vector code.
  const isa = info.isa in isaFlags ? info.isa : 'portable';
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    ...cpuinfo(),
    platform: `${platform()} ${arch()}`,
    cores,
    threads,
    cpuBudget: info.cpus ?? null,
    threadsPerCore: threadsPerCore(),
    loadAverage: loadavg()[0],
    backend: { name: info.name, isa: info.isa, threads: info.threads },
    caches: info.caches ? fromBinding(info.caches) : sysfsCaches(),
    blocking: info.blocking ?? null,
    peak: measurePeak(isa, threads),
  };
}

const kib = (bytes) => (bytes >= 1024 ** 2 ? `${bytes / 1024 ** 2} MiB` : `${bytes / 1024} KiB`);

/** The description as the lines printMachine prints. */
export function machineLines(m) {
  const id = [m.vendor, m.family && `family ${m.family}`, m.model && `model ${m.model}`].filter(Boolean).join(' ');
  const lines = [
    `machine: ${m.cpu}${id ? ` (${id})` : ''}, ${m.cores} logical cores, ${m.platform}, load average ${m.loadAverage.toFixed(2)}`,
  ];
  lines.push(`densenode: ${m.backend.name} backend, isa ${m.backend.isa}, ${m.backend.threads} threads`);
  if (m.threads < m.cores) {
    const b = m.cpuBudget;
    const why = b
      ? `${b.source === 'quota' ? `a cgroup CPU quota of ${b.quota}` : `an affinity mask of ${b.affinity}`}`
      : 'its affinity mask';
    lines.push(`this process may use ${m.threads} of the ${m.cores} cores (${why}): "all cores" below means ${m.threads}`);
  }
  const c = m.caches;
  if (c) {
    const size = (bytes) => (bytes == null ? '?' : kib(bytes));
    lines.push(`caches: L1d ${size(c.l1d)}, L2 ${size(c.l2)} per core, L3 ${size(c.l3)} shared (${c.source})`);
  }
  const b = m.blocking;
  if (b)
    lines.push(`GEMM blocking: mr ${b.mr}, nr ${b.nr}, mc ${b.mc}, kc ${b.kc} (a K up to ${b.wholeK} whole), nc ${b.nc} (${b.source})`);
  const p = m.peak;
  lines.push(
    p.error
      ? `FMA peak: ${p.error}`
      : `FMA peak (${p.isa}, ${p.chains} chains of ${p.lanes} lanes): ${p.one.toFixed(1)} GFLOP/s on 1 thread, ${p.all.toFixed(1)} GFLOP/s on ${m.threads}`,
  );
  // Each physical core has its own FMA pipes (SMT siblings share them), so all cores reach about
  // physical cores × one thread's peak unless something else runs: then this run's figures are low too.
  const physical = m.threadsPerCore ? Math.min(m.threads, m.cores / m.threadsPerCore) : null;
  if (!p.error && physical > 1 && p.all < 0.75 * physical * p.one)
    lines.push(`FMA peak on ${m.threads} threads is only ${(p.all / p.one).toFixed(2)}× one thread's: other load on the machine?`);
  return lines;
}

/** Measures and prints the machine description; returns it (see describeMachine). */
export function printMachine() {
  const m = describeMachine();
  for (const line of machineLines(m)) console.log(line);
  return m;
}

/** The FMA peak in GFLOP/s on 1 thread or on all cores; null when not measured or for another thread count. */
export function peakFor(m, threads) {
  if (m.peak.error) return null;
  if (threads === 1) return m.peak.one;
  return threads === m.threads ? m.peak.all : null;
}
