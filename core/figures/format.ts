/** Number formatting shared by figure axes, legends and captions (and the renderer's labels). */

/** A metric in a compact, fixed number of significant digits ("12.3", "0.0451", "1.2e+4"). */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** A KL weight with three significant digits, and as 1/N when it is one (the default 1/N_train is). */
export function formatKlWeight(weight: number): string {
  if (!Number.isFinite(weight) || weight <= 0) return String(weight);
  const inverse = 1 / weight;
  const rounded = Math.round(inverse);
  const reciprocal = rounded > 1 && Math.abs(inverse - rounded) < 1e-6 * inverse ? ` = 1/${rounded}` : '';
  return `${Number(weight.toPrecision(3))}${reciprocal}`;
}
