/**
 * Slides, the overview, and the PDFs as finished documents (metadata,
 * outline, tags, links, reproducible bytes), read back from the shared build
 * of the seed dataset.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { build, validateDataset, type Manifest } from '../../src/index.js';
import { splitSentences } from '../../src/pipeline/html.js';
import { readPdf, readPdfDocument, squash, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const out = inject('seedOut');

interface City {
  id: string;
  name: Record<string, string>;
  headline: string[];
  commentary?: string;
  rank?: { position?: number; within?: number; listed?: boolean; source: string };
  figures?: { id: string; metric: string; key?: boolean; source?: string; derived?: unknown }[];
  programmes?: unknown[];
  charts?: unknown[];
}
const dataset = parse(await readFile(path.join(root, 'data/dataset.yaml'), 'utf8')) as { cities: string[]; lang: string; title: string; metrics: Record<string, { label: string }> };
const cities = await Promise.all(dataset.cities.map(async (id) => parse(await readFile(path.join(root, 'data/cities', `${id}.yaml`), 'utf8')) as City));
// The seed project's words: citybrief's defaults with its labels/zh-Hant.yaml over them.
const { labels } = await validateDataset({ cwd: root });
const name = (city: City) => city.name[dataset.lang]!;

/** Slides a deck must have, from the data: title, key figures, one per chart (+ the ranking), highlights, commentary, sources. */
function expectedSlides(city: City): number {
  const key = (city.figures ?? []).filter((f) => f.key).length;
  const notes = new Set([city.rank?.source, ...(city.figures ?? []).map((f) => f.source)].filter(Boolean)).size;
  return (
    1 +
    Math.max(1, Math.ceil(key / 6)) +
    (city.charts?.length ?? 0) + 1 +
    Math.ceil((city.programmes?.length ?? 0) / 4) +
    (city.commentary ? splitSentences(city.commentary, 150).length : 0) +
    Math.max(1, Math.ceil(notes / 10))
  );
}

const slides = new Map<string, PdfFacts>();
let overview: PdfFacts;

beforeAll(async () => {
  for (const city of cities) slides.set(city.id, await readPdf(path.join(out, city.id, 'slides.pdf')));
  overview = await readPdf(path.join(out, 'overview.pdf'));
});

describe('slides', () => {
  it('are 16:9, one slide per page, with the slides the data calls for (nothing spills onto extra pages)', () => {
    for (const city of cities) {
      const deck = slides.get(city.id)!;
      expect(deck.pages, city.id).toBe(expectedSlides(city));
      for (const size of deck.sizes) expect(size.width / size.height).toBeCloseTo(16 / 9, 3);
    }
  });

  it('open with the city and its headline phrases, number every slide, and carry the commentary', () => {
    for (const city of cities) {
      const deck = slides.get(city.id)!;
      expect(deck.pageText[0]).toContain(name(city));
      for (const phrase of city.headline) expect(deck.pageText[0]).toContain(phrase);
      deck.pageText.forEach((text, i) => expect(text.endsWith(String(i + 1)), `${city.id} slide ${i + 1}`).toBe(true));
      if (city.commentary) expect(deck.text).toContain(squash(city.commentary));
    }
  });
});

describe('the overview', () => {
  it('is A4 and names every city with its stated rank, or 未載明 where the source states none', () => {
    for (const size of overview.sizes) {
      expect(size.width).toBeCloseTo(595.3, 0);
      expect(size.height).toBeCloseTo(841.9, 0);
    }
    const comparison = overview.pageText[1]!;
    for (const city of cities) {
      expect(overview.text).toContain(name(city));
      const rank = city.rank?.position ? labels.format('rankPosition', { n: city.rank.position }) : city.rank?.within ? labels.format('rankWithin', { n: city.rank.within }) : city.rank?.listed ? labels.words.rankListed : labels.words.rankUnknown;
      expect(comparison, city.id).toContain(rank);
    }
  });

  it('compares every metric that several cities state, one chart each', () => {
    const byMetric = new Map<string, Set<string>>();
    for (const city of cities) for (const f of city.figures ?? []) if (!f.derived) byMetric.set(f.metric, (byMetric.get(f.metric) ?? new Set()).add(city.id));
    const shared = [...byMetric].filter(([, ids]) => ids.size > 1).map(([metric]) => metric);
    expect(shared.length).toBeGreaterThan(0);
    for (const metric of shared) expect(overview.pageText[1]).toContain(squash(dataset.metrics[metric]!.label));
  });

  it('has a table of contents whose page numbers are where each city summary is', async () => {
    const doc = await readPdfDocument(path.join(out, 'overview.pdf'));
    const toc = overview.pageText[0]!;
    for (const city of cities) {
      const listed = new RegExp(`${name(city)}${city.headline.join('·')}(\\d+)`).exec(toc);
      expect(listed, city.id).not.toBeNull();
      const page = Number(listed![1]);
      expect(doc.outline.find((o) => o.title === name(city))?.page).toBe(page);
      expect(overview.pageText[page - 1]).toContain(city.headline.join('·'));
    }
  });

  it("links each city's summary to its briefing file", async () => {
    const doc = await readPdfDocument(path.join(out, 'overview.pdf'));
    for (const city of cities) {
      const link = doc.fileLinks.find((l) => l.file === `${city.id}/briefing.pdf`);
      expect(link, city.id).toBeDefined();
      expect(overview.pageText[link!.page - 1]).toContain(city.headline.join('·'));
    }
  });
});

describe('finished PDFs', () => {
  it('carry title, subject, author, keywords, creator and language, and no build time', async () => {
    for (const file of ['shenzhen/briefing.pdf', 'shenzhen/slides.pdf', 'overview.pdf']) {
      const doc = await readPdfDocument(path.join(out, file));
      expect(doc.info.Title, file).toContain(dataset.title);
      expect(doc.info.Subject, file).toBeTruthy();
      expect(doc.info.Author, file).toContain('知識產權報');
      expect(doc.info.Keywords, file).toContain(dataset.title);
      expect(doc.info.Creator, file).toMatch(/^citybrief \d+\.\d+\.\d+/);
      expect(doc.info.CreationDate, file).toBeUndefined();
      expect(doc.lang, file).toBe(dataset.lang);
    }
    const briefing = await readPdfDocument(path.join(out, 'shenzhen/briefing.pdf'));
    expect(briefing.info.Title).toBe(`${name(cities[0]!)} — ${dataset.title}`);
    expect(briefing.info.Subject).toBe(cities[0]!.headline.join(' · '));
  });

  it('are tagged and have bookmarks from the headings, pointing at pages in order', async () => {
    for (const city of cities) {
      const doc = await readPdfDocument(path.join(out, city.id, 'briefing.pdf'));
      expect(doc.tagged, city.id).toBe(true);
      const titles = doc.outline.map((o) => o.title);
      for (const heading of [name(city), labels.words.keyFigures, labels.words.narrative, labels.words.sources]) expect(titles.some((t) => t.includes(heading)), `${city.id}: ${heading}`).toBe(true);
      const pages = doc.outline.map((o) => o.page);
      expect(pages.every((p) => p >= 1)).toBe(true);
      expect([...pages].sort((a, b) => a - b)).toEqual(pages);
    }
  });

  describe('rebuilt from the same inputs', () => {
    let again: string;
    let manifest: Manifest;
    beforeAll(async () => {
      again = await mkdtemp(path.join(tmpdir(), 'citybrief-again-'));
      manifest = (await build({ cwd: root, out: again })).manifest;
    });
    afterAll(async () => {
      await rm(again, { recursive: true, force: true });
    });

    it('are byte-identical', async () => {
      const first = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.outputs.map((o) => [o.path, o.sha256])).toEqual(first.outputs.map((o) => [o.path, o.sha256]));
    });
  });

  it('stamp SOURCE_DATE_EPOCH as their date when it is set', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-epoch-'));
    try {
      await build({ cwd: root, out: dir, cities: [cities[0]!.id], kinds: ['briefing'], env: { SOURCE_DATE_EPOCH: '1700000000' } });
      const doc = await readPdfDocument(path.join(dir, cities[0]!.id, 'briefing.pdf'));
      expect(doc.info.CreationDate).toMatch(/^D:20231114221320/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
