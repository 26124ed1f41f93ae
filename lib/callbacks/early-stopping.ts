// earlyStopping(): stop when a monitored log stops improving, optionally putting back the best
// epoch's weights (through getWeights/setWeights, as Keras's EarlyStopping does).
import { checkOptionKeys, invalidRange, invalidType, oneOf } from '../errors.js';
import type { Callback, EarlyStoppingOptions } from '../fit-types.js';
import { checkMonitor, monitorKey, monitorSign, Plateau } from './monitor.js';

const MODES = ['auto', 'min', 'max'];

/** Checks options shared by the plateau callbacks; returns the monitor in our spelling. */
export function plateauOptions(
  fn: string,
  given: { monitor?: string; patience?: number; minDelta?: number; mode?: string },
): string | undefined {
  if (given.monitor !== undefined && typeof given.monitor !== 'string') throw invalidType(fn, 'monitor', 'a log name', given.monitor);
  if (given.patience !== undefined && !(Number.isInteger(given.patience) && given.patience >= 0))
    throw invalidRange(fn, 'patience', 'an integer >= 0', given.patience);
  if (given.minDelta !== undefined && !(typeof given.minDelta === 'number' && Number.isFinite(given.minDelta) && given.minDelta >= 0))
    throw invalidRange(fn, 'minDelta', 'a number >= 0', given.minDelta);
  if (given.mode !== undefined && !MODES.includes(given.mode)) throw oneOf(fn, 'mode', MODES, given.mode);
  return given.monitor === undefined ? undefined : monitorKey(given.monitor);
}

/** The log a plateau callback watches: its monitor, else valLoss with validation, else loss. */
export const watched = (monitor: string | undefined, validation: boolean) => monitor ?? (validation ? 'valLoss' : 'loss');

/**
 * Stops when `monitor` (default 'valLoss', or 'loss' without validation data) has not improved
 * by more than minDelta for `patience` epochs; restoreBest puts back the best epoch's weights.
 */
export function earlyStopping(given: EarlyStoppingOptions = {}): Callback {
  const fn = 'earlyStopping';
  checkOptionKeys(fn, 'options', given, ['monitor', 'patience', 'minDelta', 'restoreBest', 'mode']);
  const monitor = plateauOptions(fn, given);
  if (given.restoreBest !== undefined && typeof given.restoreBest !== 'boolean')
    throw invalidType(fn, 'restoreBest', 'true or false', given.restoreBest);
  const options: EarlyStoppingOptions = { ...given, ...(monitor === undefined ? {} : { monitor }) };
  const patience = given.patience ?? 0;
  let key = 'loss';
  let plateau = new Plateau(1, 0);
  let snapshot: Float32Array[] | null = null;
  return {
    spec: { kind: 'earlyStopping', options },
    onTrainBegin(_model, run) {
      key = watched(monitor, run.validation);
      checkMonitor(fn, key, run);
      plateau = new Plateau(monitorSign(key, given.mode), given.minDelta ?? 0);
      snapshot = null;
    },
    onEpochEnd(_epoch, logs, model) {
      const raw = logs[key];
      if (typeof raw !== 'number') throw new RangeError(`${fn}: the logs have no '${key}'`);
      if (plateau.improved(raw)) {
        if (given.restoreBest) snapshot = model.getWeights();
        return undefined;
      }
      return plateau.wait > patience ? 'stop' : undefined;
    },
    onTrainEnd(model) {
      if (snapshot !== null) model.setWeights(snapshot);
    },
  };
}
