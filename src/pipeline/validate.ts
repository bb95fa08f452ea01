/**
 * Stage 2 — validate: check every loaded file against the schema, then the
 * rules that span files (metrics exist, figures referenced by charts exist,
 * quotes occur verbatim in the source). Every problem is collected with its
 * file, line and field, and reported at once; nothing is built from invalid
 * data.
 */
import type { z } from 'zod';
import { DataError, type Problem } from '../errors.js';
import { msg } from '../messages.js';
import { fieldName, locate, type Loaded, type YamlFile } from './load.js';
import { City, Dataset, type CityData, type DatasetData } from './schema.js';

export interface Valid {
  readonly dataset: DatasetData;
  readonly cities: readonly CityData[];
  /** Each valid city by the hash of its file, for the next build to reuse. */
  readonly files: ReadonlyMap<string, CityData>;
  readonly sourceText: string;
  /** Absolute path of the source text. */
  readonly sourceFile: string;
}

export interface ValidateOptions {
  /** Chart spec names available in the templates (without .vl.json), and where they live. */
  readonly chartSpecs: ReadonlySet<string>;
  readonly chartsDir: string;
  /**
   * Cities validated by an earlier build, by file hash. A city file with the
   * same hash (and the same source text and citybrief version, which the
   * caller checks) is not parsed or checked against the schema and the
   * source again; the checks that involve other files still run.
   */
  readonly known?: ReadonlyMap<string, CityData>;
}

export function validate(loaded: Loaded, options: ValidateOptions): Valid {
  // The loaded files add their syntax problems to this list as they are parsed.
  const problems: Problem[] = loaded.problems;
  const at = (file: YamlFile, fieldPath: readonly PropertyKey[], message: string) =>
    problems.push({ ...locate(file, fieldPath), field: fieldName(fieldPath), message });

  const dataset = check(Dataset, loaded.dataset, problems);
  const cities: CityData[] = [];
  for (const file of loaded.cities) {
    let city = options.known?.get(file.sha256);
    if (!city) {
      // Quotes are checked on the raw file, so a city with schema errors still gets them reported.
      if (loaded.sourceText !== undefined) checkQuotes(file, loaded.sourceText, loaded.sourceFile, at);
      city = check(City, file, problems);
    }
    if (!city) continue;
    cities.push(city);

    // Checks within the city file; those that need dataset.yaml run only when it is valid.
    const expected = file.path.replace(/^.*[\\/]/, '').replace(/\.yaml$/, '');
    if (city.id !== expected) at(file, ['id'], msg.cityIdMismatch(city.id, `${expected}.yaml`));
    if (dataset && !Object.hasOwn(city.name, dataset.lang)) at(file, ['name'], msg.missingName(dataset.lang));

    const figureIds = new Set<string>();
    city.figures.forEach((figure, i) => {
      if (figureIds.has(figure.id)) at(file, ['figures', i, 'id'], msg.duplicateFigure(figure.id));
      figureIds.add(figure.id);
      if (dataset && !Object.hasOwn(dataset.metrics, figure.metric)) at(file, ['figures', i, 'metric'], msg.unknownMetric(figure.metric));
      figure.derived?.from.forEach((id, j) => {
        if (!city.figures.some((f) => f.id === id)) at(file, ['figures', i, 'derived', 'from', j], msg.unknownFigure(id));
      });
    });

    city.charts.forEach((chart, i) => {
      if (!options.chartSpecs.has(chart.spec)) at(file, ['charts', i, 'spec'], msg.unknownChartSpec(chart.spec, options.chartsDir));
      const units = new Set<string>();
      chart.figures.forEach((id, j) => {
        const figure = city.figures.find((f) => f.id === id);
        if (!figure) at(file, ['charts', i, 'figures', j], msg.unknownFigure(id));
        else units.add(figure.unit);
      });
      if (units.size > 1) at(file, ['charts', i, 'figures'], msg.mixedUnits([...units]));
    });
  }

  if (dataset) {
    const seen = new Set<string>();
    dataset.cities.forEach((id, i) => {
      if (seen.has(id)) at(loaded.dataset, ['cities', i], msg.duplicateCity(id));
      seen.add(id);
    });
    if (dataset.ranking && !Object.hasOwn(dataset.metrics, dataset.ranking.metric)) at(loaded.dataset, ['ranking', 'metric'], msg.unknownMetric(dataset.ranking.metric));
  }

  // Report in reading order: file by file, top to bottom.
  const files = [loaded.dataset.shown, ...loaded.cities.map((c) => c.shown)];
  const rank = (file: string) => (files.indexOf(file) + files.length + 1) % (files.length + 1);
  problems.sort((a, b) => rank(a.file) - rank(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (problems.length > 0 || !dataset || loaded.sourceText === undefined || loaded.sourceFile === undefined) throw new DataError(problems);
  return { dataset, cities, files: new Map(loaded.cities.map((f, i) => [f.sha256, cities[i]!])), sourceText: loaded.sourceText, sourceFile: loaded.sourceFile };
}

/** Every `source` of a city (rank, figures, programmes) must occur verbatim in the source text. */
function checkQuotes(file: YamlFile, text: string, sourceFile: string | undefined, at: (file: YamlFile, fieldPath: readonly PropertyKey[], message: string) => void): void {
  const sourceName = sourceFile?.replace(/^.*[\\/]/, '') ?? 'the source';
  const raw = (file.value ?? {}) as { rank?: { source?: unknown }; figures?: unknown; programmes?: unknown };
  const quoted = (fieldPath: PropertyKey[], quote: unknown) => {
    if (typeof quote === 'string' && quote.trim() && !text.includes(quote)) at(file, fieldPath, msg.sourceNotFound(sourceName));
  };
  quoted(['rank', 'source'], raw.rank?.source);
  for (const list of ['figures', 'programmes'] as const) {
    const items = raw[list];
    if (Array.isArray(items)) items.forEach((item: { source?: unknown } | null, i) => quoted([list, i, 'source'], item?.source));
  }
}

function check<T extends z.ZodType>(schema: T, file: YamlFile, problems: Problem[]): z.output<T> | undefined {
  if (file.value === undefined && file.doc.errors.length > 0) return undefined; // syntax errors already reported
  const result = schema.safeParse(file.value ?? null);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const fieldPath = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ ...locate(file, [...fieldPath, key], true), field: fieldName([...fieldPath, key]), message: msg.unknownField });
      }
      continue;
    }
    problems.push({ ...locate(file, fieldPath), field: fieldName(fieldPath) || undefined, message: describe(issue, valueAt(file.value, fieldPath)) });
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
    return msg.wrongType(issue.expected, value);
  }
  return issue.message;
}
