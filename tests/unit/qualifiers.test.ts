/**
 * A value the source gives as not exact (逾, 近, 約 / 左右) keeps its word
 * wherever it is shown, and is never shown with an "exact" form.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateDataset } from '../../src/index.js';
import { builtInLabels } from '../../src/labels.js';
import { contextBuilder, rankingRows } from '../../src/pipeline/context.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The CSV fixture (beta's applications: "突破1,200件", qualifier over), its CSV edited by `edit`. */
async function dataset(edit: (csv: string) => string = (csv) => csv) {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-qualifiers-'));
  scratch.push(dir);
  await cp(path.join(root, 'tests/fixtures/csv/valid'), dir, { recursive: true });
  const csv = path.join(dir, 'figures.csv');
  await writeFile(csv, edit(await readFile(csv, 'utf8')));
  return validateDataset({ cwd: root, data: dir });
}

const figure = (valid: Awaited<ReturnType<typeof dataset>>, city: string, id: string) => {
  const contexts = contextBuilder(valid, { documents: { briefing: '{city}/briefing' } }, new Set(['bars', 'ranking']));
  return contexts.city(valid.cities.find((c) => c.id === city)!).city.figures.find((f) => f.id === id)!;
};

describe('qualified values', () => {
  it('an "over" figure shows its word on cards and in the cross-city ranking, and has no exact form', async () => {
    const valid = await dataset();
    const applications = figure(valid, 'beta', 'applications');
    expect(applications.display).toBe('逾1200件');
    expect(applications.exact).toBeUndefined();
    const ranking = rankingRows(valid, valid.labels, 'patent_applications');
    expect(ranking.find((r) => r.id === 'beta')!.valueText).toBe('逾1200件');
    // An exact figure keeps both forms.
    expect(figure(valid, 'alpha', 'applications')).toMatchObject({ display: '3500件' });
  });

  it('the source\'s own words are taken as the qualifier they mean: 左右 and 约 are "about", 近 is "nearly"', async () => {
    const valid = await dataset((csv) => csv.replace('alpha,applications,patent_applications,3500,件,,,', 'alpha,applications,patent_applications,3500,件,,左右,').replace('1200,件,,over,', '1200,件,,近,'));
    expect(figure(valid, 'alpha', 'applications').display).toBe('約3500件');
    expect(figure(valid, 'beta', 'applications').display).toBe('近1200件');
    // Each language says it its own way.
    expect([builtInLabels('zh-Hans')!.about, builtInLabels('en')!.about]).toEqual(['约', 'about ']);
  });
});
