// TF.js as the oracle of the TF.js exports: a saved model loaded from disk the
// way a browser loads it, and its predictions for a matrix.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as dn from '../../lib/index.js';

/** tf.loadLayersModel through TF.js' HTTP handler, its fetch answered from disk. */
export function loadWithTfjs(dir: string): Promise<tf.LayersModel> {
  const fetchFunc = async (path: string | URL | Request) => new Response(await readFile(String(path)));
  return tf.loadLayersModel(tf.io.http(join(dir, 'model.json'), { fetchFunc }));
}

export function tfjsPredict(model: tf.LayersModel, x: dn.Matrix): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor).dataSync() as Float32Array);
}
