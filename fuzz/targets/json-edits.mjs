// The structured half of the model-file targets: an input that starts with EDITS is not the files
// themselves but a seed (picked by the next byte) and a list of edits to its model.json and its
// binary files, decoded from the rest. Byte mutations of raw JSON mostly break its syntax, so
// they rarely get past the parser; edits keep it valid JSON and reach the validators behind it:
// each walks to a node of the tree (bytes choose the child at each level) and replaces it with
// an interesting value, removes it, adds a known key, copies another node over it, or cuts or
// alters a binary file.
import { Bytes } from '../bytes.mjs';

/** The first byte of an input made of edits. */
export const EDITS = 0xed;

const VALUES = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  0.5,
  2,
  3,
  1e-7,
  2 ** 20 + 1,
  2 ** 24 + 1,
  2 ** 28,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53 + 2,
  1e308,
  -1e308,
  5e-324,
  '',
  'x',
  '0',
  'relu',
  'softmax',
  'sigmoid',
  'dense',
  'batchNorm',
  'dropout',
  'adam',
  'sgd',
  'float32',
  'float16',
  'little',
  'params',
  'state',
  'kernel',
  'crossEntropy',
  'accuracy',
  '../escape.bin',
  '/etc/passwd',
  'a'.repeat(300),
  '__proto__',
  [],
  {},
  [0],
  [1, 2],
  [null, 3],
  [[1]],
  { a: 1 },
  JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 1}'),
  JSON.parse(`${'['.repeat(150)}${']'.repeat(150)}`),
];
const KEYS = [
  'format',
  'formatVersion',
  'architecture',
  'layers',
  'inputs',
  'units',
  'type',
  'activation',
  'rate',
  'alpha',
  'compile',
  'loss',
  'metrics',
  'optimizer',
  'name',
  'learningRate',
  'schedule',
  'preprocessing',
  'training',
  'checkpoint',
  'weights',
  'tensors',
  'shape',
  'offset',
  'segment',
  'file',
  'sha256',
  'byteLength',
  'params',
  'state',
  'optimizerSlots',
  'modelTopology',
  'class_name',
  'config',
  'weightsManifest',
  'paths',
  'dtype',
  'use_bias',
  'batch_input_shape',
  'epsilon',
  'momentum',
  'classes',
  'features',
  'metadata',
  '__proto__',
];

// A fresh copy: an edit may change the value it put in the tree.
const value = (bytes) => structuredClone(VALUES[bytes.u8() % VALUES.length]);

// The container and key of a node reached by walking down from state.root.
function walk(state, bytes) {
  let parent = state;
  let key = 'root';
  for (let depth = 0; depth < 12; depth++) {
    const node = parent[key];
    if (node === null || typeof node !== 'object' || bytes.u8() >= 200) break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = keys[bytes.u8() % keys.length];
  }
  return { parent, key };
}

function edit(state, bytes) {
  const op = bytes.u8() % 9;
  const { parent, key } = walk(state, bytes);
  if (op <= 2) parent[key] = value(bytes);
  else if (op === 3) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (op === 4) {
    const node = parent[key];
    const added = value(bytes);
    if (Array.isArray(node)) node.splice(bytes.u8() % (node.length + 1), 0, added);
    else if (node !== null && typeof node === 'object') node[KEYS[bytes.u8() % KEYS.length]] = added;
  } else if (op === 5) {
    const other = walk(state, bytes);
    parent[key] = structuredClone(other.parent[other.key]);
  } else if (op === 6) {
    parent[key] = typeof parent[key] === 'number' ? parent[key] + (bytes.u8() % 5) - 2 : parent[key];
  } else if (state.binaries.length > 0) {
    const i = bytes.u8() % state.binaries.length;
    const bin = state.binaries[i];
    if (op === 7) state.binaries[i] = bin.subarray(0, bytes.u16() % (bin.length + 1));
    else if (bin.length > 0) {
      const copy = Buffer.from(bin);
      copy[bytes.u16() % copy.length] = bytes.u8();
      state.binaries[i] = copy;
    }
  }
}

/**
 * The files an EDITS input stands for: `seeds` are the targets' seed inputs, already split into
 * [model.json text, ...binaries]; returns model.json's text and the binaries.
 */
export function applyEdits(data, seeds) {
  const bytes = new Bytes(data.subarray(1));
  const [text, ...binaries] = seeds[bytes.u8() % seeds.length];
  const state = { root: JSON.parse(text), binaries: [...binaries] };
  const count = 1 + (bytes.u8() % 8);
  for (let i = 0; i < count && bytes.left > 0; i++) edit(state, bytes);
  return { text: JSON.stringify(state.root) ?? 'null', binaries: state.binaries };
}
