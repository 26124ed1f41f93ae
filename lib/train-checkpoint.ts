// fit({ checkpoint }): the hook that writes a checkpoint, handed to the training loop so that
// train.ts never imports io/ (the model and the worker both build it here).
import type { FitOptions } from './fit-types.js';
import type { ModelData } from './model-types.js';
import type { TrainHooks } from './train.js';

export function checkpointHooks(model: ModelData, checkpoint: FitOptions['checkpoint']): TrainHooks {
  if (checkpoint === undefined) return {};
  return {
    async saveCheckpoint(epoch, history, within) {
      const { saveModel } = await import('./io/model-file.js');
      await saveModel(model, checkpoint.dir, { checkpoint: within === undefined ? { epoch } : { epoch, within }, history });
    },
  };
}
