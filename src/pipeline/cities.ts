/**
 * Cities from tables. dataset.yaml's `cities` may name a table (a CSV file or
 * a workbook's sheet) instead of listing ids: one city per row, in the order
 * documents take them (csv.ts `citiesLayout`). `text` may name a table of the
 * cities' words, one piece per row: a headline phrase, a paragraph of the
 * narrative, the commentary. A city then needs no file of its own; a file
 * `cities/<id>.yaml` beside the tables adds what they do not hold (charts,
 * programmes, figures), and a field given in both is an error.
 *
 * Each city comes out as the value a city file would hold, with where each of
 * its fields stands (a cell) so validation locates a problem at the cell.
 */
import type { Problem } from '../errors.js';
import { msg } from '../messages.js';
import { BOOLEANS, type CsvFile, type CsvRow, type Position } from './csv.js';
import { csvNumber } from './numbers.js';
import type { FieldDeclarationData } from './schema.js';

export interface TableCity {
  readonly id: string;
  /** The city as a city file would give it: id, name, aliases, rank, headline, narrative, commentary and declared fields. */
  readonly value: Record<string, unknown>;
  /** Where a field of the value stands: its cell. */
  where(fieldPath: readonly PropertyKey[]): Position & { readonly file: string; readonly field: string };
  /** What the city is made from in the tables: its row and its rows of text. */
  readonly cells: readonly unknown[];
}

/** A city's words, by the `field` a row of the text table gives. */
const TEXT_FIELDS = ['headline', 'narrative', 'commentary'] as const;

/**
 * The cities of a cities table (and their words from a text table), in row order. Problems of a
 * cell (a rank that is not a number, a text row of an unknown kind) go to `problems`; a row
 * without an id is left out (its problem is the table's).
 */
export function tableCities(table: CsvFile, text: CsvFile | undefined, lang: string, fields: Readonly<Record<string, FieldDeclarationData>>, problems: Problem[]): TableCity[] {
  const report = (row: CsvRow, column: string, message: string) => problems.push({ file: row.table.shown, ...row.at(column), field: column, message });

  const words = new Map<string, CsvRow[]>();
  for (const row of text?.rows ?? []) {
    const field = row.cells.field;
    if (field !== undefined && !(TEXT_FIELDS as readonly string[]).includes(field)) report(row, 'field', msg.textField(field));
    const city = row.cells.city;
    if (city === undefined) continue;
    words.set(city, [...(words.get(city) ?? []), row]);
  }

  const cities: TableCity[] = [];
  for (const row of table.rows) {
    const id = row.cells.id;
    if (id === undefined) {
      if (!row.unreadable?.has('id')) report(row, 'id', msg.csvCellRequired('id'));
      continue;
    }
    const value: Record<string, unknown> = { id };
    const at = new Map<string, { row: CsvRow; column: string }>();
    const put = (field: string, item: unknown, column: string, from = row) => {
      value[field] = item;
      at.set(field, { row: from, column });
    };
    const { cells } = row;

    const names: Record<string, string> = {};
    if (cells.name !== undefined) names[lang] = cells.name;
    for (const [column, name] of Object.entries(cells)) if (column.startsWith('name_') && name !== undefined) names[column.slice(5)] = name;
    put('name', names, 'name');
    if (cells.aliases !== undefined) put('aliases', split(cells.aliases), 'aliases');

    const number = (column: string) => {
      const read = csvNumber(cells[column]!);
      if (read && 'value' in read) return read.value;
      report(row, column, read?.message ?? msg.notPlainNumber(cells[column]!, undefined));
      return undefined;
    };
    const rank: Record<string, unknown> = {};
    if (cells.rank_position !== undefined) rank.position = number('rank_position');
    if (cells.rank_within !== undefined) rank.within = number('rank_within');
    if (cells.rank_listed !== undefined) rank.listed = bool(cells.rank_listed) ?? cells.rank_listed;
    if (cells.rank_source !== undefined) rank.source = cells.rank_source;
    // A rank whose number could not be read is reported at its cell, not again as a rank of the wrong shape.
    const readable = !Object.values(rank).includes(undefined);
    if (Object.keys(rank).length > 0 && readable) put('rank', rank, ['rank_position', 'rank_within', 'rank_listed', 'rank_source'].find((c) => cells[c] !== undefined)!);

    for (const [name, declaration] of Object.entries(fields)) {
      const cell = cells[name];
      if (cell === undefined) continue;
      const typed = declaration.type === 'number' ? number(name) : declaration.type === 'boolean' ? (bool(cell) ?? cell) : declaration.type === 'list' ? split(cell) : cell;
      if (typed !== undefined) put(name, typed, name);
    }

    const texts = words.get(id) ?? [];
    const pieces = (field: string) => texts.filter((r) => r.cells.field === field);
    for (const field of ['headline', 'narrative'] as const) {
      const rows = pieces(field);
      if (rows.length === 0) continue;
      value[field] = rows.map((r) => r.cells.text ?? '');
      at.set(field, { row: rows[0]!, column: 'text' });
      rows.forEach((r, i) => at.set(`${field}.${i}`, { row: r, column: 'text' }));
    }
    const [commentary, twice] = pieces('commentary');
    if (commentary) put('commentary', commentary.cells.text ?? '', 'text', commentary);
    if (commentary && twice) report(twice, 'field', msg.textTwice(commentary.at('field').line));

    cities.push({
      id,
      value,
      where: (fieldPath) => {
        const [field, index] = fieldPath;
        const found = (typeof index === 'number' ? at.get(`${String(field)}.${index}`) : undefined) ?? at.get(String(field)) ?? { row, column: 'id' };
        // A rank's part stands in its own column.
        const column = field === 'rank' && typeof index === 'string' ? ({ position: 'rank_position', within: 'rank_within', listed: 'rank_listed', source: 'rank_source' } as Record<string, string>)[index] ?? found.column : field === 'name' && typeof index === 'string' && index !== lang ? `name_${index}` : found.column;
        return { file: found.row.table.shown, ...found.row.at(column), field: column };
      },
      cells: [cells, texts.map((r) => r.cells)],
    });
  }
  return cities;
}

/** Items separated by ";" (or "；"): aliases, a list field. */
function split(cell: string): string[] {
  return cell
    .split(/[;；]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function bool(cell: string): boolean | undefined {
  const word = cell.toLowerCase();
  return Object.hasOwn(BOOLEANS, word) ? BOOLEANS[word] : undefined;
}
