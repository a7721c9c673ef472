/** Chart.js is tree-shaken: what the workbench draws is registered once, here (the list is shared with headless hosts). */
import { Chart } from 'chart.js';
import { chartComponents } from '../../../core/figures/chartComponents';

Chart.register(...chartComponents);

export { Chart };
