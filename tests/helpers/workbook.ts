/**
 * The CSV fixture (tests/fixtures/csv/valid) with its figures in a workbook
 * instead, made with exceljs as a spreadsheet program would save it.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';

const root = path.resolve(import.meta.dirname, '../..');
export const VALID = path.join(root, 'tests/fixtures/csv/valid');

const HEADER = ['city', 'id', 'metric', 'value', 'unit', 'label', 'qualifier', 'key', 'change', 'source', 'derived_from', 'derived_method'];
/** The CSV fixture's rows, as a person would type them into a sheet. */
const ROWS: ExcelJS.CellValue[][] = [
  ['alpha', 'applications', 'patent_applications', 3500, '件', null, null, true, 0.125, '甲市提交專利申請3500件,同比增長12.5%', null, null],
  ['beta', 'grants', 'invention_patent_grants', 80, '件', null, null, true, null, '乙市獲得發明專利80件', null, null],
  ['beta', 'applications', 'patent_applications', 1200, '件', null, 'over', null, null, '乙市專利申請突破1,200件', null, null],
  ['beta', 'share', 'grants_share', 6.7, '%', '發明專利授權佔申請比', null, null, null, null, 'grants; applications', '80 ÷ 1,200,四捨五入至一位小數'],
];

/** The CSV fixture with its figures in a workbook instead; `edit` changes the sheet first. */
export async function workbookDataset(edit: (sheet: ExcelJS.Worksheet) => void = () => {}, { sheetName = 'Figures', figures = 'figures.xlsx' } = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-workbook-'));
  await cp(VALID, dir, { recursive: true });
  await rm(path.join(dir, 'figures.csv'));
  const yaml = await readFile(path.join(dir, 'dataset.yaml'), 'utf8');
  await writeFile(path.join(dir, 'dataset.yaml'), yaml.replace('figures: figures.csv', `figures: "${figures}"`));
  const book = new ExcelJS.Workbook();
  book.addWorksheet('Notes').getCell('A1').value = 'figures are on the other sheet';
  const sheet = book.addWorksheet(sheetName);
  sheet.addRow(HEADER);
  for (const row of ROWS) sheet.addRow(row);
  sheet.getCell('I2').numFmt = '0.0%';
  edit(sheet);
  await book.xlsx.writeFile(path.join(dir, 'figures.xlsx'));
  return dir;
}

