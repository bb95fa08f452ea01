/**
 * The page budget and the layout checks (src/pipeline/measure.ts): what the print stage finds
 * wrong on a page, named by output, page and element; --strict refusing to publish it; the default
 * theme's ladder fitting the seed's briefings to their pages, read back from the PDFs.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { build, type ProgressEvent } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { BUDGET } from '../../src/pipeline/measure.js';
import { root, runCli } from '../helpers/fixtures.js';
import { pageFills, readPdf } from '../helpers/pdf.js';

const seedOut = inject('seedOut');
const project = path.join(root, 'tests/fixtures/second-subject');
/** The default theme's page margins (templates/theme.css `@page`). */
const A4_MARGINS = { topMm: 14, bottomMm: 16 };
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-layout-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A templates folder from the layout fixture, with the bundled chart specs the dataset names. */
async function layoutTemplates(): Promise<string> {
  const dir = path.join(work, 'layout-templates');
  if (!existsSync(dir)) {
    await cp(path.join(root, 'tests/fixtures/layout/templates'), dir, { recursive: true });
    await cp(path.join(root, 'templates/charts'), path.join(dir, 'charts'), { recursive: true });
  }
  return dir;
}

describe('layout checks: each problem named with its output, page and element', () => {
  let warnings: string[];
  beforeAll(async () => {
    warnings = [];
    await build({ project, templates: await layoutTemplates(), out: path.join(work, 'checks'), cities: ['fenholt'], onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });
  }, 120_000);

  it('a heading left at the foot of a page, apart from what follows it', () => {
    expect(warnings).toContain(msg.layout('fenholt/sheet.pdf', 'box', { kind: 'alone', page: 1, element: 'Stranded heading' }, BUDGET));
  });

  it('a page of a longer document under its budget, with how full it is and what it ends with', () => {
    const fill = warnings.find((w) => w.startsWith('fenholt/sheet.pdf, page 2: only '));
    expect(fill).toBeDefined();
    const share = Number(/only (\d+)% of the page/.exec(fill!)![1]);
    expect(share).toBeGreaterThan(5);
    expect(share).toBeLessThan(BUDGET.fill * 100);
    expect(fill).toContain('"What the heading introduces."');
  });

  it('a number broken from its unit', () => {
    expect(warnings).toContain(msg.layout('fenholt/sheet.pdf', 'box', { kind: 'split', page: 1, element: '1060件', text: '1060件' }, BUDGET));
  });

  it('a chart label drawn outside its chart', () => {
    expect(warnings.some((w) => w.startsWith('fenholt/sheet.pdf, page 1: the chart ') && w.includes('cuts off its label "a label far too long for its chart"'))).toBe(true);
  });

  it('a box too small for its content, with its page', () => {
    expect(warnings).toContain(msg.overflow('fenholt/sheet.pdf', 'box', [{ element: 'summary box', page: 1 }]));
  });

  it('a slide whose content spans too little of it; a title slide marked data-fill="any" may', () => {
    expect(warnings.some((w) => w.startsWith('fenholt/deck.pdf, slide 2 (Fenholt: one line): its content spans only '))).toBe(true);
    expect(warnings.filter((w) => w.startsWith('fenholt/deck.pdf'))).toHaveLength(1);
  });
});

describe('--strict: a build that must not publish a flawed page', () => {
  it('exits 1 naming the page, writes no flawed document, and keeps the earlier one', async () => {
    const out = path.join(work, 'strict');
    const args = ['build', '--project', project, '--templates', await layoutTemplates(), '--out', out, '--city', 'fenholt', '--kind', 'sheet'];
    const lenient = await runCli(args);
    expect(lenient.code).toBe(0);
    const earlier = await readFile(path.join(out, 'fenholt/sheet.pdf'));

    const strict = await runCli([...args, '--strict', '--force']);
    expect(strict.code).toBe(1);
    expect(strict.err).toContain('fenholt/sheet.pdf, page 2: only ');
    expect(strict.err).toContain(msg.strictDocument('fenholt/sheet.pdf', 5));
    expect(await readFile(path.join(out, 'fenholt/sheet.pdf'))).toEqual(earlier);
  }, 120_000);

  it('passes a document with nothing to warn about', async () => {
    const { code, err } = await runCli(['build', '--project', project, '--out', path.join(work, 'strict-ok'), '--city', 'saltmere', '--kind', 'briefing,slides', '--strict']);
    expect(err).not.toContain('warning');
    expect(code).toBe(0);
  }, 120_000);
});

describe('the page budget on the seed, read back from the PDFs', () => {
  const documents = async () => {
    const cities = (await readdir(seedOut, { withFileTypes: true })).filter((d) => d.isDirectory() && existsSync(path.join(seedOut, d.name, 'briefing.pdf'))).map((d) => d.name);
    return [...cities.map((c) => `${c}/briefing`), 'overview'];
  };

  it('the build warned of nothing (no page under budget, no layout problem)', async () => {
    const { events } = JSON.parse(await readFile(path.join(seedOut, 'build-result.json'), 'utf8')) as { events: ProgressEvent[] };
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('every page of a briefing or the overview is filled to its budget, the last one included', async () => {
    for (const doc of await documents()) {
      const fills = await pageFills(path.join(seedOut, `${doc}.pdf`), A4_MARGINS);
      if (fills.length === 1) continue;
      // Text reaches a little less far than the boxes around it, which the build measures.
      for (const [i, fill] of fills.entries()) expect(fill, `${doc}.pdf page ${i + 1}`).toBeGreaterThan(BUDGET.fill - 0.05);
    }
  });

  it('the overview puts several city summaries on a page', async () => {
    const { pageText } = await readPdf(path.join(seedOut, 'overview.pdf'));
    const links = pageText.map((text) => text.split('briefing.pdf').length - 1);
    expect(Math.max(...links)).toBeGreaterThanOrEqual(2);
  });

  it('a briefing fitted by the ladder has fewer pages than the same briefing printed without it', async () => {
    const fitted: { city: string; step: number }[] = [];
    for (const doc of await documents()) {
      const step = /<html[^>]*data-tighten="(-?\d)"/.exec(await readFile(path.join(seedOut, `${doc}.html`), 'utf8'))?.[1];
      if (step && Number(step) > 0 && doc !== 'overview') fitted.push({ city: doc.split('/')[0]!, step: Number(step) });
    }
    expect(fitted.length).toBeGreaterThan(0);
    const { city } = fitted[0]!;

    // The same theme without its ladder: the briefing prints as written, over its budget.
    const templates = path.join(work, 'no-ladder');
    await cp(path.join(root, 'templates'), templates, { recursive: true });
    const theme = await readFile(path.join(templates, 'theme.css'), 'utf8');
    await writeFile(path.join(templates, 'theme.css'), theme.replace(/^html\[data-tighten="-?\d"\].*$/gm, ''));
    const warnings: string[] = [];
    await build({ cwd: root, templates, out: path.join(work, 'no-ladder-out'), cities: [city], kinds: ['briefing'], onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });

    const loose = await readPdf(path.join(work, 'no-ladder-out', city, 'briefing.pdf'));
    const fitting = await readPdf(path.join(seedOut, city, 'briefing.pdf'));
    expect(fitting.pages).toBeLessThan(loose.pages);
    expect(warnings.some((w) => w.startsWith(`${city}/briefing.pdf, page ${loose.pages}: only `))).toBe(true);
    // Fitting changed the layout, not what the page states.
    const body = async (file: string) => /<body[\s\S]*<\/body>/.exec(await readFile(file, 'utf8'))![0];
    expect(await body(path.join(seedOut, city, 'briefing.html'))).toBe(await body(path.join(work, 'no-ladder-out', city, 'briefing.html')));
  }, 120_000);
});
