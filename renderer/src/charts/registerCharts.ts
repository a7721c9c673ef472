/**
 * Chart.js is tree-shaken: only what the workbench draws is registered, once, here.
 * Filler draws the ±2σ band as the area between two lines.
 */
import {
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Filler, Legend, Tooltip);

export { Chart };
