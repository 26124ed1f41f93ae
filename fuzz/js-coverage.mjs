// JS coverage for libFuzzer: V8's precise block coverage (the inspector's Profiler domain, with
// call counts, so each take is this input's counts and resets them), restricted to the files
// under test. Each executed block (its script and start offset) is hashed into one byte of the
// addon's extra-counters array, which libFuzzer reads after the input as it reads the C++ edge
// counters. Which source offsets ran in some input is kept for the line and block figures.
import { Session } from 'node:inspector';

function post(session, method, params) {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

export class JsCoverage {
  /**
   * @param {Uint8Array} counters the addon's __libfuzzer_extra_counters
   * @param {(url: string) => boolean} wanted the scripts that count
   */
  static async start(counters, wanted) {
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    return new JsCoverage(session, counters, wanted);
  }

  constructor(session, counters, wanted) {
    this.session = session;
    this.counters = counters;
    this.wanted = wanted;
    /** url -> { ever: per source offset, 0 never reported, 1 run in some input, 2 reported not run; ranges: start·2^24 + end } */
    this.scripts = new Map();
  }

  /** This input's coverage into the counters (libFuzzer cleared them before the input). */
  async collect() {
    const { result } = await post(this.session, 'Profiler.takePreciseCoverage');
    const mask = this.counters.length - 1;
    for (const script of result) {
      if (!this.wanted(script.url)) continue;
      const ranges = script.functions.flatMap((fn) => fn.ranges);
      const length = ranges.reduce((n, r) => Math.max(n, r.endOffset), 0);
      let known = this.scripts.get(script.url);
      if (known === undefined || known.ever.length < length) {
        const ever = new Uint8Array(length);
        if (known) ever.set(known.ever);
        known = { ever, ranges: known?.ranges ?? new Set() };
        this.scripts.set(script.url, known);
      }
      // V8 leaves out a block whose count equals its parent's, so a block is "run" in this input
      // where the innermost range around it says so: outer ranges first, inner ones override.
      ranges.sort((a, b) => b.endOffset - b.startOffset - (a.endOffset - a.startOffset));
      if (this.now === undefined || this.now.length < length) this.now = new Uint8Array(length);
      const now = this.now.fill(0, 0, length);
      const salt = hashString(script.url);
      for (const range of ranges) {
        known.ranges.add(range.startOffset * 2 ** 24 + range.endOffset);
        now.fill(range.count > 0 ? 1 : 2, range.startOffset, range.endOffset);
        if (range.count === 0) continue;
        const slot = (Math.imul(salt ^ range.startOffset, 0x9e3779b1) >>> 16) & mask;
        const count = Math.min(255, range.count);
        if (this.counters[slot] < count) this.counters[slot] = count;
      }
      const { ever } = known;
      for (let i = 0; i < length; i++) if (now[i] === 1 || (now[i] === 2 && ever[i] === 0)) ever[i] = now[i];
    }
  }

  /** Lines and V8 blocks executed in some input, per file and in total, from the sources' text. */
  summary(sourceOf) {
    const files = [];
    for (const [url, { ever, ranges }] of this.scripts) {
      const source = sourceOf(url);
      if (source === undefined) continue;
      let lines = 0;
      let linesRun = 0;
      let offset = 0;
      const missed = [];
      for (const [number, line] of source.split('\n').entries()) {
        const first = line.search(/\S/);
        const code = first >= 0 && !/^\s*(\/\/|\/\*|\*|\}|\)|import |export \{)/.test(line);
        if (code && ever[offset + first] !== 0) {
          lines++;
          if (ever[offset + first] === 1) linesRun++;
          else missed.push(number + 1);
        }
        offset += line.length + 1;
      }
      const starts = [...ranges].map((key) => Math.floor(key / 2 ** 24));
      const blocksRun = starts.filter((at) => ever[at] === 1).length;
      files.push({ file: url, lines, linesRun, blocks: starts.length, blocksRun, missed });
    }
    const total = (key) => files.reduce((sum, f) => sum + f[key], 0);
    return { files, lines: total('lines'), linesRun: total('linesRun'), blocks: total('blocks'), blocksRun: total('blocksRun') };
  }
}

function hashString(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
