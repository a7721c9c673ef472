/**
 * The one export mechanism of every figure panel: BaseFigureChart and BaseFigureCanvas (and so
 * every panel built on them — run, comparison and OOD figures alike) call `exportPng(spec, name)`.
 * What it does is provided by the app (App.vue: the exports store, with the chosen density and
 * the save dialog or download); Base components stay store-free, and without a provider (tests,
 * harnesses) it saves at 2× directly.
 */
import { inject, type InjectionKey } from 'vue';
import type { FigureSpec } from '../../../core/figures/types';
import { exportFigurePng } from '../util/exportFigure';

export type FigureExporter = (spec: FigureSpec, name: string) => Promise<unknown>;

export const figureExporterKey: InjectionKey<FigureExporter> = Symbol('figureExporter');

export function useFigureExport(): { exportPng: FigureExporter } {
  return { exportPng: inject(figureExporterKey, (spec, name) => exportFigurePng(spec, name)) };
}
