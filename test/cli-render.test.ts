// The CLI's renderers: SVG charts (vega-lite), the HTML report and the terminal
// charts. Pure rendering, so the same under either backend; one test trains a
// tiny model to render a real History.
import { readdirSync, readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { confusionMatrixSvg, learningCurvesSvg } from '../lib/cli/plot.js';
import { classMetrics, escapeHtml, macroAverage, type ReportInput, reportHtml, scopeIds } from '../lib/cli/report.js';
import { lossChart, sparkline } from '../lib/cli/terminal-chart.js';
import * as dn from '../lib/index.js';
import type { EpochLogs, History } from '../lib/train.js';
import { xor } from './helpers/datasets.js';

const HOSTILE = '<script>alert(1)</script>';

function fakeHistory(epochs: number, options: { start?: number; rate?: number; accuracy?: boolean; validation?: boolean } = {}): History {
  const { start = 2, rate = 0.1, accuracy = true, validation = true } = options;
  const logs: EpochLogs[] = Array.from({ length: epochs }, (_, epoch) => {
    const loss = start * Math.exp(-rate * epoch);
    const e: EpochLogs = { epoch, loss, dataLoss: loss, l2Loss: 0, learningRate: 0.01, seconds: 0.25, samplesPerSecond: 4000 };
    if (validation) e.valLoss = loss * 1.2;
    if (accuracy) e.accuracy = 1 - loss / (2 * start);
    if (accuracy && validation) e.valAccuracy = 0.95 - loss / (2 * start);
    return e;
  });
  return { epochs: logs, history: {}, stopReason: 'completed' };
}

/** The text of every <text> element, entities decoded as a browser would. */
function texts(svg: string): string[] {
  return Array.from(svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g), (m) =>
    (m[1] as string)
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

function expectSelfContainedSvg(svg: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toMatch(/<rect width="[\d.]+" height="[\d.]+" fill="white"\/>/);
  // The only URLs are XML namespace names, which are never fetched.
  for (const url of svg.match(/https?:\/\/[^"'\s)]+/g) ?? []) expect(url).toMatch(/^http:\/\/www\.w3\.org\//);
  expect(svg).not.toMatch(/<image|@import|@font-face|<script/i);
  const width = Number(/^<svg[^>]* width="([\d.]+)"/.exec(svg)?.[1]);
  expect(width).toBeGreaterThan(500);
  expect(width).toBeLessThan(950);
}

describe('learningCurvesSvg', () => {
  it('draws one run: loss and accuracy panels with titled axes, no colour legend', async () => {
    const svg = await learningCurvesSvg([{ name: 'iris-mlp', history: fakeHistory(20) }]);
    expectSelfContainedSvg(svg);
    const t = texts(svg);
    for (const label of ['Learning curves', 'iris-mlp', 'Epoch', 'Loss', 'Accuracy', 'training', 'validation']) expect(t).toContain(label);
    expect(t).not.toContain('Run');
    // Epochs are shown 1-based: the axis of a 20-epoch run ends at 20, never shows 0.
    expect(t).toContain('20');
    expect(t.filter((s) => s === '0')).toHaveLength(0);
  });

  it('overlays ten runs in ten distinct tableau10 colours with a legend naming each', async () => {
    const runs = Array.from({ length: 10 }, (_, i) => ({
      name: `run ${i} lr=${(i + 1) / 1000}`,
      history: fakeHistory(10 + i, { rate: 0.05 + i / 50 }),
    }));
    const svg = await learningCurvesSvg(runs, { title: 'Sweep' });
    expectSelfContainedSvg(svg);
    const t = texts(svg);
    for (const r of runs) expect(t).toContain(r.name);
    expect(t).toContain('Sweep');
    expect(t).toContain('Run');
    const strokes = new Set(Array.from(svg.matchAll(/stroke="(#[0-9a-f]{6})"/g), (m) => m[1]));
    for (const c of ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'])
      expect(strokes).toContain(c);
  });

  it('switches the loss axis to log scale only past two decades', async () => {
    const wide = texts(await learningCurvesSvg([{ name: 'a', history: fakeHistory(60, { start: 2, rate: 0.15 }) }]));
    expect(wide).toContain('Loss (log scale)');
    const narrow = texts(await learningCurvesSvg([{ name: 'a', history: fakeHistory(60, { start: 2, rate: 0.05 }) }]));
    expect(narrow).toContain('Loss');
    expect(narrow).not.toContain('Loss (log scale)');
  });

  it('drops the accuracy panel and the split key when there is nothing to put in them', async () => {
    const t = texts(await learningCurvesSvg([{ name: 'regression', history: fakeHistory(5, { accuracy: false, validation: false }) }]));
    expect(t).toContain('Loss');
    expect(t).not.toContain('Accuracy');
    expect(t).not.toContain('validation');
  });

  it('survives NaN and Infinity (a diverged run), empty histories, duplicate and hostile names', async () => {
    const diverged = fakeHistory(6);
    (diverged.epochs[4] as EpochLogs).loss = Number.NaN;
    (diverged.epochs[5] as EpochLogs).valLoss = Number.POSITIVE_INFINITY;
    diverged.stopReason = 'diverged';
    const svg = await learningCurvesSvg([
      { name: 'same', history: diverged },
      { name: 'same', history: fakeHistory(3) },
      { name: 'empty', history: { epochs: [], history: {}, stopReason: 'aborted' } },
      { name: '<i>&</i>', history: fakeHistory(2) },
    ]);
    expectSelfContainedSvg(svg);
    const t = texts(svg);
    expect(t).toContain('same');
    expect(t).toContain('same (2)');
    expect(t).toContain('<i>&</i>');
    expect(svg).not.toContain('<i>');
    expect(t.join(' ')).not.toMatch(/NaN|Infinity/);
  });

  it('renders the History of a real (tiny) training run', async () => {
    const net = dn.mlp([2, 4, 1], { seed: 1 });
    const history = await net.fit(xor.x, xor.y, { epochs: 8, batchSize: 4, validationData: [xor.x, xor.y] });
    const svg = await learningCurvesSvg([{ name: 'xor', history }]);
    expectSelfContainedSvg(svg);
    expect(texts(svg)).toEqual(expect.arrayContaining(['xor', 'Loss', 'Accuracy', 'validation', '8']));
  });
});

describe('vega stays out of `import densenode`', () => {
  it('is imported dynamically, and only under lib/cli', () => {
    const files = readdirSync(new URL('../lib', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const users = files.filter((f) => /['"]vega(-lite)?['"]/.test(readFileSync(new URL(`../lib/${f}`, import.meta.url), 'utf8')));
    expect(users).toEqual(['cli/plot.ts']);
    const plot = readFileSync(new URL('../lib/cli/plot.ts', import.meta.url), 'utf8');
    // Type-only imports are erased; any other import of vega would load 25 MB with the module.
    expect(plot).not.toMatch(/^import(?! type )[^;]*from 'vega(-lite)?'/m);
    expect(plot).toMatch(/await Promise\.all\(\[import\('vega'\), import\('vega-lite'\)\]\)/);
    expect(readFileSync(new URL('../lib/index.ts', import.meta.url), 'utf8')).not.toContain('/cli/');
  });
});

describe('confusionMatrixSvg', () => {
  const classes = ['setosa', 'versicolor', 'virginica'];
  const matrix = [
    [50, 2, 0],
    [3, 45, 7],
    [0, 4, 60],
  ];

  it('labels rows and columns with the class names and prints every count', async () => {
    const svg = await confusionMatrixSvg(matrix, classes);
    expectSelfContainedSvg(svg);
    const t = texts(svg);
    for (const label of ['Confusion matrix', 'True class', 'Predicted class', ...classes]) expect(t).toContain(label);
    for (const count of matrix.flat()) expect(t).toContain(String(count));
  });

  it('writes white on dark cells and near-black on light ones', async () => {
    const svg = await confusionMatrixSvg(matrix, classes);
    const fillOf = (count: number) => new RegExp(`<text[^>]*fill="([^"]+)"[^>]*>${count}</text>`).exec(svg)?.[1];
    expect(fillOf(50)).toBe('white'); // 96% of its row: the darkest blue
    expect(fillOf(7)).toBe('#1f2328'); // 13% of its row: pale
  });

  it('stays valid and complete with 20 classes and with a hostile class name', async () => {
    const many = Array.from({ length: 20 }, (_, i) => `class_${i}`);
    const m = many.map((_, i) => many.map((_, j) => (i === j ? 90 : (i + j) % 4)));
    const svg = await confusionMatrixSvg(m, many);
    expectSelfContainedSvg(svg);
    for (const c of many) expect(texts(svg)).toContain(c);
    const hostile = await confusionMatrixSvg(
      [
        [1, 0],
        [0, 1],
      ],
      ['ok', HOSTILE],
    );
    expectSelfContainedSvg(hostile);
    expect(hostile).toContain('&lt;script');
  });

  it('rejects a matrix that does not match the classes', async () => {
    await expect(confusionMatrixSvg([[1, 2]], ['a', 'b'])).rejects.toThrow(RangeError);
    await expect(confusionMatrixSvg([[1]], [])).rejects.toThrow(RangeError);
    await expect(
      confusionMatrixSvg(
        [
          [1, 0],
          [0, 1],
        ],
        ['a', 'a'],
      ),
    ).rejects.toThrow(/unique/);
  });
});

describe('classMetrics', () => {
  it('matches hand-computed precision, recall and F1', () => {
    // Columns sum to 7, 4, 5 (predicted), rows to 6, 6, 4 (support).
    const metrics = classMetrics([
      [5, 1, 0],
      [2, 3, 1],
      [0, 0, 4],
    ]);
    const expected = [
      { precision: 5 / 7, recall: 5 / 6, f1: 10 / 13, support: 6 },
      { precision: 3 / 4, recall: 3 / 6, f1: 6 / 10, support: 6 },
      { precision: 4 / 5, recall: 1, f1: 8 / 9, support: 4 },
    ];
    metrics.forEach((m, i) => {
      const e = expected[i]!;
      expect(m.precision).toBeCloseTo(e.precision, 12);
      expect(m.recall).toBeCloseTo(e.recall, 12);
      expect(m.f1).toBeCloseTo(e.f1, 12);
      expect(m.support).toBe(e.support);
      expect(m.f1).toBeCloseTo((2 * m.precision * m.recall) / (m.precision + m.recall), 12);
    });
    const macro = macroAverage(metrics);
    expect(macro.precision).toBeCloseTo((5 / 7 + 3 / 4 + 4 / 5) / 3, 12);
    expect(macro.recall).toBeCloseTo((5 / 6 + 1 / 2 + 1) / 3, 12);
    expect(macro.f1).toBeCloseTo((10 / 13 + 6 / 10 + 8 / 9) / 3, 12);
  });

  it('leaves undefined ratios NaN, F1 0 for a class never predicted, and averages the defined ones', () => {
    // Class 0 is never predicted; class 1 never occurs nor is predicted.
    const [never, absent, c] = classMetrics([
      [0, 0, 2],
      [0, 0, 0],
      [0, 0, 3],
    ]);
    expect(never).toEqual({ precision: Number.NaN, recall: 0, f1: 0, support: 2 });
    expect(absent).toEqual({ precision: Number.NaN, recall: Number.NaN, f1: Number.NaN, support: 0 });
    expect(c).toEqual({ precision: 3 / 5, recall: 1, f1: 6 / 8, support: 3 });
    const macro = macroAverage([never!, absent!, c!]);
    expect(macro.precision).toBeCloseTo(0.6, 12);
    expect(macro.recall).toBeCloseTo(0.5, 12);
    expect(macro.f1).toBeCloseTo(0.375, 12);
    expect(classMetrics([])).toEqual([]);
    expect(() => classMetrics([[1, 2], [3]])).toThrow(RangeError);
  });
});

describe('reportHtml', () => {
  const classes = ['cat', 'dog', HOSTILE];
  const matrix = [
    [5, 1, 0],
    [2, 3, 1],
    [0, 0, 4],
  ];
  const base = async (): Promise<ReportInput> => ({
    title: 'Run <1> & "friends"',
    command: `densenode train data.csv --out 'runs/<x>'`,
    options: { epochs: 20, layers: [16, 8], optimizer: 'adam', out: `runs/${HOSTILE}`, unset: undefined, big: 10n },
    history: { ...fakeHistory(12), stopReason: 'earlyStopping' },
    metrics: [
      { split: 'train', loss: 0.0712, accuracy: 0.97333 },
      { split: 'validation', loss: 0.09351, accuracy: 0.958 },
      { split: 'test', loss: 0.1021 },
    ],
    confusion: { matrix, classes },
    curvesSvg: await learningCurvesSvg([{ name: 'run', history: fakeHistory(12) }]),
    confusionSvg: await confusionMatrixSvg(matrix, classes),
    modelSummary: 'dense (2 → 4)\n<relu>',
    createdAt: '2025-11-26T05:40:12.000Z',
  });

  it('is one well-formed, self-contained document with both charts inline', async () => {
    const html = reportHtml(await base());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(XMLValidator.validate(html)).toBe(true);
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(\s*['"]?(https?:|\/\/)/i);
    for (const url of html.match(/https?:\/\/[^"'\s)]+/g) ?? []) expect(url).toMatch(/^http:\/\/www\.w3\.org\//);
    // vega numbers ids per process; inlined together they must not collide.
    const ids = Array.from(html.matchAll(/\sid="([^"]+)"/g), (m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes every string that comes from data', async () => {
    const html = reportHtml(await base());
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<title>Run &#60;1&#62; &#38; &#34;friends&#34;</title>');
    expect(html).toContain('runs/&#60;x&#62;');
    expect(html).toContain('&#60;relu&#62;');
  });

  it('shows metrics, per-class figures, the confusion table, options and the run summary', async () => {
    const html = reportHtml(await base());
    const text = html.replace(/<svg[\s\S]*?<\/svg>/g, '').replace(/<[^>]+>/g, ' ');
    for (const s of ['0.0712', '97.33%', '0.0935', '95.80%', '0.1021', 'test']) expect(text).toContain(s);
    // cat: precision 5/7, recall 5/6, F1 10/13; macro F1 (10/13 + 0.6 + 8/9) / 3.
    for (const s of ['0.714', '0.833', '0.769', '0.600', '0.889', '0.753', 'Macro average']) expect(text).toContain(s);
    expect(html).toMatch(/<td class="num diag">5<\/td>/);
    expect(text).toContain('rows are true classes, columns predicted classes');
    for (const s of ['epochs', '20', '[16,8]', 'adam', 'big', '10']) expect(text).toContain(s);
    expect(text).not.toContain('unset');
    for (const s of ['Early stopping', '12', '3.00 s', '2025-11-26 05:40 UTC', 'dense (2 → 4)']) expect(text).toContain(s);
    expect(html).toContain('datetime="2025-11-26T05:40:12.000Z"');
  });

  it('omits the confusion sections without a confusion matrix, and refuses markup that is not SVG', async () => {
    const input = await base();
    const html = reportHtml({ ...input, confusion: undefined, confusionSvg: undefined, modelSummary: undefined, createdAt: 'yesterday' });
    expect(XMLValidator.validate(html)).toBe(true);
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).not.toContain('Confusion matrix');
    expect(html).not.toContain('Per-class');
    expect(html).not.toContain('<pre>');
    expect(html).toContain('>yesterday</time>');
    expect(() => reportHtml({ ...input, curvesSvg: '<div>not a chart</div>' })).toThrow(TypeError);
  });

  it('scopes SVG ids and their references, and nothing else', () => {
    const svg = '<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/><use href="#clip1"/><a href="#elsewhere"/></svg>';
    expect(scopeIds(svg, 'p')).toBe(
      '<svg><clipPath id="p-clip1"/><g clip-path="url(#p-clip1)"/><use href="#p-clip1"/><a href="#elsewhere"/></svg>',
    );
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('lossChart', () => {
  const decay = Array.from({ length: 200 }, (_, i) => 2 * Math.exp(-i / 30) + 0.05);

  it('plots `height` rows at most `width` points wide, with a summary line', () => {
    const lines = lossChart(decay).split('\n');
    expect(lines).toHaveLength(9);
    // 10-character labels, a space and the axis, then the points. 2·e^(−199/30) + 0.05 = 0.05263.
    for (const line of lines.slice(0, -1)) expect([...line].length).toBeLessThanOrEqual(12 + 60);
    expect(lines[0]).toMatch(/^\s*2\.05 ┼/);
    expect(lines[7]).toMatch(/^\s*0\.05 ┤/);
    expect(lines[8]).toBe('loss 2.05 → 0.05263  (best 0.05263 at epoch 200, 200 epochs)');
    const small = lossChart(decay, { height: 4, width: 20 }).split('\n');
    expect(small).toHaveLength(5);
    for (const line of small.slice(0, -1)) expect([...line].length).toBeLessThanOrEqual(12 + 20);
  });

  it('handles empty, single, constant and non-finite input without throwing', () => {
    expect(lossChart([])).toBe('loss: no finite values to plot');
    expect(lossChart([Number.NaN, Number.POSITIVE_INFINITY])).toBe('loss: no finite values to plot');
    const single = lossChart([0.5]).split('\n');
    expect(single[7]).toMatch(/^\s*0\.5000 ┼$/);
    expect(single[8]).toBe('loss 0.5 → 0.5  (best 0.5 at epoch 1, 1 epoch)');
    const flat = lossChart([1, 1, 1]).split('\n');
    expect(flat[7]).toMatch(/^\s*1\.000 ┼──$/);
    const gaps = lossChart([Number.NaN, 0.3, 0.2, Number.NEGATIVE_INFINITY, 0.1], { height: 4 });
    expect(gaps).not.toMatch(/NaN|Infinity/);
    expect(gaps.split('\n').at(-1)).toBe('loss 0.3 → 0.1  (best 0.1 at epoch 5, 5 epochs)');
    expect(lossChart([1e-5, 1e-6], { height: 3 }).split('\n')[0]).toMatch(/^\s*1\.00e-5 ┼/);
  });
});

describe('sparkline', () => {
  it('maps the minimum to ▁ and the maximum to █', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([8, 1, 8])).toBe('█▁█');
  });

  it('handles empty, single, constant and non-finite input', () => {
    expect(sparkline([])).toBe('');
    expect(sparkline([Number.NaN])).toBe('');
    expect(sparkline([5])).toBe('▄');
    expect(sparkline([2, 2, 2])).toBe('▄▄▄');
    expect(sparkline([0, Number.NaN, 1, Number.POSITIVE_INFINITY])).toBe('▁█');
  });

  it('resamples long series to at most `width` characters by bucket means', () => {
    expect([...sparkline(decaying(500))]).toHaveLength(40);
    expect(sparkline([0, 0, 8, 8], 2)).toBe('▁█');
    expect(sparkline([0, 2, 6, 8, 1, 3], 3)).toBe('▁█▂');
  });
});

function decaying(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.exp(-i / 50));
}
