// Issue 21's hostile model directories, one regression test each: special files, links out of
// the directory, files too large or too deep, unreadable directories, and the small message
// defects found on the way. Every failure is a ModelFileError naming the file.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRunConfig, type RunConfig } from '../lib/cli/run.js';
import * as dn from '../lib/index.js';
import { writeFileAtomic } from '../lib/io/atomic.js';
import { jsonSyntaxError } from '../lib/io/json-text.js';
import { restoreCheckpoint, saveModel } from '../lib/io/model-file.js';
import { fileProblem, readModelFile } from '../lib/io/read-file.js';
import { packageRoot } from './helpers/backends.js';

const root = mkdtempSync(join(tmpdir(), 'densenode-hostile-'));
afterAll(() => {
  chmodSync(root, 0o700);
  rmSync(root, { recursive: true, force: true });
});
let dirs = 0;
const freshDir = () => join(root, `m${dirs++}`);

function small(): dn.Model {
  const model = dn.sequential({ inputs: 3, seed: 1, layers: [dn.dense(4), dn.relu(), dn.dense(1), dn.sigmoid()] });
  return model.compile({ loss: 'binaryCrossEntropy', optimizer: 'adam', metrics: ['accuracy'] });
}

async function saved(): Promise<string> {
  const dir = freshDir();
  await small().save(dir);
  return dir;
}

async function exported(): Promise<string> {
  const dir = freshDir();
  await small().exportTfjs(dir);
  return dir;
}

const manifest = (dir: string) => join(dir, 'model.json');
const binOf = (dir: string) => join(dir, JSON.parse(readFileSync(manifest(dir), 'utf8')).weights.file as string);
// biome-ignore lint/suspicious/noExplicitAny: free-form edits of a parsed model.json
type Json = Record<string, any>;
function edit(dir: string, change: (json: Json) => void): void {
  const json = JSON.parse(readFileSync(manifest(dir), 'utf8'));
  change(json);
  writeFileSync(manifest(dir), JSON.stringify(json));
}

/** The promise rejects with a ModelFileError whose message names `file` and matches `pattern`. */
async function refused(promise: Promise<unknown>, file: string, pattern: RegExp): Promise<dn.ModelFileError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a ModelFileError, it resolved');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(dn.ModelFileError);
  const e = error as dn.ModelFileError;
  expect(e.message).toContain(file);
  expect(e.message).toMatch(pattern);
  return e;
}

const readers = {
  load: (dir: string) => dn.load(dir),
  importTfjs: (dir: string) => dn.importTfjs(dir),
};

describe('1, 2: only regular files are read, with a size cap', () => {
  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: a FIFO as model.json is refused at once (it used to hang)`, { timeout: 10_000 }, async () => {
      const dir = name === 'load' ? await saved() : await exported();
      rmSync(manifest(dir));
      execFileSync('mkfifo', [manifest(dir)]);
      await refused(read(dir), manifest(dir), /a FIFO, not a regular file/);
    });

    it(`${name}: model.json a directory`, async () => {
      const dir = name === 'load' ? await saved() : await exported();
      rmSync(manifest(dir));
      mkdirSync(manifest(dir));
      await refused(read(dir), manifest(dir), /a directory, not a regular file/);
    });

    it(`${name}: /dev/zero and /dev/urandom linked as model.json are refused without reading them`, async () => {
      const dir = name === 'load' ? await saved() : await exported();
      for (const device of ['/dev/zero', '/dev/urandom']) {
        rmSync(manifest(dir));
        symlinkSync(device, manifest(dir));
        await refused(read(dir), manifest(dir), /outside the model's directory/);
      }
    });

    it(`${name}: a character device inside the directory is refused (not read to EOF)`, async (context) => {
      const dir = name === 'load' ? await saved() : await exported();
      rmSync(manifest(dir));
      // /dev/zero's numbers; creating a device node needs CAP_MKNOD.
      if (spawnSync('mknod', [manifest(dir), 'c', '1', '5']).status !== 0) context.skip();
      await refused(read(dir), manifest(dir), /a character device, not a regular file/);
    });

    it(`${name}: a model.json over 64 MiB is refused by its size (a sparse file, never read)`, async () => {
      const dir = name === 'load' ? await saved() : await exported();
      truncateSync(manifest(dir), (64 << 20) + 1);
      await refused(read(dir), manifest(dir), /67108865 bytes is larger than the 67108864-byte limit/);
    });
  }
});

describe('3: every failure to read a model is a ModelFileError naming the file', () => {
  const cases: [string, (json: Json) => void, RegExp][] = [
    ['compile.l2 -1', (j) => (j.compile.l2 = -1), /compile: expected a number >= 0 for l2/],
    ['crossEntropy on a sigmoid model', (j) => (j.compile.loss = 'crossEntropy'), /crossEntropy needs a softmax output/],
    [
      'meanSquaredError with accuracy',
      (j) => {
        j.compile.loss = 'meanSquaredError';
        j.compile.metrics = ['accuracy'];
      },
      /compile: .*accuracy/,
    ],
  ];
  for (const [name, change, pattern] of cases) {
    it(name, async () => {
      const dir = await saved();
      edit(dir, change);
      await refused(dn.load(dir), manifest(dir), pattern);
    });
  }

  it('10,000-deep arrays in weights.tensors (no stack overflow)', async () => {
    const dir = await saved();
    const text = readFileSync(manifest(dir), 'utf8').replace('"shape":', `"shape":${'['.repeat(10_000)}${']'.repeat(10_000)},"x":`);
    writeFileSync(manifest(dir), text);
    await refused(dn.load(dir), manifest(dir), /not valid JSON at position \d+ \(arrays or objects nested deeper than 100 levels\)/);
  });

  it('a checkpoint whose compile settings fail, through fit({ resumeFrom })', async () => {
    const dir = freshDir();
    const model = small();
    await saveModel(model, dir, { checkpoint: { epoch: 1 } });
    edit(dir, (j) => (j.compile.optimizer.learningRate = 2e6));
    await refused(restoreCheckpoint(small(), dir), manifest(dir), /learningRate/);
  });
});

describe('4: files over 2 GiB are written and read in chunks', () => {
  it('writeFileAtomic and readModelFile move a file through many small chunks unchanged', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const data = new Uint8Array(10_007).map((_, i) => (i * 31) % 251);
    const path = join(dir, 'weights-0000000000000000.bin');
    await writeFileAtomic(path, data, 13);
    expect(new Uint8Array(readFileSync(path))).toEqual(data);
    const read = await readModelFile(path, { dir, fn: 'load', missing: 'missing', limit: data.length, chunkBytes: 17 });
    expect(new Uint8Array(read)).toEqual(data);
  });

  it('a weights file that grows or shrinks under the reader is refused, not read torn', async () => {
    const dir = await saved();
    const bin = binOf(dir);
    const size = readFileSync(bin).length;
    truncateSync(bin, size + 4);
    await refused(dn.load(dir), bin, /too long: \d+ bytes, the architecture needs \d+/);
  });

  it('a 3 GiB sparse weights file is measured, not read, when the manifest does not need it', async () => {
    const dir = await saved();
    const bin = binOf(dir);
    truncateSync(bin, 3 * 2 ** 30);
    const before = process.memoryUsage().rss;
    await refused(dn.load(dir), bin, /too long: 3221225472 bytes/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
  });
});

describe('5: links out of the model directory are refused; errors never quote a file', () => {
  it('a weights file linked to a copy outside the directory (same bytes) is refused', async () => {
    const dir = await saved();
    const bin = binOf(dir);
    const outside = join(root, `outside-${dirs}.bin`);
    copyFileSync(bin, outside);
    rmSync(bin);
    symlinkSync(outside, bin);
    await refused(dn.load(dir), bin, /a link to a file outside the model's directory \(refused\)/);
  });

  it('a TF.js shard linked outside the directory is refused', async () => {
    const dir = await exported();
    const shard = join(dir, 'group1-shard1of1.bin');
    const outside = join(root, `outside-${dirs}.bin`);
    renameSync(shard, outside);
    symlinkSync(outside, shard);
    await refused(dn.importTfjs(dir), shard, /outside the model's directory/);
  });

  it('links that stay inside the directory are followed', async () => {
    const dir = await saved();
    renameSync(manifest(dir), join(dir, 'real.json'));
    symlinkSync('real.json', manifest(dir));
    await expect(dn.load(dir)).resolves.toBeInstanceOf(dn.Model);
  });

  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: a model.json that is not JSON is reported by position, without its content`, async () => {
      const dir = name === 'load' ? await saved() : await exported();
      writeFileSync(manifest(dir), 'root:x:0:0:root:/root:/bin/bash\n');
      const e = await refused(read(dir), manifest(dir), /not valid JSON at position 0 \(an unexpected character\)/);
      expect(e.message).not.toMatch(/root:x|bash/);
      writeFileSync(manifest(dir), '{"format": "layers-model", "x": [1, 2,');
      await refused(read(dir), manifest(dir), /not valid JSON at position 38 \(it ends early\)/);
    });
  }

  it('the syntax scan agrees with JSON.parse', () => {
    for (const text of ['{}', '[]', ' [1, -2.5e+3, "a\\u00e9\\n", true, false, null, {"a": {}}] ', '"x"', '0']) {
      expect(jsonSyntaxError(text)).toBeNull();
      expect(() => JSON.parse(text)).not.toThrow();
    }
    for (const text of [
      '',
      '[1,]',
      '{"a":1,}',
      '[01]',
      '{"a" 1}',
      '[1] x',
      '"\u0001"',
      '"\\x"',
      'tru',
      '-',
      '1.',
      '{a:1}',
      '[',
      '\uFEFF{}',
    ]) {
      expect(jsonSyntaxError(text)).not.toBeNull();
      expect(() => JSON.parse(text)).toThrow();
    }
  });
});

describe('6: an unreadable directory says permission denied', () => {
  it('each errno in words', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    const missing = 'no model here (model.json is missing)';
    expect(fileProblem(errno('EACCES'), missing)).toBe('permission denied');
    expect(fileProblem(errno('EPERM'), missing)).toBe('permission denied');
    expect(fileProblem(errno('ENOENT'), missing)).toBe(missing);
    expect(fileProblem(errno('ELOOP'), missing)).toBe('a loop of symbolic links');
    expect(fileProblem(errno('EIO'), missing)).toBe('cannot be read (EIO)');
  });

  it('a loop of links, a file where the directory should be', async () => {
    const dir = await saved();
    rmSync(manifest(dir));
    symlinkSync('model.json', manifest(dir));
    await refused(dn.load(dir), manifest(dir), /a loop of symbolic links/);
    const file = join(root, `plain-${dirs}`);
    writeFileSync(file, '{}');
    await refused(
      dn.load(file),
      join(file, 'model.json'),
      /no model here \(model\.json is missing\) \(a part of the path is not a directory\)/,
    );
  });

  it('a mode-000 model directory, loaded by another user', async (context) => {
    // Root ignores mode bits, so the load runs as nobody in a child (from dist/, built by the suite's setup).
    const dir = await saved();
    chmodSync(root, 0o755);
    chmodSync(dir, 0o000);
    try {
      const script = `import('${join(packageRoot, 'dist', 'index.js')}').then((dn) => dn.load(${JSON.stringify(dir)})).then(
        () => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))`;
      const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], {
        encoding: 'utf8',
      });
      if (process.getuid?.() !== 0 || run.status !== 0) context.skip();
      expect(run.stdout.trim()).toBe(`ModelFileError: load: ${manifest(dir)}: permission denied`);
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(root, 0o700);
    }
  });
});

describe('7, 8: importTfjs bounds its size and holds its metadata to the model, as load does', () => {
  it('three 16384×16384 Dense layers in sparse shards are refused before a byte is read', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const layers = [0, 1, 2].map((i) => ({
      class_name: 'Dense',
      config: { name: `d${i}`, units: 16384, ...(i === 0 ? { batch_input_shape: [null, 16384] } : {}) },
    }));
    const weightsManifest = [0, 1, 2].map((i) => ({
      paths: [`g${i}.bin`],
      weights: [
        { name: `d${i}/kernel`, shape: [16384, 16384], dtype: 'float32' },
        { name: `d${i}/bias`, shape: [16384], dtype: 'float32' },
      ],
    }));
    writeFileSync(manifest(dir), JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers } }, weightsManifest }));
    for (const i of [0, 1, 2]) {
      writeFileSync(join(dir, `g${i}.bin`), '');
      truncateSync(join(dir, `g${i}.bin`), 4 * (16384 * 16384 + 16384));
    }
    const before = process.memoryUsage().rss;
    await refused(dn.importTfjs(dir), manifest(dir), /^importTfjs: .*the architecture needs more than 268435456 parameters/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
  });

  it('more layers than load allows', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const layers = Array.from({ length: 1001 }, (_, i) => ({
      class_name: 'Activation',
      config: { name: `a${i}`, activation: 'relu', ...(i === 0 ? { batch_input_shape: [null, 2] } : {}) },
    }));
    writeFileSync(manifest(dir), JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers } } }));
    await refused(dn.importTfjs(dir), manifest(dir), /the architecture has 1001 layers, more than 1000/);
  });

  it('class names that do not fit the output, feature names that do not fit the inputs', async () => {
    const dir = await exported();
    const json = JSON.parse(readFileSync(manifest(dir), 'utf8'));
    writeFileSync(manifest(dir), JSON.stringify({ ...json, userDefinedMetadata: { classes: ['a', 'b', 'c'] } }));
    await refused(dn.importTfjs(dir), manifest(dir), /userDefinedMetadata has 3 classes, the model has 1 output \(2 classes\)/);
    writeFileSync(manifest(dir), JSON.stringify({ ...json, userDefinedMetadata: { features: ['x'] } }));
    await refused(dn.importTfjs(dir), manifest(dir), /userDefinedMetadata makes 1 feature, the model has 3 inputs/);
    // The same rule, the same words, on load.
    const saveDir = await saved();
    edit(saveDir, (j) => (j.preprocessing = { classes: ['a', 'b', 'c'] }));
    await refused(dn.load(saveDir), manifest(saveDir), /preprocessing has 3 classes, the model has 1 output \(2 classes\)/);
  });
});

describe('11, 12: rates and thread counts past the kernels’ bounds fail where they are given', () => {
  it('an optimizer or schedule with a rate above 1e6 is refused at its constructor', () => {
    expect(() => dn.sgd({ learningRate: 2e6 })).toThrow(
      new RangeError("sgd: expected a number in [0, 1000000] (the update kernels' bound) for learningRate, received 2000000"),
    );
    expect(() => dn.adam({ weightDecay: 1e7 })).toThrow(/adam: .*\[0, 1000000\].* for weightDecay/);
    expect(() => dn.exponentialDecay({ initial: 1e30, decaySteps: 1, decayRate: 0.5 })).toThrow(/\[0, 1000000\].* for initial/);
    expect(() => small().setLearningRate(1e7)).toThrow(/setLearningRate: .*\[0, 1000000\]/);
  });

  it('the bound is the kernels’: a step at exactly 1e6 runs', async () => {
    const model = dn.sequential({ inputs: 1, seed: 1, layers: [dn.dense(1)] });
    model.compile({ loss: 'meanSquaredError', optimizer: dn.sgd({ learningRate: 1e6, weightDecay: 1e6 }) });
    await model.fit([[1e-9]], [[0]], { epochs: 1 }).catch((e: Error) => expect(e).toBeInstanceOf(dn.DivergenceError));
  });

  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(packageRoot, 'bin', 'densenode.cjs'), ...args], { encoding: 'utf8', timeout: 60_000 });
  it('--lr 1e30 and --threads 1000 are usage errors (exit 2)', () => {
    const lr = cli(['train', '--lr', '1e30']);
    expect(lr.stderr).toMatch(/--lr.*a number in \(0, 1000000\]/);
    expect(lr.status).toBe(2);
    const threads = cli(['train', '--threads', '1000']);
    expect(threads.stderr).toMatch(/--threads.*an integer in \[1, 256\]/);
    expect(threads.status).toBe(2);
  });
});

describe('the smaller ones', () => {
  it('inputs: 1e999 is reported as Infinity, not null', async () => {
    const dir = await saved();
    writeFileSync(manifest(dir), readFileSync(manifest(dir), 'utf8').replace(/"inputs":\s*3/, '"inputs": 1e999'));
    await refused(dn.load(dir), manifest(dir), /architecture\.inputs must be an integer in \[1, 1048576\], found Infinity/);
  });

  it("a compare config's batchSize '32' says it is a string", () => {
    const config = { optimizer: 'adam', layers: [4], l2: 0, dropout: 0, epochs: 1, batchSize: '32', seed: 1, patience: 0 };
    expect(() => checkRunConfig(config as unknown as RunConfig, 'config')).toThrow(
      'config: batchSize must be an integer >= 1, received a string',
    );
  });

  it('a write into a missing directory names the file asked for, not the temp file', async () => {
    const path = join(root, 'missing-dir', 'p.csv');
    const error = (await writeFileAtomic(path, 'x').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error.code).toBe('ENOENT');
    expect(error.message).toContain(path);
    expect(error.message).not.toMatch(/densenode-tmp/);
  });
});

describe('found by the fuzzer (scripts/fuzz.mjs)', () => {
  it('importTfjs: a weight group with weights but an empty paths list names model.json (it named no file)', async () => {
    const dir = await exported();
    edit(dir, (json) => {
      json.weightsManifest[0].paths = [];
    });
    const e = await refused(dn.importTfjs(dir), manifest(dir), /group 0 lists weights but no files \(paths is empty\)/);
    expect(e.file).toBe(manifest(dir));
  });
});
