/** Chart.js is tree-shaken: what the workbench draws is registered once, here (the list is shared with headless hosts). */
import { Chart } from 'chart.js';
import { registerFigureCharts } from '../../../core/figures/chartComponents';

// As the headless hosts do: ticks, legends and axis titles in the figure font ('Workbench Sans',
// DejaVu Sans once an export has loaded it; the system UI font until then), so exports of every
// format set the same text as the screen; legend labels shortened to fit a narrow panel.
registerFigureCharts();

export { Chart };
