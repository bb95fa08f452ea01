/**
 * The bundled fonts: which face each character is drawn with, which
 * characters no bundled face has, and measuring with the faces' own files.
 * Rare ideographs of Plane 2 come from Hanazono Mincho; the Basic
 * Multilingual Plane never does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bundledFonts, fontPackagesDigest } from '../../src/fonts.js';

const RARE = '𠮷𪚥𡘙'; // U+20BB7, U+2A6A5, U+21619: CJK Extension B, in neither Noto Sans TC nor SC
const fonts = bundledFonts('zh-Hant');

describe('rare ideographs outside the Basic Multilingual Plane', () => {
  it('are covered by Hanazono Mincho, in the regular weight only, from its Plane-2 files', () => {
    const { faces, missing } = fonts.scan(RARE);
    expect(missing).toEqual([]);
    expect(faces.map((f) => [f.family, f.weight, f.file])).toEqual([
      ['Hanazono Mincho', 400, 'HanaMinB.CJK-Unified-Ideographs-Extension-B-03.woff2'],
      ['Hanazono Mincho', 400, 'HanaMinB.CJK-Unified-Ideographs-Extension-B-06.woff2'],
      ['Hanazono Mincho', 400, 'HanaMinB.CJK-Unified-Ideographs-Extension-B-42.woff2'],
    ]);
    // Bold text asks for 700 too; the family has only 400, which Chromium emboldens.
    const hanazono = fonts.scan(`<h1>${RARE}</h1>`).faces.filter((f) => f.family === 'Hanazono Mincho');
    expect(hanazono.map((f) => f.weight)).toEqual([400, 400, 400]);
  });

  it('cover the compatibility ideographs supplement too, from the one HanaMinA file in Plane 2', () => {
    // U+2F800 and U+2FA1D: the first and last of the block.
    const { faces, missing } = fonts.scan('\u{2F800}\u{2FA1D}');
    expect(missing).toEqual([]);
    expect(faces.map((f) => [f.family, f.file, f.unicodeRange])).toEqual([['Hanazono Mincho', 'HanaMinA.CJK-Compatibility-Ideographs-Supplement.woff2', 'U+2f800-2fa1d']]);
  });

  it('come after both Noto fonts: a Plane-2 character Noto Sans TC has stays Noto Sans TC', () => {
    // U+20487 is one of the Extension B characters Noto Sans TC carries (for Hong Kong usage).
    expect(fonts.scan('\u{20487}').faces.map((f) => f.family)).toEqual(['Noto Sans TC', 'Noto Sans TC']);
    expect(bundledFonts('zh-Hant').families).toEqual(['Noto Sans TC', 'Noto Sans SC', 'Hanazono Mincho', 'Noto Emoji']);
    expect(bundledFonts('zh-Hans').families).toEqual(['Noto Sans SC', 'Noto Sans TC', 'Hanazono Mincho', 'Noto Emoji']);
  });

  it('never draws a character outside Plane 2 in Hanazono Mincho: none of its other files is used', () => {
    // The package also has files for the Basic Multilingual Plane and Plane 1 (Latin, kana, ideographs,
    // emoji …). Try the first and last code point of every range of each of them.
    const require = createRequire(import.meta.url);
    const css = readFileSync(require.resolve('hanamin/HanaMin.css'), 'utf8');
    const probes: string[] = [];
    for (const [, range] of css.matchAll(/unicode-range:\s*([^;]+);/g)) {
      for (const part of range!.split(',')) {
        const [a, b = a] = part.trim().replace(/^U\+/i, '').split('-').map((h) => parseInt(h!, 16));
        if (a! < 0x20000) probes.push(String.fromCodePoint(a!), String.fromCodePoint(b!));
      }
    }
    expect(probes.length).toBeGreaterThan(300);
    for (const lang of ['zh-Hant', 'zh-Hans']) {
      const { faces } = bundledFonts(lang).scan(probes.join(''));
      expect(faces.filter((f) => f.family === 'Hanazono Mincho'), lang).toEqual([]);
    }
    expect(new Set(fonts.scan('📈🏙').faces.map((f) => f.family))).toEqual(new Set(['Noto Emoji']));
  });

  it('declares its faces with the package file alone, never a font installed on the machine', () => {
    const css = fonts.css(fonts.scan('𠮷').faces, '../fonts/');
    expect(css).toBe(
      "@font-face{font-family:'Hanazono Mincho';font-style:normal;font-display:block;font-weight:400 700;" +
        "src:url(../fonts/HanaMinB.CJK-Unified-Ideographs-Extension-B-03.woff2) format('woff2');unicode-range:U+20800-20bff;}",
    );
    expect(css).not.toContain('local(');
  });
});

describe('characters no bundled font has', () => {
  it('are still reported as missing, once each, in the order they occur', () => {
    // U+30000 (Extension G) and U+2EBF0 (Extension I, in Plane 2 but after Hanazono's last file) and U+E000 (private use).
    const { faces, missing } = fonts.scan('甲\u{30000}乙\u{2EBF0}丙\u{30000}\uE000𠮷');
    expect(missing).toEqual(['\u{30000}', '\u{2EBF0}', '\uE000']);
    expect(faces.some((f) => f.family === 'Hanazono Mincho')).toBe(true);
  });

  it('are reported for a Simplified Chinese document too', () => {
    expect(bundledFonts('zh-Hans').scan('\u{30000}').missing).toEqual(['\u{30000}']);
  });
});

describe('measuring chart labels', () => {
  it('measures rare characters from the Hanazono woff2 subsets without failing, in both weights', () => {
    // Hanazono's ideographs are full width (1024 of 1024 units per em).
    expect(fonts.measure(RARE, 10)).toBeCloseTo(30, 5);
    expect(fonts.measure(RARE, 10, 700)).toBeCloseTo(30, 5);
    expect(fonts.measure(RARE, 10, 'bold')).toBeCloseTo(30, 5);
    // Mixed with Noto text: the sum of both fonts' widths.
    expect(fonts.measure(`專利${RARE}`, 11)).toBeCloseTo(fonts.measure('專利', 11) + 33, 5);
  });

  it('measures a character no font has as a full-width guess instead of failing', () => {
    expect(fonts.measure('\u{30000}', 12)).toBe(12);
  });
});

describe('the font packages digest', () => {
  it('names every font package with its installed version, Hanazono Mincho included', () => {
    const require = createRequire(import.meta.url);
    const version = (pkg: string) => (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
    expect(fontPackagesDigest().split(' ')).toEqual(
      ['@fontsource/noto-sans-tc', '@fontsource/noto-sans-sc', 'hanamin', '@fontsource/noto-emoji'].map((pkg) => `${pkg}@${version(pkg)}`),
    );
    expect(fontPackagesDigest()).toContain('hanamin@0.0.5');
  });
});

describe('a face whose unicode-range names a character its file lacks', () => {
  // Chromium picks faces by declared unicode-range and, finding no glyph in the one picked, tries the
  // next declared face: if the face that really has the character was never declared, it prints a box.
  const claims = (family: string, cp: number) =>
    bundledFonts('zh-Hant')
      .scan(String.fromCodePoint(cp))
      .faces.some((f) => f.family === family);
  const declaredBy = (cp: number) => {
    const require = createRequire(import.meta.url);
    const css = readFileSync(require.resolve('@fontsource/noto-sans-tc/400.css'), 'utf8');
    return [...css.matchAll(/unicode-range:\s*([^;]+);/g)].some(([, range]) =>
      range!.split(',').some((part) => {
        const [a, b] = part.trim().replace(/^U\+/i, '').split('-');
        return cp >= parseInt(a!, 16) && cp <= parseInt(b ?? a!, 16);
      }),
    );
  };

  it.each([
    ['U+20024, an Extension B ideograph', 0x20024, 'Hanazono Mincho'],
    ['✅ U+2705, an emoji', 0x2705, 'Noto Emoji'],
    ['🌏 U+1F30F, an emoji', 0x1f30f, 'Noto Emoji'],
    ['区 U+533A, a Simplified-only character in a Traditional document', 0x533a, 'Noto Sans SC'],
  ])('is passed over for the face that has it: %s', (_, cp, family) => {
    // The premise: Noto Sans TC declares the character but has no glyph for it.
    expect(declaredBy(cp)).toBe(true);
    const tc = fonts.scan(String.fromCodePoint(cp)).faces.filter((f) => f.family === 'Noto Sans TC');
    expect(tc).toEqual([]);
    expect(claims(family, cp)).toBe(true);
    expect(fonts.scan(String.fromCodePoint(cp)).missing).toEqual([]);
  });
});
