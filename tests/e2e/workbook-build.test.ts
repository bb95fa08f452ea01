/**
 * A dataset whose figures come from a workbook, built for real (briefings):
 * the documents print what the same rows print from a CSV, and a changed
 * cell rebuilds only its city.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { build, type ProgressEvent } from '../../src/index.js';
import { readPdf } from '../helpers/pdf.js';
import { VALID, workbookDataset } from '../helpers/workbook.js';

const root = path.resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});
const temp = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-workbook-out-'));
  scratch.push(dir);
  return dir;
};

describe('figures from a workbook in a real build', () => {
  it('print as the same rows from a CSV print; a changed cell rebuilds only its city, which shows it', async () => {
    const data = await workbookDataset();
    scratch.push(data);
    const [fromBook, fromCsv] = [await temp(), await temp()];
    const briefings = (from: string, out: string, onProgress?: (e: ProgressEvent) => void) => build({ cwd: root, data: from, out, kinds: ['briefing'], onProgress });
    await Promise.all([briefings(data, fromBook), briefings(VALID, fromCsv)]);
    for (const city of ['alpha', 'beta']) {
      const [book, csv] = await Promise.all([readPdf(path.join(fromBook, city, 'briefing.pdf')), readPdf(path.join(fromCsv, city, 'briefing.pdf'))]);
      expect(book.text, city).toBe(csv.text);
    }

    const file = path.join(data, 'figures.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    workbook.getWorksheet('Figures')!.getCell('F4').value = '專利申請總量';
    await workbook.xlsx.writeFile(file);
    const events: ProgressEvent[] = [];
    const again = await briefings(data, fromBook, (e) => events.push(e));
    expect(events.find((e) => e.type === 'plan')).toEqual({ type: 'plan', build: 1, unchanged: 1 });
    expect(again.outputs.map((o) => o.path).sort()).toEqual(['beta/briefing.html', 'beta/briefing.pdf']);
    expect((await readPdf(path.join(fromBook, 'beta/briefing.pdf'))).text).toContain('專利申請總量');
  });
});

describe('a dataset held in one workbook (tests/fixtures/workbook-office)', () => {
  it('builds every kind with no warning: its citation (a title and date with years) keeps each number with its unit', async () => {
    const warnings: string[] = [];
    const result = await build({ cwd: root, data: 'tests/fixtures/workbook-office/data', out: await temp(), onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });
    expect(result.failures).toEqual([]);
    expect(warnings).toEqual([]);
  }, 120_000);
});
