/**
 * Text widths in the figure font (DejaVu Sans: what the CLI registers, the renderer bundles for
 * exports and the PDF embeds) without a canvas, so a layout that depends on text (the wrapped
 * report headers of ./reportHeaderLayout) can be computed in pure code, before anything is drawn.
 *
 * The advance widths are DejaVu Sans's, in thousandths of an em, for printable ASCII and the
 * symbols the figures write; test/core/figures/textWidths.test.ts checks every entry against the
 * font as @napi-rs/canvas measures it. Kerning is ignored, which only ever makes a string measure
 * a little wider than it is drawn (DejaVu's kerning pairs tighten), so a line that fits here fits
 * on the page. A character outside the table counts as one em, wider than any glyph in it.
 */

const CHARACTERS =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~' +
  '\u00a0·—–…×−≥≤σμΣαβλτπθηεδ²°±→←↑↓≈√∞';

// prettier-ignore
const REGULAR = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636,
  636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863,
  748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635,
  615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636,
  337, 636, 838, 318, 318, 1000, 500, 1000, 838, 838, 838, 838, 634, 636, 632, 659, 638, 592, 602, 602, 612, 634, 541,
  612, 401, 500, 838, 838, 838, 838, 838, 838, 637, 833,
];

// prettier-ignore
const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696,
  696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995,
  837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716,
  678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712,
  365, 712, 838, 348, 380, 1000, 500, 1000, 838, 838, 838, 838, 779, 736, 683, 687, 716, 633, 638, 791, 687, 712, 557,
  687, 438, 500, 838, 838, 838, 838, 838, 838, 667, 833,
];

/** Wider than any glyph in the tables: what an unknown character counts as. */
const UNKNOWN = 1103;

function table(widths: readonly number[]): Map<string, number> {
  return new Map([...CHARACTERS].map((character, i) => [character, widths[i]]));
}

const regular = table(REGULAR);
const bold = table(BOLD);

/** The characters the tables know (the test measures each). */
export const MEASURED_CHARACTERS: readonly string[] = [...CHARACTERS];

/** Weights of 600 and up are set in the bold face (as canvas picks it, and as the PDF embeds it). */
export function isBoldWeight(weight: number): boolean {
  return weight >= 600;
}

/** Width of `text` in CSS pixels, set at `size` px in the figure font at `weight`. */
export function textWidth(text: string, size: number, weight = 400): number {
  const widths = isBoldWeight(weight) ? bold : regular;
  let total = 0;
  for (const character of text) total += widths.get(character) ?? UNKNOWN;
  return (total * size) / 1000;
}

/** A text wrapped into lines, and how many of its words had to be broken where they have no break. */
export interface WrappedText {
  lines: string[];
  brokenWords: number;
}

/** Where a long word may break besides its spaces: after a slash, or a hyphen that follows a letter or digit. */
const softBreak = /(?<=\/)|(?<=[\p{L}\p{N}]-)/u;

/**
 * `text` broken into lines no wider than `maxWidth` (at `size` px, `weight`): at spaces, then a
 * word too wide for a line after its slashes and hyphens (a folder path, a run id), and a word
 * still too wide between characters, so nothing has to be cut. Never no lines.
 */
export function wrapLines(text: string, maxWidth: number, size: number, weight = 400): WrappedText {
  const fits = (line: string) => textWidth(line, size, weight) <= maxWidth;
  const lines: string[] = [];
  let brokenWords = 0;
  let line = '';
  // A word (or a piece of one) onto the current line, or onto a new one.
  const add = (word: string, separator: string) => {
    const candidate = line ? `${line}${separator}${word}` : word;
    if (fits(candidate)) {
      line = candidate;
      return true;
    }
    return false;
  };
  const flush = () => {
    if (line.trim()) lines.push(line.trimEnd());
    line = '';
  };
  // Split at single spaces, so a double space between words (the headers' "  ·  ") survives inside a line.
  for (const word of text.split(' ')) {
    if (add(word, ' ')) continue;
    flush();
    if (add(word, '')) continue;
    // Too wide for a whole line: its pieces, as many to a line as fit.
    const pieces = word.split(softBreak);
    for (const piece of pieces) {
      if (add(piece, '')) continue;
      flush();
      let rest = piece;
      if (!fits(rest)) brokenWords += 1;
      while (!fits(rest)) {
        const characters = [...rest];
        let count = 1;
        while (count < characters.length && fits(characters.slice(0, count + 1).join(''))) count += 1;
        lines.push(characters.slice(0, count).join(''));
        rest = characters.slice(count).join('');
      }
      line = rest;
    }
  }
  if (line.trim() || lines.length === 0) lines.push(line.trimEnd());
  return { lines, brokenWords };
}

/** `text` wrapped to `maxWidth` (see wrapLines): its lines. */
export function wrapText(text: string, maxWidth: number, size: number, weight = 400): string[] {
  return wrapLines(text, maxWidth, size, weight).lines;
}
