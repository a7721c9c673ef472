/** What "Export report" (the button and Electron's menu item) exports while a view is on screen. */
import { onBeforeUnmount, onMounted } from 'vue';
import { useExportsStore, type ReportSource } from '../stores/exports';

/**
 * Makes `source` the report of the calling component's view while it is mounted (the run view
 * falls back to the selected run's report): the compare view registers its comparison report
 * (core/figures/comparisonReport) and renders it with `useExportsStore().exportReport(layout)`.
 */
export function useReportSource(source: ReportSource): void {
  const exports = useExportsStore();
  onMounted(() => (exports.reportSource = source));
  onBeforeUnmount(() => {
    if (exports.reportSource === source) exports.reportSource = null;
  });
}
