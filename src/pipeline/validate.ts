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
  readonly sourceText: string;
  /** Absolute path of the source text. */
  readonly sourceFile: string;
}

export interface ValidateOptions {
  /** Chart spec names available in the templates (without .vl.json), and where they live. */
  readonly chartSpecs: ReadonlySet<string>;
  readonly chartsDir: string;
}

export function validate(loaded: Loaded, options: ValidateOptions): Valid {
  const problems: Problem[] = [...loaded.problems];
  const at = (file: YamlFile, fieldPath: readonly PropertyKey[], message: string) =>
    problems.push({ ...locate(file, fieldPath), field: fieldName(fieldPath), message });

  const dataset = check(Dataset, loaded.dataset, problems);
  const cities: CityData[] = [];
  for (const file of loaded.cities) {
    const city = check(City, file, problems);
    if (city) cities.push(city);
    if (!city || !dataset) continue;

    const expected = file.path.replace(/^.*[\\/]/, '').replace(/\.yaml$/, '');
    if (city.id !== expected) at(file, ['id'], msg.cityIdMismatch(city.id, `${expected}.yaml`));
    if (!(dataset.lang in city.name)) at(file, ['name'], msg.missingName(dataset.lang));

    const figureIds = new Map<string, number>();
    city.figures.forEach((figure, i) => {
      if (figureIds.has(figure.id)) at(file, ['figures', i, 'id'], msg.duplicateFigure(figure.id));
      figureIds.set(figure.id, i);
      if (!(figure.metric in dataset.metrics)) at(file, ['figures', i, 'metric'], msg.unknownMetric(figure.metric));
      figure.derived?.from.forEach((id, j) => {
        if (!figureIds.has(id) && !city.figures.some((f) => f.id === id)) at(file, ['figures', i, 'derived', 'from', j], msg.unknownFigure(id));
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

    if (loaded.sourceText !== undefined) {
      const sourceName = loaded.sourceFile?.replace(/^.*[\\/]/, '') ?? 'the source';
      const quoted = (fieldPath: PropertyKey[], quote: string | undefined) => {
        if (quote !== undefined && !loaded.sourceText!.includes(quote)) at(file, fieldPath, msg.sourceNotFound(sourceName));
      };
      if (city.rank) quoted(['rank', 'source'], city.rank.source);
      city.figures.forEach((f, i) => quoted(['figures', i, 'source'], f.source));
      city.programmes.forEach((p, i) => quoted(['programmes', i, 'source'], p.source));
    }
  }

  if (dataset) {
    const seen = new Set<string>();
    dataset.cities.forEach((id, i) => {
      if (seen.has(id)) at(loaded.dataset, ['cities', i], msg.duplicateCity(id));
      seen.add(id);
    });
    if (dataset.ranking && !(dataset.ranking.metric in dataset.metrics)) at(loaded.dataset, ['ranking', 'metric'], msg.unknownMetric(dataset.ranking.metric));
  }

  if (problems.length > 0 || !dataset || loaded.sourceText === undefined || loaded.sourceFile === undefined) throw new DataError(problems);
  return { dataset, cities, sourceText: loaded.sourceText, sourceFile: loaded.sourceFile };
}

function check<T extends z.ZodType>(schema: T, file: YamlFile, problems: Problem[]): z.output<T> | undefined {
  if (file.value === undefined && file.doc.errors.length > 0) return undefined; // syntax errors already reported
  const result = schema.safeParse(file.value ?? null);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const fieldPath = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ ...locate(file, [...fieldPath, key]), field: fieldName([...fieldPath, key]), message: 'is not a known field: remove it or check its spelling' });
      }
      continue;
    }
    problems.push({ ...locate(file, fieldPath), field: fieldName(fieldPath) || undefined, message: issue.message });
  }
  return undefined;
}
