/**
 * The bundled typeface. Documents never depend on fonts installed on the
 * machine: the CJK font ships as an npm package (@fontsource/noto-sans-tc),
 * split by Google Fonts into unicode-range subsets. A document's CSS declares
 * only the subsets its text needs, the print stage serves those files from
 * memory, and charts measure their labels with the same font files so Vega's
 * layout matches what Chromium draws.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';

export const FONT_FAMILY = 'Noto Sans TC';
const FONT_PACKAGE = '@fontsource/noto-sans-tc';
const WEIGHTS = [400, 700] as const;

export interface FontFace {
  readonly weight: number;
  /** File name inside the package's files/ folder; also its URL path below /fonts/. */
  readonly file: string;
  readonly absPath: string;
  /** Inclusive code point ranges. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly unicodeRange: string;
}

export interface FontSet {
  readonly family: string;
  readonly faces: readonly FontFace[];
  /** The faces a text needs, for each weight the document uses. */
  facesFor(text: string): FontFace[];
  /** Code points of the text no face covers (they would fall back to a system font). */
  uncovered(text: string): string[];
  /** @font-face rules for the given faces, with URLs below `urlBase`. */
  css(faces: readonly FontFace[], urlBase: string): string;
  /** Width in pixels of `text` at `size` px, measured from the font's advance widths. */
  measure(text: string, size: number, weight?: number | string): number;
}

let cached: FontSet | undefined;

export function bundledFonts(): FontSet {
  cached ??= loadFontSet();
  return cached;
}

function loadFontSet(): FontSet {
  const require = createRequire(import.meta.url);
  const faces: FontFace[] = [];
  for (const weight of WEIGHTS) {
    const cssPath = require.resolve(`${FONT_PACKAGE}/${weight}.css`);
    const css = readFileSync(cssPath, 'utf8');
    for (const block of css.matchAll(/@font-face\s*{([^}]*)}/g)) {
      const body = block[1] ?? '';
      const file = /url\(\.\/files\/([^)]+\.woff2)\)/.exec(body)?.[1];
      const range = /unicode-range:\s*([^;]+);/.exec(body)?.[1];
      if (!file || !range) continue;
      faces.push({ weight, file, absPath: path.join(path.dirname(cssPath), 'files', file), ranges: parseUnicodeRange(range), unicodeRange: range.trim() });
    }
  }

  const faceOf = (cp: number, weight: number) =>
    faces.find((f) => f.weight === weight && f.ranges.some(([a, b]) => cp >= a && cp <= b));

  const fonts = new Map<string, fontkit.Font>();
  const advance = new Map<string, number>();
  const emWidth = (cp: number, weight: number): number => {
    const key = `${weight}:${cp}`;
    let em = advance.get(key);
    if (em === undefined) {
      const face = faceOf(cp, weight);
      if (face) {
        let font = fonts.get(face.file);
        if (!font) {
          font = fontkit.create(readFileSync(face.absPath)) as fontkit.Font;
          fonts.set(face.file, font);
        }
        em = font.glyphForCodePoint(cp).advanceWidth / font.unitsPerEm;
      } else {
        // Not in the font: assume a full-width glyph for wide scripts, else half.
        em = cp >= 0x2e80 ? 1 : 0.55;
      }
      advance.set(key, em);
    }
    return em;
  };

  return {
    family: FONT_FAMILY,
    faces,
    facesFor(text) {
      const needed = new Set<FontFace>();
      const cps = new Set<number>();
      for (const ch of text) cps.add(ch.codePointAt(0)!);
      for (const weight of WEIGHTS) for (const cp of cps) {
        const face = faceOf(cp, weight);
        if (face) needed.add(face);
      }
      return faces.filter((f) => needed.has(f));
    },
    uncovered(text) {
      const missing = new Set<string>();
      for (const ch of text) {
        const cp = ch.codePointAt(0)!;
        if (cp > 0x20 && !/\s/.test(ch) && !faceOf(cp, WEIGHTS[0])) missing.add(ch);
      }
      return [...missing];
    },
    css(list, urlBase) {
      return list
        .map((f) => `@font-face{font-family:'${FONT_FAMILY}';font-style:normal;font-display:block;font-weight:${f.weight};src:url(${urlBase}${f.file}) format('woff2');unicode-range:${f.unicodeRange};}`)
        .join('\n');
    },
    measure(text, size, weight = 400) {
      const w = Number(weight) >= 600 || weight === 'bold' ? 700 : 400;
      let em = 0;
      for (const ch of text) em += emWidth(ch.codePointAt(0)!, w);
      return em * size;
    },
  };
}

export function parseUnicodeRange(value: string): [number, number][] {
  return value.split(',').map((part) => {
    const [a, b] = part.trim().replace(/^U\+/i, '').split('-');
    const start = parseInt(a ?? '', 16);
    return [start, b ? parseInt(b, 16) : start] as [number, number];
  });
}
