/**
 * A face's unicode-range subsets merged into the one font the printer sets documents in: every
 * character the stylesheet gives the face maps to the same glyph (shape and advance) as in its
 * subset; characters the face lacks stay out of its cmap, so they fall back to the next family as
 * before; and a file with only some subsets' outlines numbers, maps and measures every glyph as
 * the whole font does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Fontkit from 'fontkit';
import { describe, expect, it } from 'vitest';
import { bundledFonts, mergedFamily, printFonts } from '../../src/fonts.js';

const fontkit = createRequire(import.meta.url)('fontkit') as typeof Fontkit;
const open = (bytes: Buffer) => fontkit.create(bytes) as Fontkit.Font;
const fonts = bundledFonts('zh-Hant');
const TEXT = '成都 · Chengdu 2013年副省級城市知識產權工作巡禮，發明專利授權量排名第3位（+10.3%）。Ünïcödé “quotes” — 鬱龘';

/** The merged font's file as the printer is handed it, as a bare font (fontkit reads WOFF 1.0 poorly). */
function mergedTtf(family: string, weight: number, files?: Set<string>): Buffer {
  const merged = mergedFamily(family, weight);
  return merged.font(files ?? new Set(fonts.faces.filter((f) => f.family === family && f.weight === weight).map((f) => f.file)));
}

describe('a merged face', () => {
  for (const weight of [400, 700]) {
    it(`draws every character of Noto Sans TC ${weight} with its subset's glyph`, () => {
      const merged = open(mergedTtf('Noto Sans TC', weight));
      const { faces } = fonts.scan(TEXT);
      for (const ch of new Set(TEXT)) {
        const cp = ch.codePointAt(0)!;
        if (/\s/.test(ch)) continue;
        // The subset the stylesheet draws it with, at this weight.
        const subset = faces.find((f) => f.family === 'Noto Sans TC' && f.weight === weight && f.ranges.some(([a, b]) => cp >= a && cp <= b) && open(readFileSync(f.absPath)).hasGlyphForCodePoint(cp));
        expect(subset, ch).toBeDefined();
        const want = open(readFileSync(subset!.absPath)).glyphForCodePoint(cp);
        const got = merged.glyphForCodePoint(cp);
        expect(got.id, ch).not.toBe(0);
        expect(got.advanceWidth, ch).toBe(want.advanceWidth);
        // The same shape: fontsource's WOFF files (which the merge reads: WOFF2 stores glyphs
        // transformed) have the outlines with their overlaps removed, the WOFF2 files as drawn.
        const box = (b: Fontkit.BBox) => [b.minX, b.minY, b.maxX, b.maxY].map(Math.round);
        expect(box(got.bbox), ch).toEqual(box(want.bbox));
      }
    });
  }

  it('leaves out what the face has no glyph for, so it falls back to the next family', () => {
    const merged = open(mergedTtf('Noto Sans TC', 400));
    // 区 and 识 are Simplified only: Noto Sans SC draws them. 😀: Noto Emoji. 𠮷: Hanazono Mincho.
    for (const ch of ['区', '识', '😀', '𠮷']) expect(merged.hasGlyphForCodePoint(ch.codePointAt(0)!), ch).toBe(false);
    expect(fonts.scan('区识').faces.map((f) => f.family)).toEqual(['Noto Sans SC', 'Noto Sans SC', 'Noto Sans SC', 'Noto Sans SC']);
  });

  it('with only some subsets\' outlines, numbers, maps and measures every glyph as the whole font does', () => {
    const whole = open(mergedTtf('Noto Sans TC', 400));
    const merged = mergedFamily('Noto Sans TC', 400);
    const part = open(merged.font(new Set([merged.base])));
    expect(part.numGlyphs).toBe(whole.numGlyphs);
    expect(part.characterSet).toEqual(whole.characterSet);
    let empty = 0;
    for (const cp of whole.characterSet) {
      const [a, b] = [whole.glyphForCodePoint(cp), part.glyphForCodePoint(cp)];
      expect(b.id).toBe(a.id);
      expect(b.advanceWidth).toBe(a.advanceWidth);
      if (b.path.commands.length === 0 && a.path.commands.length > 0) empty++;
      else expect(b.path.toSVG()).toBe(a.path.toSVG());
    }
    // Most CJK characters are in other subsets: their glyphs are there, empty.
    expect(empty).toBeGreaterThan(10_000);
  });
});

describe('the printer\'s fonts', () => {
  it('are one merged font per family and weight, and the subsets of a family that does not merge', () => {
    const { faces } = fonts.scan(`${TEXT}<b>${TEXT}</b>𠮷😀`);
    const printed = printFonts().forDocument(faces);
    expect(printed.map((f) => [f.family, f.cssWeight, f.unicodeRange === undefined])).toEqual([
      ['Noto Sans TC', '400', true],
      ['Noto Sans TC', '700', true],
      ['Hanazono Mincho', '400 700', false],
      ['Noto Emoji', '400 700', true],
    ]);
  });

  it('keep a file while it draws the documents, and add to it what a document needs beyond it', () => {
    const printer = printFonts();
    const first = printer.forDocument(fonts.scan('成都').faces);
    expect(printer.forDocument(fonts.scan('都成').faces)).toEqual(first);
    const more = printer.forDocument(fonts.scan('成都鬱龘').faces);
    expect(more[0]!.file).not.toBe(first[0]!.file);
    expect(more[0]!.replaces).toBe(first[0]!.replaces);
    // What was expected (the build's data) is drawn by the first file made after.
    const expecting = printFonts();
    expecting.expect(fonts.scan('成都鬱龘').faces);
    const made = expecting.forDocument(fonts.scan('成都').faces);
    expect(expecting.forDocument(fonts.scan('鬱龘').faces)).toEqual(made);
  });
});
