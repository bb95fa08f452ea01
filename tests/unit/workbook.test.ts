/**
 * Figures from a workbook (.xlsx): the figures sheet read as the CSV is, each
 * cell taken as its author means it (a formula's saved value, a percentage, a
 * merged cell, a number stored as text), and every problem located at its
 * cell, as a spreadsheet names it.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, formatProblem } from '../../src/errors.js';
import { validateDataset } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { unpackedSize } from '../../src/pipeline/workbook.js';
import { VALID, workbookDataset } from '../helpers/workbook.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});
const dataset = async (...args: Parameters<typeof workbookDataset>) => {
  const dir = await workbookDataset(...args);
  scratch.push(dir);
  return dir;
};

/** The figures validation reads, by city, as plain data. */
async function figures(data: string) {
  const valid = await validateDataset({ cwd: root, data });
  return Object.fromEntries(valid.cities.map((c) => [c.id, c.figures]));
}

/** The problems validation reports, as printed. */
async function problems(data: string): Promise<string[]> {
  const error = await validateDataset({ cwd: root, data }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return (error as DataError).problems.map(formatProblem);
}

describe('figures from a workbook', () => {
  it('are the figures the same rows give as CSV', async () => {
    expect(await figures(await dataset())).toEqual(await figures(VALID));
  });

  it('take a formula as the value it last computed, a merged cell as its range, a number stored as text as the number', async () => {
    const data = await dataset((sheet) => {
      sheet.getCell('D2').value = { formula: '3000+500', result: 3500 };
      // beta's three rows under one merged city cell.
      sheet.getCell('A4').value = null;
      sheet.getCell('A5').value = null;
      sheet.mergeCells('A3:A5');
      sheet.getCell('D3').value = '80';
    });
    expect(await figures(data)).toEqual(await figures(VALID));
  });

  it('reads the sheet it is told to: book.xlsx!Sheet name', async () => {
    const data = await dataset(() => {}, { sheetName: '2013 數據', figures: 'figures.xlsx!2013 數據' });
    expect(await figures(data)).toEqual(await figures(VALID));
  });

  it('locates each problem at its cell, and says what to write', async () => {
    const data = await dataset((sheet) => {
      sheet.getCell('D2').value = { formula: 'B7*2' } as ExcelJS.CellFormulaValue;
      sheet.getCell('D3').value = { error: '#DIV/0!' };
      sheet.getCell('D4').value = '1,200';
      sheet.getCell('F5').value = new Date(Date.UTC(2013, 11, 31));
    });
    const shown = path.relative(process.cwd(), path.join(data, 'figures.xlsx'));
    expect(await problems(data)).toEqual([
      `${shown}!Figures!D2 value: ${msg.workbookFormulaNoValue('B7*2')}`,
      `${shown}!Figures!D3 value: ${msg.workbookError('#DIV/0!')}`,
      `${shown}!Figures!D4 value: ${msg.notPlainNumber('1,200', '1200')}`,
      `${shown}!Figures!F5 label: ${msg.workbookDate('2013-12-31')}`,
    ]);
  });

  it('a sheet that is not there: names the sheets the workbook has', async () => {
    const data = await dataset(() => {}, { sheetName: 'Data' });
    const shown = path.relative(process.cwd(), path.join(data, 'figures.xlsx'));
    expect(await problems(data)).toEqual([`${shown}: ${msg.workbookNoSheet('figures', ['Notes', 'Data'])}`]);
  });

  it('a file that is no workbook, and one that would unpack to more than the limit, are refused before they are opened', async () => {
    const data = await dataset();
    const file = path.join(data, 'figures.xlsx');
    const shown = path.relative(process.cwd(), file);
    const real = await readFile(file);
    expect(unpackedSize(real)).toBeGreaterThan(0);

    await writeFile(file, 'city,id\nalpha,x\n');
    expect(await problems(data)).toEqual([`${shown}: ${msg.workbookNotXlsx}`]);

    // The same workbook, its central directory claiming 1 GB for its first file.
    const bomb = Buffer.from(real);
    const directory = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(1024 * 1024 * 1024, directory + 24);
    await writeFile(file, bomb);
    expect(await problems(data)).toEqual([`${shown}: ${msg.workbookTooLarge(unpackedSize(bomb)!, 256 * 1024 * 1024)}`]);
  });
});
