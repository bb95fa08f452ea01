/**
 * Stage 1 — load: read dataset.yaml, the city files it lists (YAML, or JSON
 * where there is no YAML file), the figures CSV it may name, and the source
 * text, each with the hash of its bytes. YAML (and JSON, read by the same
 * parser) is parsed into documents that keep positions, so later stages can
 * say on which line a field stands; a city file is parsed only when something
 * reads it, so a rebuild can skip the files whose hash shows they did not
 * change. The CSV is always read: its rows are grouped by city, and each city
 * is known by the hash of its file and its rows. Syntax problems are
 * collected, not thrown one at a time.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { DataError, type Problem } from '../errors.js';
import { msg } from '../messages.js';
import type { ResolvedConfig } from '../config.js';
import { citiesLayout, FIGURES, readCsv, SERIES, TEXT, unreadableCsv, type CsvFile, type CsvRow, type Layout, type Position } from './csv.js';
import { tableCities, type TableCity } from './cities.js';
import { numberProblems } from './numbers.js';
import { cellText, isWorkbook, openWorkbook, readWorkbook, workbookTarget } from './workbook.js';
import { CELL_REF, Id } from './schema.js';

export interface YamlFile {
  /** Absolute path. */
  readonly path: string;
  /** Path as shown to the user (relative to the working directory). */
  readonly shown: string;
  /** sha256 of the file's text. */
  readonly sha256: string;
  /** The syntax tree, parsed on first use (to locate a problem). */
  readonly doc: Document;
  readonly lines: LineCounter;
  /** The parsed value, or undefined when the file has syntax errors or too many aliases. */
  readonly value: unknown;
  /**
   * False when the file could not be turned into a value (syntax errors, too
   * many aliases): its problems are reported, and checking `value` against
   * the schema would only add problems the file does not have.
   */
  readonly parsed: boolean;
  /** The file's syntax problems (and numbers written against the rule), found when it is first parsed. */
  readonly syntax: readonly Problem[];
  /** Where a field stands when it is not in the file: a cell of a table (a city from the cities table). */
  where?(fieldPath: readonly PropertyKey[]): (Position & { readonly file: string; readonly field: string }) | undefined;
}

export interface CityFile extends YamlFile {
  /** The id the file is named after: cities/<id>.yaml or cities/<id>.json. */
  readonly id: string;
  /** The city's rows of the figures table, then of the series table, each in file order. */
  readonly rows: readonly CsvRow[];
  /**
   * Hash of everything the city's data is made from: its file, and its rows
   * of the tables when it has any (so a city without rows keeps the hash
   * of its file). Validated cities are remembered by it, and outputs hash it.
   */
  readonly key: string;
  /**
   * For a city of the cities table: its row (and words), and what its own file gives, if it has one
   * (`value` is the two together).
   */
  readonly table?: { readonly city: TableCity; readonly fileValue: unknown };
}

export interface Loaded {
  readonly dataset: YamlFile;
  /** City files in the order dataset.yaml (or its cities table) lists them (missing ones left out). */
  readonly cities: readonly CityFile[];
  /** The ids of the cities the dataset lists, in its list or its cities table (undefined when neither can be read). */
  readonly cityIds: readonly string[] | undefined;
  /** The cities table and the text table dataset.yaml names, those it names (their rows are made into `cities`). */
  readonly cityTables: readonly CsvFile[];
  /** The tables dataset.yaml names (`figures`, `series`: CSV files or workbook sheets), with no rows when one cannot be read. */
  readonly tables: readonly CsvFile[];
  /** The source text figures quote, or undefined when it cannot be read. */
  readonly sourceText: string | undefined;
  readonly sourceFile: string | undefined;
  readonly sourceSha256: string | undefined;
  /** The project's labels folder, as the user is shown it (where a missing labels file should go). */
  readonly labelsShown: string;
  /** The project's labels files (labels/<lang>.yaml), each with the language its name gives. */
  readonly labels: readonly (YamlFile & { readonly lang: string })[];
  /** citybrief.config.yaml, when the project has one and names a logo (read again here to locate a problem with it). */
  readonly project: YamlFile | undefined;
  /**
   * Problems found while reading: missing, unreadable or refused files, and the figures CSV's. A YAML
   * or JSON file's syntax problems are its own (`syntax`), found when validation first reads it.
   */
  readonly problems: readonly Problem[];
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function load(config: ResolvedConfig): Promise<Loaded> {
  const problems: Problem[] = [];
  const shown = (p: string) => path.relative(config.cwd, p) || p;

  const datasetText = await readText(config.dataFile).catch((error: NodeJS.ErrnoException) => {
    throw new DataError([error.code === 'ENOENT' ? { file: shown(config.dataFile), message: msg.noDataset(shown(config.dataFile)) } : unreadable(shown(config.dataFile), error)]);
  });
  const dataset = yamlFile(config.dataFile, shown(config.dataFile), datasetText);

  const listed = (dataset.value as { cities?: unknown } | undefined)?.cities;
  // The cities are listed in dataset.yaml, or named by a table (book.xlsx!Cities) whose rows they are.
  // A single name that is not a table's (`cities: shenzhen`) is a list written without its brackets.
  const fromTable = typeof listed === 'string' && /\.(csv|xlsx)(!.*)?$/i.test(listed.trim());
  if (typeof listed === 'string' && !fromTable) problems.push({ ...locate(dataset, ['cities']), field: 'cities', message: msg.citiesNotTable(listed) });
  const lang = String((dataset.value as { lang?: unknown } | undefined)?.lang ?? '');
  const declared = (dataset.value as { fields?: { city?: unknown } } | undefined)?.fields?.city;
  const cityFields = declared && typeof declared === 'object' ? (declared as Record<string, import('./schema.js').FieldDeclarationData>) : {};
  const [cityTable, textTable, ...figureTables] = await Promise.all([
    fromTable ? readTable(config, dataset, citiesLayout(Object.keys(cityFields)), shown, problems) : undefined,
    readTable(config, dataset, TEXT, shown, problems),
    readTable(config, dataset, FIGURES, shown, problems),
    readTable(config, dataset, SERIES, shown, problems),
  ]);
  const tables = figureTables.filter((t) => t !== undefined);
  const rowCities = cityTable ? tableCities(cityTable, textTable, lang, cityFields, problems) : [];
  const cityIds: unknown[] = fromTable ? rowCities.map((c) => c.id) : Array.isArray(listed) ? listed : [];
  if (fromTable) {
    const seen = new Set<string>();
    for (const row of cityTable?.rows ?? []) {
      const id = row.cells.id;
      if (id === undefined) continue;
      const valid = Id.safeParse(id);
      if (seen.has(id)) problems.push({ file: row.table.shown, ...row.at('id'), field: 'id', message: msg.duplicateCity(id) });
      else if (!valid.success) problems.push({ file: row.table.shown, ...row.at('id'), field: 'id', message: `"${id}" ${valid.error.issues[0]?.message ?? ''}.` });
      seen.add(id);
    }
    for (const row of textTable?.rows ?? []) {
      const id = row.cells.city;
      if (id !== undefined && !seen.has(id)) problems.push({ file: row.table.shown, ...row.at('city'), field: 'city', message: msg.csvUnknownCity(id, [...seen]) });
    }
  } else if (textTable) problems.push({ ...locate(dataset, ['text']), field: 'text', message: msg.textWithoutTable });

  const read: { id: string; file?: string; text?: string }[] = [];
  const present = (file: string) => stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
  await Promise.all(
    cityIds.map(async (id, index) => {
      // Only valid ids name files, by the schema's own rule (which refuses `../x` and device names such as
      // `con`): anything else is reported by validation and never looked up. A city listed twice is read
      // once (validation reports the duplicate).
      if (typeof id !== 'string' || !Id.safeParse(id).success || cityIds.indexOf(id) !== index) return;
      const yaml = path.join(config.dataDir, 'cities', `${id}.yaml`);
      const json = path.join(config.dataDir, 'cities', `${id}.json`);
      const [hasYaml, hasJson] = await Promise.all([present(yaml), present(json)]);
      const where = () => (fromTable ? rowCities[index]!.where(['id']) : { ...locate(dataset, ['cities', index]), field: `cities[${index}]` });
      // Two files for one city: which one is meant is for the user to say, not for citybrief to guess.
      if (hasYaml && hasJson) return void problems.push({ ...where(), message: msg.cityFileTwice(id, shown(yaml), shown(json)) });
      // A city of the cities table needs no file of its own.
      if (!hasYaml && !hasJson) return fromTable ? void (read[index] = { id }) : void problems.push({ ...where(), message: msg.cityFileMissing(id, shown(yaml)) });
      const file = hasYaml ? yaml : json;
      try {
        read[index] = { id, file, text: await readText(file) };
      } catch (error) {
        problems.push(unreadable(shown(file), error));
      }
    }),
  );

  const rowsOf = new Map<string, CsvRow[]>();
  for (const row of tables.flatMap((t) => t.rows)) {
    const id = row.cells.city;
    if (id === undefined) continue;
    const rows = rowsOf.get(id);
    if (rows) rows.push(row);
    else rowsOf.set(id, [row]);
  }
  const byId = new Map(rowCities.map((c) => [c.id, c]));
  const cities = read.filter(Boolean).map(({ id, file, text }) => {
    const rows = rowsOf.get(id) ?? [];
    const own = byId.get(id);
    const fileSha = text === undefined ? null : sha256(text);
    const made = own ? [fileSha, own.cells] : fileSha;
    const key = rows.length === 0 && !own ? fileSha! : sha256(JSON.stringify([made, rows.map((r) => r.cells)]));
    if (!own) return yamlFile(file!, shown(file!), text!, { id, rows, key });
    return tableCityFile(own, file === undefined ? undefined : yamlFile(file, shown(file), text!), cityTable!, { id, rows, key });
  });

  let sourceText: string | undefined;
  const sourceFile = namedFiles(config, dataset.value).source;
  const sourceOutside = sourceFile !== undefined && outsideProject(config, sourceFile);
  if (sourceOutside) problems.push({ ...locate(dataset, ['source', 'file']), field: 'source.file', message: outsideMessage(config, sourceFile) });
  else if (sourceFile !== undefined) {
    try {
      sourceText = await readText(sourceFile);
    } catch (error) {
      problems.push(error instanceof BadText ? unreadable(shown(sourceFile), error) : { ...locate(dataset, ['source', 'file']), field: 'source.file', message: msg.unreadable(shown(sourceFile), (error as Error).message) });
    }
  }

  const labelFiles = (await readdir(config.labelsDir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
  const labels = (
    await Promise.all(
      labelFiles.map(async (name) => {
        const file = path.join(config.labelsDir, name);
        try {
          return yamlFile(file, shown(file), await readText(file), { lang: name.replace(/\.ya?ml$/, '') });
        } catch (error) {
          problems.push(unreadable(shown(file), error));
          return undefined;
        }
      }),
    )
  ).filter((f) => f !== undefined);
  // Read again only to locate a problem with the logo, the one setting validation checks against the files.
  const project = config.projectFile && config.logo !== undefined ? yamlFile(config.projectFile, shown(config.projectFile), await readText(config.projectFile)) : undefined;

  return { dataset, cities, cityTables: [cityTable, textTable].filter((t) => t !== undefined), cityIds: (fromTable ? cityTable?.whole : Array.isArray(listed)) ? cityIds.filter((id): id is string => typeof id === 'string') : undefined, tables, sourceText, sourceFile, sourceSha256: sourceText === undefined ? undefined : sha256(sourceText), labelsShown: shown(config.labelsDir), labels, project, problems };
}

/**
 * The files dataset.yaml names besides the city files (its parsed `value`), resolved against its
 * folder: the source text, and the files its tables (figures, series, cities, text) are read
 * from, each a CSV file or a workbook named with its sheet (book.xlsx!Figures). A name that is
 * not a string gives none; validation reports it.
 */
export function namedFiles(config: ResolvedConfig, value: unknown): { source?: string; tables: string[] } {
  const named = value as Record<string, unknown> & { source?: { file?: unknown } } | undefined;
  const source = named?.source?.file;
  const tables = TABLES.flatMap((key) => {
    const target = tableTarget(named?.[key]);
    return target ? [path.resolve(config.dataDir, target.file)] : [];
  });
  return { source: typeof source === 'string' ? path.resolve(config.dataDir, source) : undefined, tables: [...new Set(tables)] };
}

/** The keys of dataset.yaml that may name a table. */
const TABLES = ['figures', 'series', 'cities', 'text'] as const;

/** The file and sheet a table's name gives (a workbook may be named with its sheet: book.xlsx!Figures), or none for a blank or a list. */
function tableTarget(name: unknown): { file: string; sheet: string | undefined } | undefined {
  return typeof name === 'string' && name.trim() !== '' ? workbookTarget(name) : undefined;
}

/** The table dataset.yaml names under the layout's name (`figures`, `series`), relative to the dataset file. */
async function readTable(config: ResolvedConfig, dataset: YamlFile, layout: Layout, shown: (p: string) => string, problems: Problem[]): Promise<CsvFile | undefined> {
  const target = tableTarget((dataset.value as Record<string, unknown> | undefined)?.[layout.name]);
  const file = target && path.resolve(config.dataDir, target.file);
  const sheet = target?.sheet;
  if (file === undefined) return undefined;
  const where = () => ({ ...locate(dataset, [layout.name]), field: layout.name });
  if (outsideProject(config, file)) {
    problems.push({ ...where(), message: outsideMessage(config, file) });
    return unreadableCsv(file, shown(file), layout);
  }
  try {
    if (isWorkbook(file)) {
      const bytes = await readBytes(file);
      return await readWorkbook(file, shown(file), bytes, sha256(bytes), sheet, layout, problems);
    }
    const text = await readText(file);
    return readCsv(file, shown(file), text, sha256(text), layout, problems);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') problems.push({ ...where(), message: msg.tableFileMissing(shown(file), layout.name) });
    else problems.push(unreadable(shown(file), error));
    return unreadableCsv(file, shown(file), layout);
  }
}

/** The message for a file a dataset names outside the project and the dataset's folder. */
function outsideMessage(config: ResolvedConfig, file: string): string {
  const shown = (p: string) => path.relative(config.cwd, p) || p;
  return msg.fileOutside(file, [...new Set([shown(config.projectDir), shown(config.dataDir)])]);
}

/**
 * A reader of workbook cells a figure names as its source (`book.xlsx!Sheet!C12`, the file relative
 * to the dataset): the cell's value as text, or what is wrong. Each workbook is read once, and only
 * from inside the project, as every file a dataset names.
 */
export function cellReader(config: ResolvedConfig): (ref: string) => Promise<{ text: string } | { problem: string }> {
  const shown = (p: string) => path.relative(config.cwd, p) || p;
  const books = new Map<string, Promise<{ book: import('exceljs').Workbook } | { problem: string }>>();
  return async (ref) => {
    const [, name = '', sheetName = '', column = '', row = ''] = CELL_REF.exec(ref) ?? [];
    const file = path.resolve(config.dataDir, name);
    let opened = books.get(file);
    if (!opened) {
      opened = (async () => {
        if (outsideProject(config, file)) return { problem: outsideMessage(config, file) };
        try {
          return await openWorkbook(await readBytes(file));
        } catch (error) {
          return { problem: (error as NodeJS.ErrnoException).code === 'ENOENT' ? msg.cellFileMissing(shown(file)) : msg.unreadable(shown(file), (error as Error).message) };
        }
      })();
      books.set(file, opened);
    }
    const workbook = await opened;
    if ('problem' in workbook) return workbook;
    const sheet = workbook.book.worksheets.find((s) => s.name === sheetName);
    if (!sheet) return { problem: msg.workbookNoSheet(sheetName, workbook.book.worksheets.map((s) => s.name)) };
    const read = cellText(sheet.getCell(`${column.toUpperCase()}${row}`));
    return 'text' in read ? read : { problem: read.problem };
  };
}

/**
 * Whether a file dataset.yaml names lies outside both the project folder and the dataset's own
 * folder (links followed): such a file is not read unless the build allows it (`allowOutside`),
 * so a dataset cannot make citybrief read, and quote back, a file of the machine it runs on.
 * A file that does not exist is not outside: it is reported as missing.
 */
export function outsideProject(config: ResolvedConfig, file: string): boolean {
  if (config.allowOutside) return false;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const target = real(file);
  if (target === undefined) return false;
  return ![config.projectDir, config.dataDir].some((dir) => {
    const root = real(dir) ?? path.resolve(dir);
    return target === root || target.startsWith(root + path.sep);
  });
}

/** Data files larger than this are refused before they are read: a dataset file is a few kilobytes. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** A file that cannot be taken as text, with where. */
class BadText extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(message);
  }
}

async function readText(file: string): Promise<string> {
  const bytes = await readBytes(file);
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    const before = bytes.subarray(0, bad);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const column = bad - before.lastIndexOf(0x0a);
    throw new BadText(msg.notUtf8(bad), line, column);
  }
  const text = bytes.toString('utf8');
  // A byte-order mark is harmless; strip it so positions and quotes line up.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A data file's bytes: a regular file, of at most MAX_FILE_BYTES. */
async function readBytes(file: string): Promise<Buffer> {
  // Only a regular file: a FIFO would block the build, a device (/dev/zero) never end.
  const info = await stat(file);
  if (!info.isFile()) throw new BadText(msg.notRegularFile);
  if (info.size > MAX_FILE_BYTES) throw new BadText(msg.tooLarge(info.size, MAX_FILE_BYTES));
  return readLimited(file, MAX_FILE_BYTES, info.size);
}

/**
 * A file's bytes, counted as they are read: a file whose size its metadata understates (a file
 * growing while read, or one of /proc) is refused at the limit instead of filling the memory.
 */
async function readLimited(file: string, limit: number, expected: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // The size the file says it has (and one byte more, to see it end), then more as long as it goes on.
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(expected + 1 - total, 64 * 1024), limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw new BadText(msg.tooLarge(total, limit));
      // A regular file read short of the size it says, and of the chunk asked for, has ended (files of
      // /proc say 0 and are read on to their end).
      if (expected > 0 && total <= expected && bytesRead < chunk.length) break;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Offset of the first byte that is not well-formed UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n === -1) return i;
    for (let k = 1; k <= n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and code points past U+10FFFF.
    const b1 = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 >= 0xa0) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return i;
    i += n + 1;
  }
  return -1;
}

/** The problem for a file that could not be read as text. */
function unreadable(file: string, error: unknown): Problem {
  if (error instanceof BadText) return { file, line: error.line, column: error.column, message: error.message };
  return { file, message: msg.unreadable(file, (error as Error).message) };
}

/**
 * A YAML (or JSON) file, parsed on first use; `extra` is added as it is (spreading the result would
 * parse it). The value and the syntax problems stay; the syntax tree, which only serves to locate
 * problems and is many times the size of the file, is held weakly: a build of thousands of cities keeps
 * none of them, and a file whose tree was let go is parsed again if a problem needs locating. Reading
 * any of these changes nothing but this memo: a file that is never read (a city validated by an
 * earlier build) is never parsed.
 */
function yamlFile<T extends object = object>(file: string, shown: string, text: string, extra?: T): YamlFile & T {
  const format = file.endsWith('.json') ? 'JSON' : 'YAML';
  let first: { value: unknown; parsed: boolean; syntax: readonly Problem[] } | undefined;
  let tree: WeakRef<Parsed> | undefined;
  const get = (): Parsed => {
    let parsed = tree?.deref();
    if (!parsed) {
      const syntax: Problem[] = [];
      parsed = parseYaml(shown, text, syntax, format);
      first ??= { value: parsed.value, parsed: parsed.parsed, syntax };
      tree = new WeakRef(parsed);
    }
    return parsed;
  };
  const result = () => first ?? (get(), first!);
  return {
    ...(extra as T),
    path: file,
    shown,
    sha256: sha256(text),
    get doc() {
      return get().doc;
    },
    get lines() {
      return get().lines;
    },
    get value() {
      return result().value;
    },
    get parsed() {
      return result().parsed;
    },
    get syntax() {
      return result().syntax;
    },
  };
}

export interface Parsed {
  readonly doc: Document;
  readonly lines: LineCounter;
  /** The file's value, or undefined when it has syntax errors or too many aliases. */
  readonly value: unknown;
  /** False when `value` could not be made (the problems say why). */
  readonly parsed: boolean;
}

/**
 * Parse a YAML or JSON file, keeping positions. JSON is YAML 1.2 (flow
 * style), so one parser gives both formats positions and duplicate-key checks
 * (JSON.parse keeps the last of two equal keys without a word). Problems go
 * to `problems`: one per position, since a file cut short makes the parser
 * report the same place several times.
 */
export function parseYaml(shown: string, text: string, problems: Problem[], format: 'YAML' | 'JSON'): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const seen = new Set<number>();
  for (const error of doc.errors) {
    const offset = error.pos[0];
    if (seen.has(offset)) continue;
    seen.add(offset);
    const pos = lines.linePos(offset);
    // A duplicate key leaves the document whole, so the key's field path is known.
    const duplicate = error.code === 'DUPLICATE_KEY';
    const field = duplicate ? fieldName(pathAt(doc.contents, offset)) || undefined : undefined;
    const reason = error.message.split('\n')[0] ?? error.message;
    const message = duplicate ? msg.duplicateKey(format) : format === 'JSON' ? msg.jsonSyntax(reason) : msg.yamlSyntax(reason);
    problems.push({ file: shown, line: pos.line, column: pos.col, field, message });
  }
  if (doc.errors.length > 0) return { doc, lines, value: undefined, parsed: false };
  // Numbers are written in decimal digits and held exactly (numbers.ts): 0x10, -0, +5 or 1e309 are not taken silently.
  problems.push(...numberProblems(doc, lines, text, shown));
  try {
    // Aliases are capped so a small file cannot expand into a huge one (a "billion laughs").
    return { doc, lines, value: doc.toJS({ maxAliasCount: 100 }), parsed: true };
  } catch (error) {
    problems.push({ file: shown, line: 1, column: 1, message: msg.yamlAliases((error as Error).message) });
    return { doc, lines, value: undefined, parsed: false };
  }
}

/** The field path of the node at `offset`: the key standing there, or the deepest value holding it. */
function pathAt(node: unknown, offset: number, at: PropertyKey[] = []): PropertyKey[] {
  const holds = (n: unknown): n is Node => isNode(n) && n.range !== undefined && n.range !== null && n.range[0] <= offset && offset < n.range[2];
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (holds(pair.key)) return [...at, key];
      if (holds(pair.value)) return pathAt(pair.value, offset, [...at, key]);
    }
  } else if (isSeq(node)) {
    const index = node.items.findIndex(holds);
    if (index !== -1) return pathAt(node.items[index], offset, [...at, index]);
  }
  return at;
}

/**
 * The position of a field path in a YAML file: the deepest node that exists
 * along the path (a missing field is reported where its parent stands).
 */
export function locate(file: Pick<YamlFile, 'doc' | 'lines' | 'shown' | 'where'>, fieldPath: readonly PropertyKey[], atKey = false): { file: string; line?: number; column?: number; sheet?: string; field?: string } {
  const cell = file.where?.(fieldPath);
  if (cell) return cell;
  let node: unknown = file.doc.contents;
  let found: Node | undefined = file.doc.contents ?? undefined;
  for (const [i, key] of fieldPath.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key));
      // Point at the value when there is one, else at the key (or at the key when asked: an unknown field).
      next = pair ? ((atKey && i === fieldPath.length - 1 ? undefined : pair.value) ?? pair.key) : undefined;
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    }
    if (!next || typeof next !== 'object' || !('range' in next)) break;
    node = next;
    found = next as Node;
  }
  const offset = found?.range?.[0];
  // An empty file has no node at all: its problem stands on line 1.
  if (offset === undefined) return { file: file.shown, line: 1, column: 1 };
  const pos = file.lines.linePos(offset);
  return { file: file.shown, line: pos.line, column: pos.col };
}

/** `figures[2].value` from ['figures', 2, 'value']. */
export function fieldName(fieldPath: readonly PropertyKey[]): string {
  return fieldPath.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/**
 * A city of the cities table as a city file: its value is the table's fields with its own file's
 * (if it has one) beside them, and a field the table gives is located at its cell.
 */
function tableCityFile(city: TableCity, own: YamlFile | undefined, table: CsvFile, extra: { id: string; rows: readonly CsvRow[]; key: string }): CityFile {
  const empty = own ? undefined : parseYaml(table.shown, '{}', [], 'YAML');
  const fromTable = (fieldPath: readonly PropertyKey[]) => !own || (fieldPath.length > 0 && Object.hasOwn(city.value, String(fieldPath[0])));
  return {
    ...extra,
    path: own?.path ?? table.path,
    shown: own?.shown ?? table.shown,
    sha256: own?.sha256 ?? '',
    table: {
      city,
      get fileValue() {
        return own?.value;
      },
    },
    get doc() {
      return own ? own.doc : empty!.doc;
    },
    get lines() {
      return own ? own.lines : empty!.lines;
    },
    get value() {
      const fileValue = own?.value;
      // Where the file is not a mapping, its problem is its own: the table's fields still stand.
      return fileValue && typeof fileValue === 'object' && !Array.isArray(fileValue) ? { ...fileValue, ...city.value } : city.value;
    },
    get parsed() {
      return own ? own.parsed : true;
    },
    get syntax() {
      return own ? own.syntax : [];
    },
    where: (fieldPath) => (fromTable(fieldPath) ? city.where(fieldPath) : undefined),
  };
}
