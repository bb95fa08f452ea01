/**
 * The PDFs as a screen reader and a catalogue find them, read back from the
 * shared build of the seed dataset: each chart one /Figure whose alt text says
 * its values in the document's language, as the document prints them; XMP
 * metadata that parses as XML and says what the Info dictionary says; headings,
 * lists and tables tagged, in the order of the HTML they were printed from.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from '../../src/browser/launch.js';
import { resolveConfig } from '../../src/config.js';
import { percent, withUnit } from '../../src/format.js';
import { build, validateDataset } from '../../src/index.js';
import { readMetadata, readPdf, readStructure, squash, structElements, type StructNode } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const out = inject('seedOut');
const valid = await validateDataset({ cwd: root });
const { labels } = valid;
const lang = valid.dataset.lang;
const cities = valid.cities;
const nameOf = (city: (typeof cities)[number]) => city.name[lang] ?? city.id;
const documents = [...cities.flatMap((c) => [`${c.id}/briefing`, `${c.id}/slides`]), 'overview'];

/** A figure's value as the documents print it: its qualifier's word, then the number in the language's compact form with its unit. */
const printed = (f: { value: number; unit: string; qualifier?: string }) => `${f.qualifier ? labels.words[f.qualifier as 'over'] : ''}${withUnit(f.value, f.unit, lang)}`;

const html = (doc: string) => readFile(path.join(out, `${doc}.html`), 'utf8');
const decode = (text: string) => text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|#39);/gi, (_, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1]!.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"' } as Record<string, string>)[e.toLowerCase()]!));
/** The alt text of each chart as the HTML gives it: the aria-label of each SVG, in order. */
const svgLabels = (page: string) => [...page.matchAll(/<svg\b([^>]*)>/g)].map((m) => /\saria-label="([^"]*)"/.exec(m[1]!)?.[1]).map((l) => (l === undefined ? undefined : decode(l)));

const trees = new Map<string, StructNode>();
beforeAll(async () => {
  for (const doc of documents) trees.set(doc, await readStructure(path.join(out, `${doc}.pdf`)));
});
const elements = (doc: string) => structElements(trees.get(doc)!);

describe('chart alt text', () => {
  it('each chart is one /Figure of the tagged PDF, whose /Alt is the alt text its SVG carries in the HTML', async () => {
    for (const doc of documents) {
      const alts = svgLabels(await html(doc));
      expect(alts.length, doc).toBeGreaterThan(0);
      for (const alt of alts) expect(alt, `${doc}: a chart without alt text`).toBeTruthy();
      // Nothing else becomes a figure: not the <figure> around a chart, not Vega's marks or axes.
      expect(elements(doc).filter((e) => e.type === 'Figure').map((e) => e.alt), doc).toEqual(alts);
    }
  });

  it('is in the document\'s language: Chinese for the seed, and no field dump of Vega\'s ("value: …; label: …")', () => {
    for (const doc of documents) {
      for (const figure of elements(doc).filter((e) => e.type === 'Figure')) {
        expect(figure.alt, doc).toMatch(/\p{Script=Han}/u);
        expect(figure.alt, doc).not.toMatch(/\b(value|label|style|valueText|position|series|group|order)\s*:/);
        expect(figure.alt, doc).not.toMatch(/axis for a|scale with/i);
      }
    }
  });

  it("of a city's chart of figures names the city, the chart, and each figure with its value and change as the document prints them", () => {
    let checked = 0;
    for (const city of cities) {
      const alts = elements(`${city.id}/briefing`).filter((e) => e.type === 'Figure').map((e) => e.alt ?? '');
      for (const chart of city.charts) {
        const alt = alts.find((a) => a.includes(chart.title));
        expect(alt, `${city.id}: ${chart.id}`).toBeDefined();
        expect(alt!.startsWith(nameOf(city)), alt).toBe(true);
        for (const id of chart.figures) {
          const figure = city.figures.find((f) => f.id === id)!;
          expect(alt, `${city.id}: ${id}`).toContain(printed(figure));
          // The change is said in words of the labels (rise or fall), its figure without a sign.
          if (figure.change) expect(alt, `${city.id}: ${id}`).toContain(percent(Math.abs(figure.change.value), lang));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('of the ranking says each city with its stated value, and "not stated" (the label the document uses) where the source gives none', () => {
    const metric = valid.dataset.ranking!.metric;
    for (const city of cities) {
      const alt = elements(`${city.id}/briefing`).find((e) => e.type === 'Figure' && e.alt?.startsWith(valid.dataset.ranking!.title))?.alt;
      expect(alt, city.id).toBeDefined();
      const items = alt!.slice(valid.dataset.ranking!.title.length).split(labels.words.chartAltSeparator);
      expect(items).toHaveLength(cities.length);
      for (const other of cities) {
        const item = items.find((i) => i.includes(nameOf(other)));
        expect(item, `${city.id}: ${other.id}`).toBeDefined();
        const stated = other.figures.find((f) => f.metric === metric && !f.derived && (f.period ?? valid.dataset.period) === valid.dataset.period);
        if (stated) expect(item).toContain(printed(stated));
        else expect(item!.endsWith(labels.words.unknown) || item!.endsWith(`${labels.words.unknown}。`), item).toBe(true);
      }
    }
  });

  it('leaves Vega\'s own ARIA out of the HTML: no mark carries a description of its own', async () => {
    for (const doc of documents) {
      const page = await html(doc);
      const labelled = [...page.matchAll(/<(\w+)\b[^>]*\saria-label="/g)].map((m) => m[1]);
      expect(labelled.every((tag) => tag === 'svg'), doc).toBe(true);
    }
  });
});

describe('XMP metadata', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(resolveConfig({ cwd: root }));
  });
  afterAll(async () => {
    await browser?.close();
  });

  const DC = 'http://purl.org/dc/elements/1.1/';
  const PDF = 'http://ns.adobe.com/pdf/1.3/';
  const XMP = 'http://ns.adobe.com/xap/1.0/';
  const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
  type Fields = { error: string | null; values: Record<string, string[]> };
  /** The XMP parsed as XML by Chromium's strict parser, each property's values (rdf:li items, or its text). */
  async function parseXmp(xmp: string): Promise<Fields> {
    const page = await browser.newPage();
    try {
      return await page.evaluate(
        (text, ns) => {
          const doc = new DOMParser().parseFromString(text, 'application/xml');
          const error = doc.getElementsByTagName('parsererror')[0]?.textContent ?? null;
          const values: Record<string, string[]> = {};
          for (const [prefix, uri] of Object.entries(ns.props)) {
            for (const el of Array.from(doc.getElementsByTagNameNS(uri, '*'))) {
              const items = Array.from(el.getElementsByTagNameNS(ns.rdf, 'li'));
              values[`${prefix}:${el.localName}`] = items.length > 0 ? items.map((li) => li.textContent ?? '') : [el.textContent ?? ''];
            }
          }
          return { error, values };
        },
        xmp,
        { props: { dc: DC, pdf: PDF, xmp: XMP }, rdf: RDF },
      );
    } finally {
      await page.close();
    }
  }

  /** The Info dictionary's PDF date (D:20231114221320Z) as XMP writes dates (2023-11-14T22:13:20Z). */
  const isoDate = (date: string) => date.replace(/^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');

  /** Every XMP field against the Info dictionary and the catalog it stands beside. */
  async function expectConsistent(file: string): Promise<Fields['values']> {
    const meta = await readMetadata(file);
    expect(meta.xmp, file).toBeDefined();
    const { error, values } = await parseXmp(meta.xmp!);
    expect(error, file).toBeNull();
    expect(values['dc:title'], file).toEqual([meta.info.Title]);
    expect(values['dc:description'], file).toEqual([meta.info.Subject]);
    expect(values['dc:creator'], file).toEqual([meta.info.Author]);
    expect(values['pdf:Keywords'], file).toEqual([meta.info.Keywords]);
    expect(values['dc:subject']!.join(', '), file).toBe(meta.info.Keywords);
    expect(values['xmp:CreatorTool'], file).toEqual([meta.info.Creator]);
    expect(values['pdf:Producer'], file).toEqual([meta.info.Producer]);
    expect(values['dc:language'], file).toEqual([meta.lang]);
    expect(values['dc:format'], file).toEqual(['application/pdf']);
    if (meta.info.CreationDate === undefined) expect(values['xmp:CreateDate'], file).toBeUndefined();
    else expect(values['xmp:CreateDate'], file).toEqual([isoDate(meta.info.CreationDate)]);
    if (meta.info.ModDate === undefined) expect(values['xmp:ModifyDate'], file).toBeUndefined();
    else expect(values['xmp:ModifyDate'], file).toEqual([isoDate(meta.info.ModDate)]);
    return values;
  }

  it('every PDF has an XMP stream that parses as XML and says what its Info dictionary says, in the dataset\'s language, with the source', async () => {
    for (const doc of documents) {
      const values = await expectConsistent(path.join(out, `${doc}.pdf`));
      expect(values['dc:language'], doc).toEqual([lang]);
      expect(values['dc:source']?.[0], doc).toContain(valid.dataset.source.publication!);
    }
  });

  it('with SOURCE_DATE_EPOCH, the XMP dates are the Info dictionary\'s; without, neither has a date', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-xmp-epoch-'));
    try {
      await build({ cwd: root, out: dir, cities: [cities[0]!.id], kinds: ['briefing'], env: { SOURCE_DATE_EPOCH: '1700000000' } });
      const values = await expectConsistent(path.join(dir, cities[0]!.id, 'briefing.pdf'));
      expect(values['xmp:CreateDate']).toEqual([new Date(1_700_000_000_000).toISOString().replace('.000', '')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('and the title is what a viewer shows in its title bar (DisplayDocTitle), in the catalog with the language', async () => {
    for (const doc of documents) {
      const meta = await readMetadata(path.join(out, `${doc}.pdf`));
      expect(meta.displayDocTitle, doc).toBe(true);
      expect(meta.lang, doc).toBe(lang);
      expect(trees.get(doc)!.kids[0]?.type, doc).toBe('Document');
    }
  });
});

describe('tags in reading order', () => {
  /** The headings of an HTML document, in order, as level and text. */
  const htmlHeadings = (page: string) =>
    [...page.replace(/<(style|script)\b[\s\S]*?<\/\1>/gi, '').matchAll(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1>/gi)].map((m) => `H${m[1]} ${squash(decode(m[2]!.replace(/<[^>]*>/g, '')))}`);

  it('headings are tagged H1–H6 with the HTML\'s levels, texts and order', async () => {
    for (const doc of documents) {
      const expected = htmlHeadings(await html(doc));
      expect(expected.length, doc).toBeGreaterThan(1);
      const tagged = elements(doc).filter((e) => /^H[1-6]$/.test(e.type)).map((e) => `${e.type} ${e.text}`);
      expect(tagged, doc).toEqual(expected);
    }
  });

  it('lists are tagged L and LI, an item for every <li>, key figures included', async () => {
    for (const doc of documents) {
      const page = await html(doc);
      const items = [...page.matchAll(/<li\b/g)].length;
      const tagged = elements(doc);
      expect(tagged.filter((e) => e.type === 'LI').length, doc).toBe(items);
      for (const list of tagged.filter((e) => e.type === 'L')) expect(list.kids.every((k) => k.type === 'LI'), doc).toBe(true);
    }
    // Each key figure is an item of a list, its label and value in it.
    for (const city of cities) {
      const items = elements(`${city.id}/briefing`).filter((e) => e.type === 'LI');
      for (const figure of city.figures.filter((f) => f.key)) {
        expect(items.some((i) => i.text.includes(squash(printed(figure)))), `${city.id}: ${figure.id}`).toBe(true);
      }
    }
  });

  it('the overview\'s table of ranks is a Table: a row of TH naming every city, a row of TD', () => {
    const tables = elements('overview').filter((e) => e.type === 'Table');
    expect(tables).toHaveLength(1);
    const rows = tables[0]!.kids.filter((k) => k.type === 'TR');
    expect(rows.map((r) => r.kids.map((c) => c.type))).toEqual([cities.map(() => 'TH'), cities.map(() => 'TD')]);
    expect(rows[0]!.kids.map((c) => c.text)).toEqual(cities.map((c) => squash(nameOf(c))));
  });

  it('the masthead\'s separator is drawn but not read: it is left out of the tags', async () => {
    const page = await html(`${cities[0]!.id}/briefing`);
    expect(page).toContain('<span class="sep" aria-hidden="true">|</span>');
    const drawn = await readPdf(path.join(out, `${cities[0]!.id}/briefing.pdf`));
    expect(drawn.text).toContain('|');
    expect(trees.get(`${cities[0]!.id}/briefing`)!.text).not.toContain('|');
  });
});
