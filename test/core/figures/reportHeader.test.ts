/**
 * Report headers at every size: read back from the report's SVG, every text of the header (and the
 * footer) is whole — no "…", each configuration value and metric present in full — and its
 * measured extent (DejaVu Sans, as @napi-rs/canvas measures it) lies inside the header's box on
 * the page and overlaps no other text. A header that kept its tables side by side at column width
 * fails all three: its cells were cut, or, drawn whole, they would run into the next table.
 */
import { Canvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import type { ComparisonRun } from '../../../core/figures/comparisonData';
import { comparisonReportLayout, configDiffTable, metricTable } from '../../../core/figures/comparisonReport';
import { FIGURE_SIZE_NAMES, FIGURE_SIZES } from '../../../core/figures/figureSizes';
import { layoutReport, layoutReportAt, type ReportLayout } from '../../../core/figures/reportLayout';
import { arrangeTables, type TextTable } from '../../../core/figures/reportTables';
import { runDataFromEvents } from '../../../core/figures/runData';
import { configRows, finalMetricRows, runReportLayout } from '../../../core/figures/runReport';
import { setUpHeadlessFigures } from '../../../electron/host/figureRenderer';
import { renderReportSvg } from '../../../electron/host/vectorFigures';
import { summariseSvg, type SvgText } from '../../fixtures/vectorChecks';
import { events, heldout, metrics, run } from './syntheticRun';

setUpHeadlessFigures();
const measurer = new Canvas(1, 1).getContext('2d');

interface Box {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Where a `<text>` is drawn: its anchor, its width (squeezed by the matrix), its glyphs' ascent and descent. */
function extent(text: SvgText): Box {
  const [a, b, c, , e, f] = text.matrix;
  expect(b === 0 && c === 0, `"${text.text}" is not rotated`).toBe(true);
  measurer.font = `${text.fontWeight} ${text.fontSize}px 'Workbench Sans'`;
  measurer.textBaseline = 'alphabetic';
  const metrics = measurer.measureText(text.text);
  const width = metrics.width * a;
  const left = text.anchor === 'middle' ? e - width / 2 : text.anchor === 'end' ? e - width : e;
  return {
    text: text.text,
    left,
    right: left + width,
    top: f - metrics.actualBoundingBoxAscent,
    bottom: f + metrics.actualBoundingBoxDescent,
  };
}

const overlap = (p: Box, q: Box) =>
  p.left < q.right - 0.5 && q.left < p.right - 0.5 && p.top < q.bottom - 0.5 && q.top < p.bottom - 0.5;

/** Letters and digits only: a wrapped cell read back line by line is the cell. */
const squash = (text: string) => text.replace(/[\s\u00a0]+/g, '');

/** The header alone on a page (its layout at `size`), as drawn into an SVG and read back. */
function headerOnPage(layout: ReportLayout, sizeName: (typeof FIGURE_SIZE_NAMES)[number]) {
  const size = FIGURE_SIZES[sizeName];
  const page = layoutReportAt(layoutReport({ ...layout.input, rows: [] }), size);
  const summary = summariseSvg(renderReportSvg(page, size));
  return { page, boxes: summary.texts.map(extent) };
}

function checkHeader(layout: ReportLayout, sizeName: (typeof FIGURE_SIZE_NAMES)[number], wanted: string[]): void {
  const { page, boxes } = headerOnPage(layout, sizeName);
  const body = page.panels[0].body;
  const where = `${layout.id} at ${sizeName}`;
  for (const box of boxes) {
    expect(box.text.endsWith('…'), `${where}: "${box.text}" is cut`).toBe(false);
    // Inside the page's content width (the header's and the footer's), and on the page.
    expect(box.left, `${where}: "${box.text}" starts left of the page's margin`).toBeGreaterThanOrEqual(body.x - 0.5);
    expect(box.right, `${where}: "${box.text}" runs past the page's margin`).toBeLessThanOrEqual(
      body.x + body.width + 0.5,
    );
    expect(box.top).toBeGreaterThanOrEqual(0);
    expect(box.bottom).toBeLessThanOrEqual(page.height);
  }
  // The header's texts lie in its box; the rest is the footer, below it.
  const inHeader = boxes.filter((box) => box.top < body.y + body.height);
  for (const box of inHeader)
    expect(box.bottom, `${where}: "${box.text}" runs below the header`).toBeLessThanOrEqual(body.y + body.height + 0.5);
  for (let i = 0; i < boxes.length; i += 1)
    for (let j = i + 1; j < boxes.length; j += 1)
      expect(overlap(boxes[i], boxes[j]), `${where}: "${boxes[i].text}" overlaps "${boxes[j].text}"`).toBe(false);
  const drawn = squash(boxes.map((box) => box.text).join(''));
  for (const text of wanted) expect(drawn, `${where}: "${text}" drawn whole`).toContain(squash(text));
}

// A run whose name, dataset folder and backend are longer than a column is wide.
const longRun = {
  id: '20261129-114950-lenet5-5bd8',
  name: 'LeNet5 Flipout, Fashion-MNIST from my own IDX folder, prior scale 0.1, seed 12345',
  config: lenet5ConfigSchema.parse({
    experiment: 'lenet5',
    steps: 30,
    evalEvery: 10,
    evalDraws: 2,
    dataset: 'idx:/home/researcher/datasets/fashion-mnist-relabelled-2026/idx-files',
  }),
  backend: { name: 'tensorflow', device: 'NVIDIA GeForce RTX 4090 Laptop GPU (CUDA 12.4, driver 550.54)' },
  state: 'completed' as const,
  createdAt: '2026-11-29T11:49:50.000Z',
  totalSteps: 30,
};
const longData = runDataFromEvents([...events, metrics(30), heldout(30, -0.25, 0.9)]);
const runLayout = runReportLayout(longRun, longData, {
  generatedAt: '2026-11-29T12:00:00.000Z',
  generator: 'Bayesian Workbench 0.1.0',
});

const sinusoidConfig = sinusoidPresets[0].config;
const comparedRuns: ComparisonRun[] = [1, 2, 3].map((seed) => ({
  id: `20261129-12000${seed}-sinusoid-abcd`,
  name: `sinusoid with a trainable prior and a long descriptive name, seed ${seed}`,
  config: { ...sinusoidConfig, seed, learningRate: 0.001 * seed },
  tags: [],
  backend: { name: 'wasm' },
  data: runDataFromEvents(
    [1, 2, 3, 4].map((step) => ({
      type: 'metrics',
      runId: `s${seed}`,
      step,
      time: step,
      loss: (100 * seed) / step,
      nll: (50 * seed) / step,
      kl: 50,
      klWeight: 1,
      mse: (2 * seed) / step,
    })),
  ),
}));
const comparisonLayout = comparisonReportLayout(comparedRuns, { generatedAt: '2026-11-29T12:00:00.000Z' });

const cells = (table: TextTable) => [...(table.columns ?? []), ...table.rows.flat()];

describe('report headers are never clipped', () => {
  for (const sizeName of FIGURE_SIZE_NAMES) {
    it(`the run report's header at ${sizeName}: every text whole, inside the header, overlapping none`, () => {
      checkHeader(runLayout, sizeName, [
        longRun.name,
        longRun.backend.device,
        ...configRows(longRun).flat(),
        ...finalMetricRows(longRun, longData).flat(),
      ]);
    });

    it(`the comparison report's header at ${sizeName}: every text whole, inside the header, overlapping none`, () => {
      checkHeader(comparisonLayout, sizeName, [
        ...cells(configDiffTable(comparedRuns)),
        ...cells(metricTable(comparedRuns)),
      ]);
    });
  }

  it('sets tables side by side where that is shortest and stacks them where it is not', () => {
    const wide: TextTable = { heading: 'wide', rows: [['a setting with a long name', 'and a long value too']] };
    const narrow: TextTable = { heading: 'n', rows: [['k', 'v']] };
    const arrangements = [
      [
        { share: 0.5, tables: [wide] },
        { share: 0.5, tables: [narrow] },
      ],
      [{ share: 1, tables: [wide, narrow] }],
    ];
    const roomy = arrangeTables(arrangements, 800);
    expect(roomy.tables.map((placed) => placed.y)).toEqual([0, 0]);
    const tight = arrangeTables(arrangements, 160);
    expect(tight.tables.map((placed) => placed.x)).toEqual([0, 0]);
    expect(tight.tables[1].y).toBeGreaterThan(tight.tables[0].y);
  });

  it("the run report's tables stand side by side on screen and are stacked at column width", () => {
    const headingX = (sizeName: 'screen' | 'column', heading: string) => {
      const size = FIGURE_SIZES[sizeName];
      const header = layoutReport({ ...runReportLayout(run, runDataFromEvents(events)).input, rows: [] });
      const svg = renderReportSvg(layoutReportAt(header, size), size);
      return summariseSvg(svg).texts.find((text) => text.text === heading)!.matrix[4];
    };
    expect(headingX('screen', 'Final metrics')).toBeGreaterThan(headingX('screen', 'Configuration') + 300);
    expect(headingX('column', 'Final metrics')).toBe(headingX('column', 'Configuration'));
  });
});
