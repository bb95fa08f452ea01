/**
 * Figures from a workbook. dataset.yaml's `figures` may name an Excel
 * workbook (.xlsx) instead of a CSV file: `figures: figures.xlsx` reads its
 * sheet named "figures" (in any case), or its only sheet;
 * `figures: book.xlsx!Sheet name` reads the sheet named. The sheet is laid
 * out as the CSV is (csv.ts): a header row naming the columns, one figure per
 * row. exceljs reads the file.
 *
 * A workbook holds values, not text, so each cell is turned into the text a
 * CSV cell would hold, as its author means it:
 *
 * - a number as written (15 significant digits, as Excel keeps them); a
 *   number formatted as a percentage (10.3%, held as 0.103) as the percent
 *   it shows, 10.3;
 * - a formula as the value Excel last computed and saved with the file; a
 *   formula saved without one, or one whose value is an error (#DIV/0!), is
 *   reported: citybrief does not compute formulas;
 * - a merged cell as the value of the merged range, in each of its rows;
 * - text, rich text and links as their text; a number stored as text is read
 *   as the CSV reads it (with the plain number to write, for 1,234 or 1.2萬);
 * - a date is refused, with the text to write instead: a period is a name
 *   (2013年, 2013-Q1), not a day.
 *
 * Every problem is located at its cell: `data/book.xlsx!figures!C12 value: …`.
 */
import type * as ExcelJS from 'exceljs';
import type { Problem } from '../errors.js';
import { msg } from '../messages.js';
import { figureTable, unreadableCsv, type CsvFile, type Layout, type Position, type TableRow } from './csv.js';


/** The file and the sheet a `figures` setting names: `book.xlsx` or `book.xlsx!Sheet name`. */
export function workbookTarget(named: string): { file: string; sheet: string | undefined } {
  const at = named.search(/\.xlsx!/i);
  if (at === -1) return { file: named, sheet: undefined };
  return { file: named.slice(0, at + 5), sheet: named.slice(at + 6) };
}

export function isWorkbook(file: string): boolean {
  return /\.xlsx$/i.test(file);
}

/** A workbook's bytes opened, or what is wrong with them; a file that would unpack too far is refused before it is opened. */
export async function openWorkbook(bytes: Buffer): Promise<{ book: ExcelJS.Workbook } | { problem: string }> {
  const unpacked = unpackedSize(bytes);
  if (unpacked === undefined) return { problem: msg.workbookNotXlsx };
  if (unpacked > MAX_UNPACKED_BYTES) return { problem: msg.workbookTooLarge(unpacked, MAX_UNPACKED_BYTES) };
  const { default: Excel } = await import('exceljs');
  const book = new Excel.Workbook();
  try {
    await book.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    return { problem: msg.workbookUnreadable((error as Error).message) };
  }
  return { book };
}

/**
 * Read a table of a workbook: the sheet named, else the one named as the layout (`figures`, in
 * any case), else its only sheet. Its problems go to `problems`.
 */
export async function readWorkbook(file: string, shown: string, bytes: Buffer, sha256: string, sheetName: string | undefined, layout: Layout, problems: Problem[]): Promise<CsvFile> {
  const empty: CsvFile = { ...unreadableCsv(file, shown, layout), sha256 };
  const fileProblem = (message: string) => problems.push({ file: shown, message });

  const opened = await openWorkbook(bytes);
  if ('problem' in opened) return fileProblem(opened.problem), empty;
  const sheets = opened.book.worksheets;
  const sheet =
    sheetName !== undefined
      ? sheets.find((s) => s.name === sheetName)
      : (sheets.find((s) => s.name.trim().toLowerCase() === layout.name) ?? (sheets.length === 1 ? sheets[0] : undefined));
  if (!sheet) return fileProblem(msg.workbookNoSheet(sheetName ?? layout.name, sheets.map((s) => s.name))), empty;

  const at = (row: number, column: number): Position => ({ line: row, column, sheet: sheet.name });
  const report = (where: Position, field: string | undefined, message: string) =>
    problems.push({ file: shown, ...where, ...(field === undefined ? {} : { field }), message });

  // Each row's cells as text; a cell that cannot be text is reported (under its column's name, once the header is known).
  const rows: { number: number; cells: string[]; bad: Map<number, string> }[] = [];
  const width = sheet.columnCount;
  for (let r = 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const cells: string[] = [];
    const bad = new Map<number, string>();
    for (let c = 1; c <= width; c++) {
      const read = cellText(row.getCell(c));
      if ('text' in read) cells.push(read.text);
      else {
        cells.push('');
        bad.set(c - 1, read.problem);
      }
    }
    if (cells.some((t) => t.trim() !== '') || bad.size > 0) rows.push({ number: r, cells, bad });
  }
  const [header, ...body] = rows;
  if (!header) return report(at(1, 1), undefined, msg.csvNoHeader(layout.columns)), empty;

  // A cell that cannot be read is reported with the row's figure, under its column.
  const record = (row: (typeof rows)[number]): TableRow => ({ cells: row.cells, bad: row.bad, at: (i) => at(row.number, i === undefined ? 1 : i + 1) });
  const table = figureTable(record(header), body.map(record), shown, layout, report);
  return { path: file, shown, sha256, layout, columns: table.columns, rows: table.rows, complete: table.complete, whole: true };
}

/** What a cell holds, as the text a CSV cell would hold, or why it cannot be one. */
export function cellText(cell: ExcelJS.Cell): { text: string } | { problem: string } {
  const source = cell.isMerged ? cell.master : cell;
  const value = source.value;
  const percent = /%/.test(source.numFmt ?? '');
  return plain(value, percent);
}

function plain(value: ExcelJS.CellValue | undefined, percent: boolean): { text: string } | { problem: string } {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'number') return { text: numberText(percent ? value * 100 : value) };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false' };
  if (value instanceof Date) return { problem: msg.workbookDate(value.toISOString().slice(0, 10)) };
  if ('error' in value) return { problem: msg.workbookError(value.error) };
  if ('richText' in value) return { text: value.richText.map((r) => r.text).join('') };
  if ('hyperlink' in value) return { text: String(value.text ?? '') };
  if ('formula' in value || 'sharedFormula' in value) {
    const { result } = value as ExcelJS.CellFormulaValue;
    if (result === undefined || result === null) return { problem: msg.workbookFormulaNoValue((value as ExcelJS.CellFormulaValue).formula ?? '') };
    return plain(result as ExcelJS.CellValue, percent);
  }
  return { problem: msg.workbookCellKind };
}

/**
 * A number as text, with the 15 significant digits a workbook keeps: 0.1 + 0.2 computed by a
 * formula is 0.3, and 10.3% held as 0.103 is 10.3, not 10.299999999999999.
 */
function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(15)));
}

/** The most a workbook may unpack to: its XML, not its zip, is what takes memory. */
const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/**
 * The total size of a zip archive's files once unpacked, from its central directory, or undefined
 * when the bytes are not a zip archive (an .xlsx is one). Checked before the workbook is opened, so
 * a small file that unpacks to gigabytes is refused instead of filling the memory.
 */
export function unpackedSize(bytes: Buffer): number | undefined {
  // The end-of-central-directory record: its signature, within the last 64 KiB (+ 22 bytes).
  const from = Math.max(0, bytes.length - 65_557);
  let end = -1;
  for (let i = bytes.length - 22; i >= from; i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end === -1) return undefined;
  const entries = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) return undefined;
    const size = bytes.readUInt32LE(at + 24);
    // A ZIP64 size (0xFFFFFFFF) is over 4 GB: over any limit.
    total += size === 0xffffffff ? Number.MAX_SAFE_INTEGER : size;
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return total;
}
