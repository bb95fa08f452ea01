/**
 * The bundled typefaces. Documents never depend on fonts installed on the
 * machine: Noto Sans TC and Noto Sans SC ship as npm packages (@fontsource),
 * with Noto Emoji after them for pictographs,
 * split by Google Fonts into unicode-range subsets. Each covers its own
 * script's characters only (Noto Sans TC lacks 区, 识, 权 …), so a document
 * uses both, in the order its language prefers: its own script first, the
 * other for what the first lacks.
 *
 * A document's CSS declares only the subsets its text needs, the print stage
 * serves those files from memory, and charts measure their labels with the
 * same font files so Vega's layout matches what Chromium draws.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Fontkit from 'fontkit';

const FAMILIES = {
  tc: { family: 'Noto Sans TC', pkg: '@fontsource/noto-sans-tc' },
  sc: { family: 'Noto Sans SC', pkg: '@fontsource/noto-sans-sc' },
  // Monochrome outlines (not colour bitmaps), so emoji embed in the PDF like text.
  emoji: { family: 'Noto Emoji', pkg: '@fontsource/noto-emoji' },
} as const;
const WEIGHTS = [400, 700] as const;

export interface FontFace {
  readonly family: string;
  readonly weight: number;
  /** File name inside the package's files/ folder; also its URL path below /fonts/. */
  readonly file: string;
  readonly absPath: string;
  /** Inclusive code point ranges. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly unicodeRange: string;
}

export interface FontSet {
  /** Families in the order CSS and charts should try them. */
  readonly families: readonly string[];
  /** A CSS font-family value naming the families in order. */
  readonly stack: string;
  /**
   * One pass over a text: the faces it needs (each weight), in the order CSS
   * should declare them, and the characters no bundled face covers (they
   * would fall back to a system font, or print as boxes).
   */
  scan(text: string): { faces: FontFace[]; missing: string[] };
  /** @font-face rules for the given faces, with URLs below `urlBase`. */
  css(faces: readonly FontFace[], urlBase: string): string;
  /** Width in pixels of `text` at `size` px, measured from the fonts' advance widths. */
  measure(text: string, size: number, weight?: number | string): number;
}

const cache = new Map<string, FontSet>();
let allFaces: Map<string, FontFace[]> | undefined;

/** The bundled fonts ordered for a language: Simplified Chinese prefers SC, everything else TC. */
export function bundledFonts(lang = 'zh-Hant'): FontSet {
  const order = /^zh-(hans|cn|sg|my)\b|^zh$/i.test(lang) ? (['sc', 'tc', 'emoji'] as const) : (['tc', 'sc', 'emoji'] as const);
  const key = order.join(',');
  let set = cache.get(key);
  if (!set) {
    set = fontSet(order.map((k) => FAMILIES[k].family));
    cache.set(key, set);
  }
  return set;
}

function faces(): Map<string, FontFace[]> {
  if (allFaces) return allFaces;
  const require = createRequire(import.meta.url);
  allFaces = new Map();
  for (const { family, pkg } of Object.values(FAMILIES)) {
    const list: FontFace[] = [];
    for (const weight of WEIGHTS) {
      const cssPath = require.resolve(`${pkg}/${weight}.css`);
      const css = readFileSync(cssPath, 'utf8');
      for (const block of css.matchAll(/@font-face\s*{([^}]*)}/g)) {
        const body = block[1] ?? '';
        const file = /url\(\.\/files\/([^)]+\.woff2)\)/.exec(body)?.[1];
        const range = /unicode-range:\s*([^;]+);/.exec(body)?.[1];
        if (!file || !range) continue;
        list.push({ family, weight, file, absPath: path.join(path.dirname(cssPath), 'files', file), ranges: parseUnicodeRange(range), unicodeRange: range.trim() });
      }
    }
    allFaces.set(family, list);
  }
  return allFaces;
}

function fontSet(families: readonly string[]): FontSet {
  const byFamily = faces();
  const ordered = families.map((f) => byFamily.get(f) ?? []);

  /** The first face, in family order, whose ranges hold the code point (memoised: documents repeat their characters). */
  const lookup = new Map<number, FontFace | null>();
  const faceOf = (cp: number, weight: number): FontFace | undefined => {
    const key = cp * 1000 + weight;
    let face = lookup.get(key);
    if (face === undefined) {
      face = null;
      for (const list of ordered) {
        const found = list.find((f) => f.weight === weight && f.ranges.some(([a, b]) => cp >= a && cp <= b));
        if (found) {
          face = found;
          break;
        }
      }
      lookup.set(key, face);
    }
    return face ?? undefined;
  };

  const fonts = new Map<string, Fontkit.Font>();
  // fontkit loads the first time a width is measured (charts), not when citybrief starts.
  let fontkit: typeof Fontkit | undefined;
  const advance = new Map<string, number>();
  const emWidth = (cp: number, weight: number): number => {
    const key = `${weight}:${cp}`;
    let em = advance.get(key);
    if (em === undefined) {
      const face = faceOf(cp, weight);
      if (face) {
        let font = fonts.get(face.absPath);
        if (!font) {
          fontkit ??= createRequire(import.meta.url)('fontkit') as typeof Fontkit;
          font = fontkit.create(readFileSync(face.absPath)) as Fontkit.Font;
          fonts.set(face.absPath, font);
        }
        em = font.glyphForCodePoint(cp).advanceWidth / font.unitsPerEm;
      } else {
        // Not in the fonts: assume a full-width glyph for wide scripts, else half.
        em = cp >= 0x2e80 ? 1 : 0.55;
      }
      advance.set(key, em);
    }
    return em;
  };

  const codePoints = (text: string) => {
    const cps = new Set<number>();
    for (const ch of text) cps.add(ch.codePointAt(0)!);
    return cps;
  };

  return {
    families,
    stack: families.map((f) => `'${f}'`).join(', '),
    scan(text) {
      const needed = new Set<FontFace>();
      const missing: string[] = [];
      for (const cp of codePoints(text)) {
        for (const weight of WEIGHTS) {
          const face = faceOf(cp, weight);
          if (face) needed.add(face);
          else if (weight === WEIGHTS[0] && cp > 0x20 && !/\s/u.test(String.fromCodePoint(cp))) missing.push(String.fromCodePoint(cp));
        }
      }
      return { faces: ordered.flat().filter((f) => needed.has(f)), missing };
    },
    css(list, urlBase) {
      return list
        .map((f) => `@font-face{font-family:'${f.family}';font-style:normal;font-display:block;font-weight:${f.weight};src:url(${urlBase}${f.file}) format('woff2');unicode-range:${f.unicodeRange};}`)
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

/** Names and versions of the font packages: part of every output's inputs. */
export function fontPackagesDigest(): string {
  const require = createRequire(import.meta.url);
  return Object.values(FAMILIES)
    .map(({ pkg }) => `${pkg}@${(JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version}`)
    .join(' ');
}

export function parseUnicodeRange(value: string): [number, number][] {
  return value.split(',').map((part) => {
    const [a, b] = part.trim().replace(/^U\+/i, '').split('-');
    const start = parseInt(a ?? '', 16);
    return [start, b ? parseInt(b, 16) : start] as [number, number];
  });
}
