/**
 * A dataset whose figures come partly from a CSV file, built for real
 * (briefings only): the CSV figures are in the PDFs, a changed row rebuilds
 * only its city and shows in its briefing, and a broken CSV stops the CLI
 * with exit code 2 before anything in out/ changes.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { build, type ProgressEvent } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { readPdf, squash } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
let work: string;
let data: string;
let out: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-csv-build-'));
  data = path.join(work, 'data');
  out = path.join(work, 'out');
  await cp(path.join(root, 'tests/fixtures/csv/valid'), data, { recursive: true });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run() {
  const events: ProgressEvent[] = [];
  const result = await build({ cwd: root, data, out, kinds: ['briefing'], onProgress: (e) => events.push(e) });
  return { result, plan: events.find((e) => e.type === 'plan') };
}

/** The figures CSV's cells by column, for the row of `city` and `id`. */
async function row(city: string, id: string): Promise<Record<string, string>> {
  const [header, ...rows] = (await readFile(path.join(data, 'figures.csv'), 'utf8')).trimEnd().split('\n');
  const cells = (line: string) => line.match(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"(.*)"$/, '$1'));
  const found = rows.map(cells).find((r) => r[0] === city && r[1] === id)!;
  return Object.fromEntries(cells(header!).map((name, i) => [name, found[i] ?? '']));
}

describe('CSV figures in a real build', () => {
  it('the briefings show CSV figures: their sources, labels and derivation', async () => {
    const { result } = await run();
    expect(result.failures).toEqual([]);
    expect(result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path).sort()).toEqual(['alpha/briefing.pdf', 'beta/briefing.pdf']);

    const alpha = (await readPdf(path.join(out, 'alpha/briefing.pdf'))).text;
    // A quoted CSV cell (with its comma) is a numbered source of alpha's briefing.
    expect(alpha).toContain(squash((await row('alpha', 'applications')).source!));
    const beta = (await readPdf(path.join(out, 'beta/briefing.pdf'))).text;
    const share = await row('beta', 'share');
    expect(beta).toContain(squash(share.label!));
    expect(beta).toContain(squash(share.derived_method!));
    expect(beta).toContain(squash((await row('beta', 'grants')).source!));
  });

  it("a changed CSV row rebuilds only its city's briefing, which shows the change", async () => {
    const alphaPdf = path.join(out, 'alpha/briefing.pdf');
    const alphaBefore = await stat(alphaPdf);
    const file = path.join(data, 'figures.csv');
    const label = '專利申請總量';
    const text = await readFile(file, 'utf8');
    const edited = text.replace('beta,applications,patent_applications,1200,件,,', `beta,applications,patent_applications,1200,件,${label},`);
    expect(edited).not.toBe(text);
    await writeFile(file, edited);

    const { result, plan } = await run();
    expect(plan).toEqual({ type: 'plan', build: 1, unchanged: 1 });
    expect(result.outputs.map((o) => o.path).sort()).toEqual(['beta/briefing.html', 'beta/briefing.pdf']);
    expect((await stat(alphaPdf)).mtimeMs).toBe(alphaBefore.mtimeMs);
    expect((await readPdf(path.join(out, 'beta/briefing.pdf'))).text).toContain(label);
  });

  it('a CSV cut short: the CLI exits 2 with the located problem, and out/ stays as it was', async () => {
    const files = (await readdir(out, { recursive: true })).sort();
    // Every file as it was. (The build's lock comes and goes in .citybrief/, so that folder's own time is not compared.)
    const snapshot = async () =>
      Promise.all(files.filter((f) => f !== '.citybrief').map(async (f) => [f, (await stat(path.join(out, f))).mtimeMs, (await stat(path.join(out, f))).size] as const));
    const before = await snapshot();
    const file = path.join(data, 'figures.csv');
    const text = await readFile(file, 'utf8');
    const cut = text.lastIndexOf('"80');
    await writeFile(file, text.slice(0, cut + 5));

    let err = '';
    const code = await main(['build', '--data', data, '--out', out, '--kind', 'briefing'], { out: () => {}, err: (t) => void (err += t) });
    expect(code).toBe(2);
    const lines = text.slice(0, cut).split('\n');
    expect(err).toContain(`${path.relative(process.cwd(), file)}:${lines.length}:${lines.at(-1)!.length + 1} derived_method: ${msg.csvQuoteNotClosed}`);
    expect((await readdir(out, { recursive: true })).sort()).toEqual(files);
    expect(await snapshot()).toEqual(before);
  });
});
