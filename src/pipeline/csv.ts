/**
 * Figures from a spreadsheet. dataset.yaml's `figures` may name a CSV file
 * (UTF-8, a header row, comma-separated, RFC 4180 quoting) with one figure
 * per row, of the city in its `city` column; the other columns are the
 * fields of a figure (schema.ts) flattened to text. Such files are exported
 * by hand from spreadsheets, so whatever can go wrong in them is reported with
 * the line, the column and the column's name.
 *
 * csv-parse reads the records. What it does not give is added here: where
 * each cell starts (for messages), which column is which, and how a row of
 * text becomes an object the Figure schema can check.
 */
import { CsvError, parse } from 'csv-parse/sync';
import type { Problem } from '../errors.js';
import { msg } from '../messages.js';
import { csvNumber } from './numbers.js';

/** The columns of one kind of table: those a row needs, then those it may have. */
export interface Layout {
  /** What the table is, as dataset.yaml names it: figures, series, cities, text. */
  readonly name: 'figures' | 'series' | 'cities' | 'text';
  readonly required: readonly string[];
  readonly columns: readonly string[];
  /** Columns of the dataset's own besides `columns` (a city's names by language, its declared fields). */
  readonly more?: (column: string) => boolean;
}

/**
 * Figures, one per row: where the figure belongs, what it is, its value, then the rest of a
 * figure's fields. Where it is stated is one of `source` (a quote), `citation` (the id of one of
 * dataset.yaml's `citations`) or `cell` (a workbook cell).
 */
export const FIGURES: Layout = {
  name: 'figures',
  required: ['city', 'id', 'metric', 'value', 'unit'],
  columns: ['city', 'id', 'metric', 'value', 'unit', 'label', 'subject', 'qualifier', 'period', 'key', 'source', 'citation', 'cell', 'change', 'derived_from', 'derived_method'],
};

/**
 * Series, one value per row: a metric of a city in one period. Rows have no ids (nothing names
 * them one by one): a metric's rows over the periods are drawn and tabled together.
 */
export const SERIES: Layout = {
  name: 'series',
  required: ['city', 'metric', 'period', 'value', 'unit'],
  columns: ['city', 'metric', 'period', 'value', 'unit', 'label', 'subject', 'qualifier', 'source', 'citation', 'cell'],
};

/**
 * Cities, one per row, in the order documents take them: the id, the name in the dataset's
 * language (`name`) and in others (`name_en`), other names (`aliases`, separated by ";"), the
 * stated rank and its quote, and the fields the dataset declares for cities, by their names.
 */
export function citiesLayout(fields: readonly string[]): Layout {
  return {
    name: 'cities',
    required: ['id', 'name'],
    columns: ['id', 'name', 'aliases', 'rank_position', 'rank_within', 'rank_listed', 'rank_source'],
    more: (column) => /^name_[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$/.test(column) || fields.includes(column),
  };
}

/** The words of the cities, one piece per row in reading order: a headline phrase, a paragraph of the narrative, the commentary. */
export const TEXT: Layout = { name: 'text', required: ['city', 'field', 'text'], columns: ['city', 'field', 'text'] };

/** The figures table's columns. */
export const COLUMNS = FIGURES.columns;
export type Column = string;

/**
 * Where a cell is: its line and column in a CSV file; in a workbook, its row and column
 * number on `sheet` (printed as the cell's address, Figures!C12).
 */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly sheet?: string;
}

/** The table a row is of: its file as shown, its kind, the known columns its header has. */
export interface TableOf {
  readonly shown: string;
  readonly layout: Layout;
  readonly columns: ReadonlySet<string>;
}

export interface CsvRow {
  /** Cell text by column, trimmed; empty cells are left out (an empty cell is a field not given). */
  readonly cells: Readonly<Partial<Record<Column, string>>>;
  readonly table: TableOf;
  /** Cells that hold no text a figure can take (a workbook's date, error or formula without a value), with what to do. */
  readonly unreadable?: ReadonlyMap<Column, string>;
  /** Where the cell of a column starts; where the row starts for a column the header lacks. */
  at(column: string): Position;
}

export interface CsvFile {
  /** Absolute path. */
  readonly path: string;
  /** Path as shown to the user. */
  readonly shown: string;
  readonly sha256: string;
  readonly layout: Layout;
  /** The known columns the header has. */
  readonly columns: ReadonlySet<string>;
  /** Data rows in file order; blank rows and rows of the wrong length (reported) are left out. */
  readonly rows: readonly CsvRow[];
  /**
   * False when part of the file could not be taken as figures (a syntax
   * error, a header problem, a row of the wrong length): some figures may
   * be missing, so checks that look figures up by id would mislead.
   */
  readonly complete: boolean;
  /** Every data row of the file is among `rows` (none was lost to a syntax error or a wrong length, and the file could be read). */
  readonly whole: boolean;
}

/** A figures file that names no readable file: no rows, and incomplete. */
export function unreadableCsv(file: string, shown: string, layout: Layout): CsvFile {
  return { path: file, shown, sha256: '', layout, columns: new Set(), rows: [], complete: false, whole: false };
}

/** Read a CSV table of figures or series; its syntax, header and row-length problems go to `problems`. */
export function readCsv(file: string, shown: string, text: string, sha256: string, layout: Layout, problems: Problem[]): CsvFile {
  const position = positions(text);
  const report = (offset: number, field: string | undefined, message: string) =>
    problems.push({ file: shown, ...position(offset), ...(field === undefined ? {} : { field }), message });
  let complete = true;

  // Records with the offset they start at. csv-parse counts bytes; the text is
  // walked along with it, record by record, to count characters instead.
  const bytes = Buffer.from(text);
  const parsed: { cells: string[]; start: number }[] = [];
  let byteEnd = 0;
  let charEnd = 0;
  let failure: { offset: number; cell: number | undefined; message: string } | undefined;
  try {
    parse(bytes, {
      // A row of the wrong length is reported below, with every other problem, instead of stopping here.
      relax_column_count: true,
      on_record: (cells: string[], context) => {
        parsed.push({ cells, start: charEnd });
        charEnd += bytes.subarray(byteEnd, context.bytes).toString('utf8').length;
        byteEnd = context.bytes;
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // The record that failed starts where the last good one ended; find the offending character in it.
    const fault = scanRecord(text, charEnd).fault;
    const message =
      error.code === 'CSV_QUOTE_NOT_CLOSED'
        ? msg.csvQuoteNotClosed
        : error.code === 'CSV_INVALID_CLOSING_QUOTE'
          ? msg.csvClosingQuote
          : error.code === 'INVALID_OPENING_QUOTE'
            ? msg.csvOpeningQuote
            : msg.csvSyntax(error.message);
    failure = { offset: fault?.at ?? charEnd, cell: fault?.cell, message };
  }

  const headerAt = parsed.findIndex((r) => !blank(r.cells));
  const header = parsed[headerAt];
  const names = header?.cells.map((c) => c.trim()) ?? [];
  if (failure) {
    complete = false;
    // Name the column when the header was read before the fault.
    report(failure.offset, header && failure.cell !== undefined ? names[failure.cell] || undefined : undefined, failure.message);
  }
  if (!header) {
    if (!failure) report(0, undefined, msg.csvNoHeader(layout.columns));
    return unreadableCsv(file, shown, layout);
  }

  // Spreadsheets set to some locales export with semicolons or tabs: one long column name says so.
  const separator = names.length === 1 ? [';', '\t'].find((c) => names[0]!.includes(c)) : undefined;
  if (separator) {
    report(header.start, undefined, msg.csvSeparator(separator));
    return { ...unreadableCsv(file, shown, layout), sha256 };
  }

  const records: TableRow[] = [];
  let whole = !failure;
  const headerStarts = cellStarts(text, header);
  for (const record of parsed.slice(headerAt + 1)) {
    // Spreadsheets export rows they once held as empty lines or runs of commas.
    if (blank(record.cells)) continue;
    const starts = cellStarts(text, record);
    if (record.cells.length !== names.length) {
      complete = false;
      whole = false;
      report(record.cells.length > names.length ? starts[names.length]! : record.start, undefined, msg.csvCellCount(record.cells.length, names.length));
      continue;
    }
    records.push({ cells: record.cells, at: (i) => position(i === undefined ? record.start : starts[i]!) });
  }
  const table = figureTable({ cells: names, at: (i) => position(i === undefined ? header.start : headerStarts[i]!) }, records, shown, layout, (at, field, message) =>
    problems.push({ file: shown, ...at, ...(field === undefined ? {} : { field }), message }),
  );
  return { path: file, shown, sha256, layout, columns: table.columns, rows: table.rows, complete: complete && table.complete, whole };
}

/** A row of a table of figures: its cells' text, and where a cell is (the row's start for `undefined`). */
export interface TableRow {
  readonly cells: readonly string[];
  /** Cells that could not be read as text, by index, with what to do. */
  readonly bad?: ReadonlyMap<number, string>;
  at(cell: number | undefined): Position;
}

/**
 * The rows of a table (a CSV file, a workbook's sheet): the header's names checked against the
 * layout's columns (unknown, twice, missing ones reported at the header), then each row's cells
 * by column. `rows` have no blank row.
 */
export function figureTable(
  header: TableRow,
  rows: readonly TableRow[],
  shown: string,
  layout: Layout,
  report: (at: Position, field: string | undefined, message: string) => void,
): { columns: Set<string>; rows: CsvRow[]; complete: boolean } {
  const COLUMNS = layout.columns;
  let complete = true;
  const names = header.cells.map((c) => c.trim());
  const index = new Map<string, number>();
  const unnamed: number[] = [];
  names.forEach((name, i) => {
    if (name === '') return void unnamed.push(i);
    if (!COLUMNS.includes(name) && !layout.more?.(name)) {
      complete = false;
      const like = COLUMNS.find((c) => c === name.toLowerCase().replace(/[\s-]+/g, '_'));
      return void report(header.at(i), name, msg.unknownColumn(like, COLUMNS));
    }
    if (index.has(name)) {
      complete = false;
      return void report(header.at(i), name, msg.duplicateColumn(name));
    }
    index.set(name, i);
  });
  for (const name of layout.required) {
    if (index.has(name)) continue;
    complete = false;
    report(header.at(undefined), name, msg.missingColumn(name));
  }

  const named = [...COLUMNS, ...[...index.keys()].filter((c) => !COLUMNS.includes(c)).sort()];
  const table: TableOf = { shown, layout, columns: new Set(index.keys()) };
  const out: CsvRow[] = [];
  const usedUnnamed = new Set<number>();
  for (const record of rows) {
    for (const i of unnamed) if ((record.cells[i] ?? '').trim() !== '') usedUnnamed.add(i);
    const cells: Partial<Record<Column, string>> = {};
    // In the layout's order, so a row's content does not depend on the order of the columns.
    for (const column of named) {
      const i = index.get(column);
      const value = i === undefined ? '' : (record.cells[i] ?? '').trim();
      if (value !== '') cells[column] = value;
    }
    const unreadable = new Map<Column, string>();
    for (const column of named) {
      const message = record.bad?.get(index.get(column) ?? -1);
      if (message !== undefined) unreadable.set(column, message);
    }
    out.push({ cells, table, ...(unreadable.size > 0 ? { unreadable } : {}), at: (column) => record.at(index.get(column)) });
  }
  // A column without a name is harmless while it is empty (spreadsheets export such trailing columns).
  for (const i of usedUnnamed) {
    complete = false;
    report(header.at(i), undefined, msg.unnamedColumn);
  }
  return { columns: new Set(index.keys()), rows: out, complete };
}

/**
 * The plain object a row stands for, in the Figure shape, and what is wrong with its cells. A row
 * of series has no id: it is given one from its place (`s12-gdp`, row 12), which nothing names.
 */
export function rawFigure(row: CsvRow, columns: ReadonlySet<string> = row.table.columns): { raw: Record<string, unknown>; problems: { column: Column; message: string }[] } {
  const cells = row.cells;
  const problems: { column: Column; message: string }[] = [];
  const bad = (column: Column, message: string) => problems.push({ column, message });
  for (const [column, message] of row.unreadable ?? []) bad(column, message);
  // A required column the header lacks is reported once, at the header, not on every row.
  for (const column of row.table.layout.required) if (columns.has(column) && cells[column] === undefined && !row.unreadable?.has(column)) bad(column, msg.csvCellRequired(column));

  const raw: Record<string, unknown> = {};
  for (const field of ['id', 'metric', 'label', 'subject', 'unit', 'qualifier', 'period'] as const) {
    if (cells[field] !== undefined) raw[field] = cells[field];
  }
  if (row.table.layout.name === 'series') raw.id = seriesId(row);
  // Where the figure is stated: one of a quote, a citation, a cell.
  const stated = (['source', 'citation', 'cell'] as const).filter((column) => cells[column] !== undefined);
  if (stated.length > 1) bad(stated[1]!, msg.csvSourcesTwice(stated));
  if (cells.source !== undefined) raw.source = cells.source;
  else if (cells.citation !== undefined) raw.source = { citation: cells.citation };
  else if (cells.cell !== undefined) raw.source = { cell: cells.cell };
  const number = (column: 'value' | 'change') => {
    const text = cells[column];
    if (text === undefined) return undefined;
    // Decimal digits, as in YAML and JSON (numbers.ts): no plus sign, leading zeros or -0, and exactly held.
    const read = csvNumber(text);
    if (read && 'value' in read) return read.value;
    bad(column, read?.message ?? msg.notPlainNumber(text, suggestNumber(text)));
    return undefined;
  };
  const value = number('value');
  if (value !== undefined) raw.value = value;
  const change = number('change');
  if (change !== undefined) raw.change = { value: change, unit: '%', basis: 'yoy' };
  if (cells.key !== undefined) {
    const word = cells.key.toLowerCase();
    // Own keys only: a cell saying "constructor" is text, not a property of every object.
    if (Object.hasOwn(BOOLEANS, word)) raw.key = BOOLEANS[word];
    else bad('key', msg.notBoolean(cells.key));
  }

  // Ids are separated by spaces or ";" (a comma works too, in a quoted cell).
  const from = cells.derived_from?.split(/[\s;,]+/).filter(Boolean);
  const method = cells.derived_method;
  if (from || method !== undefined) {
    if (!from) bad('derived_from', msg.derivedFromMissing);
    else if (method === undefined) bad('derived_method', msg.derivedMethodMissing);
    raw.derived = { from: from ?? [], method };
  }
  if (raw.source === undefined && raw.derived === undefined && !row.unreadable?.has('source')) bad('source', msg.csvSourceRequired(row.table.layout.name === 'figures'));
  if (raw.source !== undefined && raw.derived !== undefined) bad('derived_from', msg.csvStatedAndDerived);
  return { raw, problems };
}

/** The id a row of series is known by inside a build: its row and metric (ids are at most 64 characters). */
function seriesId(row: CsvRow): string {
  return `s${row.at('city').line}-${row.cells.metric ?? ''}`.slice(0, 64).replace(/[-_]+$/, '');
}

/** The column of a row's table that a field of the Figure schema comes from. */
export function columnOf(fieldPath: readonly PropertyKey[], row?: CsvRow): Column {
  const [field, sub] = fieldPath;
  if (field === 'derived') return sub === 'method' ? 'derived_method' : 'derived_from';
  if (field === 'source' && (sub === 'citation' || sub === 'cell')) return sub;
  const columns = row?.table.layout.columns ?? COLUMNS;
  return columns.includes(String(field)) ? String(field) : columns[0] === 'city' && row?.table.layout.name === 'series' ? 'city' : 'id';
}

/** What `key` accepts; spreadsheets write TRUE/FALSE, people write yes/no. */
export const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

/** Number words as powers of ten. */
const MULTIPLIERS: Readonly<Record<string, number>> = { 千: 3, 萬: 4, 万: 4, 億: 8, 亿: 8, 萬億: 12, 万亿: 12, 兆: 12 };

/**
 * The plain number a text most likely means, to put in the message: 1,234 → 1234, 1.2萬 → 12000,
 * 1.92万亿 → 1920000000000, 12.5% → 12.5, +1,234 → 1234. Undefined when it is not that simple.
 * Digits are shifted as text, so 1.1億 does not come out as 110000000.00000001.
 */
export function suggestNumber(text: string): string | undefined {
  const match = /^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(萬億|万亿|[千萬万億亿兆%％])?$/.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', word = ''] = match;
  // A percent sign belongs in the unit column (or is implied, for `change`): the number stays as it is.
  const shift = MULTIPLIERS[word] ?? 0;
  const int = whole.replace(/,/g, '');
  const digits = int + fraction.padEnd(shift, '0');
  const point = int.length + shift;
  const before = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const after = digits.slice(point).replace(/0+$/, '');
  // A number is written without a plus sign, and zero without a minus (numbers.ts).
  return `${sign === '-' && /[1-9]/.test(before + after) ? '-' : ''}${before}${after ? `.${after}` : ''}`;
}

function blank(cells: readonly string[]): boolean {
  return cells.every((c) => c.trim() === '');
}

/** Where each cell of a record starts; the record's start for every cell if the scan disagrees with the parser. */
function cellStarts(text: string, record: { cells: readonly string[]; start: number }): number[] {
  const { starts } = scanRecord(text, record.start);
  return starts.length === record.cells.length ? starts : record.cells.map(() => record.start);
}

/**
 * Walk one record from `from` by RFC 4180: the offset each cell starts at,
 * and the first character that breaks the quoting rules, if any. Only used
 * for positions: csv-parse has already decided what the record holds.
 */
function scanRecord(text: string, from: number): { starts: number[]; fault?: { at: number; cell: number } } {
  const starts = [from];
  const ends = (i: number) => i >= text.length || text[i] === ',' || text[i] === '\n' || text[i] === '\r';
  let i = from;
  for (;;) {
    const cell = starts.length - 1;
    if (text[i] === '"') {
      const open = i++;
      for (;;) {
        if (i >= text.length) return { starts, fault: { at: open, cell } };
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i++] === '"') break;
      }
      if (!ends(i)) return { starts, fault: { at: i, cell } };
    } else {
      for (; !ends(i); i++) if (text[i] === '"') return { starts, fault: { at: i, cell } };
    }
    if (text[i] !== ',') return { starts };
    starts.push(++i);
  }
}

/** Line and column (1-based) of an offset; lines end at \n, \r\n or a lone \r (old Mac exports). */
function positions(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}
