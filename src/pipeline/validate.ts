/**
 * Stage 2 — validate: check every loaded file against the schema, then the
 * rules that span files (metrics exist, figures referenced by charts exist,
 * quotes occur verbatim in the source). Each row of the figures CSV becomes a
 * figure of its city, after the figures of the city's file, and is checked
 * by the same rules; a problem with it is reported at its row and column.
 * Every problem is collected with its file, line and field, and reported at
 * once; nothing is built from invalid data.
 */
import type { z } from 'zod';
import { DataError, type Problem } from '../errors.js';
import { builtInLabels, LABELS, LabelsFile, makeLabels, type LabelValues, type Labels } from '../labels.js';
import { msg } from '../messages.js';
import { columnOf, rawFigure, suggestNumber, type CsvRow } from './csv.js';
import path from 'node:path';
import { nearest } from '../nearest.js';
import { departure } from './quotes.js';
import { fieldName, locate, sha256, type Loaded, type YamlFile } from './load.js';
import { cityShape, Dataset, metricLabel, FIELD_NAMES, Fields, Figure, LangTag, RESERVED_FIELDS, type CityData, type DatasetData, type FieldsData, type FigureData } from './schema.js';

export interface Valid {
  readonly dataset: DatasetData;
  readonly cities: readonly CityData[];
  /** Each valid city by its key (the hash of its file and its CSV rows), for the next build to reuse. */
  readonly files: ReadonlyMap<string, CityData>;
  /** Each city's key by its id: what its outputs are made from. */
  readonly keys: ReadonlyMap<string, string>;
  readonly sourceText: string;
  /** Absolute path of the source text. */
  readonly sourceFile: string;
  /** The words documents print, in the dataset's language: citybrief's defaults with the project's over them. */
  readonly labels: Labels;
  /** Hash of those words: what changes every document when a label changes. */
  readonly labelsKey: string;
  /** Fields the dataset adds to cities and figures. */
  readonly fields: FieldsData;
}

export interface ValidateOptions {
  /** Chart spec names available in the templates (without .vl.json), and where they live. */
  readonly chartSpecs: ReadonlySet<string>;
  readonly chartsDir: string;
  /**
   * Cities validated by an earlier build, by key (the hash of the city's
   * file and its rows of the figures CSV). A city with the same key (and the
   * same source text and citybrief version, which the caller checks) is not
   * parsed or checked against the schema and the source again; the checks
   * that involve other files still run.
   */
  readonly known?: ReadonlyMap<string, CityData>;
  /** What is wrong with an image name (the end of a located message), or undefined for a usable image in the assets folder. */
  readonly asset?: (name: string) => string | undefined;
  /** The project's logo (an image name), checked like the images data names. */
  readonly logo?: string;
  /** Stops validating: checked between cities, so a stop is honoured within a few of them. */
  readonly signal?: AbortSignal;
  /** Reads a workbook cell a figure names as its source; without it such sources are not checked against their cells. */
  readonly cell?: (ref: string) => Promise<{ text: string } | { problem: string }>;
}

/** Cities checked between two looks at the event loop (where a stop request is heard). */
const CITIES_PER_TURN = 25;

export async function validate(loaded: Loaded, options: ValidateOptions): Promise<Valid> {
  // What reading found, then each file's syntax problems as it is read here, then what the checks find.
  const problems: Problem[] = [...loaded.problems, ...loaded.dataset.syntax];
  // A field of a city from a table is located at its cell, under the cell's column.
  const at = (file: YamlFile, fieldPath: readonly PropertyKey[], message: string) =>
    problems.push({ field: fieldName(fieldPath), ...locate(file, fieldPath), message });

  const checked = checkShape(Dataset, loaded.dataset, problems);
  // Cities named by a table are its rows: from here on, the dataset lists them as ids.
  const dataset: DatasetData | undefined = checked && { ...checked, cities: typeof checked.cities === 'string' ? (loaded.cityIds ?? []) : checked.cities };
  for (const file of [loaded.dataset, ...loaded.labels]) checkDirection(file, at);
  // The dataset's own fields shape its cities even when something else in dataset.yaml is wrong.
  const declared = Fields.safeParse((loaded.dataset.value as { fields?: unknown } | undefined)?.fields ?? {});
  const fields: FieldsData = declared.success ? declared.data : { city: {}, figure: {} };
  for (const of of ['city', 'figure'] as const) {
    for (const name of Object.keys(fields[of])) {
      if ((RESERVED_FIELDS[of] as readonly string[]).includes(name)) {
        problems.push({ ...locate(loaded.dataset, ['fields', of, name], true), field: fieldName(['fields', of, name]), message: msg.reservedField(name, of) });
      }
    }
  }
  const City = cityShape(fields);
  // A key the schema does not know, at the top of a city or of one of its figures, may be a field the dataset means to add.
  const undeclared = (fieldPath: readonly PropertyKey[], key: string) => {
    const of = fieldPath.length === 0 ? 'city' : fieldPath.length === 2 && fieldPath[0] === 'figures' ? 'figure' : undefined;
    if (!of) return msg.unknownField;
    const like = nearest(key, [...FIELD_NAMES[of], ...Object.keys(fields[of])]);
    return like ? msg.misspeltField(like) : msg.undeclaredField(of);
  };
  const labels = resolveLabels(loaded, dataset?.lang, problems);
  const imageProblem = (name: unknown) => (typeof name === 'string' && options.asset ? options.asset(name) : undefined);
  if (options.logo !== undefined && loaded.project) {
    const problem = imageProblem(options.logo);
    if (problem) problems.push({ ...locate(loaded.project, ['logo']), field: 'logo', message: problem });
  }
  const tables = loaded.tables;
  const sourceName = loaded.sourceFile?.replace(/^.*[\\/]/, '') ?? 'the source';
  const rowChecks = rowChecker(loaded.sourceText, sourceName, problems);

  const cities: CityData[] = [];
  /** Checks of figures' workbook cells, under way while the cities are checked. */
  const cellChecks: Promise<unknown>[] = [];
  /** Each city as validated, with the file (and key) it came from. */
  const keyed = new Map<string, CityData>();
  const keys = new Map<string, string>();
  for (const [n, file] of loaded.cities.entries()) {
    // Parsing and checking thousands of files takes seconds: let a stop request (Ctrl-C) in now and then.
    if (n > 0 && n % CITIES_PER_TURN === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
    // Where each figure of the city comes from: its index in the city file, or its row of a table.
    let origins: (number | CsvRow)[] = [];
    // Every figure of the city is here: checks that look figures up by id would mislead otherwise.
    let complete = tables.every((t) => t.complete);
    let city = options.known?.get(file.key);
    /** For a city whose file has problems of its own: the ids of all its figures, sound or not. */
    let partial: ReadonlySet<unknown> | undefined;
    if (city) {
      const fromFile = city.figures.length - file.rows.length;
      origins = [...Array.from({ length: fromFile }, (_, i) => i), ...file.rows];
    } else {
      problems.push(...file.syntax);
      // A field a city's row (or its words) gives and its own file gives too: which one is meant is for the user to say.
      const fileValue = file.table?.fileValue;
      if (file.table && fileValue && typeof fileValue === 'object') {
        for (const key of Object.keys(fileValue)) {
          if (key !== 'id' && Object.hasOwn(file.table.city.value, key)) problems.push({ ...locate({ ...file, where: undefined }, [key], true), field: key, message: msg.givenTwice(key, file.table.city.where([key]).file) });
        }
      }
      // Quotes are checked on the raw file, so a city with schema errors still gets them reported.
      if (loaded.sourceText !== undefined) checkQuotes(file, loaded.sourceText, sourceName, at);
      checkDirection(file, at);
      const fromFile = checkShape(City, file, problems, undeclared) as CityData | undefined;
      const fromCsv = file.rows.map((row) => ({ row, figure: rowChecks(row) }));
      complete &&= fromCsv.every((f) => f.figure !== undefined);
      const added = fromCsv.filter((f): f is { row: CsvRow; figure: FigureData } => f.figure !== undefined);
      if (fromFile) {
        city = { ...fromFile, figures: [...fromFile.figures, ...added.map((f) => f.figure)] };
        origins = [...fromFile.figures.map((_, i) => i), ...added.map((f) => f.row)];
      } else {
        // A city file with problems of its own still has sound figures and charts: what spans files is
        // checked with those now, so their problems show in the same run as the file's.
        const sound = soundParts(file.value, City);
        if (sound) {
          partial = sound.ids;
          city = { id: file.id, name: {}, aliases: [], headline: [], rank: undefined, figures: [...sound.figures, ...added.map((f) => f.figure)], programmes: [], charts: sound.charts, narrative: [] };
          origins = [...sound.origins, ...added.map((f) => f.row)];
        }
      }
    }
    if (!city) continue;
    if (!partial) {
      cities.push(city);
      keyed.set(file.key, city);
      keys.set(city.id, file.key);
    }
    const atFigure = (i: number, fieldPath: readonly PropertyKey[], message: string) => {
      const origin = origins[i];
      if (typeof origin === 'object') {
        const column = columnOf(fieldPath, origin);
        problems.push({ file: origin.table.shown, ...origin.at(column), field: column, message });
      } else at(file, ['figures', origin ?? i, ...fieldPath], message);
    };

    // A series has one value per period: two rows of one metric, subject and period would be drawn as one point.
    const periods = new Map<string, CsvRow>();
    origins.forEach((origin) => {
      if (typeof origin !== 'object' || origin.table.layout.name !== 'series') return;
      const { metric = '', subject = '', period = '' } = origin.cells;
      const as = JSON.stringify([metric, subject, period]);
      const first = periods.get(as);
      if (first) problems.push({ file: origin.table.shown, ...origin.at('period'), field: 'period', message: msg.seriesTwice(metric, period, first.at('period').line) });
      else periods.set(as, origin);
    });
    // A series row and a figure stating the same metric, subject and period must agree: a chart and a card would differ.
    const stated = new Map<string, FigureData>();
    city.figures.forEach((figure, i) => {
      if (figure.derived) return;
      const as = JSON.stringify([figure.metric, figure.subject ?? '', figure.period ?? dataset?.period ?? '', figure.unit]);
      const other = stated.get(as);
      const fromSeries = (f: number) => typeof origins[f] === 'object' && (origins[f] as CsvRow).table.layout.name === 'series';
      if (other === undefined) return void stated.set(as, figure);
      // Two rows of the series are one period given twice (reported above).
      if (other.value !== figure.value && fromSeries(i) !== fromSeries(city.figures.indexOf(other))) {
        atFigure(i, ['value'], msg.valuesDiffer(figure.metric, figure.period ?? dataset?.period ?? '', other.id, other.value));
      }
    });

    // A figure whose source is a workbook cell: the cell must hold its value (checked below, every build:
    // the workbook may change while the city file does not).
    city.figures.forEach((figure, i) => {
      if (figure.source && typeof figure.source === 'object' && 'cell' in figure.source && options.cell) {
        const ref = figure.source.cell;
        cellChecks.push(
          options.cell(ref).then((read) => {
            if ('problem' in read) return atFigure(i, ['source', 'cell'], read.problem);
            const number = read.text.trim() === '' ? Number.NaN : Number(read.text);
            if (!Number.isFinite(number)) return atFigure(i, ['source', 'cell'], msg.cellNotNumber(ref, read.text));
            if (Math.abs(number - figure.value) > 1e-9 * Math.max(1, Math.abs(figure.value))) atFigure(i, ['source', 'cell'], msg.cellDiffers(ref, read.text, figure.value));
          }),
        );
      }
    });

    // Checks within the city; those that need dataset.yaml run only when it is valid.
    const name = file.path.replace(/^.*[\\/]/, '');
    if (city.id !== file.id) at(file, ['id'], msg.cityIdMismatch(city.id, name));
    if (dataset && !partial && !Object.hasOwn(city.name, dataset.lang)) at(file, ['name'], msg.missingName(dataset.lang));

    const figureIds = new Set<string>();
    // Figures are looked up by id once each: a city of 100,000 figures is checked in linear time.
    const figureById = new Map(city.figures.map((f) => [f.id, f]));
    // An id no figure has is reported, unless a row of the city that could not be read may hold it
    // (a row with problems, or rows the CSV lost to a syntax error): that row's problems are
    // reported, not a missing figure that is there.
    const idRows = file.rows.filter((r) => r.table.layout.name === 'figures');
    const rowIds = complete ? undefined : new Set(idRows.map((r) => r.cells.id));
    const unsound = (id: string) =>
      (rowIds !== undefined && (tables.some((t) => t.layout.name === 'figures' && !t.whole) || rowIds.has(id) || rowIds.has(undefined))) || (partial !== undefined && (partial.has(id) || partial.has(undefined)));
    const missing = (id: string) => !figureById.has(id) && !unsound(id);
    city.figures.forEach((figure, i) => {
      if (figureIds.has(figure.id)) atFigure(i, ['id'], msg.duplicateFigure(figure.id));
      figureIds.add(figure.id);
      if (dataset && !Object.hasOwn(dataset.metrics, figure.metric)) atFigure(i, ['metric'], msg.unknownMetric(figure.metric));
      const citation = figure.source && typeof figure.source === 'object' && 'citation' in figure.source ? figure.source.citation : undefined;
      if (dataset && typeof citation === 'string' && !Object.hasOwn(dataset.citations, citation)) atFigure(i, ['source', 'citation'], msg.unknownCitation(citation, Object.keys(dataset.citations)));
      figure.derived?.from.forEach((id, j) => {
        if (missing(id)) atFigure(i, ['derived', 'from', j], msg.unknownFigure(id));
      });
    });

    for (const [name, declaration] of Object.entries(fields.city)) {
      const problem = declaration.type === 'image' ? imageProblem((city as Record<string, unknown>)[name]) : undefined;
      if (problem) at(file, [name], problem);
    }
    city.figures.forEach((figure, i) => {
      for (const [name, declaration] of Object.entries(fields.figure)) {
        const problem = declaration.type === 'image' ? imageProblem((figure as Record<string, unknown>)[name]) : undefined;
        if (problem) atFigure(i, [name], problem);
      }
    });
    if (labels) {
      const kinds = Object.keys(labels.values.programmeKinds);
      city.programmes.forEach((programme, i) => {
        if (!Object.hasOwn(labels.values.programmeKinds, programme.kind)) at(file, ['programmes', i, 'kind'], msg.unknownProgrammeKind(programme.kind, kinds, labels.file));
      });
    }

    city.charts.forEach((chart, i) => {
      if (!options.chartSpecs.has(chart.spec)) at(file, ['charts', i, 'spec'], msg.unknownChartSpec(chart.spec, options.chartsDir));
      const units = new Set<string>();
      // Two figures a chart would draw as one bar, with one label: the same label, subject and period.
      const drawnAs = new Map<string, string>();
      chart.figures.forEach((id, j) => {
        const figure = figureById.get(id);
        if (!figure) return void (missing(id) && at(file, ['charts', i, 'figures', j], msg.unknownFigure(id)));
        units.add(figure.unit);
        const label = figure.label ?? (dataset ? metricLabel(dataset, figure.metric) : figure.metric);
        const as = JSON.stringify([label, figure.subject ?? '', figure.period ?? dataset?.period ?? '']);
        const twin = drawnAs.get(as);
        if (twin !== undefined) at(file, ['charts', i, 'figures', j], msg.chartFiguresAlike(id, twin));
        else drawnAs.set(as, id);
      });
      // Units are compared only when every figure is there: one missing may be the one that differs.
      if (complete && !partial && units.size > 1) at(file, ['charts', i, 'figures'], msg.mixedUnits([...units]));
    });
  }

  {
    // Rows of no city file: of a city the dataset does not list (reported here), or of one whose file is
    // missing (reported by load). Their cells are checked all the same, so every problem shows at once.
    const ids = loaded.cityIds;
    const taken = new Set(loaded.cities.flatMap((c) => c.rows));
    for (const row of tables.flatMap((t) => t.rows)) {
      if (taken.has(row)) continue;
      const id = row.cells.city;
      if (id !== undefined && ids && !ids.includes(id)) problems.push({ file: row.table.shown, ...row.at('city'), field: 'city', message: msg.csvUnknownCity(id, ids) });
      rowChecks(row);
    }
  }

  if (dataset) {
    const seen = new Set<string>();
    dataset.cities.forEach((id, i) => {
      if (seen.has(id)) at(loaded.dataset, ['cities', i], msg.duplicateCity(id));
      seen.add(id);
    });
    if (dataset.ranking && !Object.hasOwn(dataset.metrics, dataset.ranking.metric)) at(loaded.dataset, ['ranking', 'metric'], msg.unknownMetric(dataset.ranking.metric));
  }

  await Promise.all(cellChecks);
  // Report in reading order: file by file, top to bottom.
  const files = [loaded.dataset.shown, ...loaded.cityTables.map((t) => t.shown), ...loaded.cities.map((c) => c.shown), ...tables.map((t) => t.shown)];
  const rank = (file: string) => (files.indexOf(file) + files.length + 1) % (files.length + 1);
  problems.sort((a, b) => rank(a.file) - rank(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (problems.length > 0 || !dataset || !labels || loaded.sourceText === undefined || loaded.sourceFile === undefined) throw new DataError(problems);
  return {
    dataset,
    cities,
    files: keyed,
    keys,
    sourceText: loaded.sourceText,
    sourceFile: loaded.sourceFile,
    labels: makeLabels(dataset.lang, labels.values),
    labelsKey: sha256(JSON.stringify(labels.values)),
    fields,
  };
}

/**
 * The labels for the dataset's language: citybrief's own, with the project's
 * labels/<lang>.yaml over them; a language citybrief has none for takes the
 * project's file whole. Every labels file of the project is checked, used or
 * not, so a misspelt key is found before someone builds in that language.
 */
function resolveLabels(loaded: Loaded, lang: string | undefined, problems: Problem[]): { values: LabelValues; file: string } | undefined {
  const files = loaded.labels.map((file) => {
    problems.push(...file.syntax);
    if (!LangTag.safeParse(file.lang).success) problems.push({ file: file.shown, message: msg.labelsFileName(file.shown) });
    const unknown = (_: readonly PropertyKey[], key: string) => msg.unknownLabel(nearest(key, Object.keys(LABELS)), Object.keys(LABELS));
    return { file, values: checkShape(LabelsFile, { ...file, value: file.value ?? {} }, problems, unknown) as Partial<LabelValues> | undefined };
  });
  if (lang === undefined) return undefined;
  const own = files.find((f) => f.file.lang.toLowerCase() === lang.toLowerCase());
  const where = own?.file.shown ?? path.join(loaded.labelsShown, `${lang}.yaml`);
  const defaults = builtInLabels(lang);
  if (own && !own.values) return undefined; // its problems are reported
  if (!defaults) {
    if (!own) {
      problems.push({ ...locate(loaded.dataset, ['lang']), field: 'lang', message: msg.noLabels(lang, where) });
      return undefined;
    }
    const missing = Object.keys(LABELS).filter((key) => !Object.hasOwn(own.values!, key));
    if (missing.length > 0) {
      problems.push({ file: own.file.shown, line: 1, column: 1, message: msg.labelsMissing(missing) });
      return undefined;
    }
    return { values: own.values as LabelValues, file: where };
  }
  const values = own?.values ?? {};
  return { values: { ...defaults, ...values, programmeKinds: { ...defaults.programmeKinds, ...values.programmeKinds } }, file: where };
}

/**
 * Checks one row of a table (figures, series) as a figure: its cells, the Figure schema, its quote.
 * Returns the figure, or undefined when the row has problems (all reported).
 */
function rowChecker(sourceText: string | undefined, sourceName: string, problems: Problem[]): (row: CsvRow) => FigureData | undefined {
  return (row) => {
    const count = problems.length;
    const report = (column: string, message: string) => problems.push({ file: row.table.shown, ...row.at(column), field: column, message });
    const { raw, problems: cells } = rawFigure(row);
    for (const [column, text] of Object.entries(row.cells)) {
      const control = typeof text === 'string' ? directionControl(text) : undefined;
      if (control) cells.push({ column: column as (typeof cells)[number]['column'], message: msg.directionControl(control) });
    }
    for (const p of cells) report(p.column, p.message);
    const quote = row.cells.source;
    if (quote !== undefined && sourceText !== undefined && !sourceText.includes(quote)) report('source', msg.sourceNotFound(sourceName, departure(quote, sourceText)));
    const result = Figure.safeParse(raw);
    if (!result.success) {
      // A column already reported (an empty or unreadable cell), or one the header lacks (reported there), is not reported again.
      const reported = new Set(cells.map((p) => p.column));
      for (const issue of result.error.issues) {
        const column = columnOf(issue.path as PropertyKey[], row);
        if (reported.has(column) || !row.table.columns.has(column)) continue;
        reported.add(column);
        report(column, describe(issue, valueAt(raw, issue.path as PropertyKey[])));
      }
    }
    return problems.length === count && result.success ? result.data : undefined;
  };
}

/**
 * Invisible controls that reorder what follows them (U+202A–U+202E embeddings and overrides, U+2066–U+2069
 * isolates): in a name or a title they would print a rank or a number in another order than the data gives
 * it ("位1第"). Text in a right-to-left script needs none of them.
 */
const DIRECTION_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/** The first direction control in a text, as U+XXXX with its name, or undefined. */
export function directionControl(text: string): string | undefined {
  const found = DIRECTION_CONTROLS.exec(text)?.[0];
  if (found === undefined) return undefined;
  const names: Record<string, string> = {
    '\u202A': 'LEFT-TO-RIGHT EMBEDDING',
    '\u202B': 'RIGHT-TO-LEFT EMBEDDING',
    '\u202C': 'POP DIRECTIONAL FORMATTING',
    '\u202D': 'LEFT-TO-RIGHT OVERRIDE',
    '\u202E': 'RIGHT-TO-LEFT OVERRIDE',
    '\u2066': 'LEFT-TO-RIGHT ISOLATE',
    '\u2067': 'RIGHT-TO-LEFT ISOLATE',
    '\u2068': 'FIRST STRONG ISOLATE',
    '\u2069': 'POP DIRECTIONAL ISOLATE',
  };
  return `U+${found.codePointAt(0)!.toString(16).toUpperCase()} (${names[found]})`;
}

/** Every text of a file, at its place, checked for direction controls. */
function checkDirection(file: YamlFile, at: (file: YamlFile, fieldPath: readonly PropertyKey[], message: string) => void): void {
  const visit = (value: unknown, fieldPath: PropertyKey[]): void => {
    if (typeof value === 'string') {
      const control = directionControl(value);
      if (control) at(file, fieldPath, msg.directionControl(control));
    } else if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...fieldPath, i]));
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) visit(item, [...fieldPath, key]);
  };
  if (file.parsed) visit(file.value, []);
}

/** Every `source` of a city (rank, figures, programmes) must occur verbatim in the source text. */
function checkQuotes(file: YamlFile, text: string, sourceName: string, at: (file: YamlFile, fieldPath: readonly PropertyKey[], message: string) => void): void {
  const raw = (file.value ?? {}) as { rank?: { source?: unknown }; figures?: unknown; programmes?: unknown };
  const quoted = (fieldPath: PropertyKey[], quote: unknown) => {
    if (typeof quote === 'string' && quote.trim() && !text.includes(quote)) at(file, fieldPath, msg.sourceNotFound(sourceName, departure(quote, text)));
  };
  quoted(['rank', 'source'], raw.rank?.source);
  for (const list of ['figures', 'programmes'] as const) {
    const items = raw[list];
    if (Array.isArray(items)) items.forEach((item: { source?: unknown } | null, i) => quoted([list, i, 'source'], item?.source));
  }
}

/** A parsed file checked against a schema: its value, or undefined with every problem reported at its place. */
export function checkShape<T extends z.ZodType>(
  schema: T,
  file: Pick<YamlFile, 'parsed' | 'value' | 'doc' | 'lines' | 'shown' | 'where'>,
  problems: Problem[],
  unknownField: string | ((fieldPath: readonly PropertyKey[], key: string) => string) = msg.unknownField,
): z.output<T> | undefined {
  // A file that gave no value (syntax errors, too many aliases) has its problems reported already;
  // checking the missing value would add a false one ("is required").
  if (!file.parsed) return undefined;
  const result = schema.safeParse(file.value ?? null);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const fieldPath = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const message = typeof unknownField === 'string' ? unknownField : unknownField(fieldPath, key);
        problems.push({ field: fieldName([...fieldPath, key]), ...locate(file, [...fieldPath, key], true), message });
      }
      continue;
    }
    const value = valueAt(file.value, fieldPath);
    const where = locate(file, fieldPath);
    // A number written against the rule (0x10, 1e309, .nan) is reported where it stands already (numbers.ts), saying what to write.
    if (typeof value === 'number' && problems.some((p) => p.file === where.file && p.line === where.line && p.column === where.column)) continue;
    problems.push({ field: fieldName(fieldPath) || undefined, ...where, message: describe(issue, value) });
  }
  return undefined;
}

function valueAt(value: unknown, fieldPath: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of fieldPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Zod's message, said as what to do: a missing field is required, a wrong type names what was found. */
function describe(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    if (value === undefined) return msg.required(issue.expected);
    // Zod reports a fraction where a whole number belongs as the type "int".
    if (issue.expected === 'int' && typeof value === 'number') return msg.notWhole(value);
    // A number written as text (43214.85亿, "1,234") gets the plain number to write, as in a CSV cell.
    if (issue.expected === 'number' && typeof value === 'string') {
      const plain = suggestNumber(value.trim());
      if (plain !== undefined) return msg.notPlainNumber(value, plain);
    }
    return msg.wrongType(issue.expected, value);
  }
  if (issue.code === 'invalid_value' && issue.values.length > 1) return msg.notOneOf(value, issue.values.map(String));
  return issue.message;
}

/**
 * The figures and charts of a city file that fit the schema on their own, with where each figure
 * stands in the file, and the ids of all its figures (undefined for one without a text id).
 */
function soundParts(value: unknown, shape: ReturnType<typeof cityShape>): { figures: FigureData[]; origins: number[]; charts: CityData['charts']; ids: Set<unknown> } | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as { figures?: unknown; charts?: unknown };
  const list = (items: unknown) => (Array.isArray(items) ? items : []);
  const figures: FigureData[] = [];
  const origins: number[] = [];
  const ids = new Set<unknown>();
  list(raw.figures).forEach((item, i) => {
    ids.add(typeof (item as { id?: unknown } | null)?.id === 'string' ? (item as { id: string }).id : undefined);
    const one = shape.shape.figures.safeParse([item]);
    if (one.success && one.data[0]) {
      figures.push(one.data[0] as FigureData);
      origins.push(i);
    }
  });
  const charts = list(raw.charts).flatMap((item) => {
    const one = shape.shape.charts.safeParse([item]);
    return one.success ? one.data : [];
  });
  return { figures, origins, charts, ids };
}
