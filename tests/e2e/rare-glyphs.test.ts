/**
 * Rare ideographs outside the Basic Multilingual Plane (𠮷 U+20BB7, 𪚥 U+2A6A5,
 * 𡘙 U+21619 of CJK Extension B), which neither Noto font has, print from the
 * bundled Hanazono Mincho wherever they stand: the city name (the bold
 * heading, the ranking chart's labels), headline phrases, a chart's title and
 * bar label, the narrative. No warning, only bundled fonts embedded, and text
 * extraction gives the characters back in order. Hanazono has a regular weight
 * only, declared for bold too, so bold text embeds the font itself rather than
 * outlines Chromium emboldened. A character no bundled font has is still named
 * in a warning.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDict, PDFDocument, PDFName, PDFRef, PDFStream, type PDFObject } from 'pdf-lib';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledFonts } from '../../src/fonts.js';
import { build, type BuildResult } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { readPdf, squash, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const data = path.join(root, 'tests/fixtures/rare-glyphs');
const RARE = ['𠮷', '𪚥', '𡘙'] as const;
const city = parse(await readFile(path.join(data, 'cities', 'rare-glyphs.yaml'), 'utf8')) as {
  id: string;
  name: { 'zh-Hant': string };
  headline: string[];
  figures: { id: string; label?: string }[];
  charts: { title: string }[];
  narrative: string[];
};
const name = city.name['zh-Hant'];
const FILES = [`${city.id}/briefing.pdf`, `${city.id}/slides.pdf`, 'overview.pdf'];
/** Subset fonts of the bundled families only: Noto Sans TC/SC, Noto Emoji, Hanazono Mincho (HanaMinA/B). */
const BUNDLED = /^\/[A-Z]{6}\+(NotoSansTC|NotoSansSC|NotoEmoji|HanaMin[AB])/;

let work: string;
let out: string;
let result: BuildResult;
const warnings: string[] = [];
const pdfs = new Map<string, PdfFacts>();

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-rare-glyphs-'));
  out = path.join(work, 'out');
  result = await build({ cwd: root, data, out, onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });
  for (const file of FILES) pdfs.set(file, await readPdf(path.join(out, file)));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** BaseFont names of the fonts each page draws with (its resources and those of the forms it uses); `/Type3` for a Type 3 font. */
async function fontsByPage(file: string): Promise<string[][]> {
  const doc = await PDFDocument.load(await readFile(file), { updateMetadata: false });
  const resolve = (value: PDFObject | undefined) => (value instanceof PDFRef ? doc.context.lookup(value) : value);
  const collect = (resources: PDFObject | undefined, names: Set<string>, seen: Set<PDFObject>) => {
    const dict = resolve(resources);
    if (!(dict instanceof PDFDict) || seen.has(dict)) return;
    seen.add(dict);
    const fonts = resolve(dict.get(PDFName.of('Font')));
    if (fonts instanceof PDFDict) {
      for (const [, ref] of fonts.entries()) {
        const font = resolve(ref);
        if (!(font instanceof PDFDict)) continue;
        const subtype = String(resolve(font.get(PDFName.of('Subtype'))));
        names.add(subtype === '/Type3' ? subtype : String(resolve(font.get(PDFName.of('BaseFont')))));
      }
    }
    const xobjects = resolve(dict.get(PDFName.of('XObject')));
    if (xobjects instanceof PDFDict) {
      for (const [, ref] of xobjects.entries()) {
        const form = resolve(ref);
        if (form instanceof PDFStream) collect(form.dict.get(PDFName.of('Resources')), names, seen);
      }
    }
  };
  return doc.getPages().map((page) => {
    const names = new Set<string>();
    collect(page.node.get(PDFName.of('Resources')), names, new Set());
    return [...names];
  });
}

/** How many Type 3 fonts (glyphs drawn as outlines instead of an embedded font) a PDF has. */
async function type3Fonts(file: string): Promise<number> {
  const doc = await PDFDocument.load(await readFile(file), { updateMetadata: false });
  let count = 0;
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (object instanceof PDFDict && object.get(PDFName.of('Subtype'))?.toString() === '/Type3') count++;
  }
  return count;
}

describe('rare ideographs outside the Basic Multilingual Plane', () => {
  it('build without failures and without any warning: no character missing from the bundled fonts, no overflow', () => {
    expect(result.failures).toEqual([]);
    expect(result.refused).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('come back from text extraction, each in its place and in order', () => {
    for (const file of FILES) {
      const { text } = pdfs.get(file)!;
      expect(text, file).toContain(name);
      expect(text.match(/[\u0000\uFFFD]/g)?.length ?? 0, `${file}: characters drawn as a missing glyph`).toBe(0);
    }
    const { text } = pdfs.get(`${city.id}/briefing.pdf`)!;
    expect(text).toContain('𠮷、𪚥、𡘙');
    for (const paragraph of city.narrative) expect(text).toContain(squash(paragraph));
    for (const phrase of city.headline) expect(text).toContain(phrase);
    expect(text).toContain(city.charts[0]!.title);
  });

  it('embed Hanazono Mincho (HanaMinB) on every page that has them, and nothing but the bundled fonts', async () => {
    for (const file of FILES) {
      const pdf = pdfs.get(file)!;
      for (const font of pdf.fonts.filter((f) => f.subtype !== '/Type3')) {
        expect(font.baseFont, file).toMatch(BUNDLED);
        expect(font.embedded, `${file} ${font.baseFont}`).toBe(true);
        expect(font.descendant, `${file} ${font.baseFont}`).toBe('/CIDFontType2');
      }
      const pages = await fontsByPage(path.join(out, file));
      pdf.pageText.forEach((page, i) => {
        const rare = RARE.some((ch) => page.includes(ch));
        const hanamin = pages[i]!.some((f) => /^\/[A-Z]{6}\+HanaMinB/.test(f) || f === '/Type3');
        expect(hanamin, `${file} page ${i + 1}`).toBe(rare);
      });
      expect(pdf.pageText.some((page) => RARE.some((ch) => page.includes(ch))), file).toBe(true);
      expect(pdf.fonts.some((f) => /^\/[A-Z]{6}\+HanaMinB/.test(f.baseFont)), file).toBe(true);
    }
  });

  it('leave one embedded font per Noto face and weight; Hanazono Mincho, not merged, once per file of it the text uses', () => {
    for (const file of FILES) {
      const names = pdfs.get(file)!.fonts.map((f) => f.baseFont.replace(/^\/[A-Z]{6}\+/, ''));
      const noto = names.filter((n) => n.startsWith('Noto'));
      expect(noto, file).toEqual([...new Set(noto)]);
      expect(noto.length, file).toBeGreaterThan(0);
    }
  });

  it('are measured for chart labels as wide as Chromium draws them, so the label is printed whole', async () => {
    // The bar's label, at the axis' 11 px: Vega made room for it with fonts.measure.
    const label = city.figures.find((f) => f.id === 'marks')!.label!;
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const loading = pdfjs.getDocument({ data: new Uint8Array(await readFile(path.join(out, city.id, 'briefing.pdf'))), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
    const { items } = await (await (await loading.promise).getPage(1)).getTextContent();
    await loading.destroy();
    const runs = items.flatMap((item) => ('str' in item && item.str.trim() !== '' ? [{ str: item.str, x: item.transform[4] as number, y: item.transform[5] as number, size: item.transform[0] as number, width: item.width }] : []));
    // Text runs of one line at the label's size, left to right, until they spell the label.
    const line = (first: (typeof runs)[number]) => runs.filter((r) => Math.abs(r.y - first.y) < 0.01 && Math.abs(r.size - first.size) < 0.01 && r.x >= first.x).sort((a, b) => a.x - b.x);
    const start = runs.find((r) => label.startsWith(r.str) && line(r).map((x) => x.str).join('').startsWith(label) && Math.abs(r.size - 11 * 0.75) < 0.01);
    expect(start, 'the bar label on page 1').toBeDefined();
    const used: typeof runs = [];
    for (const run of line(start!)) {
      if (used.map((r) => r.str).join('').length >= label.length) break;
      used.push(run);
    }
    expect(used.map((r) => r.str).join('')).toBe(label);
    const drawn = used.at(-1)!.x + used.at(-1)!.width - used[0]!.x;
    // In points: 11 px is 8.25 pt.
    expect(Math.abs(drawn - bundledFonts('zh-Hant').measure(label, 11) * 0.75)).toBeLessThan(0.5);
  });

  it('in bold text (the heading) too are set in the embedded Hanazono font, not drawn as outlines', async () => {
    // Hanazono has one weight, declared for bold as well: Chromium would otherwise embolden it itself
    // and draw the glyphs as a Type 3 font (outlines), not as the embedded font.
    for (const file of FILES) expect(await type3Fonts(path.join(out, file)), file).toBe(0);
  });

  it('have their font licence beside the font files, as every family used does', async () => {
    const files = await readdir(path.join(out, 'fonts'));
    expect(files.filter((f) => f.startsWith('LICENSE-')).sort()).toEqual(['LICENSE-Hanazono-Mincho.txt', 'LICENSE-Noto-Sans-TC.txt']);
    const hanazono = await readFile(path.join(out, 'fonts', 'LICENSE-Hanazono-Mincho.txt'), 'utf8');
    expect(hanazono).toContain('Hanazono Font License');
    expect(hanazono).toContain('GlyphWiki Project');
    expect(await readFile(path.join(out, 'fonts', 'LICENSE-Noto-Sans-TC.txt'), 'utf8')).toContain('SIL Open Font License');
  });

  it('are declared in the HTML output as Hanazono Mincho, its one weight serving regular and bold, with the package files beside it', async () => {
    const html = await readFile(path.join(out, city.id, 'briefing.html'), 'utf8');
    const rules = html.match(/@font-face\{font-family:'Hanazono Mincho';[^}]*\}/g) ?? [];
    expect(rules.map((r) => /url\(\.\.\/fonts\/([^)]+)\)/.exec(r)?.[1]).sort()).toEqual([
      'HanaMinB.CJK-Unified-Ideographs-Extension-B-03.woff2',
      'HanaMinB.CJK-Unified-Ideographs-Extension-B-06.woff2',
      'HanaMinB.CJK-Unified-Ideographs-Extension-B-42.woff2',
    ]);
    for (const rule of rules) expect(rule).toContain('font-weight:400 700;');
    expect(html).not.toContain('local(');
    const require = createRequire(import.meta.url);
    const pkg = path.dirname(require.resolve('hanamin/package.json'));
    for (const rule of rules) {
      const file = /url\(\.\.\/fonts\/([^)]+)\)/.exec(rule)![1]!;
      expect((await readFile(path.join(out, 'fonts', file))).equals(await readFile(path.join(pkg, file))), file).toBe(true);
    }
  });
});

describe('a character no bundled font has', () => {
  it('is named in a warning, beside the rare ideographs that are covered', async () => {
    const copy = path.join(work, 'uncovered');
    await cp(data, copy, { recursive: true });
    const file = path.join(copy, 'cities', `${city.id}.yaml`);
    // U+30000, CJK Extension G: in no bundled font.
    await writeFile(file, (await readFile(file, 'utf8')).replace('commentary: ', 'commentary: \u{30000}'));
    const seen: string[] = [];
    const built = await build({ cwd: root, data: copy, out: path.join(work, 'uncovered-out'), kinds: ['briefing'], cities: [city.id], onProgress: (e) => e.type === 'warning' && seen.push(e.message) });
    expect(built.failures).toEqual([]);
    expect(seen).toEqual([msg.uncoveredGlyphs(`${city.id}/briefing.html`, ['\u{30000}'])]);
  });
});
