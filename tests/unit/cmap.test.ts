/**
 * The cmap reader that decides which bundled font file has a glyph for a
 * character (src/cmap.ts) against fontkit, for every file the bundled font
 * families use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FontFileError, woff2CodePoints } from '../../src/cmap.js';
import { bundledFonts } from '../../src/fonts.js';

const fontkit = createRequire(import.meta.url)('fontkit') as typeof import('fontkit');

describe('woff2CodePoints', () => {
  it('gives exactly the characters fontkit finds a glyph for, in every bundled font file', () => {
    const files = [...new Set(bundledFonts('zh-Hant').faces.map((f) => f.absPath))];
    expect(files.length).toBeGreaterThan(300);
    const differing: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(file);
      const font = fontkit.create(bytes) as import('fontkit').Font;
      const expected = font.characterSet.filter((cp) => font.hasGlyphForCodePoint(cp)).sort((a, b) => a - b);
      const found = [...woff2CodePoints(bytes)].sort((a, b) => a - b);
      if (found.join() !== expected.join()) differing.push(file);
    }
    expect(differing).toEqual([]);
  }, 60_000);

  it('refuses a file that is not WOFF2, and one that is cut short', () => {
    expect(() => woff2CodePoints(Buffer.from('OTTO not a woff2 file'))).toThrow(FontFileError);
    const file = bundledFonts('zh-Hant').faces[0]!.absPath;
    expect(() => woff2CodePoints(readFileSync(file).subarray(0, 200))).toThrow();
  });
});
