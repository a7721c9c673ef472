/**
 * Draws figure specs and reports onto any 2D context, charts included, without an intermediate
 * image: the vector exports (./svgContext) need every chart drawn straight onto their context, so
 * text stays text and lines stay paths. Chart.js draws on whatever its canvas's `getContext`
 * returns; here that is a view of the target context whose "reset the transform" means "back to
 * where this chart's box starts", since Chart.js resets it before drawing and assumes it owns the
 * canvas. The basic platform (no DOM, no events) is forced, so this runs the same in Node and in
 * the renderer.
 */
import { BasicPlatform, Chart } from 'chart.js';
import { drawCanvasFigureForExport, exportChartConfiguration } from './export';
import { drawReportPage, drawReportPanelTitle, type ReportLayout } from './reportLayout';
import { multiply, type Matrix } from './svgContext';
import type { Canvas2DContext, ChartFigureSpec, FigureSpec } from './types';

/** A context whose transform can be read and set (canvas, @napi-rs/canvas and SvgContext all are). */
export interface DrawingContext extends Canvas2DContext {
  getTransform(): Matrix;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  setTransform(matrix: Matrix): void;
  resetTransform(): void;
}

/**
 * The target context as Chart.js's canvas context: transforms are relative to `base` (the box's
 * origin), and clearing is ignored (the chart shares the page with what is already drawn; its
 * export plugin paints its own white background).
 */
function chartView(ctx: DrawingContext, base: Matrix, canvas: object): DrawingContext {
  const toBase = (m: Matrix) => ctx.setTransform(multiply(base, m));
  return new Proxy(ctx, {
    get(target, property) {
      if (property === 'setTransform') {
        return (a: number | Matrix, b = 0, c = 0, d = 1, e = 0, f = 0) =>
          toBase(typeof a === 'object' ? a : { a, b, c, d, e, f });
      }
      if (property === 'resetTransform') return () => toBase({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 });
      if (property === 'getTransform') {
        // Chart.js's own view of the transform starts at its box's origin.
        return () => {
          const m = target.getTransform();
          const det = base.a * base.d - base.b * base.c;
          const inverse: Matrix = {
            a: base.d / det,
            b: -base.b / det,
            c: -base.c / det,
            d: base.a / det,
            e: (base.c * base.f - base.d * base.e) / det,
            f: (base.b * base.e - base.a * base.f) / det,
          };
          return multiply(inverse, { a: m.a, b: m.b, c: m.c, d: m.d, e: m.e, f: m.f });
        };
      }
      if (property === 'clearRect') return () => {};
      // Chart.js finds its canvas through the context.
      if (property === 'canvas') return canvas;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    set(target, property, value) {
      return Reflect.set(target, property, value, target);
    },
  });
}

/**
 * Draws a chart spec with Chart.js at the context's current origin, `width` × `height` CSS pixels,
 * with or without its title and caption (a report titles its panels itself).
 */
export function drawChartFigure(
  ctx: DrawingContext,
  spec: ChartFigureSpec,
  size: { width: number; height: number; heading: boolean },
): void {
  const base = ctx.getTransform();
  const canvas: { width: number; height: number; style: object; getContext(): DrawingContext } = {
    width: size.width,
    height: size.height,
    style: {},
    getContext: () => view,
  };
  const view = chartView(ctx, { a: base.a, b: base.b, c: base.c, d: base.d, e: base.e, f: base.f }, canvas);
  const configuration = exportChartConfiguration(
    { ...spec, width: size.width, height: size.height },
    { density: 1, heading: size.heading },
  );
  ctx.save();
  // Without animation the constructor draws at once; destroy() only frees the chart (clearing is ignored above).
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, { ...configuration, platform: BasicPlatform });
  // Chart.js reports a context it cannot use on the console and draws nothing; an export must not pass that off as done.
  const drawn = chart.canvas !== null && chart.canvas !== undefined;
  chart.destroy();
  ctx.restore();
  if (!drawn) throw new DrawFigureError(`Chart.js could not draw "${spec.id}" on the export context.`);
}

export class DrawFigureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrawFigureError';
  }
}

/** A figure as exported (title, caption, white background, then the figure) at the context's origin. */
export function drawFigureExport(ctx: DrawingContext, spec: FigureSpec): void {
  if (spec.kind === 'chart') drawChartFigure(ctx, spec, { width: spec.width, height: spec.height, heading: true });
  else drawCanvasFigureForExport(spec, ctx);
}

/** A whole report: the page, then each panel's title band and its figure drawn in place. */
export function drawReport(ctx: DrawingContext, layout: ReportLayout): void {
  drawReportPage(ctx, layout);
  for (const panel of layout.panels) {
    drawReportPanelTitle(ctx, panel);
    const { spec, body } = panel;
    ctx.save();
    ctx.translate(body.x, body.y);
    if (spec.kind === 'chart') drawChartFigure(ctx, spec, { width: body.width, height: body.height, heading: false });
    else spec.draw(ctx, body.width, body.height);
    ctx.restore();
  }
}
