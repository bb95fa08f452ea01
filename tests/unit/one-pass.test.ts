/**
 * One validate reports every problem: of every file, and of every stage that
 * checks input (the data's syntax and schema, rules across files, the CSV,
 * the templates' front matter, the chart specs), in reading order. Fixing
 * one never reveals another that was there all along.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DataError } from '../../src/errors.js';
import { validateDataset } from '../../src/index.js';
import { msg } from '../../src/messages.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

const edit = async (file: string, change: (text: string) => string) => {
  const text = await readFile(file, 'utf8');
  const changed = change(text);
  expect(changed, file).not.toBe(text);
  await writeFile(file, changed);
};

/** The CSV fixture and a copy of the default templates, with ten problems planted in five files and three stages. */
async function planted(): Promise<{ data: string; templates: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-one-pass-'));
  scratch.push(dir);
  const data = path.join(dir, 'data');
  const templates = path.join(dir, 'templates');
  await cp(path.join(root, 'tests/fixtures/csv/valid'), data, { recursive: true });
  await cp(path.join(root, 'templates'), templates, { recursive: true });
  // dataset.yaml: an unknown ranking metric (1).
  await edit(path.join(data, 'dataset.yaml'), (t) => t.replace('ranking: { metric: invention_patent_grants', 'ranking: { metric: invention_patent_grantz'));
  // alpha.yaml: a value in words (2), a quote that is not in the source (3), a chart naming a figure that does not exist (4).
  await edit(path.join(data, 'cities/alpha.yaml'), (t) => t.replace('value: 120', 'value: 1.2萬').replace('source: 甲市獲得發明專利120件', 'source: 甲市獲得發明專利121件').replace('figures: [grants, applications]', 'figures: [grants, applications, nothing]'));
  // figures.csv: an unknown column (5), a value with a separator (6), a row of a city the dataset does not list (7).
  await edit(path.join(data, 'figures.csv'), (t) => t.replace('derived_method\n', 'derived_method,notes\n').replace(/\n/g, ',\n').replace('derived_method,notes,\n', 'derived_method,notes\n').replace('3500,件', '"3,500",件').concat('gamma,grants,invention_patent_grants,80,件,,,,,乙市獲得發明專利80件,,,\n'));
  // briefing.hbs front matter: a `per` that is neither city nor all (8).
  await edit(path.join(templates, 'briefing.hbs'), (t) => t.replace('per: city', 'per: town'));
  // bars.vl.json: a misspelt field type (9) and an unknown channel (10).
  await edit(path.join(templates, 'charts/bars.vl.json'), (t) => t.replace('"type": "quantitative"', '"type": "quantitive"').replace('"color":', '"colour":'));
  return { data, templates };
}

describe('one validate, every problem', () => {
  it('reports ten problems planted in five files and three stages, in one run, in reading order', async () => {
    const { data, templates } = await planted();
    const error = await validateDataset({ cwd: root, data, templates }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    const problems = (error as DataError).problems;
    const where = problems.map((p) => `${path.basename(p.file)} ${p.field ?? ''}`.trim());
    expect(where).toEqual([
      'dataset.yaml ranking.metric',
      'alpha.yaml figures[0].value',
      'alpha.yaml figures[0].source',
      'alpha.yaml charts[0].figures[2]',
      'figures.csv notes',
      'figures.csv value',
      'figures.csv city',
      'briefing.hbs per',
      'bars.vl.json encoding.x.type',
      'bars.vl.json layer[0].encoding.colour',
    ]);
    expect((error as Error).message.split('\n')[0]).toBe(msg.problemsHeading(10, true));
  });

  it('the CLI prints them all with exit code 2', async () => {
    const { data, templates } = await planted();
    let err = '';
    const code = await main(['validate', '--data', data, '--templates', templates], { out: () => {}, err: (t) => void (err += t) });
    expect(code).toBe(2);
    expect(err).toContain(msg.problemsHeading(10, true));
    expect(err.split('\n').filter((l) => /^\s{2}\S/.test(l))).toHaveLength(10);
  });
});
