/**
 * A project of another subject and shape than the seed: public libraries in
 * eight districts, in English, with the bundled theme. Its districts range
 * from one that states two figures to one with many figures, series over five
 * years, shares of a whole, schemes and a long commentary; some figures come
 * from a CSV, the series from another. Built as a user builds it (the project
 * folder), then read back: every district has its briefing and its deck, the
 * overview lists them all, and every value the data states is printed.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withUnit } from '../../src/format.js';
import { builtInLabels } from '../../src/labels.js';
import { build, type BuildResult, type ProgressEvent } from '../../src/index.js';
import { BUDGET } from '../../src/pipeline/measure.js';
import { pageFills, readPdf, squash, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(root, 'tests/fixtures/second-subject');
const read = (file: string) => readFileSync(path.join(FIXTURE, file), 'utf8');

interface Value {
  readonly what: string;
  readonly value: number;
  readonly unit: string;
}

/** The fixture as its files state it: districts in order, and every value of each (city file, figures CSV, series CSV). */
const dataset = parse(read('data/dataset.yaml')) as { lang: string; cities: string[]; figures: string; series: string };
const labels = parse(read('labels/en.yaml')) as Record<string, unknown>;
const rows = (file: string) => parseCsv(read(`data/${file}`), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const districts = dataset.cities.map((id) => {
  const file = parse(read(`data/cities/${id}.yaml`)) as { name: Record<string, string>; figures?: { id: string; value: number; unit: string }[] };
  const values: Value[] = [
    ...(file.figures ?? []).map((f) => ({ what: f.id, value: f.value, unit: f.unit })),
    ...rows(dataset.figures)
      .filter((r) => r.city === id)
      .map((r) => ({ what: `${dataset.figures}: ${r.id}`, value: Number(r.value), unit: r.unit! })),
    ...rows(dataset.series)
      .filter((r) => r.city === id)
      .map((r) => ({ what: `${dataset.series}: ${r.metric} ${r.subject ?? ''} ${r.period}`, value: Number(r.value), unit: r.unit! })),
  ];
  return { id, name: file.name[dataset.lang]!, values };
});

let out: string;
let result: BuildResult;
const events: ProgressEvent[] = [];
const briefings = new Map<string, PdfFacts>();
const decks = new Map<string, PdfFacts>();
let overview: PdfFacts;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'citybrief-second-subject-'));
  result = await build({ cwd: root, project: FIXTURE, out, onProgress: (e) => events.push(e) });
  for (const { id } of districts) {
    briefings.set(id, await readPdf(path.join(out, id, 'briefing.pdf')));
    decks.set(id, await readPdf(path.join(out, id, 'slides.pdf')));
  }
  overview = await readPdf(path.join(out, 'overview.pdf'));
});

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('a second subject: public libraries in eight districts', () => {
  it('fills every page of a longer briefing and of the overview to the page budget, read back from the PDFs', async () => {
    for (const file of [...[...briefings.keys()].map((id) => `${id}/briefing.pdf`), 'overview.pdf']) {
      // The default theme's page margins: 14 mm above, 16 mm below (templates/theme.css).
      const fills = await pageFills(path.join(out, file), { topMm: 14, bottomMm: 16 });
      if (fills.length > 1) for (const [i, fill] of fills.entries()) expect(fill, `${file} page ${i + 1}`).toBeGreaterThan(BUDGET.fill - 0.05);
    }
  });

  it('builds with no failure and no warning', () => {
    expect(result.failures).toEqual([]);
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('gives every district an A4 briefing and a 16:9 deck, and one overview', () => {
    const pdfs = result.manifest.outputs.filter((o) => o.format === 'pdf');
    expect(pdfs.map((o) => o.path).sort()).toEqual([...districts.flatMap(({ id }) => [`${id}/briefing.pdf`, `${id}/slides.pdf`]), 'overview.pdf'].sort());
    for (const { id, name } of districts) {
      const briefing = briefings.get(id)!;
      expect(briefing.text, `${id} briefing`).toContain(squash(name));
      for (const size of briefing.sizes) {
        expect(size.width).toBeCloseTo(595.3, 0);
        expect(size.height).toBeCloseTo(841.9, 0);
      }
      const deck = decks.get(id)!;
      expect(deck.pageText[0], `${id} title slide`).toContain(squash(name));
      for (const size of deck.sizes) expect(size.width / size.height).toBeCloseTo(16 / 9, 2);
    }
  });

  it("prints every value of a district's data in its briefing, with its unit", () => {
    for (const { id, values } of districts) {
      const text = briefings.get(id)!.text;
      expect(values.length, id).toBeGreaterThan(0);
      for (const v of values) expect(text, `${id} ${v.what}`).toContain(squash(withUnit(v.value, v.unit, dataset.lang)));
    }
  });

  it('lists every district in the overview, in order, each with its own page linking to its briefing', () => {
    const contents = overview.pageText[0]!;
    const places = districts.map(({ name }) => contents.indexOf(squash(name)));
    expect(places.every((p) => p >= 0), 'every district in the contents').toBe(true);
    expect([...places].sort((a, b) => a - b)).toEqual(places);
    for (const { id, name } of districts) {
      const page = overview.pageText.find((p) => p.includes(squash(`${labels.fullBriefing} → ${id}/briefing.pdf`)));
      expect(page, `${id} summary page`).toBeDefined();
      expect(page).toContain(squash(name));
    }
  });

  it("prints the project's own words", () => {
    for (const { id } of districts) expect(briefings.get(id)!.text, id).toContain(squash(String(labels.narrative)));
  });

  it("makes the densest district's briefing longer than the sparsest's", () => {
    const byValues = [...districts].sort((a, b) => a.values.length - b.values.length);
    const sparsest = byValues[0]!;
    const densest = byValues.at(-1)!;
    expect(densest.values.length).toBeGreaterThan(3 * sparsest.values.length);
    expect(briefings.get(densest.id)!.pages).toBeGreaterThan(briefings.get(sparsest.id)!.pages);
  });
});

describe('a yes/no field', () => {
  it('prints the language\'s word for yes or no, which the bundled fonts have', async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'citybrief-yes-no-'));
    try {
      await cp(FIXTURE, copy, { recursive: true });
      const file = path.join(copy, 'data', 'cities', 'upper-tarrow.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('mobileLibrary: true', 'mobileLibrary: false'));
      const warnings: string[] = [];
      await build({ project: copy, cities: ['upper-tarrow', 'ashby-marsh'], kinds: ['briefing'], onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });
      expect(warnings).toEqual([]);
      const html = (id: string) => readFile(path.join(copy, 'out', id, 'briefing.html'), 'utf8');
      expect(await html('upper-tarrow')).toContain(`<dt>Mobile library</dt><dd>${builtInLabels('en')!.no}</dd>`);
      expect(await html('ashby-marsh')).toContain(`<dt>Mobile library</dt><dd>${builtInLabels('en')!.yes}</dd>`);
      expect((await readPdf(path.join(copy, 'out', 'upper-tarrow', 'briefing.pdf'))).text).toContain('Mobilelibrary');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }, 120_000);
});
