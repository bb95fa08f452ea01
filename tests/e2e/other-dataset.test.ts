/**
 * Another office's dataset — other cities, metrics and year, in Simplified
 * Chinese — builds with no code change, in its own language and script.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type BuildResult, type ProgressEvent } from '../../src/index.js';
import { builtInLabels } from '../../src/labels.js';
import { readPdf, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const data = path.join(root, 'tests/fixtures/other-office');
let out: string;
let result: BuildResult;
const events: ProgressEvent[] = [];
const pdfs = new Map<string, PdfFacts>();

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'citybrief-other-'));
  result = await build({ cwd: root, data, out, onProgress: (e) => events.push(e) });
  for (const id of ['example-city', 'sample-county']) pdfs.set(id, await readPdf(path.join(out, id, 'briefing.pdf')));
  pdfs.set('overview', await readPdf(path.join(out, 'overview.pdf')));
});

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('a Simplified-Chinese dataset from another office', () => {
  it('builds every city and lists them in the manifest with their language', () => {
    expect(result.failures).toEqual([]);
    expect(result.manifest.outputs.map((o) => `${o.path} ${o.city} ${o.lang}`).sort()).toEqual([
      'example-city/briefing.html example-city zh-Hans',
      'example-city/briefing.pdf example-city zh-Hans',
      'example-city/slides.html example-city zh-Hans',
      'example-city/slides.pdf example-city zh-Hans',
      'overview.html null zh-Hans',
      'overview.pdf null zh-Hans',
      'sample-county/briefing.html sample-county zh-Hans',
      'sample-county/briefing.pdf sample-county zh-Hans',
      'sample-county/slides.html sample-county zh-Hans',
      'sample-county/slides.pdf sample-county zh-Hans',
    ]);
  });

  it('prints document labels in Simplified Chinese', () => {
    const labels = builtInLabels('zh-Hans')!;
    const text = pdfs.get('example-city')!.text;
    for (const label of [labels.keyFigures, labels.commentary, labels.sources, labels.narrative]) expect(text).toContain(label);
    expect(text).not.toContain(builtInLabels('zh-Hant')!.commentary);
  });

  it('shows its own figures with 万/亿 and signed changes', () => {
    const text = pdfs.get('example-city')!.text;
    expect(text).toContain('2.35万件');
    expect(text).toContain('45.6亿元');
    expect(text).toContain('+12.5%');
    expect(pdfs.get('sample-county')!.text).toContain('-4.2%');
  });

  it('has a glyph for every character: no warning, and only bundled fonts embedded, Simplified first', () => {
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    for (const pdf of pdfs.values()) {
      expect(pdf.fonts.length).toBeGreaterThan(0);
      for (const font of pdf.fonts) {
        expect(font.baseFont).toMatch(/^\/[A-Z]{6}\+NotoSans(SC|TC)/);
        expect(font.embedded).toBe(true);
      }
      expect(pdf.fonts.some((f) => f.baseFont.includes('NotoSansSC'))).toBe(true);
    }
  });
});
