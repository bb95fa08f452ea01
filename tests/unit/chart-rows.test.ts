/**
 * A chart never draws two figures as one bar: figures of one metric are told
 * apart by what differs (their period, their subject), and figures alike in
 * label, subject and period are refused where the chart names them.
 */
import { cp, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, formatProblem } from '../../src/errors.js';
import { validateDataset } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { contextBuilder } from '../../src/pipeline/context.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The CSV fixture with beta's file given two figures of one metric (2012 and `second`'s period) and a chart of both. */
async function dataset(second: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-chart-rows-'));
  scratch.push(dir);
  await cp(path.join(root, 'tests/fixtures/csv/valid'), dir, { recursive: true });
  await appendFile(path.join(dir, 'source/article.txt'), '乙市2012年獲得發明專利60件。\n');
  await writeFile(
    path.join(dir, 'cities/beta.yaml'),
    `id: beta
name: { zh-Hant: 乙市 }
headline: [ 穩步推進, 改革創新 ]
figures:
  - { id: grants-2012, metric: invention_patent_grants, value: 60, unit: 件, period: 2012年, source: 乙市2012年獲得發明專利60件 }
charts:
  - { id: over-time, spec: bars, title: 發明專利授權量, figures: [grants-2012, ${second}] }
narrative:
  - 乙市獲得發明專利80件。乙市專利申請突破1,200件。
`,
  );
  return dir;
}

describe('figures of one metric in one chart', () => {
  it('are labelled with the period that tells them apart, so each has a bar of its own', async () => {
    const valid = await validateDataset({ cwd: root, data: await dataset('grants') });
    const beta = valid.cities.find((c) => c.id === 'beta')!;
    const chart = contextBuilder(valid, { documents: {} }, new Set(['bars'])).city(beta).city.charts.find((c) => c.id === 'over-time')!;
    expect(chart.rows.map((r) => r.label)).toEqual(['發明專利授權量(2012年)', '發明專利授權量(2013年)']);
    expect(new Set(chart.rows.map((r) => r.series)).size).toBe(2);
  });

  it('alike in label, subject and period: refused at the chart entry that names the second', async () => {
    const data = await dataset('grants-2012');
    const error = await validateDataset({ cwd: root, data }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).problems.map((p) => [p.field, p.message])).toEqual([['charts[0].figures[1]', msg.chartFiguresAlike('grants-2012', 'grants-2012')]]);
    expect(formatProblem((error as DataError).problems[0]!)).toMatch(/cities\/beta\.yaml:7:\d+ charts\[0\]\.figures\[1\]:/);
  });
});
