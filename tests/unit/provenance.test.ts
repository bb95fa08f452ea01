/**
 * A figure's source is a quote of the source text, a workbook cell that holds
 * its value, or a citation of another publication; every kind is printed in
 * the numbered sources, and a cell is checked against the figure.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { validateDataset } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { contextBuilder } from '../../src/pipeline/context.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The CSV fixture, alpha given two more figures: one stated in a workbook cell, one in a yearbook; stats.xlsx's B2 holds `cell`. */
async function dataset(cellSource: string, cell: ExcelJS.CellValue = 42) {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-provenance-'));
  scratch.push(dir);
  await cp(path.join(root, 'tests/fixtures/csv/valid'), dir, { recursive: true });
  const city = path.join(dir, 'cities/alpha.yaml');
  const extra = `  - id: firms
    metric: patent_applications
    label: 專利申請企業
    value: 42
    unit: 家
    source: { cell: "${cellSource}" }
  - id: staff
    metric: patent_applications
    label: 審查人員
    value: 310
    unit: 人
    source: { citation: { publication: 甲市統計年鑑, table: 表3-2, page: 12, date: 2014-03, url: "https://example.org/yearbook" } }
`;
  await writeFile(city, (await readFile(city, 'utf8')).replace('narrative:', `${extra}narrative:`).replace('figures:\n  - id: grants', 'figures:\n  - id: grants'));
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('2013');
  sheet.getCell('A2').value = '專利申請企業';
  sheet.getCell('B2').value = cell;
  await book.xlsx.writeFile(path.join(dir, 'stats.xlsx'));
  return dir;
}

const problems = async (data: string) => {
  const error = await validateDataset({ cwd: root, data }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return (error as DataError).problems.map((p) => [p.field, p.message]);
};

describe('where a figure is stated', () => {
  it('a workbook cell and a citation are printed in the numbered sources, beside the quotes', async () => {
    const valid = await validateDataset({ cwd: root, data: await dataset('stats.xlsx!2013!B2') });
    const alpha = valid.cities.find((c) => c.id === 'alpha')!;
    const { notes } = contextBuilder(valid, { documents: {} }, new Set()).city(alpha);
    expect(notes).toEqual([
      { n: 1, text: '甲市獲得發明專利120件', quoted: true },
      { n: 2, text: 'stats.xlsx, 2013!B2', quoted: false },
      { n: 3, text: '甲市統計年鑑, 表3-2, 第12頁, 2014-03, https://example.org/yearbook', quoted: false },
      { n: 4, text: '甲市提交專利申請3500件,同比增長12.5%', quoted: true },
    ]);
  });

  it('a cell that holds another value, or no number, is reported at the figure\'s source', async () => {
    expect(await problems(await dataset('stats.xlsx!2013!B2', 43))).toEqual([['figures[1].source.cell', msg.cellDiffers('stats.xlsx!2013!B2', '43', 42)]]);
    expect(await problems(await dataset('stats.xlsx!2013!A2'))).toEqual([['figures[1].source.cell', msg.cellNotNumber('stats.xlsx!2013!A2', '專利申請企業')]]);
  });

  it('a workbook or sheet that is not there, or one outside the project, is reported; the file is not read', async () => {
    const missing = await dataset('nothing.xlsx!2013!B2');
    expect(await problems(missing)).toEqual([['figures[1].source.cell', msg.cellFileMissing(path.relative(process.cwd(), path.join(missing, 'nothing.xlsx')))]]);
    expect(await problems(await dataset('stats.xlsx!2014!B2'))).toEqual([['figures[1].source.cell', msg.workbookNoSheet('2014', ['2013'])]]);
    // A real workbook, in a folder beside the dataset's: outside the project and the dataset's folder.
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'citybrief-elsewhere-'));
    scratch.push(elsewhere);
    const book = new ExcelJS.Workbook();
    book.addWorksheet('S').getCell('A1').value = 42;
    await book.xlsx.writeFile(path.join(elsewhere, 'book.xlsx'));
    const [field, message] = (await problems(await dataset(`../${path.basename(elsewhere)}/book.xlsx!S!A1`)))[0]!;
    expect(field).toBe('figures[1].source.cell');
    expect(message).toMatch(/outside/);
  });

  it('a cell written wrong says how to write one; a source in none of the three shapes says which shapes a source takes', async () => {
    expect(await problems(await dataset('B2'))).toEqual([['figures[1].source.cell', 'must name a workbook cell: book.xlsx!Sheet!C12']]);
    const data = await dataset('stats.xlsx!2013!B2');
    const city = path.join(data, 'cities/alpha.yaml');
    await writeFile(city, (await readFile(city, 'utf8')).replace('source: { cell: "stats.xlsx!2013!B2" }', 'source: { link: "stats.xlsx" }'));
    expect(await problems(data)).toEqual([['figures[1].source', msg.sourceShapes]]);
  });
});
