/**
 * One CSV field, as every CSV writer of the workbench writes it (comparison CSV, a run's metrics
 * CSV, the CLI's --csv). Text that a spreadsheet would read as a formula — starting with `=`, `+`,
 * `-`, `@`, a tab or a carriage return — is prefixed with `'` (OWASP "CSV injection"): a run named
 * `=HYPERLINK(…)` must open as that text, not run. Numbers are written as numbers (a negative
 * nats value keeps its minus sign); a field holding `,`, `"` or a line break is quoted.
 */
const formulaStart = /^[=+\-@\t\r]/;

export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const neutral = formulaStart.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(neutral) ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}
