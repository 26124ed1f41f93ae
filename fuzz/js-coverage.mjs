// JS coverage for libFuzzer: V8's precise block coverage (the inspector's Profiler domain, with
// call counts, so each take is this input's counts and resets them), restricted to the files
// under test. Each executed block (its script and start offset) is hashed into one byte of the
// addon's extra-counters array, which libFuzzer reads after the input as it reads the C++ edge
// counters. The blocks ever seen, executed or not, are kept for the line and block figures.
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
    /** url -> "start:end" -> executed in some input */
    this.blocks = new Map();
  }

  /** This input's coverage into the counters (libFuzzer cleared them before the input). */
  async collect() {
    const { result } = await post(this.session, 'Profiler.takePreciseCoverage');
    const mask = this.counters.length - 1;
    for (const script of result) {
      if (!this.wanted(script.url)) continue;
      if (!this.blocks.has(script.url)) this.blocks.set(script.url, new Map());
      const seen = this.blocks.get(script.url);
      const salt = hashString(script.url);
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          const key = `${range.startOffset}:${range.endOffset}`;
          const ran = range.count > 0;
          if (ran || !seen.has(key)) seen.set(key, ran || seen.get(key) === true);
          if (!ran) continue;
          const slot = (Math.imul(salt ^ range.startOffset, 0x9e3779b1) >>> 16) & mask;
          const count = Math.min(255, range.count);
          if (this.counters[slot] < count) this.counters[slot] = count;
        }
      }
    }
  }

  /** Blocks and lines executed in some input, per file and in total, from the sources' text. */
  summary(sourceOf) {
    const files = [];
    for (const [url, seen] of this.blocks) {
      const source = sourceOf(url);
      if (source === undefined) continue;
      // Offsets: outer ranges first, inner (smaller) ranges override, as V8 nests them.
      const covered = new Uint8Array(source.length);
      const ranges = [...seen].map(([key, ran]) => [...key.split(':').map(Number), ran]);
      ranges.sort((a, b) => b[1] - b[0] - (a[1] - a[0]));
      for (const [start, end, ran] of ranges) covered.fill(ran ? 1 : 2, start, Math.min(end, source.length));
      let lines = 0;
      let linesRun = 0;
      let offset = 0;
      for (const line of source.split('\n')) {
        const first = line.search(/\S/);
        const code = first >= 0 && !/^\s*(\/\/|\/\*|\*|\}|\)|import |export \{)/.test(line);
        if (code && covered[offset + first] !== 0) {
          lines++;
          if (covered[offset + first] === 1) linesRun++;
        }
        offset += line.length + 1;
      }
      const blocks = ranges.length;
      const blocksRun = ranges.filter((r) => r[2]).length;
      files.push({ file: url, lines, linesRun, blocks, blocksRun });
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
