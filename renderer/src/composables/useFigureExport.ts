/**
 * The one export mechanism of every figure panel: BaseFigurePanel (and so every panel built on
 * BaseFigureChart and BaseFigureCanvas — run, comparison and OOD figures alike) saves PNG, SVG
 * and PDF, copies the PNG and saves the figure's numbers as CSV through these functions. What they
 * do is provided by the app (App.vue: the exports store, with the chosen size and density and the
 * save dialog or download); Base components stay store-free, and without a provider (tests,
 * harnesses) they save at screen size and 2× directly.
 */
import { inject, type InjectionKey } from 'vue';
import { figureCsv } from '../../../core/figures/figureData';
import { FIGURE_SIZES } from '../../../core/figures/figureSizes';
import type { FigureSpec } from '../../../core/figures/types';
import { copyFigurePng, figureFileName, MIME_TYPES, renderFigureFile, type FigureFormat } from '../util/exportFigure';
import { safeFileName, saveBytes } from '../util/saveBytes';

export interface FigureExports {
  save(spec: FigureSpec, name: string, format: FigureFormat): Promise<unknown>;
  copy(spec: FigureSpec): Promise<unknown>;
  csv(spec: FigureSpec, name: string): Promise<unknown>;
}

export const figureExportsKey: InjectionKey<FigureExports> = Symbol('figureExports');

const direct: FigureExports = {
  save: async (spec, name, format) =>
    saveBytes(
      figureFileName(spec, name, format, FIGURE_SIZES.screen),
      await renderFigureFile(spec, format, FIGURE_SIZES.screen),
      MIME_TYPES[format],
    ),
  copy: (spec) => copyFigurePng(spec, FIGURE_SIZES.screen),
  csv: (spec, name) =>
    saveBytes(`${safeFileName(name)}-${spec.id}.csv`, new TextEncoder().encode(figureCsv(spec)), 'text/csv'),
};

export function useFigureExport(): FigureExports {
  return inject(figureExportsKey, direct);
}
