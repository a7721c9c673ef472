/**
 * The one font stack of every figure. 'Workbench Sans' comes first: a headless host registers a
 * TTF under that name (electron/host/figureRenderer.ts registers DejaVu Sans), so a PNG drawn by the
 * CLI has the same text metrics on every machine; browsers do not know the name and fall through
 * to the system UI font, as the rest of the app does.
 */
export const FIGURE_FONT_FAMILY = "'Workbench Sans', system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

/** A CSS font shorthand in the figure font, e.g. `figureFont(12, 600)`. */
export function figureFont(size: number, weight = 400): string {
  return `${weight} ${size}px ${FIGURE_FONT_FAMILY}`;
}
