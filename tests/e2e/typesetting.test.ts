/**
 * Numbers are set as one piece: a key figure's value and its unit never part
 * across a line, however long the value (a thousand trillion, in 兆元), on a card a
 * quarter of the page wide, or on a slide's card.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from '../../src/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Each line of a PDF page's text: the text items that share a baseline, joined. */
async function lines(file: string, pageNumber = 1): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = pdfjs.getDocument({ data: new Uint8Array(await readFile(file)), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const pdf = await loading.promise;
  const content = await (await pdf.getPage(pageNumber)).getTextContent();
  const byY = new Map<number, { x: number; text: string }[]>();
  for (const item of content.items) {
    if (!('str' in item) || !item.str.trim()) continue;
    const y = Math.round(item.transform[5]!);
    byY.set(y, [...(byY.get(y) ?? []), { x: item.transform[4]!, text: item.str }]);
  }
  await loading.destroy();
  return [...byY.values()].map((items) => items.sort((a, b) => a.x - b.x).map((i) => i.text).join('').replace(/\s+/g, ''));
}

describe('a key figure with a long value', () => {
  it('prints its number and unit on one line of its card, in the briefing and on the slide', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-typesetting-'));
    scratch.push(dir);
    const data = path.join(dir, 'data');
    await cp(path.join(root, 'tests/fixtures/csv/valid'), data, { recursive: true });
    const csv = path.join(data, 'figures.csv');
    // Five key figures, so the slide sets its cards three to a row (the narrowest).
    const more = ['a', 'b', 'c'].map((n) => `alpha,ratio-${n},grants_share,${n.charCodeAt(0)},%,,,yes,,,grants,計算\n`).join('');
    await writeFile(csv, `${(await readFile(csv, 'utf8')).replace('alpha,applications,patent_applications,3500,件,', 'alpha,applications,patent_applications,1234567890123456,元,')}${more}`);
    const city = path.join(data, 'cities/alpha.yaml');
    await writeFile(city, (await readFile(city, 'utf8')).replace('figures: [grants, applications]', 'figures: [grants]'));
    const result = await build({ cwd: root, data, out: path.join(dir, 'out'), kinds: ['briefing', 'slides'], cities: ['alpha'] });
    expect(result.failures).toEqual([]);
    const page = await lines(path.join(dir, 'out/alpha/briefing.pdf'));
    expect(page.some((line) => line.includes('1234.5679兆元')), page.join('\n')).toBe(true);
    // Its exact form too: the label may stand above it, the number stays with its unit.
    expect(page.some((line) => line.includes('1,234,567,890,123,456元')), page.join('\n')).toBe(true);
    // The slide of key figures (after the title slide): the value's type fits the card, on one line.
    const slide = await lines(path.join(dir, 'out/alpha/slides.pdf'), 2);
    expect(slide.some((line) => line.includes('1234.5679兆元')), slide.join('\n')).toBe(true);
  });
});
