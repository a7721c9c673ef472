/**
 * A 2D drawing context that writes SVG instead of pixels: the vector back end of the figure specs
 * (and of Chart.js, which draws on whatever context its canvas hands out). Text stays `<text>`
 * (searchable, selectable, embeddable in a PDF), paths stay `<path>`, images stay `<image>`.
 *
 * It builds a string, needs no DOM, and so runs the same in the renderer and in Node. Only text
 * measurement comes from outside (`TextMeasurer`): a real canvas context set in the same font
 * (the browser's, or @napi-rs/canvas with DejaVu Sans registered), so text is laid out as the PNG
 * lays it out.
 *
 * Coordinates are written in the SVG's user space with the context's transform applied to each
 * point (as a canvas applies it when the point is added to the path); text carries its transform
 * as a matrix so it stays one `<text>` element. Clips open a `<g clip-path>` that closes with the
 * `restore()` of the state that set it, which gives canvas's intersect-until-restore semantics.
 */
import { PathBatcher, type Box } from './svgPaths';

/** What the context needs to measure text: a canvas 2D context (browser or @napi-rs/canvas). */
export interface TextMeasurer {
  font: string;
  textBaseline: CanvasTextBaseline;
  measureText(text: string): { width: number; actualBoundingBoxAscent?: number };
}

type CanvasTextBaseline = 'top' | 'hanging' | 'middle' | 'alphabetic' | 'ideographic' | 'bottom';
type CanvasTextAlign = 'left' | 'right' | 'center' | 'start' | 'end';

export interface SvgContextOptions {
  /** Width and height of the drawing in CSS pixels (the SVG's viewBox). */
  width: number;
  height: number;
  measurer: TextMeasurer;
  /** The physical size written as the SVG's width/height (e.g. "3.5in"); default: the pixel size. */
  physicalWidth?: string;
  physicalHeight?: string;
  /** The font-family attribute of every text (the family the measurer is set in); default: the font's own. */
  fontFamily?: string;
  /** A `<title>` for the document (viewers show it; screen readers read it). */
  title?: string;
  /** Gather consecutive paths of one paint into one `<path>` where the picture stays the same (./svgPaths); default true. */
  mergePaths?: boolean;
}

export class SvgContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SvgContextError';
  }
}

/** An affine transform [a b c d e f], as canvas's setTransform takes it. */
export interface Matrix {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

const identity: Matrix = { a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 };

export function multiply(m: Matrix, n: Matrix): Matrix {
  return {
    a: m.a * n.a + m.c * n.b,
    b: m.b * n.a + m.d * n.b,
    c: m.a * n.c + m.c * n.d,
    d: m.b * n.c + m.d * n.d,
    e: m.a * n.e + m.c * n.f + m.e,
    f: m.b * n.e + m.d * n.f + m.f,
  };
}

interface State {
  transform: Matrix;
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineCap: string;
  lineJoin: string;
  miterLimit: number;
  globalAlpha: number;
  font: string;
  textAlign: CanvasTextAlign;
  textBaseline: CanvasTextBaseline;
  lineDash: number[];
  lineDashOffset: number;
  /** `<g>` elements opened by clip() in this state, closed by its restore(). */
  openGroups: number;
}

/** Two decimals (1/100 CSS pixel): finer than any print resolution, and keeps files small. */
function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** A transform attribute; the linear part keeps four decimals (rotations and squeezes need them). */
function matrixAttribute(m: Matrix): string {
  const fine = (value: number) => {
    const rounded = Math.round(value * 10000) / 10000;
    return Object.is(rounded, -0) ? '0' : String(rounded);
  };
  return `matrix(${[fine(m.a), fine(m.b), fine(m.c), fine(m.d), num(m.e), num(m.f)].join(' ')})`;
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

interface Paint {
  colour: string;
  opacity: number;
}

const hex2 = (channel: number) => channel.toString(16).padStart(2, '0');

/** A CSS colour as an SVG colour and opacity (rgba() and #rrggbbaa are split, since not every SVG reader takes them). */
export function parseColour(style: unknown): Paint {
  if (typeof style !== 'string')
    throw new SvgContextError(
      `Vector export draws plain colours only; got a ${typeof style === 'object' ? 'gradient or pattern' : typeof style}. Use a colour string in the figure spec.`,
    );
  const value = style.trim().toLowerCase();
  if (value === 'transparent') return { colour: '#000', opacity: 0 };
  const hex = /^#([0-9a-f]{3,8})$/.exec(value);
  if (hex) {
    const digits = hex[1];
    if (digits.length === 4)
      return { colour: `#${digits.slice(0, 3)}`, opacity: parseInt(digits[3] + digits[3], 16) / 255 };
    if (digits.length === 8) return { colour: `#${digits.slice(0, 6)}`, opacity: parseInt(digits.slice(6), 16) / 255 };
    return { colour: value, opacity: 1 };
  }
  const functional = /^rgba?\(([^)]*)\)$/.exec(value);
  if (functional) {
    const parts = functional[1].split(/[\s,/]+/).filter(Boolean);
    const channel = (part: string) => (part.endsWith('%') ? (parseFloat(part) * 255) / 100 : parseFloat(part));
    const [r, g, b] = parts.slice(0, 3).map((part) => Math.round(Math.min(255, Math.max(0, channel(part)))));
    const alphaPart = parts[3];
    const opacity =
      alphaPart === undefined ? 1 : alphaPart.endsWith('%') ? parseFloat(alphaPart) / 100 : parseFloat(alphaPart);
    return { colour: `#${hex2(r)}${hex2(g)}${hex2(b)}`, opacity: Number.isFinite(opacity) ? opacity : 1 };
  }
  return { colour: value, opacity: 1 };
}

/** The parts of a CSS font shorthand the figures use: "600 16px 'Workbench Sans', system-ui". */
export function parseFont(font: string): { style: string; weight: string; size: number; family: string } {
  const match =
    /^\s*((?:(?:italic|oblique|normal|bold|bolder|lighter|\d{3})\s+)*)([\d.]+)px(?:\/[^\s]+)?\s+(.+)$/i.exec(font);
  if (!match) return { style: 'normal', weight: '400', size: 10, family: 'sans-serif' };
  const words = match[1].trim().split(/\s+/).filter(Boolean);
  const style = words.find((word) => /^(italic|oblique)$/i.test(word)) ?? 'normal';
  const weightWord = words.find((word) => /^(bold|bolder|lighter|\d{3})$/i.test(word));
  const weight = weightWord === undefined ? '400' : weightWord.toLowerCase() === 'bold' ? '700' : weightWord;
  return { style, weight, size: parseFloat(match[2]), family: match[3].trim() };
}

/** Control points of cubic Béziers for a circular arc of at most a quarter turn each (error < 0.03 % of r). */
function arcBeziers(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  rotation: number,
  start: number,
  end: number,
): number[][] {
  const segments = Math.max(1, Math.ceil(Math.abs(end - start) / (Math.PI / 2) - 1e-9));
  const step = (end - start) / segments;
  const k = (4 / 3) * Math.tan(step / 4);
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  const point = (x: number, y: number): [number, number] => [cx + x * cos - y * sin, cy + x * sin + y * cos];
  const curves: number[][] = [];
  for (let i = 0; i < segments; i += 1) {
    const a0 = start + i * step;
    const a1 = a0 + step;
    const [x0, y0] = [Math.cos(a0), Math.sin(a0)];
    const [x1, y1] = [Math.cos(a1), Math.sin(a1)];
    curves.push([
      ...point(rx * (x0 - k * y0), ry * (y0 + k * x0)),
      ...point(rx * (x1 + k * y1), ry * (y1 - k * x1)),
      ...point(rx * x1, ry * y1),
    ]);
  }
  return curves;
}

/** The angles an arc sweeps, as canvas normalises them (a full turn at most, in the asked direction). */
function sweepAngles(start: number, end: number, anticlockwise: boolean): [number, number] {
  const turn = 2 * Math.PI;
  let sweep = end - start;
  if (!anticlockwise) {
    if (sweep >= turn) sweep = turn;
    else if (sweep < 0) sweep = (sweep % turn) + turn;
  } else if (sweep <= -turn) sweep = -turn;
  else if (sweep > 0) sweep = (sweep % turn) - turn;
  return [start, start + sweep];
}

export class SvgContext {
  readonly width: number;
  readonly height: number;
  private readonly options: SvgContextOptions;
  private readonly body: string[] = [];
  private readonly defs: string[] = [];
  private state: State;
  private readonly stack: State[] = [];
  private path: string[] = [];
  /** Where the current path's points lie (control points included), in user space. */
  private pathBox: Box | null = null;
  /** The orientation of the current path if it is only rectangles (0: only empty ones so far), else null. */
  private pathRectangles: number | null = null;
  /** Indices in `path` of rectangles that round to no area: a fill skips them (they paint nothing). */
  private emptyRectangles = new Set<number>();
  private readonly paths: PathBatcher;
  private current: [number, number] | null = null;
  private subpathStart: [number, number] | null = null;
  private clipCount = 0;

  constructor(options: SvgContextOptions) {
    if (!(options.width > 0 && options.height > 0))
      throw new SvgContextError(`An SVG drawing needs a positive size, not ${options.width}×${options.height}.`);
    this.options = options;
    this.paths = new PathBatcher(this.body, options.mergePaths ?? true);
    this.width = options.width;
    this.height = options.height;
    this.state = {
      transform: identity,
      fillStyle: '#000',
      strokeStyle: '#000',
      lineWidth: 1,
      lineCap: 'butt',
      lineJoin: 'miter',
      miterLimit: 10,
      globalAlpha: 1,
      font: '10px sans-serif',
      textAlign: 'start',
      textBaseline: 'alphabetic',
      lineDash: [],
      lineDashOffset: 0,
      openGroups: 0,
    };
  }

  // --- state -------------------------------------------------------------------------------

  get fillStyle(): unknown {
    return this.state.fillStyle;
  }
  set fillStyle(value: unknown) {
    this.state.fillStyle = value;
  }
  get strokeStyle(): unknown {
    return this.state.strokeStyle;
  }
  set strokeStyle(value: unknown) {
    this.state.strokeStyle = value;
  }
  get lineWidth(): number {
    return this.state.lineWidth;
  }
  set lineWidth(value: number) {
    if (Number.isFinite(value) && value > 0) this.state.lineWidth = value;
  }
  get lineCap(): string {
    return this.state.lineCap;
  }
  set lineCap(value: string) {
    this.state.lineCap = value;
  }
  get lineJoin(): string {
    return this.state.lineJoin;
  }
  set lineJoin(value: string) {
    this.state.lineJoin = value;
  }
  get miterLimit(): number {
    return this.state.miterLimit;
  }
  set miterLimit(value: number) {
    this.state.miterLimit = value;
  }
  get globalAlpha(): number {
    return this.state.globalAlpha;
  }
  set globalAlpha(value: number) {
    if (Number.isFinite(value) && value >= 0 && value <= 1) this.state.globalAlpha = value;
  }
  get font(): string {
    return this.state.font;
  }
  set font(value: string) {
    this.state.font = value;
  }
  get textAlign(): CanvasTextAlign {
    return this.state.textAlign;
  }
  set textAlign(value: CanvasTextAlign) {
    this.state.textAlign = value;
  }
  get textBaseline(): CanvasTextBaseline {
    return this.state.textBaseline;
  }
  set textBaseline(value: CanvasTextBaseline) {
    this.state.textBaseline = value;
  }
  get lineDashOffset(): number {
    return this.state.lineDashOffset;
  }
  set lineDashOffset(value: number) {
    this.state.lineDashOffset = value;
  }
  /** Chart.js sets these for right-to-left text and image smoothing; they change nothing in SVG. */
  direction = 'ltr';
  imageSmoothingEnabled = true;

  save(): void {
    this.stack.push(this.state);
    this.state = { ...this.state, lineDash: [...this.state.lineDash], openGroups: 0 };
  }

  restore(): void {
    const previous = this.stack.pop();
    if (!previous) return;
    this.closeGroups(this.state.openGroups);
    this.state = previous;
  }

  setLineDash(segments: number[]): void {
    if (segments.some((segment) => !Number.isFinite(segment) || segment < 0)) return;
    this.state.lineDash = segments.length % 2 === 1 ? [...segments, ...segments] : [...segments];
  }

  getLineDash(): number[] {
    return [...this.state.lineDash];
  }

  // --- transform ----------------------------------------------------------------------------

  getTransform(): Matrix {
    return { ...this.state.transform };
  }

  setTransform(a: number | Matrix, b?: number, c?: number, d?: number, e?: number, f?: number): void {
    this.state.transform =
      typeof a === 'object'
        ? { a: a.a, b: a.b, c: a.c, d: a.d, e: a.e, f: a.f }
        : { a, b: b ?? 0, c: c ?? 0, d: d ?? 1, e: e ?? 0, f: f ?? 0 };
  }

  resetTransform(): void {
    this.state.transform = identity;
  }

  transform(a: number, b: number, c: number, d: number, e: number, f: number): void {
    this.state.transform = multiply(this.state.transform, { a, b, c, d, e, f });
  }

  translate(x: number, y: number): void {
    this.transform(1, 0, 0, 1, x, y);
  }

  scale(x: number, y: number): void {
    this.transform(x, 0, 0, y, 0, 0);
  }

  rotate(angle: number): void {
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    this.transform(cos, sin, -sin, cos, 0, 0);
  }

  private point(x: number, y: number): [number, number] {
    const m = this.state.transform;
    return [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
  }

  /** How much the transform scales lengths (line widths, dashes): the square root of its determinant. */
  private lengthScale(): number {
    const m = this.state.transform;
    return Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  }

  // --- paths --------------------------------------------------------------------------------

  beginPath(): void {
    this.path = [];
    this.pathBox = null;
    this.pathRectangles = null;
    this.emptyRectangles = new Set();
    this.current = null;
    this.subpathStart = null;
  }

  /** Adds points (in user space) to the current path's box; anything but rect() makes it more than rectangles. */
  private extend(points: readonly [number, number][], rectangle = false): void {
    if (!rectangle) this.pathRectangles = null;
    for (const [px, py] of points) {
      if (!this.pathBox) this.pathBox = { x0: px, y0: py, x1: px, y1: py };
      else {
        this.pathBox.x0 = Math.min(this.pathBox.x0, px);
        this.pathBox.y0 = Math.min(this.pathBox.y0, py);
        this.pathBox.x1 = Math.max(this.pathBox.x1, px);
        this.pathBox.y1 = Math.max(this.pathBox.y1, py);
      }
    }
  }

  moveTo(x: number, y: number): void {
    const p = this.point(x, y);
    this.extend([p]);
    this.path.push(`M${num(p[0])} ${num(p[1])}`);
    this.current = [x, y];
    this.subpathStart = [x, y];
  }

  lineTo(x: number, y: number): void {
    if (!this.current) return this.moveTo(x, y);
    const p = this.point(x, y);
    this.extend([p]);
    this.path.push(`L${num(p[0])} ${num(p[1])}`);
    this.current = [x, y];
  }

  bezierCurveTo(cp1x: number, cp1y: number, cp2x: number, cp2y: number, x: number, y: number): void {
    if (!this.current) this.moveTo(cp1x, cp1y);
    const points = [this.point(cp1x, cp1y), this.point(cp2x, cp2y), this.point(x, y)];
    this.extend(points);
    this.path.push(`C${points.map(([px, py]) => `${num(px)} ${num(py)}`).join(' ')}`);
    this.current = [x, y];
  }

  quadraticCurveTo(cpx: number, cpy: number, x: number, y: number): void {
    if (!this.current) this.moveTo(cpx, cpy);
    const [c0, c1] = this.point(cpx, cpy);
    const [p0, p1] = this.point(x, y);
    this.extend([
      [c0, c1],
      [p0, p1],
    ]);
    this.path.push(`Q${num(c0)} ${num(c1)} ${num(p0)} ${num(p1)}`);
    this.current = [x, y];
  }

  closePath(): void {
    if (!this.current) return;
    this.path.push('Z');
    if (this.subpathStart) this.current = [...this.subpathStart];
  }

  /** A closed rectangle subpath; unrotated, written with H and V (half the characters of four L's). */
  rect(x: number, y: number, width: number, height: number): void {
    const m = this.state.transform;
    const previous = this.path.length === 0 ? 0 : this.pathRectangles;
    const corners = [
      this.point(x, y),
      this.point(x + width, y),
      this.point(x + width, y + height),
      this.point(x, y + height),
    ];
    this.extend(corners, true);
    const [[x0, y0], , [x1, y1]] = corners;
    let d: string;
    let empty: boolean;
    if (m.b === 0 && m.c === 0) {
      d = `M${num(x0)} ${num(y0)}H${num(x1)}V${num(y1)}H${num(x0)}Z`;
      empty = num(x0) === num(x1) || num(y0) === num(y1);
    } else {
      d = `M${corners.map(([px, py]) => `${num(px)} ${num(py)}`).join('L')}Z`;
      empty = width === 0 || height === 0;
    }
    if (empty) this.emptyRectangles.add(this.path.length);
    this.path.push(d);
    const orientation = empty ? 0 : Math.sign(width * height * (m.a * m.d - m.b * m.c));
    if (previous === null) this.pathRectangles = null;
    else if (previous === 0 || orientation === 0) this.pathRectangles = previous || orientation;
    else this.pathRectangles = previous === orientation ? orientation : null;
    // As after canvas's rect(): a new subpath at (x, y).
    this.current = [x, y];
    this.subpathStart = [x, y];
  }

  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number, anticlockwise = false): void {
    this.ellipse(x, y, radius, radius, 0, startAngle, endAngle, anticlockwise);
  }

  ellipse(
    x: number,
    y: number,
    radiusX: number,
    radiusY: number,
    rotation: number,
    startAngle: number,
    endAngle: number,
    anticlockwise = false,
  ): void {
    if (radiusX < 0 || radiusY < 0)
      throw new SvgContextError(`An arc's radius must not be negative; got ${radiusX}, ${radiusY}.`);
    const [start, end] = sweepAngles(startAngle, endAngle, anticlockwise);
    const cos = Math.cos(rotation);
    const sin = Math.sin(rotation);
    const startX = x + radiusX * Math.cos(start) * cos - radiusY * Math.sin(start) * sin;
    const startY = y + radiusX * Math.cos(start) * sin + radiusY * Math.sin(start) * cos;
    // Canvas joins an arc to the current point with a straight line.
    if (this.current) this.lineTo(startX, startY);
    else this.moveTo(startX, startY);
    if (start === end) return;
    for (const [c1x, c1y, c2x, c2y, px, py] of arcBeziers(x, y, radiusX, radiusY, rotation, start, end))
      this.bezierCurveTo(c1x, c1y, c2x, c2y, px, py);
  }

  roundRect(x: number, y: number, width: number, height: number, radius: number | number[] = 0): void {
    const r = Math.max(
      0,
      Math.min(Array.isArray(radius) ? (radius[0] ?? 0) : radius, Math.abs(width) / 2, Math.abs(height) / 2),
    );
    if (r === 0) return this.rect(x, y, width, height);
    this.moveTo(x + r, y);
    this.arc(x + width - r, y + r, r, -Math.PI / 2, 0);
    this.arc(x + width - r, y + height - r, r, 0, Math.PI / 2);
    this.arc(x + r, y + height - r, r, Math.PI / 2, Math.PI);
    this.arc(x + r, y + r, r, Math.PI, (3 * Math.PI) / 2);
    this.closePath();
  }

  // --- painting -----------------------------------------------------------------------------

  private paintAttributes(kind: 'fill' | 'stroke', rule?: string): string {
    const { colour, opacity } = parseColour(kind === 'fill' ? this.state.fillStyle : this.state.strokeStyle);
    const alpha = opacity * this.state.globalAlpha;
    if (kind === 'fill')
      return `fill="${escapeXml(colour)}"${alpha < 1 ? ` fill-opacity="${num(alpha)}"` : ''}${rule === 'evenodd' ? ' fill-rule="evenodd"' : ''}`;
    const scale = this.lengthScale();
    const parts = [`fill="none" stroke="${escapeXml(colour)}"`, `stroke-width="${num(this.state.lineWidth * scale)}"`];
    if (alpha < 1) parts.push(`stroke-opacity="${num(alpha)}"`);
    if (this.state.lineCap !== 'butt') parts.push(`stroke-linecap="${this.state.lineCap}"`);
    if (this.state.lineJoin !== 'miter') parts.push(`stroke-linejoin="${this.state.lineJoin}"`);
    if (this.state.lineDash.length > 0) {
      parts.push(`stroke-dasharray="${this.state.lineDash.map((segment) => num(segment * scale)).join(' ')}"`);
      if (this.state.lineDashOffset) parts.push(`stroke-dashoffset="${num(this.state.lineDashOffset * scale)}"`);
    }
    return parts.join(' ');
  }

  private visible(kind: 'fill' | 'stroke'): boolean {
    return this.alpha(kind) > 0;
  }

  private alpha(kind: 'fill' | 'stroke'): number {
    return (
      parseColour(kind === 'fill' ? this.state.fillStyle : this.state.strokeStyle).opacity * this.state.globalAlpha
    );
  }

  /** Hands the current path, painted, to the batcher (./svgPaths). */
  private paint(kind: 'fill' | 'stroke', attributes: string, rule?: string): void {
    // Rectangles with no area paint nothing when filled (a stroke still draws them as lines).
    const parts = kind === 'fill' ? this.path.filter((_, i) => !this.emptyRectangles.has(i)) : this.path;
    if (parts.length === 0 || !this.pathBox) return;
    // Widened by what a stroke adds around its points (miter spikes included) and a pixel of antialiasing.
    const margin =
      1 +
      (kind === 'stroke' ? (Math.max(1, this.state.miterLimit) * this.state.lineWidth * this.lengthScale()) / 2 : 0);
    const box = this.pathBox;
    this.paths.add({
      d: parts.join(''),
      attributes,
      box: { x0: box.x0 - margin, y0: box.y0 - margin, x1: box.x1 + margin, y1: box.y1 + margin },
      opaque: this.alpha(kind) >= 1,
      stroke: kind === 'stroke',
      evenOdd: rule === 'evenodd',
      rectangles: this.pathRectangles === null ? null : this.pathRectangles < 0 ? -1 : 1,
    });
  }

  fill(rule?: string): void {
    if (this.path.length === 0 || !this.visible('fill')) return;
    this.paint('fill', this.paintAttributes('fill', rule), rule);
  }

  stroke(): void {
    if (this.path.length === 0 || !this.visible('stroke')) return;
    this.paint('stroke', this.paintAttributes('stroke'));
  }

  /** Writes an element that is not a painted path (text, image, clip group), after the paths painted before it. */
  private emit(element: string): void {
    this.paths.flush();
    this.body.push(element);
  }

  /** Runs `draw` on a path of its own, leaving the current path as it was (fillRect and strokeRect do not touch it). */
  private withOwnPath(draw: () => void): void {
    const saved = { path: this.path, current: this.current, subpathStart: this.subpathStart };
    this.beginPath();
    draw();
    this.path = saved.path;
    this.current = saved.current;
    this.subpathStart = saved.subpathStart;
  }

  fillRect(x: number, y: number, width: number, height: number): void {
    this.withOwnPath(() => {
      this.rect(x, y, width, height);
      this.fill();
    });
  }

  strokeRect(x: number, y: number, width: number, height: number): void {
    this.withOwnPath(() => {
      this.rect(x, y, width, height);
      this.stroke();
    });
  }

  /**
   * SVG cannot erase what is under it; every exported figure sits on a white page, which is what a
   * cleared canvas shows there, so the area is painted white (Chart.js clears before each draw).
   */
  clearRect(x: number, y: number, width: number, height: number): void {
    this.withOwnPath(() => {
      this.rect(x, y, width, height);
      this.paint('fill', 'fill="#fff"');
    });
  }

  clip(rule?: string): void {
    const id = `clip${(this.clipCount += 1)}`;
    const d = this.path.length > 0 ? this.path.join('') : 'M0 0Z';
    this.defs.push(
      `<clipPath id="${id}" clipPathUnits="userSpaceOnUse"><path d="${d}"${rule === 'evenodd' ? ' clip-rule="evenodd"' : ''}/></clipPath>`,
    );
    this.emit(`<g clip-path="url(#${id})">`);
    this.state.openGroups += 1;
  }

  private closeGroups(count: number): void {
    for (let i = 0; i < count; i += 1) this.emit('</g>');
  }

  // --- text ---------------------------------------------------------------------------------

  /** Width of `text` and how far below `y` the alphabetic baseline lies for the current baseline setting. */
  private measure(text: string): { width: number; baselineShift: number } {
    const measurer = this.options.measurer;
    measurer.font = this.state.font;
    measurer.textBaseline = 'alphabetic';
    const alphabetic = measurer.measureText(text);
    if (this.state.textBaseline === 'alphabetic') return { width: alphabetic.width, baselineShift: 0 };
    measurer.textBaseline = this.state.textBaseline;
    const asked = measurer.measureText(text);
    // The glyphs' top is the same line whatever the baseline: y − ascent(asked) = baseline − ascent(alphabetic).
    return {
      width: alphabetic.width,
      baselineShift: (alphabetic.actualBoundingBoxAscent ?? 0) - (asked.actualBoundingBoxAscent ?? 0),
    };
  }

  measureText(text: string): {
    width: number;
    actualBoundingBoxAscent: number;
    actualBoundingBoxDescent: number;
    actualBoundingBoxLeft: number;
    actualBoundingBoxRight: number;
  } {
    const measurer = this.options.measurer;
    measurer.font = this.state.font;
    measurer.textBaseline = this.state.textBaseline;
    const metrics = measurer.measureText(text) as Partial<Record<string, number>> & { width: number };
    return {
      width: metrics.width,
      actualBoundingBoxAscent: metrics.actualBoundingBoxAscent ?? 0,
      actualBoundingBoxDescent: metrics.actualBoundingBoxDescent ?? 0,
      actualBoundingBoxLeft: metrics.actualBoundingBoxLeft ?? 0,
      actualBoundingBoxRight: metrics.actualBoundingBoxRight ?? metrics.width,
    };
  }

  private text(kind: 'fill' | 'stroke', text: string, x: number, y: number, maxWidth?: number): void {
    if (text === '' || !this.visible(kind)) return;
    const { width, baselineShift } = this.measure(text);
    // Canvas squeezes text wider than maxWidth horizontally; so does the text's matrix.
    const squeeze = maxWidth !== undefined && maxWidth > 0 && width > maxWidth ? maxWidth / width : 1;
    const align = this.state.textAlign;
    const anchor = align === 'center' ? 'middle' : align === 'right' || align === 'end' ? 'end' : 'start';
    const m = multiply(this.state.transform, { a: squeeze, b: 0, c: 0, d: 1, e: x, f: y + baselineShift });
    const font = parseFont(this.state.font);
    const family = this.options.fontFamily ?? font.family;
    const attributes = [
      `transform="${matrixAttribute(m)}"`,
      `font-family="${escapeXml(family)}"`,
      `font-size="${num(font.size)}"`,
    ];
    if (font.weight !== '400' && font.weight !== 'normal') attributes.push(`font-weight="${font.weight}"`);
    if (font.style !== 'normal') attributes.push(`font-style="${font.style}"`);
    if (anchor !== 'start') attributes.push(`text-anchor="${anchor}"`);
    // Without this, SVG viewers collapse runs of spaces (tick labels and tables rely on none, but a caption may).
    attributes.push('xml:space="preserve"');
    if (kind === 'fill') attributes.push(this.paintAttributes('fill'));
    else attributes.push(this.paintAttributes('stroke'));
    this.emit(`<text ${attributes.join(' ')}>${escapeXml(text)}</text>`);
  }

  fillText(text: string, x: number, y: number, maxWidth?: number): void {
    this.text('fill', String(text), x, y, maxWidth);
  }

  strokeText(text: string, x: number, y: number, maxWidth?: number): void {
    this.text('stroke', String(text), x, y, maxWidth);
  }

  // --- images -------------------------------------------------------------------------------

  /**
   * Places a raster image (a canvas or anything with `toDataURL()`) as an embedded PNG: the only
   * thing a vector export rasterizes, and only where the figure is an image.
   */
  drawImage(image: unknown, ...args: number[]): void {
    const source = image as { toDataURL?: (type?: string) => string; width?: number; height?: number };
    if (typeof source?.toDataURL !== 'function')
      throw new SvgContextError(
        'Vector export places only canvases (or images with toDataURL) as images; draw the figure onto the vector context instead.',
      );
    const sourceWidth = source.width ?? 0;
    const sourceHeight = source.height ?? 0;
    let [dx, dy, dw, dh] = [args[0] ?? 0, args[1] ?? 0, args[2] ?? sourceWidth, args[3] ?? sourceHeight];
    if (args.length === 8) [dx, dy, dw, dh] = args.slice(4) as [number, number, number, number];
    const m = multiply(this.state.transform, { a: 1, b: 0, c: 0, d: 1, e: dx, f: dy });
    const opacity = this.state.globalAlpha < 1 ? ` opacity="${num(this.state.globalAlpha)}"` : '';
    this.emit(
      `<image transform="${matrixAttribute(m)}" width="${num(dw)}" height="${num(dh)}" preserveAspectRatio="none"${opacity} href="${source.toDataURL('image/png')}"/>`,
    );
  }

  // --- output -------------------------------------------------------------------------------

  /** The SVG document of everything drawn so far. */
  toSvg(): string {
    this.paths.flush();
    const open = this.stack.reduce((sum, state) => sum + state.openGroups, this.state.openGroups);
    const width = this.options.physicalWidth ?? num(this.width);
    const height = this.options.physicalHeight ?? num(this.height);
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${num(this.width)} ${num(this.height)}">`,
      this.options.title ? `<title>${escapeXml(this.options.title)}</title>` : '',
      this.defs.length > 0 ? `<defs>${this.defs.join('')}</defs>` : '',
      ...this.body,
      '</g>'.repeat(open),
      '</svg>',
    ]
      .filter(Boolean)
      .join('\n');
  }
}
