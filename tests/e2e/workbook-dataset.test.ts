/**
 * A dataset held whole in one workbook (tests/fixtures/workbook-office): its
 * cities, their words, figures and series come from sheets, and dataset.yaml
 * only describes them. Built for real: a metric over five periods is drawn
 * as a line and printed as a table, shares as stacked bars, the cities over
 * time as lines in the overview; every value cites where it comes from. Its
 * problems are located at their cells, all in one run.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { build, validateDataset } from '../../src/index.js';
import { DataError, formatProblem } from '../../src/errors.js';
import { msg } from '../../src/messages.js';
import { readPdf } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const DATA = path.join(root, 'tests/fixtures/workbook-office/data');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});
const temp = async (name: string) => {
  const dir = await mkdtemp(path.join(tmpdir(), `citybrief-${name}-`));
  scratch.push(dir);
  return dir;
};

/** The workbook's sheet as rows of cell values (merged cells read as their range's value), header first. */
async function sheetRows(name: string): Promise<Record<string, unknown>[]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(path.join(DATA, 'book.xlsx'));
  const sheet = book.getWorksheet(name)!;
  const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
  const rows: Record<string, unknown>[] = [];
  for (let r = 2; r <= sheet.rowCount; r++) {
    const row: Record<string, unknown> = {};
    header.forEach((column, i) => {
      const cell = sheet.getRow(r).getCell(i + 1);
      const value = (cell.isMerged ? cell.master : cell).value;
      row[column] = value && typeof value === 'object' && 'result' in value ? value.result : value;
    });
    rows.push(row);
  }
  return rows;
}

describe('a dataset held in one workbook', () => {
  it('builds: a metric over five periods as a line and a table, shares as stacked bars, cities over time in the overview, each value cited', async () => {
    const out = await temp('workbook-office-out');
    const dataset = parse(await readFile(path.join(DATA, 'dataset.yaml'), 'utf8')) as { citations: Record<string, { publication: string; table: string; page: number }> };
    const cities = await sheetRows('Cities');
    const series = await sheetRows('Series');
    const result = await build({ cwd: root, data: DATA, out, kinds: ['briefing', 'overview'] });
    expect(result.outputs.filter((o) => o.path.endsWith('briefing.pdf'))).toHaveLength(cities.length);

    const first = String(cities[0]!.id);
    const html = await readFile(path.join(out, first, 'briefing.html'), 'utf8');
    const gdp = series.filter((r) => r.city === first && r.metric === 'gdp' && !r.subject);
    expect(gdp.length).toBeGreaterThanOrEqual(5);
    // The line: one point per period, in period order along the axis.
    const line = /<figure class="chart chart-line"[^>]*>([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    const points = /class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<g class="mark-text/.exec(line)?.[1] ?? '';
    expect(points.match(/<path/g)?.length ?? 0).toBe(gdp.length);
    const periods = gdp.map((r) => String(r.period));
    const axis = periods.map((p) => line.indexOf(`>${p}</text>`));
    expect(axis.every((at) => at > 0)).toBe(true);
    expect([...axis].sort((a, b) => a - b)).toEqual(axis);
    // Its alt text says every point, in period order, though the line labels only some of them.
    const alt = /<svg role="img" aria-label="([^"]*)"/.exec(line)?.[1] ?? '';
    const said = periods.map((p) => alt.indexOf(p));
    expect(said.every((at) => at > 0), alt).toBe(true);
    expect([...said].sort((a, b) => a - b)).toEqual(said);
    // The table: a row per period; the shares: a stacked bar chart.
    const table = /<table class="series">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    for (const period of periods) expect(table).toContain(`<th scope="row">${period}</th>`);
    const shared = new Set(series.filter((r) => r.metric === 'industry_share').map((r) => r.city));
    for (const city of cities.map((c) => String(c.id))) {
      const page = await readFile(path.join(out, city, 'briefing.html'), 'utf8');
      expect(page.includes('chart chart-stacked-bars'), city).toBe(shared.has(city));
    }

    // Every value of the series cites the yearbook as dataset.yaml describes it.
    const pdf = await readPdf(path.join(out, first, 'briefing.pdf'));
    const yearbook = dataset.citations.yearbook!;
    expect(pdf.text.replace(/\s+/g, '')).toContain(`${yearbook.publication},${yearbook.table},第${yearbook.page}页`.replace(/\s+/g, ''));
    // The city's own row and words: its name in the dataset's language and in English, its headline.
    expect(pdf.text).toContain(String(cities[0]!.name));
    expect(pdf.text).toContain(String(cities[0]!.name_en));

    // The overview draws the cities over time, one line each.
    const overview = await readFile(path.join(out, 'overview.html'), 'utf8');
    const lines = /<figure class="chart chart-lines"[^>]*>([\s\S]*?)<\/figure>/.exec(overview)?.[1] ?? '';
    for (const city of cities) expect(lines).toContain(`>${String(city.name)}</text>`);
  });

  it('reports its problems at their cells, in one run: cities, words, series, citations, a series value another figure contradicts, a city file giving a field twice', async () => {
    const data = await temp('workbook-office-broken');
    await cp(DATA, data, { recursive: true });
    const file = path.join(data, 'book.xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(file);
    const cities = book.getWorksheet('Cities')!;
    cities.getCell('E3').value = '第二';
    cities.getCell('B4').value = null;
    book.getWorksheet('Text')!.getCell('B2').value = 'headlines';
    const series = book.getWorksheet('Series')!;
    const twice = String(series.getCell('C3').value);
    series.getCell('C4').value = twice;
    series.getCell('H8').value = 'yearbok';
    // A series value that another figure of the city states otherwise (its key figure of the same period).
    const [city, period, value] = [String(series.getCell('A11').master.value), String(series.getCell('C11').value), Number(series.getCell('D11').value)];
    series.getCell('D11').value = value + 1;
    const keyFigure = (await sheetRows('Figures')).find((r) => r.city === city && r.metric === series.getCell('B11').value && (r.period ?? period) === period)!;
    await book.xlsx.writeFile(file);
    const donghu = String(cities.getCell('A2').value);
    // A city file beside the tables, giving a field its row's words give too.
    await mkdir(path.join(data, 'cities'), { recursive: true });
    await writeFile(path.join(data, 'cities', `${donghu}.yaml`), 'headline: [另一标题]\n');

    const error = await validateDataset({ cwd: root, data }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    const shown = (name: string) => path.relative(root, path.join(data, name));
    const problems = (error as DataError).problems.map(formatProblem);
    expect(problems).toEqual(
      expect.arrayContaining([
        `${shown('book.xlsx')}!Cities!E3 rank_position: ${msg.notPlainNumber('第二', undefined)}`,
        `${shown('book.xlsx')}!Cities!B4 name: ${msg.missingName('zh-Hans')}`,
        `${shown('book.xlsx')}!Text!B2 field: ${msg.textField('headlines')}`,
        `${shown('book.xlsx')}!Series!C4 period: ${msg.seriesTwice('gdp', twice, 3)}`,
        `${shown('book.xlsx')}!Series!H8 citation: ${msg.unknownCitation('yearbok', ['yearbook', 'yearbook-structure'])}`,
        `${shown('book.xlsx')}!Series!D11 value: ${msg.valuesDiffer(String(series.getCell('B11').value), period, String(keyFigure.id), Number(keyFigure.value))}`,
        `${shown(`cities/${donghu}.yaml`)}:1:1 headline: ${msg.givenTwice('headline', shown('book.xlsx'))}`,
      ]),
    );
  });
});
