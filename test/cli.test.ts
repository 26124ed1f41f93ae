// The `densenode` command end to end, spawned as a user runs it (bin/ over the
// built dist/): files written and valid, accuracy on the built-in data, every
// documented error with its one-line message and exit code, and Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';
import { packageRoot } from './helpers/backends.js';

const bin = join(packageRoot, 'bin', 'densenode.cjs');
const work = mkdtempSync(join(tmpdir(), 'densenode-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

// Three well-separated blobs with string labels, and a noisy linear target.
function blobsCsv(rows: number): string {
  const random = new Random(11);
  const centres = { setosa: [0, 0], versicolor: [4, 0], virginica: [0, 4] };
  const lines = ['width,height,species'];
  for (let i = 0; i < rows; i++) {
    const [name, [cx, cy]] = Object.entries(centres)[i % 3] as [string, number[]];
    lines.push(`${(cx as number) + random.normal() * 0.5},${(cy as number) + random.normal() * 0.5},${name}`);
  }
  return `${lines.join('\n')}\n`;
}

function idx(dims: number[], values: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return gzipSync(Buffer.concat([header, values]));
}

describe('densenode train', () => {
  it('trains on the built-in data with no arguments and writes model, history, plot and report', () => {
    const out = join(work, 'default');
    const run = cli(['train', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const accuracy = Number(/test accuracy: ([\d.]+)%/.exec(run.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(93);
    expect(run.stdout).toMatch(/breast-cancer \(built-in\): 341 train, 114 validation, 114 test rows; 30 features; 2 classes \(sigmoid\)/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    // Early stopping on the validation loss is the default: fewer than the 200 epochs allowed, the best weights kept.
    expect(history.history.epochs.length).toBeLessThan(200);
    expect(history.history.stopReason).toBe('earlyStopping');
    expect(history.metrics.map((m: { split: string }) => m.split)).toEqual(['train', 'validation', 'test']);
    const svg = readFileSync(join(out, 'learning-curve.svg'), 'utf8');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('Epoch');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('malignant');
    expect(html).toContain('densenode train --out');
  });

  it('saves a model that the library loads, with its standardisation and class names', async () => {
    const model = await dn.load(join(work, 'default'));
    expect(model.preprocessing?.classes).toEqual(['benign', 'malignant']);
    expect(model.preprocessing?.target).toBe('diagnosis');
    expect(model.preprocessing?.features).toHaveLength(30);
    expect(model.compiled?.loss).toBe('binaryCrossEntropy');
  });

  it('--json prints one JSON object per line: an epoch event each epoch, then the result', () => {
    const run = cli(['train', '--json', '--epochs', '3', '--layers', '8', '--out', join(work, 'json')]);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['epoch', 'epoch', 'epoch', 'result']);
    expect(events[2].epoch).toBe(3);
    expect(events[3].files.model).toContain('model.json');
  });

  it('--class-weight, --metrics and --loss reach fit and compile; bad values are usage errors', () => {
    const out = join(work, 'weighted');
    const run = cli([
      'train',
      '--json',
      '--epochs',
      '30',
      '--lr',
      '0.01',
      '--layers',
      '4',
      '--class-weight',
      'balanced',
      '--metrics',
      'auc,f1',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const result = events[events.length - 1];
    const test = result.metrics.find((m: { split: string }) => m.split === 'test');
    expect(test.metrics.auc).toBeGreaterThan(0.95);
    expect(test.metrics.f1).toBeGreaterThan(0.9);
    expect(cli(['train', '--epochs', '1', '--class-weight', '{"0": 1, "1": 3}', '--clip-norm', '1', '--out', out]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).compile.optimizer.clipNorm).toBe(1);
    expect(cli(['train', '--epochs', '1', '--clip-norm', '0', '--out', out]).code).toBe(2);
    const bad = cli(['train', '--epochs', '1', '--class-weight', 'even', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected 'balanced' or a JSON object");
    const metric = cli(['train', '--epochs', '1', '--metrics', 'aucc', '--out', out]);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain("did you mean 'auc'");
    const loss = cli(['train', '--epochs', '1', '--loss', 'huber', '--out', out]);
    expect(loss.code).toBe(2);
    expect(loss.stderr).toContain('--loss huber is for regressions');
  });

  it('infers softmax from string labels, saves the mapping, and predict answers with the names', () => {
    const data = file('blobs.csv', blobsCsv(300));
    const out = join(work, 'blobs');
    const run = cli(['train', data, '--epochs', '20', '--layers', '16', '--lr', '0.01', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 classes (softmax)');
    expect(Number(/test accuracy: ([\d.]+)%/.exec(run.stdout)?.[1])).toBeGreaterThan(95);
    const predicted = cli(['predict', out, file('new.csv', 'height,width\n4.1,0.2\n0.1,3.9\n')]);
    expect(predicted.code).toBe(0);
    const [header, ...rows] = predicted.stdout.trim().split('\n');
    expect(header).toBe('predicted,p(setosa),p(versicolor),p(virginica)');
    // Columns are matched by name: height 4.1, width 0.2 is the virginica blob.
    expect(rows.map((r) => r.split(',')[0])).toEqual(['virginica', 'versicolor']);
  });

  it('trains a regression on a continuous target (linear output, no accuracy)', () => {
    const random = new Random(3);
    const lines = ['a,b,y'];
    for (let i = 0; i < 200; i++) {
      const a = random.normal();
      const b = random.normal();
      lines.push(`${a},${b},${(2 * a - b + 0.05 * random.normal()).toFixed(4)}`);
    }
    const data = file('linear.csv', `${lines.join('\n')}\n`);
    const out = join(work, 'linear');
    const run = cli(['train', data, '--epochs', '100', '--layers', '8', '--lr', '0.01', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('regression (linear)');
    const evaluation = cli(['evaluate', out, data, '--json']);
    const result = JSON.parse(evaluation.stdout);
    expect(result.accuracy).toBeUndefined();
    // y = 2a − b has variance 5: a mean squared error of 0.15 explains 97% of it.
    expect(result.loss).toBeLessThan(0.15);
  });

  it('trains on IDX files (labels found by name) and on fashion-mnist from its Debian directory', () => {
    const dir = join(work, 'idx');
    mkdirSync(dir);
    const n = 60;
    const pixels = new Uint8Array(n * 16);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let p = 0; p < 16; p++) pixels[i * 16 + p] = p % 3 === i % 3 ? 200 : 20;
    }
    for (const set of ['train', 't10k']) {
      writeFileSync(join(dir, `${set}-images-idx3-ubyte.gz`), idx([n, 4, 4], pixels));
      writeFileSync(join(dir, `${set}-labels-idx1-ubyte.gz`), idx([n], labels));
    }
    const own = cli(['train', join(dir, 'train-images-idx3-ubyte.gz'), '--epochs', '5', '--out', join(work, 'idx-model')]);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain('16 features; 3 classes (softmax)');
    const fashion = cli(['train', 'fashion-mnist', '--epochs', '2', '--out', join(work, 'fm')], { FASHION_MNIST_DIR: dir });
    expect(fashion.code).toBe(0);
    expect(fashion.stdout).toContain('fashion-mnist: 48 train, 12 validation, 60 test rows');
    const missing = cli(['train', 'fashion-mnist'], { FASHION_MNIST_DIR: join(work, 'nowhere') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/install it with `apt-get install dataset-fashion-mnist`/);
  });

  it('Ctrl-C stops after the current step and still writes the model and history (exit 130)', async () => {
    const out = join(work, 'interrupted');
    const child = spawn(process.execPath, [bin, 'train', '--epochs', '100000', '--json', '--out', out], { cwd: work });
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"type":"epoch"')) resolve();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).stopReason).toBe('aborted');
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    await expect(dn.load(out)).resolves.toBeDefined();
  });
});

describe('densenode evaluate and predict', () => {
  const builtin = join(packageRoot, 'data', 'breast_cancer.csv');

  it('evaluate prints loss, accuracy and the confusion matrix', () => {
    const run = cli(['evaluate', join(work, 'default'), builtin]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/569 rows\nloss [\d.]+ {2}accuracy 9\d\.\d%\ntrue \\ predicted +benign malignant/);
    const json = JSON.parse(cli(['evaluate', join(work, 'default'), builtin, '--json']).stdout);
    expect(json.rows).toBe(569);
    expect(json.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(569);
  });

  it('predict writes CSV: the class and one probability per class', () => {
    const out = join(work, 'preds.csv');
    const run = cli(['predict', join(work, 'default'), builtin, '--out', out]);
    expect(run.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('predicted,p(benign),p(malignant)');
    expect(lines).toHaveLength(570);
    for (const line of lines.slice(1, 20)) {
      const [label, p0, p1] = line.split(',');
      expect(['benign', 'malignant']).toContain(label);
      expect(Number(p0) + Number(p1)).toBeCloseTo(1, 5);
      expect(label).toBe(Number(p1) >= 0.5 ? 'malignant' : 'benign');
    }
  });
});

describe('densenode compare', () => {
  it('trains the runs of a config, prints the table and writes one overlaid plot', () => {
    const config = file(
      'compare.json',
      JSON.stringify({
        base: { epochs: 5, layers: [8] },
        runs: [
          { name: 'plain-gd', optimizer: 'sgd', lr: 0.1 },
          { name: 'adam-bn', optimizer: 'adam', batchNorm: true },
        ],
      }),
    );
    const out = join(work, 'compare');
    const run = cli(['compare', '--config', config, '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/run +lr +l2 +dropout +bn +train loss\/acc +val loss\/acc +test loss\/acc +epochs +seconds/);
    expect(run.stdout).toMatch(/plain-gd +0\.1 +0 +0 +no/);
    expect(run.stdout).toMatch(/adam-bn +default +0 +0 +yes/);
    const svg = readFileSync(join(out, 'compare.svg'), 'utf8');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('plain-gd');
    expect(svg).toContain('adam-bn');
    expect(JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')).runs).toHaveLength(2);
  });

  it('the default series is the seed author’s eight runs', () => {
    const run = cli(['compare', '--epochs', '2', '--layers', '4', '--out', join(work, 'series')]);
    expect(run.code).toBe(0);
    for (const name of ['gd', 'momentum', 'rmsprop', 'adam', 'adam+l2', 'adam+dropout', 'adam+batchnorm', 'adam+all']) {
      expect(run.stdout).toMatch(new RegExp(`\\n${name.replace('+', '\\+')} `));
    }
  });
});

describe('errors are one line with the documented exit code', () => {
  const oneLine = (text: string) => {
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).not.toMatch(/\n\s+at /);
  };

  it.each([
    ['only empty columns', 'a,b,y\n,,0\n,?,1\n', /bad\.csv: no usable feature column \(a: dropped \(entirely missing\); b: dropped/],
    ['mixed decimal marks', 'a,b,y\n1,"1,5",0\n3,2.5,1\n', /bad\.csv: column 'b': mixes decimal commas \('1,5'\) and points \('2\.5'\)/],
    ['a repeated column name', 'a,a,y\n1,2,0\n3,4,1\n', /bad\.csv: line 1: the header names the column 'a' twice/],
    ['a ragged row', 'a,b,y\n1,2,0\n3,4\n', /bad\.csv: .*(column|record)/i],
    ['no data rows', 'a,b,y\n', /bad\.csv: a header but no data rows/],
    ['one class only', 'a,y\n1,0\n2,0\n', /has one value only/],
  ])('%s in a CSV → exit 1', (_what, text, message) => {
    const run = cli(['train', file('bad.csv', text), '--epochs', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    oneLine(run.stderr);
  });

  it('an unknown target column or a missing file → exit 1', () => {
    const unknown = cli(['train', file('ok.csv', 'a,b,y\n1,2,0\n3,4,1\n'), '--target', 'label']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ok\.csv: no column 'label' \(columns: a, b, y\)/);
    const missing = cli(['train', 'nope.csv']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv: no such file/);
    oneLine(missing.stderr);
  });

  it.each([
    [['train', '--epochs', '0'], /--epochs <n>.*expected an integer >= 1/],
    [['train', '--dropout', '1.5'], /expected a fraction in \[0, 1\)/],
    [['train', '--optimizer', 'lion'], /Allowed choices are sgd, momentum, rmsprop, adam, adamw/],
    [['train', '--layers', '64,x'], /expected hidden widths like 64,32/],
    [['train', '--frobnicate'], /unknown option '--frobnicate'/],
    [['fly'], /unknown command 'fly'/],
    [['evaluate', 'only-one-argument'], /missing required argument 'data'/],
  ])('bad usage %j → exit 2', (args, message) => {
    const run = cli(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('a model directory that is not a model → exit 1; --verbose adds the stack', () => {
    const run = cli(['evaluate', join(work, 'nothing'), 'x.csv']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nothing\/model\.json: no model here \(model\.json is missing\)/);
    oneLine(run.stderr);
    const verbose = cli(['evaluate', join(work, 'nothing'), 'x.csv', '--verbose']);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('an unknown label at evaluate names its line', () => {
    const data = file(
      'labels.csv',
      `${readFileSync(join(packageRoot, 'data', 'breast_cancer.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(0, 3)
        .join('\n')
        .replace(/malignant|benign/, 'unsure')}\n`,
    );
    const run = cli(['evaluate', join(work, 'default'), data]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/labels\.csv: line 2: unknown class 'unsure' in 'diagnosis' \(the model knows benign, malignant\)/);
  });
});

describe('densenode info and bench', () => {
  it('info names the backend and why', () => {
    const run = cli(['info', '--json']);
    expect(run.code).toBe(0);
    const info = JSON.parse(run.stdout);
    expect(info.name).toBe(dn.backendInfo().name);
    expect(info.reason).toBe(dn.backendInfo().reason);
  });

  it('bench --quick measures native against JS', () => {
    const run = cli(['bench', '--quick', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.results.map((r: { name: string }) => r.name)).toEqual([
      'GEMM 256×256×256',
      'Adam update, 1M parameters',
      'train step 784-256-128-10, batch 128',
    ]);
    for (const r of result.results) expect(r.js).toBeGreaterThan(0);
  });
});
