// Float64 references for the layer, loss and optimizer kernels, written
// directly from the formulas (per element, per feature), sharing no code with
// either backend.
type Vec = ArrayLike<number>;

/** Column j of a row-major rows×cols matrix. */
function column(x: Vec, rows: number, cols: number, j: number): number[] {
  return Array.from({ length: rows }, (_, i) => x[i * cols + j] as number);
}

export function bnTrain(batch: number, features: number, x: Vec, gamma: Vec, beta: Vec, epsilon: number, relu: boolean) {
  const y = new Float64Array(batch * features);
  const mean = new Float64Array(features);
  const variance = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    const c = column(x, batch, features, j);
    mean[j] = c.reduce((a, b) => a + b, 0) / batch;
    variance[j] = c.reduce((a, b) => a + (b - (mean[j] as number)) ** 2, 0) / batch;
    for (let i = 0; i < batch; i++) {
      const v =
        ((gamma[j] as number) * ((c[i] as number) - (mean[j] as number))) / Math.sqrt((variance[j] as number) + epsilon) +
        (beta[j] as number);
      y[i * features + j] = relu ? Math.max(0, v) : v;
    }
  }
  return { y, mean, variance };
}

/** Loss-free backward of batch-norm via the full (non-compact) chain rule, per feature. */
export function bnBackward(batch: number, features: number, x: Vec, y: Vec | null, dy: Vec, gamma: Vec, epsilon: number) {
  const dx = new Float64Array(batch * features);
  const dgamma = new Float64Array(features);
  const dbeta = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    const c = column(x, batch, features, j);
    const g = column(dy, batch, features, j).map((v, i) => (y && !((y[i * features + j] as number) > 0) ? 0 : v));
    const mu = c.reduce((a, b) => a + b, 0) / batch;
    const v = c.reduce((a, b) => a + (b - mu) ** 2, 0) / batch;
    const s = Math.sqrt(v + epsilon);
    const xhat = c.map((xi) => (xi - mu) / s);
    dbeta[j] = g.reduce((a, b) => a + b, 0);
    dgamma[j] = g.reduce((a, gi, i) => a + gi * (xhat[i] as number), 0);
    // dL/dxhat, then through var and mean separately (the textbook form).
    const dxhat = g.map((gi) => gi * (gamma[j] as number));
    const dvar = dxhat.reduce((a, d, i) => a + d * ((c[i] as number) - mu) * -0.5 * s ** -3, 0);
    const dmu = dxhat.reduce((a, d) => a - d / s, 0) + (dvar * c.reduce((a, xi) => a - 2 * (xi - mu), 0)) / batch;
    for (let i = 0; i < batch; i++) {
      dx[i * features + j] = (dxhat[i] as number) / s + (dvar * 2 * ((c[i] as number) - mu)) / batch + dmu / batch;
    }
  }
  return { dx, dgamma, dbeta };
}

export function activation(kind: string, v: number, slope: number): number {
  switch (kind) {
    case 'relu':
      return Math.max(v, 0);
    case 'leakyRelu':
      return v > 0 ? v : slope * v;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    default:
      return v;
  }
}

/** f′(x) from x (not from y, unlike the kernels). */
export function activationDerivative(kind: string, v: number, slope: number): number {
  switch (kind) {
    case 'relu':
      return v > 0 ? 1 : 0;
    case 'leakyRelu':
      return v > 0 ? 1 : slope;
    case 'tanh':
      return 1 - Math.tanh(v) ** 2;
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-v));
      return s * (1 - s);
    }
    default:
      return 1;
  }
}

export function softmaxRow(z: number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function rows(x: Vec, r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => x[i * c + j] as number));
}

/** Adam, step by step in float64, the paper's form with decoupled decay. */
export function adamSteps(p0: Vec, grads: Vec[], lr: number, b1: number, b2: number, eps: number, wd: number): Float64Array {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, t) => {
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] as number;
      m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
      v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
      const mhat = (m[i] as number) / (1 - b1 ** (t + 1));
      const vhat = (v[i] as number) / (1 - b2 ** (t + 1));
      p[i] = (p[i] as number) - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * (p[i] as number));
    }
  });
  return p;
}

/** The losses of the loss kernels, by the form of their targets: dense y (one-hot for CE labels). */
export type ReferenceLoss = 'bce' | 'ce' | 'mse' | 'huber' | 'mae';

/**
 * Each row's loss ℓ_i of outputs or logits z against dense targets y, in float64 from the
 * definitions (BCE and CE as −Σ y·log p of the probabilities, fine for moderate logits), and
 * ∂ℓ_i/∂z: the unweighted, unscaled terms of Σ_i w_i·ℓ_i.
 */
export function lossRows(kind: ReferenceLoss, rows: number, cols: number, z: Vec, y: Vec, delta = 1) {
  const loss = new Float64Array(rows);
  const grad = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const zr = Array.from({ length: cols }, (_, j) => Number(z[i * cols + j]));
    const yr = Array.from({ length: cols }, (_, j) => Number(y[i * cols + j]));
    const p = kind === 'ce' ? softmaxRow(zr) : zr.map((v) => 1 / (1 + Math.exp(-v)));
    const mass = yr.reduce((a, b) => a + b, 0);
    for (let j = 0; j < cols; j++) {
      const [v, t, pj] = [zr[j] as number, yr[j] as number, p[j] as number];
      const d = v - t;
      let l = 0;
      let g = 0;
      if (kind === 'bce') [l, g] = [-(t * Math.log(pj) + (1 - t) * Math.log(1 - pj)), pj - t];
      if (kind === 'ce') [l, g] = [-t * Math.log(pj), pj * mass - t];
      if (kind === 'mse') [l, g] = [d * d, 2 * d];
      if (kind === 'mae') [l, g] = [Math.abs(d), Math.sign(d)];
      if (kind === 'huber') {
        l = Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
        g = Math.abs(d) <= delta ? d : delta * Math.sign(d);
      }
      loss[i] = (loss[i] as number) + l;
      grad[i * cols + j] = g;
    }
  }
  return { loss, grad };
}
