/**
 * The Chart.js components the workbench's figures use, registered once by each host that draws
 * them (renderer/src/charts/registerCharts.ts, electron/host/figureRenderer.ts): Chart.js is
 * tree-shaken, so a figure whose controller, scale or plugin is missing fails to draw.
 * Filler draws ±2σ bands; bars and the category scale the reliability diagram; Title and SubTitle
 * an exported figure's title and caption.
 */
import {
  Chart,
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  SubTitle,
  Title,
  Tooltip,
} from 'chart.js';
import { FIGURE_FONT_FAMILY } from './fonts';
import { installLegendFit } from './legendFit';

export const chartComponents = [
  LineController,
  ScatterController,
  BarController,
  LineElement,
  PointElement,
  BarElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Filler,
  Legend,
  Tooltip,
  Title,
  SubTitle,
] as const;

/** Registers the components with Chart.js, sets the figure font and fits legend labels (every host that draws). */
export function registerFigureCharts(): void {
  Chart.register(...chartComponents);
  Chart.defaults.font.family = FIGURE_FONT_FAMILY;
  installLegendFit(Chart.defaults);
}
