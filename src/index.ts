/**
 * citybrief: a dataset of cities, Handlebars templates and Vega-Lite charts in;
 * one briefing PDF (and its HTML) per city out.
 *
 *   import { build } from 'citybrief';
 *   const result = await build({ data: 'data/dataset.yaml', out: 'out' });
 */
export { build, validateDataset, BuildFailedError, type BuildResult } from './pipeline/build.js';
export type { BuildOptions, ProgressEvent, ResolvedConfig } from './config.js';
export { resolveConfig } from './config.js';
export type { Manifest, ManifestEntry } from './pipeline/write.js';
export type { CityData, DatasetData, FigureData } from './pipeline/schema.js';
export * from './errors.js';
