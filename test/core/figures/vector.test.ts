/**
 * Vector exports (SVG, PDF) of every figure of a LeNet5 run, a sinusoid run and a three-run
 * comparison, at every size: each SVG parses as XML and has the figure's title, axis titles,
 * legend entries and tick labels as `<text>`, a painted path per data series, and no text under
 * 7 pt at print sizes; each PDF has the same texts for poppler's pdftotext, embeds its fonts, and
 * rendered by pdftoppm matches the PNG of the same figure (metric in test/fixtures/vectorChecks).
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../core/contract/runEvent';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import type { ComparisonRun } from '../../../core/figures/comparisonData';
import { comparisonReportLayout } from '../../../core/figures/comparisonReport';
import {
  FIGURE_SIZE_NAMES,
  FIGURE_SIZES,
  pointsPerPixel,
  SMALLEST_PRINT_FONT_PT,
} from '../../../core/figures/figureSizes';
import { figureCsv } from '../../../core/figures/figureData';
import { layoutReportAt, type ReportLayout } from '../../../core/figures/reportLayout';
import { runDataFromEvents } from '../../../core/figures/runData';
import { runReportLayout } from '../../../core/figures/runReport';
import { parseColour } from '../../../core/figures/svgContext';
import type { ChartFigureSpec, FigureSpec } from '../../../core/figures/types';
import { renderReportPng } from '../../../electron/host/figureRenderer';
import { renderFigureFile, renderReportFile } from '../../../electron/host/vectorFigures';
import {
  compareImages,
  pdfFonts,
  pdfText,
  renderPdf,
  summariseSvg,
  type SvgSummary,
} from '../../fixtures/vectorChecks';
import { decodePng } from '../../integration/reportImage';
import { events, run } from './syntheticRun';

const lenet5Layout = runReportLayout({ ...run, id: 'run-1', totalSteps: 30 }, runDataFromEvents(events));

function sinusoidEvents(runId: string, scale: number): RunEvent[] {
  const list: RunEvent[] = [1, 2, 3, 4].map((step) => ({
    type: 'metrics',
    runId,
    step,
    time: step,
    loss: (100 * scale) / step,
    nll: (50 * scale) / step,
    kl: 50,
    klWeight: 1,
    mse: (2 * scale) / step,
  }));
  list.push({
    type: 'regression',
    runId,
    step: 4,
    time: 4,
    grid: [-1, 0, 1],
    mean: [0, scale, 0],
    std: [2, 0.5, 2],
    trueY: [0, 0, 0],
    trainX: [0],
    trainY: [0.5],
    stdRatio: 4,
    rmseInside: 0.4,
    coverageInside: 1,
  });
  return list;
}
const sinusoidConfig = sinusoidPresets[0].config;
const sinusoidLayout = runReportLayout(
  { name: 'sinusoid a', config: { ...sinusoidConfig, seed: 4 } },
  runDataFromEvents(sinusoidEvents('s', 1)),
);
const comparedRuns: ComparisonRun[] = [1, 2, 3].map((seed) => ({
  id: `s${seed}`,
  name: `sinusoid seed ${seed}`,
  config: { ...sinusoidConfig, seed },
  tags: [],
  backend: { name: 'cpu' },
  data: runDataFromEvents(sinusoidEvents(`s${seed}`, seed)),
}));
const comparisonLayout = comparisonReportLayout(comparedRuns, { generatedAt: '2026-11-29T09:00:00.000Z' });

const reports: [string, ReportLayout][] = [
  ['LeNet5 run', lenet5Layout],
  ['sinusoid run', sinusoidLayout],
  ['three-run comparison', comparisonLayout],
];
/** Every figure of the three reports (the report header included), each once. */
const figures = new Map<string, FigureSpec>(
  reports.flatMap(([, layout]) => layout.panels.map((panel) => [`${layout.id}:${panel.spec.id}`, panel.spec] as const)),
);

const texts = (summary: SvgSummary) => summary.texts.map((text) => text.text);
const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

interface ScaleOptions {
  display?: boolean;
  title?: { display?: boolean; text?: string };
}

/** What a chart's SVG must show as text: axis titles and legend entries (the title is checked for every figure). */
function chartTexts(spec: ChartFigureSpec): { axisTitles: string[]; legend: string[] } {
  const scales = (spec.chart.options as { scales?: Record<string, ScaleOptions> }).scales ?? {};
  const axisTitles = Object.values(scales)
    .filter((scale) => scale.display !== false && scale.title?.display && scale.title.text)
    .map((scale) => scale.title!.text!);
  const legendOptions = (
    spec.chart.options as {
      plugins?: {
        legend?: { display?: boolean; labels?: { filter?: (item: { text: string; datasetIndex: number }) => boolean } };
      };
    }
  ).plugins?.legend;
  const legend =
    legendOptions?.display === false
      ? []
      : spec.chart.data.datasets
          .map((dataset, datasetIndex) => ({ text: dataset.label ?? '', datasetIndex }))
          .filter((item) => item.text && (legendOptions?.labels?.filter?.(item) ?? true))
          .map((item) => item.text);
  return { axisTitles, legend };
}

/** The colours a dataset is drawn in (its line, its fill). */
function seriesColours(dataset: { borderColor?: unknown; backgroundColor?: unknown }): string[] {
  return [dataset.borderColor, dataset.backgroundColor]
    .filter((colour): colour is string => typeof colour === 'string')
    .map((colour) => parseColour(colour).colour);
}

/** The figure's title as drawn: whole, on consecutive lines (a narrow export wraps it), or cut with "…" (a report's narrow title band). */
function drawnTitle(spec: FigureSpec, all: string[]): string | undefined {
  if (all.join(' ').includes(spec.title)) return spec.title;
  return all.find((text) => text.endsWith('…') && text.length > 10 && spec.title.startsWith(text.slice(0, -1)));
}

function checkSvg(spec: FigureSpec, svg: string, sizeName: (typeof FIGURE_SIZE_NAMES)[number]): SvgSummary {
  const summary = summariseSvg(svg);
  const all = texts(summary);
  const title = drawnTitle(spec, all);
  expect(
    title,
    `${spec.id} at ${sizeName}: title "${spec.title}" among ${JSON.stringify(all.slice(0, 5))}`,
  ).toBeDefined();
  if (spec.kind === 'chart') {
    const { axisTitles, legend } = chartTexts(spec);
    // An axis title longer than its axis is written on consecutive lines: joined, they are the title.
    const joined = all.join(' ');
    for (const text of axisTitles) expect(joined, `${spec.id} at ${sizeName}`).toContain(text);
    for (const text of legend) expect(all, `${spec.id} at ${sizeName}`).toContain(text);
    // Tick labels: numbers (or category names) along the axes, as text.
    expect(
      all.filter((text) => /^-?[\d.,]+(e[-+]?\d+)?%?$/i.test(text)).length,
      `${spec.id} tick labels`,
    ).toBeGreaterThanOrEqual(3);
    for (const dataset of spec.chart.data.datasets) {
      if ((dataset.data as unknown[]).length < 2) continue;
      const colours = seriesColours(dataset as never);
      const painted = summary.paths.some((path) => colours.includes(path.stroke) || colours.includes(path.fill));
      expect(
        painted,
        `${spec.id} at ${sizeName}: a path for series "${dataset.label}" in ${colours.join(' or ')}`,
      ).toBe(true);
    }
  }
  const size = FIGURE_SIZES[sizeName];
  if (size.widthInches !== null) {
    const smallest = Math.min(...summary.texts.map((text) => text.size)) * pointsPerPixel(size, summary.viewBox[2]);
    expect(smallest, `${spec.id}: smallest text at ${sizeName}`).toBeGreaterThanOrEqual(SMALLEST_PRINT_FONT_PT);
    expect(summary.width).toBe(`${Math.round(size.widthInches * 72 * 100) / 100}pt`);
  }
  // Nothing is rasterized but images that are images: the figures here draw their digits as cells.
  expect(summary.images).toBe(0);
  return summary;
}

/** The PDF's width in points, from its MediaBox. */
function pdfWidth(pdf: Buffer): number {
  const match = /MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf.toString('latin1'));
  if (!match) throw new Error('The PDF has no MediaBox.');
  return Number(match[1]);
}

/** Renders the PDF at the PNG's resolution and compares the two. */
async function compareWithPng(pdf: Buffer, png: Buffer) {
  const image = await decodePng(png);
  const rendered = await renderPdf(pdf, (image.width / pdfWidth(pdf)) * 72);
  return compareImages(image, rendered);
}

describe('SVG export of every figure', () => {
  for (const sizeName of FIGURE_SIZE_NAMES) {
    it(`keeps titles, axis titles, legends and ticks as <text> and every series as a path (${sizeName})`, async () => {
      for (const spec of figures.values())
        checkSvg(
          spec,
          (await renderFigureFile(spec, { format: 'svg', size: FIGURE_SIZES[sizeName] })).toString('utf8'),
          sizeName,
        );
    });
  }
});

describe('PDF export of every figure', { timeout: 120_000 }, () => {
  for (const sizeName of ['screen', 'column'] as const) {
    it(`has the SVG's texts for pdftotext, embedded fonts, and the PNG's layout (${sizeName})`, async () => {
      const size = FIGURE_SIZES[sizeName];
      for (const spec of figures.values()) {
        const [svg, pdf, png] = await Promise.all([
          renderFigureFile(spec, { format: 'svg', size }),
          renderFigureFile(spec, { format: 'pdf', size }),
          renderFigureFile(spec, { format: 'png', size }),
        ]);
        const extracted = normalise(await pdfText(pdf));
        const summary = summariseSvg(svg.toString('utf8'));
        const wanted = spec.kind === 'chart' ? [...chartTexts(spec).axisTitles, ...chartTexts(spec).legend] : [];
        // The title as drawn (a narrow export may end it with "…"), and the chart's labels.
        wanted.push(drawnTitle(spec, texts(summary))!);
        for (const text of wanted) expect(extracted, `${spec.id} at ${sizeName}`).toContain(normalise(text));
        const fonts = await pdfFonts(pdf);
        expect(fonts.length).toBeGreaterThan(0);
        for (const font of fonts) expect(font, `${spec.id}: ${font.name}`).toMatchObject({ embedded: true });
        expect(fonts.map((font) => font.name).join(' ')).toMatch(/DejaVuSans|LiberationSans/);
        const difference = await compareWithPng(pdf, png);
        expect(difference.meanAbsoluteDifference, `${spec.id} at ${sizeName}: mean block difference`).toBeLessThan(6);
        expect(difference.differingBlocks, `${spec.id} at ${sizeName}: differing blocks`).toBeLessThan(0.03);
      }
    });
  }

  it('a figure drawn differently does not pass the comparison (the metric has teeth)', async () => {
    const loss = lenet5Layout.panels.find((panel) => panel.spec.id === 'loss')!.spec as ChartFigureSpec;
    const pdf = await renderFigureFile(loss, { format: 'pdf' });
    // The same chart without its legend: every plot element moves.
    const withoutLegend: ChartFigureSpec = {
      ...loss,
      chart: {
        ...loss.chart,
        options: { ...loss.chart.options, plugins: { ...loss.chart.options?.plugins, legend: { display: false } } },
      },
    };
    const difference = await compareWithPng(pdf, await renderFigureFile(withoutLegend, { format: 'png' }));
    expect(difference.differingBlocks).toBeGreaterThan(0.005);
    expect(difference.meanAbsoluteDifference).toBeGreaterThan(1);
  });
});

describe('reports in every format and size', { timeout: 240_000 }, () => {
  for (const [name, layout] of reports) {
    for (const sizeName of FIGURE_SIZE_NAMES) {
      it(`the ${name} report as PNG, SVG and PDF (${sizeName}); the PDF has the panels' titles as text and the PNG's layout`, async () => {
        const size = FIGURE_SIZES[sizeName];
        const sized = layoutReportAt(layout, size);
        const files: Record<string, Buffer> = {};
        const measurements: string[] = [];
        for (const format of ['png', 'svg', 'pdf'] as const) {
          const started = performance.now();
          files[format] = await renderReportFile(layout, { format, size });
          measurements.push(`${format} ${files[format].length} bytes in ${Math.round(performance.now() - started)} ms`);
        }
        const summary = summariseSvg(files.svg.toString('utf8'));
        expect(summary.viewBox[2]).toBe(sized.width);
        const extracted = normalise(await pdfText(files.pdf));
        for (const panel of sized.panels.slice(1)) {
          const title = drawnTitle(panel.spec, texts(summary));
          expect(title, `${name} at ${sizeName}: panel "${panel.spec.title}"`).toBeDefined();
          expect(extracted).toContain(normalise(title!));
        }
        const png = await decodePng(files.png);
        expect(png.width).toBe(size.widthInches === null ? sized.width * 2 : Math.round(size.widthInches * 300));
        // A print-size PNG carries its 300 dpi (pHYs: 11811 pixels per metre), so documents place it at its width.
        if (size.widthInches !== null)
          expect(files.png.includes(Buffer.from([0, 0, 0x2e, 0x23, 0, 0, 0x2e, 0x23, 1]))).toBe(true);
        // Compared at one pixel per CSS pixel: a tall report at 300 dpi is tens of megapixels.
        const difference = await compareWithPng(files.pdf, await renderReportPng(sized, 1));
        expect(difference.meanAbsoluteDifference, `${name} at ${sizeName}`).toBeLessThan(6);
        expect(difference.differingBlocks, `${name} at ${sizeName}`).toBeLessThan(0.03);
        console.log(
          `${name} report, ${sizeName}: ${measurements.join(', ')}; PDF vs PNG: mean block difference ${difference.meanAbsoluteDifference.toFixed(2)}, differing blocks ${(difference.differingBlocks * 100).toFixed(2)} %`,
        );
      });
    }
  }
});

describe('the numbers behind a figure', () => {
  it('a chart panel gives one CSV row per point of every dataset', () => {
    const loss = lenet5Layout.panels.find((panel) => panel.spec.id === 'loss')!.spec as ChartFigureSpec;
    const lines = figureCsv(loss).trim().split('\n');
    const points = loss.chart.data.datasets.reduce((sum, dataset) => sum + dataset.data.length, 0);
    expect(lines).toHaveLength(points + 1);
    expect(lines[0]).toBe('series,training step,y,y axis');
    expect(lines[1]).toMatch(/^loss = NLL \+ w·ΣKL,1,10,nats \(log scale\)$/);
  });

  it('the predictions panel gives a row per image with its mean probabilities; names that look like formulas are defused', () => {
    const predictions = lenet5Layout.panels.find((panel) => panel.spec.id === 'predictions')!.spec;
    const lines = figureCsv(predictions).trim().split('\n');
    expect(lines[0]).toMatch(/^image,set,true class,predicted class,refused,mean p\(0\),/);
    expect(lines.length).toBeGreaterThan(1);
    const renamed = comparisonReportLayout([{ ...comparedRuns[0], name: '=HYPERLINK("x")' }, comparedRuns[1]]);
    // Every chart that names the runs names this one defused (the methods figures name methods instead).
    const csvs = renamed.panels.flatMap((panel) => (panel.spec.kind === 'chart' ? [figureCsv(panel.spec)] : []));
    expect(csvs.filter((csv) => csv.includes(`"'=HYPERLINK(""x"")"`)).length).toBeGreaterThan(0);
    expect(csvs.filter((csv) => /(^|,)"?=HYPERLINK/m.test(csv))).toEqual([]);
  });
});
