// The native model format: a directory holding model.json (the manifest) and
// one weights-<hash>.bin (the parameter arena, then the state arena, then, in
// a checkpoint, the optimizer's slots; float32 little-endian). The bin is
// written first under a name derived from its SHA-256, then the manifest
// replaces the old one by rename: that rename is the commit, so a kill at any
// moment leaves the old manifest with its own bin, or the new pair.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Preprocessing } from '../data/spec.js';
import { checkPath } from '../errors.js';
import type { EpochResume, History } from '../fit-types.js';
import { builtInMetrics } from '../metrics/index.js';
import type { CompileOptions, ModelData, SequentialConfig, TrainableModel } from '../model-types.js';
import type { OptimizerSpec } from '../optimizers/optimizer.js';
import { TEMP_PREFIX, writeFileAtomic } from './atomic.js';
import { littleEndianBytes, producer, readFloat32LE } from './common.js';
import { isObject, shown } from './json-read.js';
import { parseJsonText } from './json-text.js';
import { READ_CHUNK_BYTES, readModelFile } from './read-file.js';
import { architecture, compileOptions, field, MAX_FLOATS, ModelFileError, preprocessing } from './validate-manifest.js';

export const FORMAT = 'densenode-model';
export const FORMAT_VERSION = 1;
const MANIFEST = 'model.json';
const MAX_MANIFEST_BYTES = 64 << 20;
const WEIGHTS_FILE = /^weights-[0-9a-f]{16}\.bin$/;
const SLOTS: Record<OptimizerSpec['name'], number> = { sgd: 0, momentum: 1, rmsprop: 1, adam: 2, adamw: 2 };

export interface SaveOptions {
  /** Also saves the optimizer's moments and step, the PRNG state and the epoch: what fit({ resumeFrom }) needs. */
  checkpoint?: { epoch: number; within?: EpochResume };
  /** Training metadata kept in the manifest (epochs run, stop reason, per-epoch figures). */
  history?: History;
}

/** Where each weight lives in the bin, so a reader in any language can find it. */
interface TensorEntry {
  layer: number;
  name: string;
  shape: number[];
  segment: 'params' | 'state';
  offset: number;
}

/** What a checkpoint adds to a saved model. */
export interface CheckpointState {
  /** The epoch completed, or, with `within`, the epoch in progress. */
  epoch: number;
  /** Set for a mid-epoch checkpoint (fit({ checkpoint: { everySteps } })): where the epoch stands. */
  within: EpochResume | null;
  optimizerStep: number;
  /** The learning-rate factor (1 unless a callback changed the rate); absent in older checkpoints. */
  learningRateFactor: number;
  random: number[];
  slots: Float32Array[];
}

function tensorLayout(model: ModelData): TensorEntry[] {
  return model.layers.flatMap((layer, index) =>
    layer.weights().map((w) => {
      const arena = w.trainable ? model.params : model.state;
      return {
        layer: index,
        name: w.name,
        shape: w.shape,
        segment: w.trainable ? ('params' as const) : ('state' as const),
        offset: (w.values.byteOffset - arena.byteOffset) / 4,
      };
    }),
  );
}

// JSON with sorted keys: two specs are the same architecture whatever order their options came in.
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Writes `model` to `dir` (created if missing) atomically; see the file comment for the layout. */
export async function saveModel(model: ModelData, dir: string, options: SaveOptions = {}): Promise<void> {
  checkPath('save', 'dir', dir, 'a directory path');
  const compiled = model.compiled;
  const checkpoint = options.checkpoint;
  if (compiled?.custom) {
    throw new TypeError(
      `save: this model is compiled with the custom loss '${compiled.custom.name || 'anonymous'}', which is code, not data; ` +
        'compile it with a built-in loss to save it (or keep its weights with getWeights())',
    );
  }
  if (checkpoint !== undefined && compiled === null) throw new Error('save: a checkpoint needs a compiled model');
  const slots = checkpoint !== undefined && compiled !== null ? compiled.optimizer.slots : [];
  // One copy of every arena: a worker may be training them while we write.
  const floats = new Float32Array(model.params.length + model.state.length + slots.length * model.params.length);
  floats.set(model.params, 0);
  floats.set(model.state, model.params.length);
  slots.forEach((slot, i) => {
    floats.set(slot, model.params.length + model.state.length + i * model.params.length);
  });
  refuseNonFinite(floats, model.params.length, model.state.length);
  const bytes = littleEndianBytes(floats);
  const sha256 = sha256Hex(bytes);
  const file = `weights-${sha256.slice(0, 16)}.bin`;
  const manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    densenodeVersion: producer.version,
    createdAt: new Date().toISOString(),
    architecture: model.config,
    compile:
      compiled === null
        ? null
        : {
            loss: compiled.loss,
            ...(compiled.loss === 'huber' ? { delta: compiled.delta } : {}),
            l2: compiled.l2,
            // Custom metric functions are code, not data: compile again after load to get them back.
            metrics: builtInMetrics(compiled.metrics),
            optimizer: compiled.optimizer.spec,
          },
    preprocessing: model.preprocessing,
    training:
      options.history === undefined
        ? null
        : { epochs: options.history.epochs.length, stopReason: options.history.stopReason, history: options.history.history },
    weights: {
      file,
      dtype: 'float32',
      byteOrder: 'little',
      byteLength: bytes.byteLength,
      sha256,
      params: model.params.length,
      state: model.state.length,
      optimizerSlots: slots.length,
      tensors: tensorLayout(model),
    },
    checkpoint:
      checkpoint === undefined || compiled === null
        ? null
        : {
            epoch: checkpoint.epoch,
            optimizerStep: compiled.optimizer.step,
            random: model.random.getState(),
            // A reduceLrOnPlateau cut (or setLearningRate) resumes where it was.
            learningRateFactor: compiled.optimizer.learningRateFactor,
            ...(checkpoint.within === undefined ? {} : { within: checkpoint.within }),
          },
  };
  const text = `${JSON.stringify(manifest, null, 1)}\n`;
  await oneSaveAtATime(dir, async () => {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, file), bytes);
    await writeFileAtomic(join(dir, MANIFEST), text);
    // Only now is the old bin unreferenced; sweep it and whatever a killed save left behind.
    for (const entry of await readdir(dir)) {
      if ((WEIGHTS_FILE.test(entry) && entry !== file) || entry.startsWith(TEMP_PREFIX)) await rm(join(dir, entry), { force: true });
    }
  });
}

// The sweep deletes every other weights file and temp file in the directory: a save running beside
// it would lose its own and leave a manifest naming a missing file. So saves into one directory (two
// requests saving one model, a checkpoint beside a save) take turns; each still writes the weights
// it was called with, copied above before it waits.
const saving = new Map<string, Promise<void>>();
async function oneSaveAtATime(dir: string, write: () => Promise<void>): Promise<void> {
  const key = resolve(dir);
  const turn = (saving.get(key) ?? Promise.resolve()).then(write);
  const settled = turn.catch(() => undefined);
  saving.set(key, settled);
  try {
    await turn;
  } finally {
    if (saving.get(key) === settled) saving.delete(key);
  }
}

// load refuses a non-finite value, so save does too, naming what overflowed (a diverged run's weights).
function refuseNonFinite(floats: Float32Array, params: number, state: number): void {
  for (let i = 0; i < floats.length; i++) {
    const v = floats[i] as number;
    if (v - v === 0) continue;
    const what =
      i < params
        ? `parameter ${i}`
        : i < params + state
          ? `state value ${i - params} (batch-norm moving statistics)`
          : `optimizer moment ${i - params - state}`;
    throw new RangeError(
      `save: ${what} is ${v}; a model with non-finite values cannot be loaded, so it is not saved (did training diverge?)`,
    );
  }
}

/** A model directory's contents, checked: the factory (lib/model-factory.ts) builds the Model from it. */
export interface SavedModel {
  manifestPath: string;
  config: SequentialConfig;
  compile: (CompileOptions & { optimizer: OptimizerSpec }) | null;
  preprocessing: Preprocessing | null;
  params: Float32Array;
  state: Float32Array;
  /** The manifest's weight table, which checkLayout holds to the built layers. */
  tensors: unknown;
  checkpoint: CheckpointState | null;
}

// The hash of a buffer of any size (a single update() is limited to 2 GiB).
function sha256Hex(bytes: Uint8Array): string {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.byteLength; at += READ_CHUNK_BYTES) hash.update(bytes.subarray(at, at + READ_CHUNK_BYTES));
  return hash.digest('hex');
}

/** Reads and checks a model directory: format, version, architecture, sizes, checksum, finite values. */
export async function readModelFiles(dir: string): Promise<SavedModel> {
  checkPath('load', 'dir', dir, 'a directory path');
  const manifestPath = join(dir, MANIFEST);
  const missing = 'no model here (model.json is missing)';
  const text = (await readModelFile(manifestPath, { dir, fn: 'load', missing, limit: MAX_MANIFEST_BYTES })).toString('utf8');
  const json = parseJsonText(text, manifestPath, 'load');
  if (!isObject(json) || json.format !== FORMAT)
    throw new ModelFileError(manifestPath, `not a densenode model (format is not '${FORMAT}')`);
  if (json.formatVersion !== FORMAT_VERSION) {
    throw new ModelFileError(
      manifestPath,
      `format version ${shown(json.formatVersion)}; this densenode reads version ${FORMAT_VERSION}` +
        (typeof json.formatVersion === 'number' && json.formatVersion > FORMAT_VERSION ? ' (saved by a newer densenode)' : ''),
    );
  }
  const arch = architecture(json.architecture, manifestPath);
  const compile = compileOptions(json.compile, manifestPath);
  const weights = field(json, 'weights', 'manifest', manifestPath);
  const checkpointJson = json.checkpoint ?? null;
  if (checkpointJson !== null && compile === null) throw new ModelFileError(manifestPath, 'a checkpoint needs compile settings');
  const slotCount = checkpointJson !== null && compile !== null ? SLOTS[compile.optimizer.name] : 0;
  const floats = arch.params + arch.state + slotCount * arch.params;
  if (floats > 3 * MAX_FLOATS) throw new ModelFileError(manifestPath, 'the model is too large');
  if (typeof weights.file !== 'string' || !WEIGHTS_FILE.test(weights.file)) {
    throw new ModelFileError(manifestPath, 'weights.file must name a weights-<16 hex>.bin file in the same directory');
  }
  if (weights.dtype !== 'float32' || weights.byteOrder !== 'little')
    throw new ModelFileError(manifestPath, 'weights must be float32 little-endian');
  if (weights.byteLength !== 4 * floats) {
    throw new ModelFileError(manifestPath, `weights.byteLength is ${shown(weights.byteLength)}, the architecture needs ${4 * floats}`);
  }
  if (typeof weights.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(weights.sha256)) {
    throw new ModelFileError(manifestPath, 'weights.sha256 must be 64 hex digits');
  }
  const binPath = join(dir, weights.file);
  const bytes = await readModelFile(binPath, {
    dir,
    fn: 'load',
    missing: 'the weights file is missing',
    limit: 4 * floats,
    size: 4 * floats,
  });
  if (sha256Hex(bytes) !== weights.sha256) {
    throw new ModelFileError(binPath, 'checksum mismatch: the file is corrupted or does not belong to this model.json');
  }
  const values = readFloat32LE(bytes, 0, floats, (i, v) => new ModelFileError(binPath, `value ${i} is ${v}`));

  const preprocessed = preprocessing(json.preprocessing, manifestPath, arch.config.inputs, arch.outputs);
  let checkpoint: CheckpointState | null = null;
  if (checkpointJson !== null) {
    if (!isObject(checkpointJson)) throw new ModelFileError(manifestPath, 'checkpoint must be an object or null');
    const { epoch, optimizerStep, random } = checkpointJson;
    const factor = checkpointJson.learningRateFactor ?? 1;
    if (!(typeof factor === 'number' && Number.isFinite(factor) && factor >= 0))
      throw new ModelFileError(manifestPath, 'checkpoint.learningRateFactor must be a finite number >= 0');
    const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 53;
    if (!count(epoch) || !count(optimizerStep))
      throw new ModelFileError(manifestPath, 'checkpoint.epoch and optimizerStep must be integers >= 0');
    if (
      !Array.isArray(random) ||
      random.length !== 4 ||
      !random.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) ||
      random.every((w) => w === 0)
    ) {
      throw new ModelFileError(manifestPath, 'checkpoint.random must be four 32-bit words, not all 0');
    }
    const base = arch.params + arch.state;
    const slots = Array.from({ length: slotCount }, (_, i) => values.subarray(base + i * arch.params, base + (i + 1) * arch.params));
    checkpoint = {
      epoch: epoch as number,
      within:
        checkpointJson.within === undefined || checkpointJson.within === null ? null : withinState(checkpointJson.within, manifestPath),
      optimizerStep: optimizerStep as number,
      learningRateFactor: factor,
      random: random as number[],
      slots,
    };
  }
  return {
    manifestPath,
    config: arch.config,
    compile,
    preprocessing: preprocessed,
    params: values.subarray(0, arch.params),
    state: values.subarray(arch.params, arch.params + arch.state),
    tensors: weights.tensors,
    checkpoint,
  };
}

// A mid-epoch checkpoint's position: batches done, the PRNG at the epoch's start, the partial loss.
function withinState(value: unknown, manifestPath: string): EpochResume {
  const bad = (what: string) => new ModelFileError(manifestPath, `checkpoint.within.${what}`);
  if (!isObject(value)) throw new ModelFileError(manifestPath, 'checkpoint.within must be an object or absent');
  const { step, epochRandom, lossSum, seen, metrics } = value;
  if (!(typeof step === 'number' && Number.isInteger(step) && step >= 1 && step <= 2 ** 53)) throw bad('step must be an integer >= 1');
  if (!(typeof seen === 'number' && Number.isInteger(seen) && seen >= 1 && seen <= 2 ** 53)) throw bad('seen must be an integer >= 1');
  if (!(typeof lossSum === 'number' && Number.isFinite(lossSum))) throw bad('lossSum must be a finite number');
  if (
    !Array.isArray(epochRandom) ||
    epochRandom.length !== 4 ||
    !epochRandom.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) ||
    epochRandom.every((w) => w === 0)
  )
    throw bad('epochRandom must be four 32-bit words, not all 0');
  if (metrics !== undefined && !(Array.isArray(metrics) && metrics.every((m) => Array.isArray(m) && m.every(Number.isFinite))))
    throw bad('metrics must be arrays of finite numbers');
  return {
    step,
    epochRandom: epochRandom as number[],
    lossSum,
    seen,
    ...(metrics === undefined ? {} : { metrics: metrics as number[][] }),
  };
}

/** Holds the manifest's weight table to the layers built from its architecture. */
export function checkLayout(model: ModelData, saved: SavedModel): void {
  if (canonical(saved.tensors) !== canonical(tensorLayout(model))) {
    throw new ModelFileError(saved.manifestPath, 'weights.tensors does not match the layers of the architecture');
  }
}

/**
 * Puts a checkpoint's weights, optimizer state and PRNG state into `model`, which must have the
 * same architecture and optimizer; returns the epoch to continue at and, mid-epoch, where in it.
 */
export async function restoreCheckpoint(model: TrainableModel, dir: string): Promise<{ epoch: number; within: EpochResume | null }> {
  const compiled = model.requireCompiled('fit');
  const saved = await readModelFiles(dir);
  const where = join(dir, MANIFEST);
  if (saved.checkpoint === null)
    throw new ModelFileError(where, 'this is a saved model, not a checkpoint (save it from fit({ checkpoint }))');
  const { layers: _a, seed: _s, ...ownRest } = model.config;
  const { layers: _b, seed: _t, ...savedRest } = saved.config;
  if (canonical(model.config.layers) !== canonical(saved.config.layers) || canonical(ownRest) !== canonical(savedRest)) {
    throw new ModelFileError(where, 'the checkpoint has a different architecture from this model');
  }
  checkLayout(model, saved);
  const savedCompiled = saved.compile;
  if (savedCompiled === null) throw new ModelFileError(where, 'a checkpoint needs compile settings');
  if (savedCompiled.optimizer.name !== compiled.optimizer.spec.name || savedCompiled.loss !== compiled.loss) {
    throw new ModelFileError(
      where,
      `the checkpoint was trained with ${savedCompiled.optimizer.name} and ${savedCompiled.loss}, this model is compiled with ${compiled.optimizer.spec.name} and ${compiled.loss}`,
    );
  }
  model.params.set(saved.params);
  model.weightsChanged();
  model.state.set(saved.state);
  saved.checkpoint.slots.forEach((slot, i) => {
    (compiled.optimizer.slots[i] as Float32Array).set(slot);
  });
  compiled.optimizer.step = saved.checkpoint.optimizerStep;
  compiled.optimizer.learningRateFactor = saved.checkpoint.learningRateFactor;
  model.random.setState(saved.checkpoint.random);
  if (model.preprocessing === null) model.preprocessing = saved.preprocessing;
  const { epoch, within } = saved.checkpoint;
  return within === null ? { epoch: epoch + 1, within: null } : { epoch, within };
}
