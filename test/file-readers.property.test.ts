// A property of every model-file reader (dn.load, dn.importTfjs, the checkpoint reader behind
// fit({ resumeFrom })): whatever is in the directory — random bytes, a valid file cut short,
// a valid JSON tree with one node replaced, removed or nested, a flipped byte in the weights —
// the reader returns a model or rejects with a ModelFileError naming a file of the directory,
// never another error, and within bounded time. Seeded, so a failure reproduces; the worst time
// and memory growth are printed for the record.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { restoreCheckpoint, saveModel } from '../lib/io/model-file.js';
import { Random } from '../lib/random.js';

// PROPERTY_CASES=5000 for a longer hunt by hand.
const CASES = Number(process.env.PROPERTY_CASES ?? 300);
const root = mkdtempSync(join(tmpdir(), 'densenode-property-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function model(): dn.Model {
  const m = dn.sequential({
    inputs: 3,
    seed: 2,
    layers: [dn.dense(4), dn.batchNorm(), dn.relu(), dn.dropout(0.1), dn.dense(2), dn.softmax()],
  });
  m.compile({
    loss: 'crossEntropy',
    optimizer: dn.adam({ learningRate: dn.stepDecay({ initial: 0.01, dropEvery: 5 }) }),
    metrics: ['accuracy'],
  });
  m.preprocessing = { features: ['a', 'b', 'c'], classes: ['no', 'yes'], mean: [0, 1, 2], std: [1, 2, 3] };
  return m;
}

interface Reader {
  name: string;
  /** Writes a valid directory for this reader into dir. */
  write(dir: string): Promise<void>;
  read(dir: string): Promise<unknown>;
}

const readers: Reader[] = [
  { name: 'dn.load', write: (dir) => model().save(dir), read: (dir) => dn.load(dir) },
  { name: 'dn.importTfjs', write: (dir) => model().exportTfjs(dir), read: (dir) => dn.importTfjs(dir) },
  {
    name: 'the checkpoint reader',
    write: (dir) => saveModel(model(), dir, { checkpoint: { epoch: 3 } }),
    read: (dir) => restoreCheckpoint(model(), dir),
  },
];

// Values a mutation puts in place of a JSON node: wrong types, extremes, deep and wide shapes.
function randomValue(random: Random, depth = 0): unknown {
  const pick = random.below(14);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random.below(2) === 0;
    case 2:
      return [0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e300, -0, 0.5, 3][random.below(10)];
    case 3:
      return random.normal() * 10 ** random.below(12);
    case 4:
      return ['', 'x', 'dense', 'adam', '__proto__', 'constructor', '../../etc/passwd', '\u0000', 'weights-0000000000000000.bin'][
        random.below(9)
      ];
    case 5:
      return depth > 3 ? [] : Array.from({ length: random.below(4) }, () => randomValue(random, depth + 1));
    case 6:
      return depth > 3
        ? {}
        : Object.fromEntries(Array.from({ length: random.below(3) }, (_, i) => [`k${i}`, randomValue(random, depth + 1)]));
    case 7:
      return Array.from({ length: random.below(3) * 500 }, () => 1);
    default:
      return { __deep: random.below(200) };
  }
}

type Node = Record<string, unknown> | unknown[];
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

// One random node of the tree, with its parent and key (the root has none).
function randomNode(random: Random, tree: Node): { parent: Node; key: string | number } | null {
  let parent: Node | null = null;
  let key: string | number = '';
  let node: unknown = tree;
  while (isNode(node) && random.below(4) !== 0) {
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[random.below(keys.length)] as string | number;
    [parent, key, node] = [node, k, (node as Record<string | number, unknown>)[k]];
  }
  return parent === null ? null : { parent, key };
}

// The JSON text with one mutation; numbers JSON cannot write (1e999) and deep nests are spliced in as text.
function mutateJson(random: Random, text: string): string {
  const tree = JSON.parse(text) as Node;
  const count = 1 + random.below(3);
  for (let i = 0; i < count; i++) {
    const at = randomNode(random, tree);
    if (at === null) continue;
    const parent = at.parent as Record<string | number, unknown>;
    const action = random.below(4);
    if (action === 0 && !Array.isArray(at.parent)) delete parent[at.key];
    else if (action === 1) parent[at.key] = [parent[at.key]];
    else parent[at.key] = randomValue(random);
  }
  return (
    JSON.stringify(tree)
      // A later mutation may have changed the depth itself: keep it small.
      .replace(/\{"__deep":(\d+)\}/g, (_, n) => `${'['.repeat(Number(n) % 1000)}${']'.repeat(Number(n) % 1000)}`)
      .replace(/1e\+300/g, () => (random.below(2) === 0 ? '1e999' : '-1e999'))
  );
}

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = random.below(256);
  return out;
}

// One hostile change to a valid directory.
function corrupt(random: Random, dir: string): string {
  const manifest = join(dir, 'model.json');
  const bins = readdirSync(dir).filter((f) => f.endsWith('.bin'));
  const text = readFileSync(manifest, 'utf8');
  switch (random.below(6)) {
    case 0: {
      writeFileSync(manifest, randomBytes(random, random.below(2000)));
      return 'random bytes as model.json';
    }
    case 1: {
      writeFileSync(manifest, text.slice(0, random.below(text.length)));
      return 'model.json truncated';
    }
    case 2: {
      const bin = join(dir, bins[random.below(bins.length)] as string);
      const bytes = readFileSync(bin);
      writeFileSync(bin, bytes.subarray(0, random.below(bytes.length)));
      return 'a weights file truncated';
    }
    case 3: {
      const bin = join(dir, bins[random.below(bins.length)] as string);
      const bytes = readFileSync(bin);
      for (let i = 0; i < 1 + random.below(4); i++) bytes[random.below(bytes.length)] = random.below(256);
      writeFileSync(bin, bytes);
      return 'bytes of a weights file changed';
    }
    default: {
      writeFileSync(manifest, mutateJson(random, text));
      return 'model.json mutated';
    }
  }
}

describe('every model-file reader refuses hostile directories with a ModelFileError naming the file', () => {
  for (const [index, reader] of readers.entries()) {
    it(`${reader.name}: ${CASES} seeded cases`, { timeout: 120_000 }, async () => {
      const random = new Random(1000 + index);
      const valid = join(root, `valid-${index}`);
      await reader.write(valid);
      const files = Object.fromEntries(readdirSync(valid).map((f) => [f, readFileSync(join(valid, f))]));
      let worstMs = 0;
      let worstCase = '';
      let accepted = 0;
      const rss = process.memoryUsage().rss;
      let peakRss = rss;
      for (let i = 0; i < CASES; i++) {
        const dir = join(root, `${index}-${i}`);
        rmSync(dir, { recursive: true, force: true });
        const { mkdirSync } = await import('node:fs');
        mkdirSync(dir);
        for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
        const what = corrupt(random, dir);
        const start = performance.now();
        const outcome = await reader.read(dir).then(
          () => null,
          (e: unknown) => e,
        );
        const ms = performance.now() - start;
        if (ms > worstMs) [worstMs, worstCase] = [ms, `case ${i} (${what})`];
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        if (outcome === null) accepted++;
        else {
          const message = `case ${i} (${what}): ${String((outcome as Error)?.stack ?? outcome)}`;
          expect(outcome, message).toBeInstanceOf(dn.ModelFileError);
          expect(
            (outcome as dn.ModelFileError).message.startsWith(`${reader.name === 'dn.importTfjs' ? 'importTfjs' : 'load'}: ${dir}/`),
            message,
          ).toBe(true);
          expect((outcome as dn.ModelFileError).file.startsWith(`${dir}/`), message).toBe(true);
        }
        rmSync(dir, { recursive: true, force: true });
      }
      console.log(
        `${reader.name}: ${CASES} cases, ${accepted} still readable, worst ${worstMs.toFixed(1)} ms (${worstCase}), RSS growth ${((peakRss - rss) / 2 ** 20).toFixed(1)} MiB`,
      );
      expect(worstMs).toBeLessThan(2000);
      expect(peakRss - rss).toBeLessThan(512 << 20);
    });
  }
});
