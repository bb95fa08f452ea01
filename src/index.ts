/**
 * citybrief: a project (a dataset of cities, its words, images and Handlebars
 * templates with Vega-Lite charts) in; its kinds of document, as PDF and HTML,
 * out.
 *
 *   import { build, init } from 'citybrief';
 *   await init('my-briefings');
 *   const result = await build({ project: 'my-briefings' });
 */
export { build, validateDataset, BuildFailedError, type BuildResult } from './pipeline/build.js';
export type { BuildOptions, ProgressEvent, ResolvedConfig } from './config.js';
export { resolveConfig } from './config.js';
export { init, type InitResult } from './init.js';
export type { WorkerOptions, WorkerEvent, PrintWorker } from './worker.js';

/** A printing worker for builds given the `redis` option (`citybrief worker`); loads the queue's client only when called. */
export async function startWorker(options: import('./worker.js').WorkerOptions): Promise<import('./worker.js').PrintWorker> {
  return (await import('./worker.js')).startWorker(options);
}
export type { Labels, LabelValues } from './labels.js';
export type { Manifest, ManifestEntry } from './pipeline/state.js';
export type { CityData, DatasetData, FigureData } from './pipeline/schema.js';
export * from './errors.js';
