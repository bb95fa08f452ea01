/**
 * Builds every briefing of the real dataset with a real browser and reads the
 * PDFs back: content, fonts, page sizes, manifest.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { build, type ManifestEntry } from '../../src/index.js';
import { compactNumber } from '../../src/format.js';
import { readPdf, squash, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const dataset = parse(await readFile(path.join(root, 'data/dataset.yaml'), 'utf8')) as { cities: string[]; lang: string };
const cities = await Promise.all(
  dataset.cities.map(async (id) => parse(await readFile(path.join(root, 'data/cities', `${id}.yaml`), 'utf8')) as City),
);

interface City {
  id: string;
  name: Record<string, string>;
  headline: string[];
  narrative: string[];
  commentary?: string;
  figures?: { id: string; value: number; unit: string; key?: boolean }[];
}

const out = inject('seedOut');
const result = JSON.parse(await readFile(path.join(out, 'build-result.json'), 'utf8')) as { refused: string[]; failures: unknown[]; events: { type: string }[] };
const pdfs = new Map<string, PdfFacts>();

beforeAll(async () => {
  for (const city of cities) pdfs.set(city.id, await readPdf(path.join(out, city.id, 'briefing.pdf')));
});

describe('a full build of the seed dataset', () => {
  it('writes a briefing, slides (PDF and HTML each) per city and one overview, all in the manifest', async () => {
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as { outputs: ManifestEntry[] };
    expect(manifest.outputs).toHaveLength(cities.length * 4 + 2);
    const expected = [
      ...cities.flatMap((city) => ['briefing', 'slides'].map((kind) => ({ city: city.id as string | null, kind, stem: `${city.id}/${kind}` }))),
      { city: null, kind: 'overview', stem: 'overview' },
    ];
    for (const { city, kind, stem } of expected) {
      for (const format of ['pdf', 'html']) {
        const entry = manifest.outputs.find((o) => o.path === `${stem}.${format}`);
        expect(entry, `${stem}.${format}`).toMatchObject({ city, kind, format, lang: dataset.lang });
        const bytes = await readFile(path.join(out, entry!.path));
        expect(entry!.bytes).toBe(bytes.byteLength);
        expect(entry!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
        if (format === 'pdf') expect(entry!.pages).toBe((await readPdf(path.join(out, entry!.path))).pages);
        else expect(entry!.pages).toBeNull();
      }
    }
  });

  it('prints two or three A4 pages per briefing', () => {
    for (const city of cities) {
      const pdf = pdfs.get(city.id)!;
      expect(pdf.pages, city.id).toBeGreaterThanOrEqual(2);
      expect(pdf.pages, city.id).toBeLessThanOrEqual(3);
      for (const size of pdf.sizes) {
        expect(size.width).toBeCloseTo(595.3, 0);
        expect(size.height).toBeCloseTo(841.9, 0);
      }
    }
  });

  it("puts each city's name, headline, key figures, narrative and commentary in the PDF text", () => {
    for (const city of cities) {
      const text = pdfs.get(city.id)!.text;
      expect(text).toContain(city.name[dataset.lang]);
      for (const phrase of city.headline) expect(text).toContain(phrase);
      for (const figure of (city.figures ?? []).filter((f) => f.key)) {
        const shown = figure.unit === '%' ? `${figure.value}%` : `${compactNumber(figure.value, dataset.lang)}${figure.unit}`;
        expect(text, `${city.id} ${figure.id}`).toContain(shown);
      }
      for (const paragraph of city.narrative) {
        // A paragraph may cross a page break, where the footer's text interrupts it.
        const p = squash(paragraph);
        expect(text, `${city.id} narrative`).toContain(p.slice(0, 30));
        expect(text, `${city.id} narrative`).toContain(p.slice(-30));
      }
      if (city.commentary) expect(text).toContain(squash(city.commentary).slice(0, 40));
    }
  });

  it('numbers its pages', () => {
    for (const city of cities) {
      const pdf = pdfs.get(city.id)!;
      pdf.pageText.forEach((page, i) => expect(page).toContain(`${i + 1}/${pdf.pages}`));
    }
  });

  it('embeds the bundled Noto Sans TC as CID TrueType and nothing else', () => {
    for (const city of cities) {
      const { fonts } = pdfs.get(city.id)!;
      expect(fonts.length).toBeGreaterThan(0);
      for (const font of fonts) {
        expect(font.baseFont, city.id).toMatch(/^\/[A-Z]{6}\+NotoSansTC/);
        expect(font.subtype).toBe('/Type0');
        expect(font.descendant).toBe('/CIDFontType2');
        expect(font.embedded).toBe(true);
      }
    }
  });

  it('embeds one font per face it uses: Noto Sans TC regular and bold, each once', () => {
    for (const city of cities) {
      // A subset's name is its tag, a plus and the font's name: AAAAAA+NotoSansTC-Regular.
      const names = pdfs.get(city.id)!.fonts.map((f) => f.baseFont.replace(/^\/[A-Z]{6}\+/, ''));
      expect(names.sort(), city.id).toEqual(['NotoSansTC-Bold', 'NotoSansTC-Regular']);
    }
  });

  it('shows ranks the source does not state as unknown, not as zero', () => {
    const unranked = cities.filter((c) => !('rank' in c));
    expect(unranked.length).toBeGreaterThan(0);
    const text = pdfs.get(cities[0]!.id)!.text;
    for (const city of unranked) expect(text).toContain(`${city.name[dataset.lang]}未載明`);
  });

  it('refuses nothing because documents ask for nothing outside the build, and warns of nothing', () => {
    expect(result.refused).toEqual([]);
    expect(result.failures).toEqual([]);
    expect(result.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('writes HTML that runs no script and loads only its own fonts', async () => {
    const html = await readFile(path.join(out, cities[0]!.id, 'briefing.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    const all = [...html.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1]!);
    // In-document references (chart clip paths) and the bundled fonts, nothing else.
    for (const url of all) expect(url).toMatch(/^(#chart-[\w-]+|\.\.\/fonts\/[\w.-]+\.woff2)$/);
    const urls = all.filter((u) => !u.startsWith('#'));
    expect(urls.length).toBeGreaterThan(0);
    const fonts = await readdir(path.join(out, 'fonts'));
    for (const url of urls) expect(fonts).toContain(path.basename(url));
  });

  it('rebuilding one kind of one city keeps every other output and its manifest entry', async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'citybrief-partial-'));
    try {
      await cp(out, copy, { recursive: true });
      const before = await readFile(path.join(copy, 'manifest.json'), 'utf8');
      const again = await build({ cwd: root, out: copy, cities: [cities[0]!.id], kinds: ['briefing'], force: true });
      expect(again.outputs.map((o) => o.path).sort()).toEqual([`${cities[0]!.id}/briefing.html`, `${cities[0]!.id}/briefing.pdf`]);
      // Same inputs, same bytes: the manifest is unchanged, the other outputs with it.
      expect(await readFile(path.join(copy, 'manifest.json'), 'utf8')).toBe(before);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe('a template that is not laid out as a plain <html><head><body> document', () => {
  it('prints the same text in the bundled fonts: a leading comment, attributes on <head>, no </body></html>', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'citybrief-shape-'));
    try {
      const templates = path.join(work, 'templates');
      await cp(path.join(root, 'templates'), templates, { recursive: true });
      const file = path.join(templates, 'briefing.hbs');
      const source = await readFile(file, 'utf8');
      // The browser's parser takes all of these; a document swapped in by pattern-matching its parts would not.
      // (The kind's front matter stays first: the document begins after it.)
      const [, front, body] = /^(---\n[\s\S]*?\n---\n)([\s\S]*)$/.exec(source)!;
      const reshaped = `${front}<!-- ${'designer note'} -->\n${body!.replace('<head>', '<head data-variant="print">').replace(/<\/body>\s*<\/html>\s*$/, '')}`;
      expect(reshaped).not.toBe(source);
      await writeFile(file, reshaped);
      const city = cities[0]!;
      const built = await build({ cwd: root, templates, out: path.join(work, 'out'), cities: [city.id], kinds: ['briefing'] });
      expect(built.failures).toEqual([]);
      const pdf = await readPdf(path.join(work, 'out', city.id, 'briefing.pdf'));
      const seed = pdfs.get(city.id)!;
      expect(squash(pdf.text)).toBe(squash(seed.text));
      expect(pdf.fonts.length).toBeGreaterThan(0);
      for (const font of pdf.fonts) {
        expect(font.embedded, font.baseFont).toBe(true);
        expect(font.baseFont).toMatch(/NotoSans(TC|SC)/);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
