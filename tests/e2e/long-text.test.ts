/**
 * Very long text: a narrative paragraph of several thousand characters and a
 * commentary of about 3000 (Traditional Chinese, full-width punctuation,
 * ASCII, digits and emoji) cross pages in the briefing, and every glyph comes
 * from a bundled font, nothing overflows its box, and text extraction gives
 * the same characters back in the same order. Slides and the overview of the
 * same dataset build with their overflow checks passing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type BuildResult, type ProgressEvent } from '../../src/index.js';
import { builtInLabels } from '../../src/labels.js';
import { readPdf, squash, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const data = path.join(root, 'tests/fixtures/long-text');
const dataset = parse(await readFile(path.join(data, 'dataset.yaml'), 'utf8')) as { lang: string; cities: string[] };
const city = parse(await readFile(path.join(data, 'cities', 'long-text.yaml'), 'utf8')) as { id: string; narrative: string[]; commentary: string };
const paragraph = city.narrative[0]!;
const commentary = city.commentary;

let out: string;
let result: BuildResult;
const events: ProgressEvent[] = [];
const pdfs = new Map<string, PdfFacts>();

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'citybrief-long-text-'));
  result = await build({ cwd: root, data, out, onProgress: (e) => events.push(e) });
  for (const file of [`${city.id}/briefing.pdf`, `${city.id}/slides.pdf`, 'overview.pdf']) pdfs.set(file, await readPdf(path.join(out, file)));
});

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

/** The longest prefix of `text` that occurs in `page` (binary search: a prefix that occurs has shorter ones that do). */
function longestPrefixIn(page: string, text: string): number {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (page.includes(text.slice(0, mid))) lo = mid;
    else hi = mid - 1;
  }
  // Never end between the two halves of a surrogate pair (an emoji).
  return lo > 0 && /[\uD800-\uDBFF]/.test(text[lo - 1]!) ? lo - 1 : lo;
}

/**
 * How `text` is printed across consecutive pages: one contiguous run per page,
 * the runs joining to exactly `text` (whitespace aside). Between two pages
 * there may be page furniture (running footer, page number); inside a page,
 * nothing may be missing, added or reordered. Gives the page (1-based) and
 * length of each run, or else where the printed text stops matching.
 */
function runsAcrossPages(pages: readonly string[], text: string): { runs: { page: number; chars: number }[]; mismatch?: string } {
  const wanted = squash(text);
  const runs: { page: number; chars: number }[] = [];
  const start = pages.findIndex((page) => longestPrefixIn(page, wanted) >= Math.min(wanted.length, 40));
  if (start === -1) return { runs, mismatch: `its beginning "${wanted.slice(0, 40)}" is on no page` };
  let rest = wanted;
  for (let p = start; rest.length > 0; p++) {
    const chars = p < pages.length ? longestPrefixIn(pages[p]!, rest) : 0;
    if (chars === 0) {
      const last = runs.at(-1)!;
      const page = pages[last.page - 1]!;
      const end = page.indexOf(wanted.slice(wanted.length - rest.length - last.chars, wanted.length - rest.length)) + last.chars;
      return { runs, mismatch: `page ${last.page} goes on with "${page.slice(end, end + 20)}" where the text goes on with "${rest.slice(0, 20)}"` };
    }
    runs.push({ page: p + 1, chars });
    rest = rest.slice(chars);
  }
  return { runs };
}

interface Placed {
  readonly str: string;
  readonly x: number;
  readonly width: number;
  /** The font size, in points. */
  readonly size: number;
}

/** Every text item of a PDF with its horizontal position, per page, and the page widths (points). */
async function placedText(file: string): Promise<{ width: number; items: Placed[] }[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = pdfjs.getDocument({ data: new Uint8Array(await readFile(file)), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const pdf = await loading.promise;
  const pages: { width: number; items: Placed[] }[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const page = await pdf.getPage(i);
    const items = (await page.getTextContent()).items.flatMap((item) => ('str' in item && item.str.trim() ? [{ str: item.str, x: item.transform[4] as number, width: item.width, size: item.height }] : []));
    pages.push({ width: page.getViewport({ scale: 1 }).width, items });
  }
  await loading.destroy();
  return pages;
}

const MM = 72 / 25.4;

describe('the long-text fixture', () => {
  it('has a paragraph of several thousand characters of every kind, and a commentary of about 3000', () => {
    expect([...paragraph].length).toBeGreaterThan(3000);
    expect([...commentary].length).toBeGreaterThan(2800);
    for (const [kind, pattern] of [
      ['Han characters', /\p{Script=Han}/u],
      ['full-width punctuation', /[「」、。！？（）]/u],
      ['ASCII letters', /[A-Za-z]/],
      ['digits', /[0-9]/],
      ['emoji', /\p{Extended_Pictographic}/u],
    ] as const) {
      expect(paragraph, kind).toMatch(pattern);
    }
    for (const mark of '「」、。！？（）') expect(paragraph).toContain(mark);
  });
});

describe('a briefing, slides and overview with very long text', () => {
  it('build without failures and without any warning: no overflow, no character missing from the bundled fonts', () => {
    expect(result.failures).toEqual([]);
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    expect(result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path).sort()).toEqual(
      [...dataset.cities.flatMap((id) => [`${id}/briefing.pdf`, `${id}/slides.pdf`]), 'overview.pdf'].sort(),
    );
  });

  it('the long paragraph crosses a page break, and text extraction gives back every character in order', () => {
    const { pageText } = pdfs.get(`${city.id}/briefing.pdf`)!;
    const { runs, mismatch } = runsAcrossPages(pageText, paragraph);
    expect(mismatch).toBeUndefined();
    expect(runs.length, 'pages the paragraph is printed on').toBeGreaterThan(1);
    expect(runs.reduce((n, r) => n + r.chars, 0)).toBe(squash(paragraph).length);
  });

  it('the commentary too comes back whole and in order', () => {
    const { pageText } = pdfs.get(`${city.id}/briefing.pdf`)!;
    const { runs, mismatch } = runsAcrossPages(pageText, commentary);
    expect(mismatch).toBeUndefined();
    expect(runs.reduce((n, r) => n + r.chars, 0)).toBe(squash(commentary).length);
  });

  it('draws every character with a glyph: none comes back as a missing glyph (U+0000) or not at all', () => {
    for (const file of [`${city.id}/briefing.pdf`, `${city.id}/slides.pdf`]) {
      const { text } = pdfs.get(file)!;
      const printed = file.endsWith('briefing.pdf') ? paragraph + commentary : commentary;
      const absent = [...new Set(squash(printed))].filter((ch) => !text.includes(ch));
      expect(absent.map((ch) => `${ch} U+${ch.codePointAt(0)!.toString(16).toUpperCase()}`), file).toEqual([]);
      expect(text.match(/[\u0000\uFFFD]/g)?.length ?? 0, `${file}: characters drawn as a missing glyph`).toBe(0);
    }
  });

  it('sets every glyph in a bundled font, embedded, the emoji in Noto Emoji', () => {
    for (const [file, pdf] of pdfs) {
      expect(pdf.fonts.length, file).toBeGreaterThan(0);
      for (const font of pdf.fonts) {
        expect(font.baseFont, file).toMatch(/^\/[A-Z]{6}\+Noto(SansTC|SansSC|Emoji)/);
        expect(font.embedded, file).toBe(true);
      }
    }
    expect(pdfs.get(`${city.id}/briefing.pdf`)!.fonts.some((f) => /\+NotoEmoji/.test(f.baseFont))).toBe(true);
  });

  it('keeps every line of text inside the page margins (A4: 15 mm left and right)', async () => {
    for (const file of [`${city.id}/briefing.pdf`, 'overview.pdf']) {
      const pages = await placedText(path.join(out, file));
      for (const [i, page] of pages.entries()) {
        expect(page.items.length, `${file} page ${i + 1}`).toBeGreaterThan(0);
        for (const item of page.items) {
          const where = `${file} page ${i + 1}: "${item.str}" at ${item.x.toFixed(1)}–${(item.x + item.width).toFixed(1)} pt`;
          // pdf.js measures a run by the fonts' advance widths. A full-width closing mark that ends a line is set
          // in half its width (CSS text-spacing-trim), its ink in the first half, but is measured whole.
          const trimmed = /[）」』】〕〉》、。，：；！？]$/u.test(item.str) ? item.size / 2 : 0;
          expect(item.x, where).toBeGreaterThanOrEqual(15 * MM - 2);
          expect(item.x + item.width - trimmed, where).toBeLessThanOrEqual(page.width - 15 * MM + 2);
        }
      }
    }
  });

  it('slides: the commentary is spread over slides, each showing its part whole, in order', () => {
    const { pageText } = pdfs.get(`${city.id}/slides.pdf`)!;
    const { runs, mismatch } = runsAcrossPages(pageText, commentary);
    expect(mismatch).toBeUndefined();
    expect(runs.length, 'slides the commentary is printed on').toBeGreaterThan(1);
  });

  it('overview: each summary prints to its end; a long lead or commentary is cut and the cut is marked with …', () => {
    const { text } = pdfs.get('overview.pdf')!;
    const labels = builtInLabels(dataset.lang)!;
    // The last line of every summary, the link to the full briefing, is printed: nothing was clipped below it.
    for (const id of dataset.cities) expect(text).toContain(squash(`${labels.fullBriefing} → ${id}/briefing.pdf`));
    for (const long of [paragraph, commentary]) {
      const shown = longestPrefixIn(text, squash(long));
      expect(shown, 'the beginning is shown').toBeGreaterThan(40);
      expect(shown, 'but not the whole text').toBeLessThan(squash(long).length);
      expect(text).toContain(`${squash(long).slice(0, shown)}…`);
    }
  });
});
