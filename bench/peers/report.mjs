// The peers report: ratios, target checks, the markdown table and the SVG chart (vega-lite →
// vega → SVG, as lib/cli/plot.ts renders its charts).

import { renderSvg } from '../../dist/cli/plot.js';
import { SYSTEMS, WORKLOADS } from './config.mjs';

const BASE = 'native-all';

/** Adds `ratio` (seconds per epoch ÷ densenode native, all threads, same workload) to each row. */
export function addRatios(rows) {
  for (const row of rows) {
    const base = rows.find((r) => r.workload === row.workload && r.system === BASE && r.secondsPerEpoch);
    row.ratio = base && row.secondsPerEpoch ? row.secondsPerEpoch / base.secondsPerEpoch : null;
  }
}

const TARGETS = [
  { peer: 'tfjs-wasm', factor: 50 },
  { peer: 'tfjs-cpu', factor: 300 },
  { peer: 'js', factor: 50 },
];

/** PASS/FAIL (or N/A when a figure is missing) lines for the fmnist targets. */
export function checkTargets(rows) {
  const find = (system) => rows.find((r) => r.workload === 'fmnist' && r.system === system && r.secondsPerEpoch);
  const native = find(BASE);
  const lines = [];
  const line = (status, text) => lines.push({ status, text });
  const nativeName = SYSTEMS[BASE].short;
  for (const { peer, factor } of TARGETS) {
    const p = find(peer);
    const name = SYSTEMS[peer].short;
    if (!native || !p) {
      line('N/A', `fmnist speed: ${nativeName} ≥ ${factor}× ${name}: ${!native ? nativeName : name} was not measured`);
      continue;
    }
    const speedup = p.secondsPerEpoch / native.secondsPerEpoch;
    line(speedup >= factor ? 'PASS' : 'FAIL', `fmnist speed: ${nativeName} is ${ratio(speedup)} faster than ${name} (target ≥ ${factor}×)`);
    if (p.testAccuracy === null) {
      line('N/A', `fmnist accuracy: ${name} was extrapolated, so it has no test accuracy (PEERS_FULL=${peer} trains it)`);
    } else {
      // Same seed, same algorithm, yet float summation order changes the trajectory: a difference
      // inside the run-to-run spread of native's own seeds is "equal", not a loss.
      const s = seedSpread(native);
      const better = native.testAccuracy >= p.testAccuracy;
      const equal = s !== null && p.testAccuracy <= s.mean + 2 * s.sd;
      const spreadText = s === null ? '' : `; ${s.n} seeds: ${spreadCell(s)}`;
      line(
        better || equal ? 'PASS' : 'FAIL',
        `fmnist accuracy: ${nativeName} ${percent(native.testAccuracy)} (seed 42${spreadText}) vs ${name} ${percent(p.testAccuracy)} ` +
          `(target: equal or better${s === null ? '' : '; equal = within 2 standard deviations of the seed mean'})`,
      );
    }
  }
  const js = find('js');
  const cpu = find('tfjs-cpu');
  if (js && cpu) {
    const speedup = cpu.secondsPerEpoch / js.secondsPerEpoch;
    line(speedup >= 3 ? 'PASS' : 'FAIL', `fmnist speed: densenode JS is ${ratio(speedup)} faster than tfjs cpu (target ≥ 3×)`);
  } else {
    line('N/A', 'fmnist speed: densenode JS ≥ 3× tfjs cpu: one of them was not measured');
  }
  return lines;
}

export function seconds(s) {
  if (!Number.isFinite(s)) return '–';
  return s >= 100 ? s.toFixed(0) : s.toPrecision(3);
}

export function ratio(r) {
  if (r === null || !Number.isFinite(r)) return '–';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function percent(a) {
  return `${(100 * a).toFixed(2)} %`;
}

const count = (n) => Math.round(n).toLocaleString('en-US');

/** Mean and sample standard deviation of a row's test accuracy over its seeds (42 and the extra ones), or null. */
function seedSpread(row) {
  if (!row.seedAccuracies?.length || row.testAccuracy === null) return null;
  const xs = [row.testAccuracy, ...row.seedAccuracies];
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { n: xs.length, mean, sd };
}

function spreadCell(s) {
  return `${(100 * s.mean).toFixed(2)} ± ${(100 * s.sd).toFixed(2)} %`;
}

function accuracyCell(row) {
  if (row.testAccuracy === null) return 'n/a (extrapolated)';
  const s = seedSpread(row);
  return s === null ? percent(row.testAccuracy) : `${percent(row.testAccuracy)} (${s.n} seeds: ${spreadCell(s)})`;
}

function measuredCell(row) {
  const runs = row.runSeconds
    ? `; median of ${row.runSeconds.length} runs spread over the benchmark (${row.runSeconds.map(seconds).join(', ')})`
    : '';
  return measuredHow(row) + runs;
}

function measuredHow(row) {
  const plural = (n, word, many = `${word}s`) => `${count(n)} ${n === 1 ? word : many}`;
  if (row.mode === 'full') {
    const steady = row.epochs > 2 ? `, median of epochs 2–${row.epochs}` : row.epochs === 2 ? ', epoch 2' : '';
    return `trained ${plural(row.epochs, 'epoch')}${steady}`;
  }
  if (row.system.startsWith('brain')) {
    return `**extrapolated** from ${plural(row.measuredSamples, 'sample')} after ${plural(row.warmupSamples, 'warm-up sample')}`;
  }
  const warmup = row.warmupSamples / WORKLOADS[row.workload].batchSize;
  return `**extrapolated** from ${plural(row.measuredBatches, 'batch', 'batches')} after ${plural(warmup, 'warm-up batch', 'warm-up batches')}`;
}

function systemCell(row) {
  const label = SYSTEMS[row.system].label;
  if (row.system === 'tfjs-wasm' && row.info) {
    return `${label} (SIMD ${row.info.simd ? 'on' : 'off'}, ${row.info.multithread ? `${row.info.threads} threads` : '1 thread'})`;
  }
  return label;
}

/** The markdown report (also what --update-readme copies into the README). */
export function markdown(run) {
  const { meta, rows, targets } = run;
  const out = [];
  const base = SYSTEMS[BASE].short;
  out.push('### densenode and other Node.js trainers');
  out.push('');
  out.push(
    `Generated by \`${meta.command}\` on ${meta.date}; do not edit by hand (\`node bench/peers.mjs --update-readme\` copies it into the README).`,
  );
  if (meta.smoke) out.push('', `**Smoke run on ${meta.smoke}: the figures are not representative.**`);
  out.push('');
  out.push(`- Machine: ${meta.cpu}, ${meta.cores} logical CPUs, ${meta.memoryGiB} GiB; ${meta.os}`);
  out.push(
    `- Load average (1 min) at start ${meta.loadStart.toFixed(2)}, at end ${meta.loadEnd.toFixed(2)}; the run took ${(meta.totalSeconds / 60).toFixed(1)} min`,
  );
  out.push(`- Node ${meta.node}; densenode ${meta.densenode} (${meta.nativeIsa}); @tensorflow/tfjs ${meta.tfjs}; brain.js ${meta.brain}`);
  out.push(
    '- Seconds per epoch: the median of the epochs after the first when the system trained the whole workload; otherwise ' +
      'the time of a fixed number of batches after warm-up, scaled to the training set (**extrapolated**, no test accuracy). ' +
      `samples/s = training rows ÷ seconds per epoch. Peak RSS: maxRSS of a child process that ran only that row, data loading included. ` +
      `× ${base} = seconds per epoch ÷ those of densenode native on all ${meta.cores} threads (higher is slower).`,
  );
  out.push(
    "- Repeats: a densenode native row takes seconds where a peer's takes minutes, and this shared VM's speed drifts over " +
      'minutes, so each native row runs several times spread over the benchmark (`PEERS_REPEAT`, 3 by default: at the start, ' +
      'in the middle, at the end) and the median run counts; every run is listed.',
  );
  out.push(
    '- Test accuracy: after the epochs shown, every system from seed 42 where it has one. On fmnist, densenode native on all ' +
      'threads also trains seeds 1, 2, … (`PEERS_SEEDS`, 4 by default; untimed) and shows the mean ± standard deviation: two systems running the same ' +
      'algorithm differ by about that much from float summation order alone.',
  );
  for (const workload of meta.workloads) {
    const w = WORKLOADS[workload];
    const group = rows.filter((r) => r.workload === workload);
    const sizes = group[0]?.trainRows ? `; ${count(group[0].trainRows)} training rows, ${count(group[0].testRows)} test rows` : '';
    out.push('', `#### ${workload}: ${w.title}`, '', `${w.describe}${sizes}.`, '');
    out.push(`| system | s/epoch | samples/s | test accuracy | peak RSS | × ${base} | measured |`);
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const row of group) {
      if (row.error) {
        out.push(`| ${SYSTEMS[row.system].label} | failed | | | | | ${row.error.split('\n')[0].replaceAll('|', '\\|')} |`);
        continue;
      }
      out.push(
        `| ${systemCell(row)} | ${seconds(row.secondsPerEpoch)} | ${count(row.samplesPerSecond)} | ${accuracyCell(row)} | ` +
          `${row.peakRssMiB.toFixed(0)} MiB | ${ratio(row.ratio)} | ${measuredCell(row)} |`,
      );
    }
  }
  if (targets.length > 0) {
    out.push('', '#### Targets (fmnist)', '');
    for (const t of targets) out.push(`- **${t.status}** ${t.text}`);
  }
  out.push('', '#### Notes', '');
  for (const note of notes(run)) out.push(`- ${note}`);
  out.push('', '![Seconds per epoch per system and workload, log scale](peers.svg)', '');
  return out.join('\n');
}

function notes(run) {
  const { rows } = run;
  const out = [];
  const l2 = run.meta.workloads
    .map((name) => WORKLOADS[name])
    .filter((w) => w.l2 > 0)
    .map((w) => `λ = ${w.l2} at batch ${w.batchSize} → l2(${(w.l2 / (2 * w.batchSize)).toExponential()})`)
    .join(', ');
  out.push(
    "L2: densenode's `l2: λ` adds (λ/2m)·Σ‖W‖² to the mean loss of a batch of m rows; a Keras/TF.js `kernelRegularizer: l2(λ')` adds λ'·Σ‖W‖², " +
      `so TF.js gets λ' = λ/(2m) (${l2}) and both optimise the same cost (the gradient λ/m·W); both penalise every dense kernel and no bias.`,
  );
  out.push(
    'TF.js runs the same layers, He normal / Glorot uniform initialisation, batch-norm epsilon 1e-3 and momentum 0.99, and Adam (0.9, 0.999, epsilon 1e-7), through `model.fit` with shuffling.',
  );
  const wasm = rows.find((r) => r.system === 'tfjs-wasm' && r.info);
  if (wasm) {
    out.push(
      `tfjs wasm: SIMD ${wasm.info.simd ? 'on' : 'off'}, threads ${wasm.info.multithread ? `on (${wasm.info.threads})` : 'off'}. ` +
        'TF.js 4.22 reports no multithread support in Node (WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false there), and forcing the flag ' +
        "fails: the pthread workers are created from blob: URLs, which Node's Worker rejects (ERR_WORKER_PATH), so the backend does not initialise.",
    );
  }
  const brainRows = rows.filter((r) => r.system.startsWith('brain') && !r.error);
  if (brainRows.length > 0) {
    // The same differences on every workload; the workload-specific ones after.
    const missing = run.meta.workloads
      .map((name) => {
        const w = WORKLOADS[name];
        const parts = [w.batchNorm && 'batch-norm', w.dropout > 0 && 'dropout', w.l2 > 0 && 'L2'].filter(Boolean);
        const listed = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}` : parts[0];
        return parts.length > 0 ? `no ${listed} on ${name}` : null;
      })
      .filter(Boolean);
    out.push(
      'brain.js 1.6.1 rows, the closest models it can express: sigmoid on every layer, the output included (it has one activation for all ' +
        'layers, and a ReLU output is no probability); squared error on independent sigmoid outputs (class = argmax, or p > 0.5) instead of ' +
        'softmax or sigmoid + cross-entropy; one update per sample (batch size 1) and no reshuffle between epochs; weights and biases start ' +
        `uniform in [-0.2, 0.2]; ${missing.join('; ')}. brain.js Adam: its \`praxis: 'adam'\` (learning rate 1e-3), which calls Math.pow ` +
        'twice per weight per step; brain.js SGD: its default SGD with momentum (learning rate 0.3, momentum 0.1).',
    );
  }
  out.push(
    "`@tensorflow/tfjs-node` is not in the table: its install script downloads libtensorflow from Google's storage, which this machine cannot reach " +
      '(and npm 11 skips dependency install scripts unless allowed).',
  );
  out.push(
    "No Python framework is in the table: PyPI is unreachable here, so there is no TensorFlow/Keras; the only PyTorch reachable is Debian 12's " +
      '`python3-torch` 1.13.1, which is not a Node.js library and was not measured.',
  );
  return out;
}

/** Seconds per epoch per system, one log-scale panel per workload. */
export async function chartSvg(run) {
  const panels = run.meta.workloads.map((workload) => {
    const values = run.rows
      .filter((r) => r.workload === workload && r.secondsPerEpoch)
      .map((r) => ({
        system: SYSTEMS[r.system].short,
        seconds: r.secondsPerEpoch,
        how: r.mode === 'full' ? 'trained' : 'extrapolated',
        label: r.system === BASE ? `${seconds(r.secondsPerEpoch)} s` : `${seconds(r.secondsPerEpoch)} s · ${ratio(r.ratio)}`,
      }));
    const min = Math.min(...values.map((v) => v.seconds));
    const max = Math.max(...values.map((v) => v.seconds));
    // A log scale has no zero: bars start at the left edge of the axis instead.
    for (const v of values) v.floor = min / 2;
    return {
      title: { text: `${workload}: ${WORKLOADS[workload].title}`, fontSize: 13 },
      width: 520,
      height: { step: 22 },
      data: { values },
      encoding: {
        y: { field: 'system', type: 'nominal', title: null, sort: null },
        x: {
          field: 'seconds',
          type: 'quantitative',
          title: 'Seconds per epoch (log scale; shorter is faster)',
          // Room on the right for the labels, a little below the fastest bar so it shows.
          scale: { type: 'log', domain: [min / 2, max * 12] },
        },
      },
      layer: [
        {
          mark: { type: 'bar', height: 16 },
          encoding: {
            x2: { field: 'floor' },
            color: {
              field: 'how',
              type: 'nominal',
              title: 'Epoch time',
              scale: { domain: ['trained', 'extrapolated'], range: ['#0969da', '#9ecbff'] },
            },
          },
        },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#1f2328' }, encoding: { text: { field: 'label' } } },
      ],
    };
  });
  const spec = {
    title: {
      text: 'Training speed: densenode and other Node.js trainers',
      subtitle:
        `${run.meta.cpu}, ${run.meta.cores} threads · ${run.meta.date} · × = times densenode native (${run.meta.cores} threads)` +
        (run.meta.smoke ? ` · SMOKE RUN (${run.meta.smoke}), not representative` : ''),
    },
    config: {
      background: 'white',
      font: 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif',
      padding: 16,
      view: { stroke: '#d0d7de' },
      title: { fontSize: 16, fontWeight: 600, anchor: 'start', subtitleFontSize: 12, subtitleColor: '#57606a', offset: 12 },
      axis: {
        labelFontSize: 11,
        titleFontSize: 12,
        titleFontWeight: 600,
        gridColor: '#eaeef2',
        domainColor: '#8c959f',
        tickColor: '#8c959f',
      },
    },
    vconcat: panels,
    spacing: 28,
    resolve: { scale: { x: 'independent', color: 'shared' } },
  };
  return renderSvg(spec);
}
