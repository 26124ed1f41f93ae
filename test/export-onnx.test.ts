// ONNX interop: onnxruntime-node (CPU) runs our exports and must predict what
// we predict, on any batch size; the file has the structure and metadata we
// promise; standardisation runs inside the graph; protobufjs loads lazily.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { onnxModelType } from '../lib/io/onnx.js';
import { packageRoot } from './helpers/backends.js';
import { expectWithin } from './helpers/compare.js';
import { type Case, scratchDir, standardisedModel, statisticsMoved, trainedCases } from './helpers/interop.js';

const root = scratchDir('onnx');
let fileCount = 0;
const freshFile = () => join(root, `m${fileCount++}.onnx`);
let cases: Case[];

beforeAll(async () => {
  cases = await trainedCases();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(file: string, x: dn.Matrix): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const { output } = await session.run({ input: new ort.Tensor('float32', x.data, [x.rows, x.cols]) });
    return (output as ort.Tensor).data as Float32Array;
  } finally {
    await session.release();
  }
}

interface Decoded {
  ir_version: number;
  producer_name: string;
  opset_import: { domain?: string; version: number }[];
  metadata_props?: { key: string; value: string }[];
  graph: {
    node: { op_type: string; input: string[]; output: string[]; attribute?: { name: string; f?: number; i?: number }[] }[];
    initializer: { name: string; dims: number[] }[];
    input: { name: string }[];
    output: { name: string }[];
  };
}

const decode = (file: string): Decoded =>
  onnxModelType().toObject(onnxModelType().decode(readFileSync(file)), { longs: Number, defaults: false }) as Decoded;

describe('exportOnnx: onnxruntime runs the export and predicts the same', () => {
  it('the models under test have trained batch-norm statistics', () => {
    expect(statisticsMoved((cases[0] as Case).model)).toBe(true);
    expect(statisticsMoved((cases[1] as Case).model)).toBe(true);
  });

  for (const index of [0, 1, 2]) {
    it(`case ${index}: InferenceSession predictions match model.predict within 1e-5, on any batch size`, async () => {
      const { name, model, x } = cases[index] as Case;
      const file = freshFile();
      await model.exportOnnx(file);
      const session = await ort.InferenceSession.create(file);
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['output']);
      expect(session.inputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: ['N', model.inputs] });
      expect(session.outputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: ['N', model.outputWidth] });
      await session.release();
      expectWithin(await run(file, x), model.predict(x).data, 1e-5, name);
      const one = { rows: 1, cols: x.cols, data: x.data.slice(0, x.cols) };
      expectWithin(await run(file, one), model.predict(one).data, 1e-5, `${name}, batch 1`);
    });
  }

  it('the file: IR version 7, opset 13, one node per layer, weights as initializers', async () => {
    const { model } = cases[0] as Case;
    const file = freshFile();
    await model.exportOnnx(file);
    // Field 1 (ir_version) as a varint is the first thing a ModelProto encoder writes: tag 0x08, value 7.
    expect(Array.from(readFileSync(file).subarray(0, 2))).toEqual([0x08, 7]);
    const m = decode(file);
    expect(m.ir_version).toBe(7);
    expect(m.producer_name).toBe('densenode');
    expect(m.opset_import).toEqual([{ version: 13 }]); // domain absent: the default operator set
    expect(m.graph.node.map((n) => n.op_type)).toEqual([
      'Gemm',
      'BatchNormalization',
      'Relu',
      'Identity',
      'Gemm',
      'BatchNormalization',
      'LeakyRelu',
      'Gemm',
      'Tanh',
      'Gemm',
      'Sigmoid',
      'Gemm',
      'Identity',
      'Gemm',
      'Softmax',
    ]);
    const nodes = m.graph.node;
    expect(nodes[0]?.input).toEqual(['input', 'layer0.kernel', 'layer0.bias']);
    expect(nodes[4]?.input).toEqual(['layer3', 'layer4.kernel']); // the dense without bias
    expect(nodes[5]?.attribute?.[0]?.name).toBe('epsilon');
    expect(nodes[5]?.attribute?.[0]?.f).toBeCloseTo(0.01, 7);
    expect(nodes[6]?.attribute).toEqual([expect.objectContaining({ name: 'alpha', f: expect.closeTo(0.2, 7) })]);
    expect(nodes[14]?.attribute).toEqual([expect.objectContaining({ name: 'axis', i: -1 })]);
    expect(nodes[14]?.output).toEqual(['output']);
    expect(m.graph.initializer.map((t) => t.dims)).toEqual(model.layers.flatMap((l) => l.weights().map((w) => w.shape)));
    expect(m.metadata_props).toBeUndefined();
  });

  it('a fixed batch size, for runtimes that need static shapes', async () => {
    const { model, x } = cases[2] as Case;
    const file = freshFile();
    await model.exportOnnx(file, { batch: 7 });
    const session = await ort.InferenceSession.create(file);
    expect(session.inputMetadata[0]).toMatchObject({ shape: [7, 3] });
    await session.release();
    expect(x.rows).toBe(7);
    expectWithin(await run(file, x), model.predict(x).data, 1e-5, 'batch 7');
    await expect(run(file, { rows: 2, cols: 3, data: x.data.slice(0, 6) })).rejects.toThrow(/dimension|Expected: 7/i);
    await expect(model.exportOnnx(freshFile(), { batch: 0 })).rejects.toThrow(
      /exportOnnx: expected an identifier or an integer >= 1 for batch, received 0/,
    );
    await expect(model.exportOnnx(freshFile(), { batch: 'a b' })).rejects.toThrow(/for batch, received "a b"/);
  });
});

describe('exportOnnx: preprocessing', () => {
  it('Sub/Div take raw features: predictions match ours on standardised inputs; classes are in metadata_props', async () => {
    for (const bias of [true, false]) {
      const { model, raw, standardised } = standardisedModel(bias);
      const file = freshFile();
      await model.exportOnnx(file);
      expectWithin(await run(file, raw), model.predict(standardised).data, 1e-5, `bias ${bias}`);
      const m = decode(file);
      expect(m.graph.node.slice(0, 3).map((n) => n.op_type)).toEqual(['Sub', 'Div', 'Gemm']);
      const props = Object.fromEntries((m.metadata_props ?? []).map((p) => [p.key, JSON.parse(p.value)]));
      expect(props).toEqual({ features: ['a', 'b', 'c', 'd'], target: 'kind', classes: ['setosa', 'versicolor', 'virginica'] });
    }
  });

  it('rejects bad mean/std and mismatched feature names', async () => {
    const model = dn.sequential({ inputs: 2, layers: [dn.batchNorm(), dn.dense(1)] });
    model.preprocessing = { mean: [0, 1], std: [1, -2] };
    await expect(model.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: preprocessing.std\[1\] is -2, expected a finite number > 0/);
    model.preprocessing = { mean: [0, Number.NaN], std: [1, 2] };
    await expect(model.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: preprocessing.mean\[1\] is NaN/);
    model.preprocessing = { std: [1, 2] };
    await expect(model.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: model.preprocessing has std without mean/);
    model.preprocessing = { features: ['only one'] };
    await expect(model.exportOnnx(freshFile())).rejects.toThrow(
      /exportOnnx: preprocessing.features names 1 features, the model has 2 inputs/,
    );
    // A first layer that is not dense is fine here (the standardisation is its own nodes).
    model.preprocessing = { mean: [0, 1], std: [1, 2] };
    const file = freshFile();
    await model.exportOnnx(file);
    const raw = { rows: 3, cols: 2, data: Float32Array.of(1, 2, 3, 4, -5, 6) };
    const standardised = { rows: 3, cols: 2, data: raw.data.map((v, i) => (i % 2 === 0 ? v : (v - 1) / 2)) };
    expectWithin(await run(file, raw), model.predict(standardised).data, 1e-5, 'batch-norm first');
  });
});

describe('exportOnnx: files and loading', () => {
  it('writes atomically (no temp file left) and reports a missing directory', async () => {
    const { model } = cases[2] as Case;
    const file = freshFile();
    await model.exportOnnx(file);
    await model.exportOnnx(file); // replaces
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(model.exportOnnx(join(root, 'missing', 'm.onnx'))).rejects.toThrow(/ENOENT/);
  });

  it('importing densenode does not load protobufjs (only lib/io/onnx.ts imports it, and only dynamically reached)', () => {
    // Follow the static value imports from lib/index.ts; `import type` and `await import()` are not followed.
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gms)) {
        if (spec?.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
        else if (spec) bare.add(spec);
      }
    };
    visit(join(packageRoot, 'lib', 'index.ts'));
    expect(seen.has(join(packageRoot, 'lib', 'io', 'tfjs-import.ts'))).toBe(true);
    expect(seen.has(join(packageRoot, 'lib', 'io', 'onnx.ts'))).toBe(false);
    expect([...bare].filter((s) => s.startsWith('protobufjs'))).toEqual([]);
    // onnx.ts itself has no value import of it either: it requires it on the first export.
    seen.clear();
    bare.clear();
    visit(join(packageRoot, 'lib', 'io', 'onnx.ts'));
    expect([...bare].filter((s) => s.startsWith('protobufjs'))).toEqual([]);
    expect(readFileSync(join(packageRoot, 'lib', 'io', 'onnx.ts'), 'utf8')).toContain("require('protobufjs/light.js')");
  });

  it('without protobufjs installed, exportOnnx names it and its range (an optional peer)', () => {
    // dist/ and package.json with no node_modules above them: protobufjs cannot resolve.
    const dir = mkdtempSync(join(tmpdir(), 'densenode-no-protobuf-'));
    cpSync(join(packageRoot, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(packageRoot, 'package.json'), join(dir, 'package.json'));
    const code = `const dn = await import('./dist/index.js');
      await dn.mlp([2, 1]).exportOnnx('m.onnx').then(() => console.log('exported'), (e) => console.log(e.message));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, DENSENODE_BACKEND: 'js' },
    });
    rmSync(dir, { recursive: true, force: true });
    const range = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> })
      .peerDependencies.protobufjs;
    expect(result.stdout.trim()).toBe(
      `exportOnnx: the ONNX export needs the 'protobufjs' package, an optional peer of densenode: npm install protobufjs@'${range}'`,
    );
  });
});
