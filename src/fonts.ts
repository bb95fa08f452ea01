/**
 * The bundled typefaces. Documents never depend on fonts installed on the
 * machine: every family ships as an npm package whose stylesheet lists its
 * files, each a unicode-range subset:
 *
 * - Noto Sans TC and Noto Sans SC (@fontsource). Each covers its own script's
 *   characters only (Noto Sans TC lacks 区, 识, 权 …), so a document uses both,
 *   in the order its language prefers: its own script first, the other for
 *   what the first lacks.
 * - Hanazono Mincho (hanamin), only its subsets in Plane 2: the rare ideographs
 *   of CJK Extensions B–F (𠮷, 𡘙, 𪚥 …) that neither Noto font has. Every
 *   character of the Basic Multilingual Plane keeps its Noto glyph.
 * - Noto Emoji (@fontsource) for pictographs.
 *
 * A document's CSS declares only the subsets its text needs, and charts
 * measure their labels with the same font files so Vega's layout matches what
 * Chromium draws. The print stage sets documents in one font per family and
 * weight, merged from the subsets (printFonts): Chromium embeds each font file
 * as a font of its own in the PDF.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Fontkit from 'fontkit';
import { woff2CodePoints } from './cmap.js';
import { glyphMap, mergeFonts, sfntTables, woff, type Tables } from './merge.js';

type Range = readonly [number, number];

interface Family {
  /** The name documents use for it in CSS (`font-family`). */
  readonly family: string;
  readonly pkg: string;
  /** Stylesheets inside the package with one @font-face per subset: its file, weight and unicode-range. */
  readonly stylesheets: readonly string[];
  /** Which of the package's subsets to use, by their code point ranges (default: all). */
  readonly keep?: (ranges: readonly Range[]) => boolean;
  /**
   * A family with one weight declares it for every weight documents use, so bold text takes the
   * regular glyphs as they are. Left to embolden them itself, Chromium would draw them as outlines
   * (a Type 3 font in the PDF) instead of embedding the font.
   */
  readonly anyWeight?: boolean;
  /**
   * Whether the printer gets one font per weight, merged from all its subsets (merge.ts), rather than
   * the subsets themselves: the package must ship each subset as WOFF 1.0 beside the WOFF2, since
   * WOFF2 stores glyphs transformed. Chromium embeds each font file as its own font in the PDF.
   */
  readonly merge?: boolean;
  /** The licence to pass on with the font files: a file in the package, or the text itself. */
  readonly licence: { readonly file: string } | { readonly text: string };
}

/** Hanazono's own licence (it may also be used under the SIL OFL 1.1); the npm package ships none. */
const HANAZONO_LICENCE = `Hanazono Mincho (HanaMinB, release 20170904), from the npm package hanamin.
Copyright 2008-2017 GlyphWiki Project. The font is licensed under the Hanazono Font License or the
SIL Open Font License 1.1, at the user's choice; the Hanazono Font License reads:

-----------------------------------------------------------
Hanazono Font License
-----------------------------------------------------------

This font is a free software.
Unlimited permission is granted to use, copy, and distribute it, with
or without modification, either commercially and noncommercially.
THIS FONT IS PROVIDED "AS IS" WITHOUT WARRANTY.
License of this document is same as the font.

Copyright 2008, 2009, 2010, 2011 GlyphWiki Project.
`;

/** Supplementary Ideographic Plane: CJK Extensions B–F and the compatibility ideographs supplement. */
const PLANE_2: Range = [0x20000, 0x2ffff];

const FAMILIES = {
  tc: { family: 'Noto Sans TC', pkg: '@fontsource/noto-sans-tc', stylesheets: ['400.css', '700.css'], merge: true, licence: { file: 'LICENSE' } },
  sc: { family: 'Noto Sans SC', pkg: '@fontsource/noto-sans-sc', stylesheets: ['400.css', '700.css'], merge: true, licence: { file: 'LICENSE' } },
  // HanaMinA and HanaMinB, split into subsets of about 1024 code points. Only the subsets wholly in Plane 2
  // (HanaMinB's Extensions B–F, HanaMinA's compatibility ideographs supplement): a Mincho glyph among Noto
  // Sans ones is acceptable for a character no other font has, not for common ones. Regular weight only,
  // in bold text too. The stylesheet's local() sources are not used: only these files are.
  rare: {
    family: 'Hanazono Mincho',
    pkg: 'hanamin',
    stylesheets: ['HanaMin.css'],
    keep: (ranges) => ranges.every(([a, b]) => a >= PLANE_2[0] && b <= PLANE_2[1]),
    anyWeight: true,
    licence: { text: HANAZONO_LICENCE },
  },
  // Monochrome outlines (not colour bitmaps), so emoji embed in the PDF like text.
  emoji: { family: 'Noto Emoji', pkg: '@fontsource/noto-emoji', stylesheets: ['400.css'], anyWeight: true, merge: true, licence: { file: 'LICENSE' } },
} as const satisfies Record<string, Family>;

/** The weights documents are set in. A family without one gets its nearest weight, as in CSS font matching. */
const WEIGHTS = [400, 700] as const;

export interface FontFace {
  readonly family: string;
  readonly weight: number;
  /** The font-weight it is declared with: its weight, or the range of weights it serves. */
  readonly cssWeight: string;
  /** File name, unique across the bundled packages; also its URL path below /fonts/. */
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
  /** Every bundled face, its families in this set's order. */
  readonly faces: readonly FontFace[];
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
  const order = /^zh-(hans|cn|sg|my)\b|^zh$/i.test(lang) ? (['sc', 'tc', 'rare', 'emoji'] as const) : (['tc', 'sc', 'rare', 'emoji'] as const);
  return bundledFontsIn(order.map((k) => FAMILIES[k].family));
}

/**
 * The bundled fonts in the order of `families` (a FontSet's own `families`): the same set in another
 * thread, which cannot be handed the FontSet itself.
 */
export function bundledFontsIn(families: readonly string[]): FontSet {
  const known = new Set<string>(Object.values(FAMILIES).map((f) => f.family));
  const unknown = families.find((f) => !known.has(f));
  if (unknown !== undefined) throw new Error(`"${unknown}" is not a bundled font family: use one of ${[...known].join(', ')}.`);
  const key = families.join(',');
  let set = cache.get(key);
  if (!set) {
    set = fontSet(families);
    cache.set(key, set);
  }
  return set;
}

function faces(): Map<string, FontFace[]> {
  if (allFaces) return allFaces;
  const require = createRequire(import.meta.url);
  const byFile = new Map<string, string>();
  allFaces = new Map();
  for (const spec of Object.values(FAMILIES) as Family[]) {
    const list: FontFace[] = [];
    for (const stylesheet of spec.stylesheets) {
      const cssPath = require.resolve(`${spec.pkg}/${stylesheet}`);
      const css = readFileSync(cssPath, 'utf8');
      for (const block of css.matchAll(/@font-face\s*{([^}]*)}/g)) {
        const body = block[1] ?? '';
        const url = /url\(\s*['"]?([^'")\s]+\.woff2)['"]?\s*\)/.exec(body)?.[1];
        const range = /unicode-range:\s*([^;]+);/.exec(body)?.[1];
        if (!url || !range) continue;
        const ranges = parseUnicodeRange(range);
        if (spec.keep && !spec.keep(ranges)) continue;
        const file = path.posix.basename(url);
        const absPath = path.join(path.dirname(cssPath), url);
        // Files are served and copied by name alone: two packages must not both have one.
        const other = byFile.get(file);
        if (other !== undefined && other !== absPath) throw new Error(`Two bundled font files are named ${file}: ${other} and ${absPath}.`);
        byFile.set(file, absPath);
        const weight = Number(/font-weight:\s*(\d+)/.exec(body)?.[1] ?? 400);
        const cssWeight = spec.anyWeight ? `${WEIGHTS[0]} ${WEIGHTS[WEIGHTS.length - 1]}` : String(weight);
        list.push({ family: spec.family, weight, cssWeight, file, absPath, ranges, unicodeRange: range.replace(/\s+/g, ' ').trim() });
      }
    }
    allFaces.set(spec.family, list);
  }
  return allFaces;
}

/**
 * The weight CSS font matching takes from a family's `available` weights for
 * `wanted` (for the weights documents use: above 500 the next heavier, else
 * the next lighter, first). Chromium then emboldens a lighter face itself.
 */
function matchWeight(available: readonly number[], wanted: number): number | undefined {
  if (available.includes(wanted)) return wanted;
  const heavier = available.filter((w) => w > wanted).sort((a, b) => a - b);
  const lighter = available.filter((w) => w < wanted).sort((a, b) => b - a);
  return (wanted > 500 ? [...heavier, ...lighter] : [...lighter, ...heavier])[0];
}

function fontSet(families: readonly string[]): FontSet {
  const byFamily = faces();
  const ordered = families.map((f) => byFamily.get(f) ?? []);
  const all = ordered.flat();
  // Per family (its place in `ordered`) and weight, the faces' ranges sorted by start, for a binary search per code point.
  const indexes = new Map<number, RangeIndex>();
  const rangesOf = (family: number, weight: number): RangeIndex => {
    const key = family * 1000 + weight;
    let index = indexes.get(key);
    if (!index) indexes.set(key, (index = rangeIndex(ordered[family]!.filter((f) => f.weight === weight))));
    return index;
  };
  const weightsOf = ordered.map((list) => [...new Set(list.map((f) => f.weight))]);

  /**
   * The face Chromium draws the code point with: in family order, the first
   * family whose faces of the matched weight cover it (memoised: documents
   * repeat their characters).
   */
  const lookup = new Map<number, FontFace | null>();
  const faceOf = (cp: number, weight: number): FontFace | undefined => {
    const key = cp * 1000 + weight;
    let face = lookup.get(key);
    if (face === undefined) {
      face = null;
      for (let i = 0; i < ordered.length; i++) {
        const w = matchWeight(weightsOf[i]!, weight);
        const found = w === undefined ? undefined : rangesOf(i, w).claiming(cp).find((f) => hasGlyph(f, cp));
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
  // fontkit loads the first time a label is measured (charts), not when citybrief starts.
  let fontkit: typeof Fontkit | undefined;
  const open = (face: FontFace): Fontkit.Font => {
    let font = fonts.get(face.absPath);
    if (!font) {
      fontkit ??= createRequire(import.meta.url)('fontkit') as typeof Fontkit;
      font = fontkit.create(readFileSync(face.absPath)) as Fontkit.Font;
      fonts.set(face.absPath, font);
    }
    return font;
  };
  /**
   * Whether the face's file really has the character. A subset's unicode-range
   * is not always a promise: Noto Sans TC's subsets declare ranges over emoji
   * they have no glyph for, and Hanazono's cover whole blocks. Trusted as
   * declared, such a face would be chosen, Chromium would find no glyph in it
   * and print a box, since the face that has it was never declared.
   */
  const covered = new Map<string, Set<number>>();
  const hasGlyph = (face: FontFace, cp: number): boolean => {
    let cps = covered.get(face.absPath);
    if (!cps) {
      cps = woff2CodePoints(readFileSync(face.absPath));
      covered.set(face.absPath, cps);
    }
    return cps.has(cp);
  };
  const advance = new Map<number, number>();
  const emWidth = (cp: number, weight: number): number => {
    const key = cp * 1000 + weight;
    let em = advance.get(key);
    if (em === undefined) {
      const face = faceOf(cp, weight);
      if (face) {
        const font = open(face);
        em = font.glyphForCodePoint(cp).advanceWidth / font.unitsPerEm;
      } else {
        // Not in the fonts: assume a full-width glyph for wide scripts, else half.
        em = cp >= 0x2e80 ? 1 : 0.55;
      }
      advance.set(key, em);
    }
    return em;
  };

  // The distinct code points of a text, in order of first appearance. A document is tens of
  // thousands of characters of few distinct ones: a stamp per code point (the number of the scan
  // that last saw it) finds them without building a set.
  let seen: Uint32Array | undefined;
  let scans = 0;
  const codePoints = (text: string): number[] => {
    seen ??= new Uint32Array(0x110000);
    const stamp = ++scans;
    const cps: number[] = [];
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (seen[cp] !== stamp) {
        seen[cp] = stamp;
        cps.push(cp);
      }
    }
    return cps;
  };

  return {
    families,
    stack: families.map((f) => `'${f}'`).join(', '),
    faces: all,
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
      return { faces: all.filter((f) => needed.has(f)), missing };
    },
    css(list, urlBase) {
      return list
        .map((f) => `@font-face{font-family:'${f.family}';font-style:normal;font-display:block;font-weight:${f.cssWeight};src:url(${urlBase}${f.file}) format('woff2');unicode-range:${f.unicodeRange};}`)
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

/** A font the printer adds to its page for a document. */
export interface PrintFace {
  /** Its name, unique across the bundled fonts and their merged files; a subset's is its file name. */
  readonly file: string;
  readonly family: string;
  /** The font-weight it is declared with. */
  readonly cssWeight: string;
  /** A subset's declared range. A merged font has none: its cmap alone says what it covers. */
  readonly unicodeRange?: string;
  /** A merged font's family and weight, which a later file of it replaces in a page. */
  readonly replaces?: string;
  /** The font's bytes (WOFF2 for a subset, WOFF for a merged font), read or made the first time they are asked for. */
  bytes(): Buffer;
}

/** The fonts one printer sets documents in. */
export interface PrintFonts {
  /** Faces the documents about to be printed will need (FontSet.scan of their data): the next merged files draw them. */
  expect(used: readonly FontFace[]): void;
  /**
   * The fonts for a document whose text needs `used` (FontSet.scan), in their order: for a family
   * that merges, one font per weight (so its PDF embeds one font per face); for the others, the
   * subsets themselves.
   */
  forDocument(used: readonly FontFace[]): PrintFace[];
}

/**
 * A family's subsets of one weight, merged (merge.ts): each character maps to the glyph of the
 * subset the stylesheet gives it, the first whose unicode-range declares it and whose file has it (as
 * FontSet.scan chooses). The subset that draws most of basic Latin comes first and keeps its layout
 * tables (kerning, ligatures); the others follow, the stylesheet's last first: fontsource lists the
 * most used subsets of a CJK font last, and a PDF's subset of the font keeps glyph numbers, so its
 * tables grow with the highest glyph a document uses.
 */
export interface Merged {
  /** The merged font, with the outlines of the subsets (files) given. */
  font(files: ReadonlySet<string>): Buffer;
  /** The subset whose layout tables it keeps: its outlines are always included. */
  readonly base: string;
}

const mergedFonts = new Map<string, Merged>();

export function mergedFamily(family: string, weight: number): Merged {
  const key = `${family} ${weight}`;
  let merged = mergedFonts.get(key);
  if (merged) return merged;
  const subsets = (faces().get(family) ?? []).filter((f) => f.weight === weight);
  // WOFF2 stores glyphs transformed; fontsource ships every subset as WOFF 1.0 too.
  const tables: Tables[] = subsets.map((face) => sfntTables(readFileSync(face.absPath.replace(/\.woff2$/, '.woff'))));
  const owner = new Map<number, readonly [number, number]>();
  subsets.forEach((face, i) => {
    for (const [cp, glyph] of glyphMap(tables[i]!)) {
      if (owner.has(cp) || !face.ranges.some(([a, b]) => cp >= a && cp <= b)) continue;
      owner.set(cp, [i, glyph]);
    }
  });
  const ascii = new Array<number>(subsets.length).fill(0);
  for (const [cp, [i]] of owner) if (cp >= 0x20 && cp <= 0x7e) ascii[i]!++;
  const base = ascii.indexOf(Math.max(...ascii));
  const order = [base, ...subsets.map((_, i) => subsets.length - 1 - i).filter((i) => i !== base)];
  const place = new Map(order.map((i, at) => [i, at]));
  const cmap = new Map([...owner].map(([cp, [i, glyph]]) => [cp, [place.get(i)!, glyph] as const]));
  merged = {
    base: subsets[base]!.file,
    font: (files) =>
      mergeFonts(
        order.map((i) => tables[i]!),
        cmap,
        (p) => files.has(subsets[order[p]!]!.file),
      ),
  };
  mergedFonts.set(key, merged);
  return merged;
}

/**
 * The fonts of one printer. A merged CJK font has some 12,000 glyphs, 4 MB: a page would take about a
 * second to be handed each. So a merged file carries the outlines of the subsets expected or
 * needed so far (and of its base), and every other glyph is empty; a document that needs another
 * subset gets a new file with it added, which replaces the page's older one. Glyph numbers, metrics
 * and the cmap are those of the whole font in every file, so a document prints the same bytes
 * whichever file covering its text it gets: what it prints does not depend on the documents printed
 * before it.
 */
export function printFonts(): PrintFonts {
  const subsets = new Map<string, PrintFace>();
  const current = new Map<string, { face: PrintFace; files: ReadonlySet<string>; version: number }>();
  const expected = new Map<string, Set<string>>();
  const keyOf = (face: FontFace) => `${face.family.toLowerCase().replaceAll(' ', '-')}-${face.weight}`;
  const merges = (face: FontFace) => (Object.values(FAMILIES) as Family[]).some((f) => f.family === face.family && f.merge);
  return {
    expect(used) {
      for (const face of used) {
        if (!merges(face)) continue;
        const key = keyOf(face);
        expected.set(key, (expected.get(key) ?? new Set()).add(face.file));
      }
    },
    forDocument(used) {
      // In the order of `used`: a subset as it is, or the merged font of its family and weight (once).
      const order: (PrintFace | string)[] = [];
      const needed = new Map<string, { like: FontFace; files: Set<string> }>();
      for (const face of used) {
        if (!merges(face)) {
          order.push(subsetFace(subsets, face));
          continue;
        }
        const key = keyOf(face);
        if (!needed.has(key)) {
          needed.set(key, { like: face, files: new Set() });
          order.push(key);
        }
        needed.get(key)!.files.add(face.file);
      }
      return order.map((item) => {
        if (typeof item !== 'string') return item;
        const { like, files } = needed.get(item)!;
        const held = current.get(item);
        if (held && [...files].every((f) => held.files.has(f))) return held.face;
        const merged = mergedFamily(like.family, like.weight);
        const all = new Set([merged.base, ...(held?.files ?? []), ...(expected.get(item) ?? []), ...files]);
        const version = (held?.version ?? 0) + 1;
        let body: Buffer | undefined;
        const face: PrintFace = {
          file: `${item}-${version}.woff`,
          family: like.family,
          cssWeight: like.cssWeight,
          replaces: item,
          bytes: () => (body ??= woff(merged.font(all))),
        };
        current.set(item, { face, files: all, version });
        return face;
      });
    },
  };
}

function subsetFace(made: Map<string, PrintFace>, face: FontFace): PrintFace {
  let printed = made.get(face.file);
  if (!printed) {
    let body: Buffer | undefined;
    printed = { file: face.file, family: face.family, cssWeight: face.cssWeight, unicodeRange: face.unicodeRange, bytes: () => (body ??= readFileSync(face.absPath)) };
    made.set(face.file, printed);
  }
  return printed;
}

/**
 * The licence of each family among `faces`, as a file to put beside the font files an HTML output
 * uses (out/fonts/): the licences allow passing the fonts on, with their licence.
 */
export function fontLicences(faces: readonly FontFace[]): { file: string; text: string }[] {
  const used = new Set(faces.map((f) => f.family));
  return (Object.values(FAMILIES) as Family[]).filter((spec) => used.has(spec.family)).map(licenceOf);
}

const licences = new Map<string, { file: string; text: string }>();
function licenceOf(spec: Family): { file: string; text: string } {
  let licence = licences.get(spec.family);
  if (!licence) {
    const text = 'text' in spec.licence ? spec.licence.text : readFileSync(createRequire(import.meta.url).resolve(`${spec.pkg}/${spec.licence.file}`), 'utf8');
    licence = { file: `LICENSE-${spec.family.replaceAll(' ', '-')}.txt`, text };
    licences.set(spec.family, licence);
  }
  return licence;
}

/** Names and versions of the font packages: part of every output's inputs. */
export function fontPackagesDigest(): string {
  const require = createRequire(import.meta.url);
  return (Object.values(FAMILIES) as Family[])
    .map(({ pkg }) => `${pkg}@${(JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version}`)
    .join(' ');
}

interface RangeIndex {
  /** The faces whose unicode-range includes the code point, in declaration order. */
  claiming(cp: number): FontFace[];
}

function rangeIndex(list: readonly FontFace[]): RangeIndex {
  const spans = list
    .flatMap((face, order) => face.ranges.map(([start, end]) => ({ start, end, face, order })))
    .sort((a, b) => a.start - b.start);
  // The furthest end among spans up to each position: the search stops where no earlier span reaches the code point.
  const reach: number[] = [];
  spans.forEach((span, i) => reach.push(Math.max(span.end, reach[i - 1] ?? -1)));
  return {
    claiming(cp) {
      let lo = 0;
      let hi = spans.length - 1;
      let last = -1; // the last span starting at or before cp
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (spans[mid]!.start <= cp) {
          last = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      const found: { face: FontFace; order: number }[] = [];
      for (let i = last; i >= 0 && reach[i]! >= cp; i--) if (spans[i]!.end >= cp) found.push(spans[i]!);
      return found.sort((a, b) => a.order - b.order).map((s) => s.face);
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
