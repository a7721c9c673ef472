/**
 * Chart.js is tree-shaken: only what the workbench draws is registered, once, here.
 * Filler draws the ±2σ band as the area between two lines; bars and the category scale draw the
 * reliability diagram; Title and SubTitle carry an exported figure's title and caption.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
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

Chart.register(
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
);

export { Chart };
