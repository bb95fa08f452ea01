/**
 * Cities, their words and series from CSV tables (tests/fixtures/csv/tables):
 * the cities table gives the cities and their order, the text table their
 * words, a city's own file what the tables do not hold; a series row is a
 * figure of its period with the source it cites. Problems of these tables are
 * located at their cells.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { DataError, formatProblem } from '../../src/errors.js';
import { validateDataset } from '../../src/index.js';
import { msg } from '../../src/messages.js';

const root = path.resolve(import.meta.dirname, '../..');
const TABLES = path.join(root, 'tests/fixtures/csv/tables');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

const rows = async (dir: string, name: string) => parse(await readFile(path.join(dir, name), 'utf8'), { columns: true }) as Record<string, string>[];

describe('a dataset whose cities, words and series are tables', () => {
  it('takes its cities in the table order, their words from the text table, and what a city file adds', async () => {
    const valid = await validateDataset({ cwd: root, data: TABLES });
    const cities = await rows(TABLES, 'cities.csv');
    const text = await rows(TABLES, 'text.csv');
    expect(valid.cities.map((c) => c.id)).toEqual(cities.map((c) => c.id));
    expect(valid.dataset.cities).toEqual(cities.map((c) => c.id));
    for (const row of cities) {
      const city = valid.cities.find((c) => c.id === row.id)!;
      expect(city.name).toEqual({ 'zh-Hant': row.name, en: row.name_en });
      const words = (field: string) => text.filter((t) => t.city === row.id && t.field === field).map((t) => t.text);
      expect(city.headline).toEqual(words('headline'));
      expect(city.narrative).toEqual(words('narrative'));
      expect(city.commentary).toEqual(words('commentary')[0]);
      expect(city.aliases).toEqual(row.aliases ? row.aliases.split(';') : []);
      expect(city.rank).toEqual(row.rank_position ? { position: Number(row.rank_position), source: row.rank_source } : undefined);
    }
    // alpha's own file adds a figure and a chart; its series rows are figures of their periods, with their sources.
    const alpha = valid.cities.find((c) => c.id === 'alpha')!;
    expect(alpha.charts.map((c) => c.id)).toEqual(['patents']);
    const series = await rows(TABLES, 'series.csv');
    const points = alpha.figures.filter((f) => f.period !== undefined && f.metric === series[0]!.metric);
    expect(points.map((f) => [f.period, f.value, f.source])).toEqual(series.map((r) => [r.period, Number(r.value), r.source ? r.source : { citation: r.citation }]));
  });

  it('reports problems of the tables at their cells: a row without an id, words of a city not listed, a period given twice, an unknown citation', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-tables-'));
    scratch.push(dir);
    await cp(TABLES, dir, { recursive: true });
    await writeFile(path.join(dir, 'cities.csv'), `${await readFile(path.join(TABLES, 'cities.csv'), 'utf8')},丙市,,,,\n`);
    await writeFile(path.join(dir, 'text.csv'), `${await readFile(path.join(TABLES, 'text.csv'), 'utf8')}gamma,headline,新城\n`);
    await writeFile(
      path.join(dir, 'series.csv'),
      (await readFile(path.join(TABLES, 'series.csv'), 'utf8')).replace('2012年,3111,件,,bureau', '2011年,3111,件,,bureaux'),
    );
    const error = await validateDataset({ cwd: root, data: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    const shown = (name: string) => path.relative(root, path.join(dir, name));
    expect((error as DataError).problems.map(formatProblem)).toEqual([
      `${shown('cities.csv')}:4:1 id: ${msg.csvCellRequired('id')}`,
      `${shown('text.csv')}:10:1 city: ${msg.csvUnknownCity('gamma', ['alpha', 'beta'])}`,
      `${shown('series.csv')}:3:27 period: ${msg.seriesTwice('patent_applications', '2011年', 2)}`,
      `${shown('series.csv')}:3:41 citation: ${msg.unknownCitation('bureaux', ['bureau'])}`,
    ]);
  });
});
