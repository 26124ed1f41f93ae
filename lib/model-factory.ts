// The one place a Model is built from stored data: io/ readers return plain, checked data
// (so io never imports the Model class) and these turn it into a model.
import { checkLayout, readModelFiles, type SavedModel } from './io/model-file.js';
import { type ImportedModel, readTfjs } from './io/tfjs-import.js';
import { ModelFileError } from './io/validate-manifest.js';
import { Model } from './model.js';
import { sequential } from './sequential.js';

/** A saved model (model.save) as a Model, compiled if it was saved compiled. */
export function modelFromSaved(saved: SavedModel): Model {
  const model = new Model(saved.config);
  checkLayout(model, saved);
  model.params.set(saved.params);
  model.weightsChanged();
  model.state.set(saved.state);
  if (saved.compile !== null) {
    try {
      model.compile(saved.compile);
    } catch (error) {
      // The manifest, not the caller, holds the bad setting: say which file.
      throw new ModelFileError(saved.manifestPath, `compile: ${(error as Error).message.replace(/^compile: /, '')}`);
    }
  }
  model.preprocessing = saved.preprocessing;
  return model;
}

/** An imported TF.js model (uncompiled) as a Model. */
export function modelFromTfjs(imported: ImportedModel): Model {
  const model = sequential(imported.config);
  model.setWeights(imported.weights);
  model.preprocessing = imported.preprocessing;
  return model;
}

/** Loads a model saved by model.save() (compiled if it was, with its preprocessing). */
export async function load(dir: string): Promise<Model> {
  return modelFromSaved(await readModelFiles(dir));
}

/** Reads a TF.js Layers model (dir/model.json or the model.json given, and its shards) into an uncompiled Model. */
export async function importTfjs(dir: string): Promise<Model> {
  return modelFromTfjs(await readTfjs(dir));
}
