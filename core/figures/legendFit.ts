/**
 * Legend labels that fit their chart: Chart.js cannot wrap a single legend item, so a label wider
 * than the legend (a long run name beside its method and score on a narrow compare panel) ran off
 * the canvas at the aligned edge and was cut mid-word. Installed as the default `generateLabels`
 * by every host that draws figures (chartComponents.registerFigureCharts). When a label does not
 * fit, the " · "-separated parts every run label shares (experiment, preset, method: the caption
 * says them) are dropped first, so what tells the runs apart stays; a label still too wide is then
 * shortened in its middle with an ellipsis, keeping its start and its score. A wide export (900 px)
 * keeps its labels whole.
 */
import type { Chart, Defaults, FontSpec, LegendElement, LegendItem } from 'chart.js';
import { toFont } from 'chart.js/helpers';

type GenerateLabels = (chart: Chart) => LegendItem[];

const ELLIPSIS = '…';

/** `text` shortened in its middle until `measure` says it fits in `width` (unchanged if it already does). */
export function fitTextInMiddle(text: string, width: number, measure: (candidate: string) => number): string {
  if (measure(text) <= width) return text;
  const characters = Array.from(text);
  // Binary search on how many characters are kept (split 60/40 between start and end).
  let low = 0;
  let high = characters.length - 1;
  const cut = (kept: number) => {
    const head = Math.ceil(kept * 0.6);
    return `${characters.slice(0, head).join('').trimEnd()}${ELLIPSIS}${characters
      .slice(characters.length - (kept - head))
      .join('')
      .trimStart()}`;
  };
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (measure(cut(middle)) <= width) low = middle;
    else high = middle - 1;
  }
  return cut(low);
}

const SEPARATOR = ' · ';

/**
 * The labels without the " · " parts all of them share, when at least two labels have several
 * parts (a one-part label such as "perfect calibration" is left as it is and does not count).
 */
export function withoutSharedParts(texts: readonly string[]): string[] {
  const split = texts.map((text) => text.split(SEPARATOR));
  const several = split.filter((parts) => parts.length > 1);
  if (several.length < 2) return [...texts];
  const shared = new Set(several[0].filter((part) => several.every((parts) => parts.includes(part))));
  return split.map((parts, index) => {
    if (parts.length < 2) return texts[index];
    const kept = parts.filter((part) => !shared.has(part));
    return kept.length > 0 ? kept.join(SEPARATOR) : texts[index];
  });
}

/** Wraps the legend's label generator so every label fits the legend's width (see the file comment). */
export function fittedLegendLabels(generate: GenerateLabels): GenerateLabels {
  return function (this: LegendElement<'line'> | undefined, chart: Chart): LegendItem[] {
    const items = generate.call(this, chart);
    const legend = this ?? (chart as unknown as { legend?: LegendElement<'line'> }).legend;
    const labels = legend?.options?.labels;
    // Set by the layout (LegendElement.update) before it builds the labels; the chart's width otherwise.
    const maxWidth = (legend as { maxWidth?: number } | undefined)?.maxWidth ?? chart.width;
    if (!labels || !Number.isFinite(maxWidth) || maxWidth <= 0) return items;
    // Resolved by the time labels are built: a plain font object, not a scriptable option.
    const font = toFont(labels.font as Partial<FontSpec>);
    const fontSize = font.size;
    const boxWidth = labels.usePointStyle
      ? (labels.pointStyleWidth ?? Math.min(labels.boxWidth ?? fontSize, fontSize))
      : (labels.boxWidth ?? fontSize);
    const padding = labels.padding ?? 10;
    const available = maxWidth - boxWidth - fontSize / 2 - 2 * padding;
    if (available <= 0) return items;
    const { ctx } = chart;
    ctx.save();
    ctx.font = font.string;
    try {
      const measure = (candidate: string) => ctx.measureText(candidate).width;
      const texts = items.map((item) => (typeof item.text === 'string' ? item.text : ''));
      if (texts.some((text) => measure(text) > available)) {
        const shorter = withoutSharedParts(texts);
        items.forEach((item, index) => {
          if (typeof item.text === 'string') item.text = fitTextInMiddle(shorter[index], available, measure);
        });
      }
    } finally {
      ctx.restore();
    }
    return items;
  };
}

const fitted = new WeakSet<GenerateLabels>();

/**
 * Makes fitted labels the default of every legend that does not bring its own generator; call
 * after the Legend plugin is registered (its defaults live in `defaults.plugins.legend` from then).
 */
export function installLegendFit(defaults: Defaults): void {
  const labels = defaults.plugins.legend.labels as unknown as { generateLabels: GenerateLabels };
  if (fitted.has(labels.generateLabels)) return;
  const wrapped = fittedLegendLabels(labels.generateLabels);
  fitted.add(wrapped);
  labels.generateLabels = wrapped;
}
