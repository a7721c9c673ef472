/**
 * Reports headless, through the CLI as a user runs it: a short sinusoid run and a short LeNet5 run
 * trained with `train --report --csv`, a comparison with `report --run --compare`, and a 3× report.
 * Each PNG is decoded and checked against the layout it was drawn from (size at the density, not
 * blank, every panel's title and body present); each CSV has a row per step and per evaluation.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonReportLayout } from '../../core/figures/comparisonReport';
import { methodsTables } from '../../core/figures/methodsTable';
import { methodsTableCsv } from '../../core/figures/methodsTableOutputs';
import { runReportLayout } from '../../core/figures/runReport';
import { comparisonRunOf, loadRunFolder } from '../../electron/host/runReports';
import { lastJsonLine, runCli as cli } from '../fixtures/cliProcess';
import { checkReportImage, decodePng } from './reportImage';

let workDir: string;
const runsDir = () => path.join(workDir, 'runs');

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-report-'));
});
afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

async function train(args: string[], name: string): Promise<{ runDir: string; report: string; csv: string }> {
  const report = path.join(workDir, `${name}.png`);
  const csv = path.join(workDir, `${name}.csv`);
  const { code, stdout, stderr } = await cli([
    'train',
    ...args,
    '--backend',
    'wasm',
    '--runs-dir',
    runsDir(),
    '--report',
    report,
    '--csv',
    csv,
    '--json',
  ]);
  expect(code, stderr).toBe(0);
  return { runDir: lastJsonLine(stdout).runDir, report, csv };
}

async function expectRunReport(runDir: string, file: string, density: number, panelIds: string[]): Promise<void> {
  const { record, data } = await loadRunFolder(runDir);
  const layout = runReportLayout(record, data);
  expect(layout.panels.map((panel) => panel.spec.id)).toEqual(panelIds);
  const image = await decodePng(await fs.readFile(file));
  expect(image.width).toBe(1100 * density);
  expect(checkReportImage(image, layout, density)).toEqual([]);
}

function csvRows(text: string, kind: string): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter((cells) => cells[0] === kind);
}

describe('reports and CSV from the CLI', { timeout: 240_000 }, () => {
  let sinusoid: { runDir: string; report: string; csv: string };

  it('train --report writes the sinusoid report: header, loss, predictive band', async () => {
    sinusoid = await train(['--experiment', 'sinusoid', '--epochs', '200', '--seed', '1'], 'sinusoid');
    await expectRunReport(sinusoid.runDir, sinusoid.report, 2, ['report-header', 'loss', 'predictive']);
    const csv = await fs.readFile(sinusoid.csv, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^kind,step,loss,nll,kl,kl_weight,/);
    expect(csvRows(csv, 'train')).toHaveLength(200);
    expect(csvRows(csv, 'regression')).toHaveLength(1);
  });

  it('train --report writes the LeNet5 report in the walkthrough order', async () => {
    const lenet5 = await train(['--experiment', 'lenet5', '--steps', '120'], 'lenet5');
    await expectRunReport(lenet5.runDir, lenet5.report, 2, [
      'report-header',
      'loss',
      'heldout',
      'ece',
      'reliability',
      'refusal',
      'posterior-mu',
      'posterior-sigma',
      'predictions',
    ]);
    const csv = await fs.readFile(lenet5.csv, 'utf8');
    expect(csvRows(csv, 'train')).toHaveLength(120);
    const evaluations = csvRows(csv, 'heldout');
    expect(evaluations).toHaveLength(1);
    expect(Number(evaluations[0][1])).toBe(120);
  });

  it('report --compare draws the comparison (curves, config diff, metric table) and --density 3 triples the pixels', async () => {
    const second = await train(['--experiment', 'sinusoid', '--epochs', '150', '--seed', '2'], 'sinusoid-2');
    const out = path.join(workDir, 'comparison.png');
    const compared = await cli([
      'report',
      '--run',
      sinusoid.runDir,
      '--compare',
      second.runDir,
      '--out',
      out,
      '--csv',
      path.join(workDir, 'comparison.csv'),
      '--methods-csv',
      path.join(workDir, 'methods.csv'),
    ]);
    expect(compared.code, compared.stderr).toBe(0);
    const runs = (await Promise.all([loadRunFolder(sinusoid.runDir), loadRunFolder(second.runDir)])).map(
      comparisonRunOf,
    );
    // The methods table as the report groups it (by configuration but the seed): 200 and 150 epochs are two rows.
    const methodsCsv = await fs.readFile(path.join(workDir, 'methods.csv'), 'utf8');
    expect(methodsCsv).toBe(methodsTableCsv(methodsTables(runs, { grouping: 'config' })[0]));
    const [header, ...rows] = methodsCsv.trim().split('\n');
    expect(header).toMatch(/^task,row,method,runs,run_ids,std_ratio,std_ratio_std,/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^regression,.*,Mean-field VI,1,/);
    const alone = await cli(['report', '--run', sinusoid.runDir, '--methods-csv', path.join(workDir, 'one.csv')]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toMatch(/A methods table compares runs; add --compare/);
    const layout = comparisonReportLayout(runs);
    const ids = layout.panels.map((panel) => panel.spec.id);
    expect(ids[0]).toBe('report-header');
    expect(ids).toEqual(expect.arrayContaining(['compare-loss', 'compare-nll', 'compare-kl']));
    expect(checkReportImage(await decodePng(await fs.readFile(out)), layout, 2)).toEqual([]);

    const print = path.join(workDir, 'sinusoid-3x.png');
    const tripled = await cli(['report', '--run', sinusoid.runDir, '--out', print, '--density', '3']);
    expect(tripled.code, tripled.stderr).toBe(0);
    await expectRunReport(sinusoid.runDir, print, 3, ['report-header', 'loss', 'predictive']);
  });

  it('report --figure writes one figure as SVG or PDF at a print size; an unknown name lists the figures', async () => {
    const svgFile = path.join(workDir, 'loss-column.svg');
    const svg = await cli([
      'report',
      '--run',
      sinusoid.runDir,
      '--figure',
      'loss',
      '--size',
      'column',
      '--out',
      svgFile,
    ]);
    expect(svg.code, svg.stderr).toBe(0);
    const text = await fs.readFile(svgFile, 'utf8');
    expect(text).toMatch(/^<svg [^>]*width="252pt"/);
    expect(text).toContain('>Training loss per step</text>');
    const pdfFile = path.join(workDir, 'report-slide.pdf');
    const pdf = await cli(['report', '--run', sinusoid.runDir, '--size', 'slide', '--out', pdfFile]);
    expect(pdf.code, pdf.stderr).toBe(0);
    expect((await fs.readFile(pdfFile)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const unknown = await cli([
      'report',
      '--run',
      sinusoid.runDir,
      '--figure',
      'losses',
      '--out',
      path.join(workDir, 'x.svg'),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'This report has no figure "losses"; its figures are: report-header, loss, predictive.',
    );
    const size = await cli([
      'report',
      '--run',
      sinusoid.runDir,
      '--size',
      'poster',
      '--out',
      path.join(workDir, 'x.pdf'),
    ]);
    expect(size.code).not.toBe(0);
    expect(size.stderr).toContain('"poster" is not a figure size; use one of screen, column, page, slide.');
  });

  it('refuses a wrong density, a wrong extension and a missing run with a clear message', async () => {
    const density = await cli([
      'report',
      '--run',
      sinusoid.runDir,
      '--out',
      path.join(workDir, 'x.png'),
      '--density',
      '5',
    ]);
    expect(density.code).not.toBe(0);
    expect(density.stderr).toContain('"5" is not a supported density; use 2 or 3.');
    const extension = await cli(['report', '--run', sinusoid.runDir, '--out', path.join(workDir, 'x.jpg')]);
    expect(extension.code).toBe(1);
    expect(extension.stderr).toContain("The report's format comes from its file name: name it *.png, *.svg or *.pdf");
    const missing = await cli([
      'report',
      '--run',
      path.join(runsDir(), 'no-such-run'),
      '--out',
      path.join(workDir, 'x.png'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('There is no run "no-such-run"');
  });
});
