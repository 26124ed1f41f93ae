// reduceLrOnPlateau(): multiply the learning rate by `factor` when a monitored log has not
// improved for `patience` epochs (Keras's ReduceLROnPlateau), down to minLr.
import { checkOptionKeys, invalidRange } from '../errors.js';
import type { Callback, ReduceLrOnPlateauOptions } from '../fit-types.js';
import { plateauOptions, watched } from './early-stopping.js';
import { checkMonitor, monitorSign, Plateau } from './monitor.js';

export function reduceLrOnPlateau(given: ReduceLrOnPlateauOptions = {}): Callback {
  const fn = 'reduceLrOnPlateau';
  checkOptionKeys(fn, 'options', given, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'mode']);
  const monitor = plateauOptions(fn, given);
  const factor = given.factor ?? 0.1;
  if (!(typeof factor === 'number' && factor > 0 && factor < 1)) throw invalidRange(fn, 'factor', 'a number in (0, 1)', factor);
  const cooldown = given.cooldown ?? 0;
  if (!(Number.isInteger(cooldown) && cooldown >= 0)) throw invalidRange(fn, 'cooldown', 'an integer >= 0', cooldown);
  const minLr = given.minLr ?? 0;
  if (!(typeof minLr === 'number' && Number.isFinite(minLr) && minLr >= 0)) throw invalidRange(fn, 'minLr', 'a number >= 0', minLr);
  const patience = given.patience ?? 10;
  const options: ReduceLrOnPlateauOptions = { ...given, ...(monitor === undefined ? {} : { monitor }) };
  let key = 'loss';
  let plateau = new Plateau(1, 0);
  let cooling = 0;
  return {
    spec: { kind: 'reduceLrOnPlateau', options },
    onTrainBegin(_model, run) {
      key = watched(monitor, run.validation);
      checkMonitor(fn, key, run);
      plateau = new Plateau(monitorSign(key, given.mode), given.minDelta ?? 0);
      cooling = 0;
    },
    onEpochEnd(_epoch, logs, model) {
      const raw = logs[key];
      if (typeof raw !== 'number') throw new RangeError(`${fn}: the logs have no '${key}'`);
      // Keras's order: a cooldown epoch counts down and does not count towards patience.
      if (cooling > 0) cooling--;
      if (plateau.improved(raw)) return undefined;
      if (cooling > 0) {
        plateau.wait = 0;
        return undefined;
      }
      if (plateau.wait >= patience) {
        const lr = model.getLearningRate();
        const next = Math.max(lr * factor, minLr);
        if (next < lr) model.setLearningRate(next);
        cooling = cooldown;
        plateau.wait = 0;
      }
      return undefined;
    },
  };
}
