/**
 * The build, stage by stage:
 *
 *   load ─▶ validate ─▶ context ─▶ charts ─▶ html ─▶ print ─▶ write
 *
 *   1. load      read dataset.yaml, the city files and the source text   (load.ts)
 *   2. validate  schema and cross-file checks, every problem at once      (validate.ts)
 *   3. context   per-city view model: formatted figures, ranks, notes     (context.ts)
 *   4. charts    Vega-Lite specs compiled once, rendered to SVG in Node   (charts.ts)
 *   5. html      Handlebars templates with charts inlined                 (html.ts)
 *   6. print     Chromium prints each HTML to PDF                         (print.ts)
 *   7. write     atomic files, then the manifest                          (write.ts)
 *
 * Stages 1–5 run for every document before anything is written, so invalid
 * data or a broken template leaves the out folder as it was.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveConfig, type BuildOptions, type ResolvedConfig } from '../config.js';
import { CitybriefError, UsageError } from '../errors.js';
import { bundledFonts, type FontFace } from '../fonts.js';
import { msg } from '../messages.js';
import { listChartSpecs, loadChartSpecs } from './charts.js';
import { buildContexts } from './context.js';
import { FONT_URL_BASE, loadTemplates } from './html.js';
import { load } from './load.js';
import { openPrinter, type PrintDocument } from './print.js';
import { validate, type Valid } from './validate.js';
import { writeAtomic, writeManifest, writeOutput, type Manifest, type ManifestEntry } from './write.js';

export interface BuildResult {
  readonly outDir: string;
  /** Outputs written by this build. */
  readonly outputs: readonly ManifestEntry[];
  /** The manifest as written (includes earlier outputs of cities not built this time). */
  readonly manifest: Manifest;
  /** Cities whose documents could not be printed or written, with the reason. */
  readonly failures: readonly { readonly city: string; readonly error: Error }[];
  /** URLs documents asked for that were refused (citybrief loads nothing from outside the build). */
  readonly refused: readonly string[];
}

/** Some documents failed; the others were written. */
export class BuildFailedError extends CitybriefError {
  constructor(readonly result: BuildResult) {
    super(`${result.failures.length} of ${result.failures.length + new Set(result.outputs.map((o) => o.city)).size} cities failed:\n${result.failures.map((f) => `  ${f.city}: ${f.error.message}`).join('\n')}`);
  }
}

/** Load and check a dataset without building anything. */
export async function validateDataset(options: BuildOptions = {}): Promise<Valid> {
  const config = resolveConfig(options);
  return checkedData(config);
}

async function checkedData(config: ResolvedConfig) {
  config.onProgress({ type: 'stage', stage: 'load' });
  const loaded = await load(config);
  const chartsDir = path.join(config.templatesDir, 'charts');
  config.onProgress({ type: 'stage', stage: 'validate' });
  const valid = validate(loaded, { chartSpecs: await listChartSpecs(chartsDir), chartsDir: path.relative(config.cwd, chartsDir) || chartsDir });
  const fonts = bundledFonts(valid.dataset.lang);
  const charts = await loadChartSpecs(chartsDir, fonts);
  for (const message of charts.warnings) config.onProgress({ type: 'warning', message });
  return Object.assign(valid, { charts, fonts });
}

export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const config = resolveConfig(options);
  const valid = await checkedData(config);
  const { dataset, fonts } = valid;

  const known = valid.cities.map((c) => c.id);
  for (const id of config.cities ?? []) if (!known.includes(id)) throw new UsageError(msg.unknownCity(id, known));

  config.onProgress({ type: 'stage', stage: 'context' });
  const contexts = buildContexts(valid, config.cities);
  const templates = await loadTemplates(config.templatesDir, fonts);

  config.onProgress({ type: 'stage', stage: 'charts' });
  const documents: PrintDocument[] = [];
  for (const context of contexts) {
    const svgs = new Map<string, string>();
    for (const chart of context.city.charts) svgs.set(chart.id, await valid.charts.render(chart.spec, chart.rows, `chart-${chart.id}`));
    const { html, fonts: used } = templates.briefing(context, svgs);
    const missing = fonts.uncovered(html);
    if (missing.length > 0) config.onProgress({ type: 'warning', message: msg.uncoveredGlyphs(context.city.id, missing) });
    documents.push({ city: context.city.id, path: `${context.city.id}/briefing.html`, html, fonts: used });
  }

  config.onProgress({ type: 'stage', stage: 'print' });
  const outputs: ManifestEntry[] = [];
  const failures: { city: string; error: Error }[] = [];
  const printer = await openPrinter(config);
  try {
    await copyFonts(config.outDir, documents.flatMap((d) => d.fonts));
    let done = 0;
    const queue = [...documents];
    const worker = async () => {
      for (let doc = queue.shift(); doc; doc = queue.shift()) {
        try {
          const pdf = await printer.print(doc);
          const base = { city: doc.city, kind: 'briefing' as const, lang: dataset.lang };
          outputs.push(await writeOutput(config.outDir, { ...base, format: 'html', path: doc.path }, doc.html));
          outputs.push(await writeOutput(config.outDir, { ...base, format: 'pdf', path: doc.path.replace(/\.html$/, '.pdf') }, pdf));
          config.onProgress({ type: 'output', city: doc.city, path: doc.path.replace(/\.html$/, '.pdf'), done: ++done, total: documents.length });
        } catch (error) {
          failures.push({ city: doc.city, error: error as Error });
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    await printer.close();
  }

  config.onProgress({ type: 'stage', stage: 'write' });
  const manifest = await writeManifest(config.outDir, outputs, true);
  const result = { outDir: config.outDir, outputs, manifest, failures, refused: [...printer.refused] };
  if (failures.length > 0) throw new BuildFailedError(result);
  return result;
}

/** Font files HTML outputs refer to (../fonts/), so briefing.html opens with its own type. */
async function copyFonts(outDir: string, faces: readonly FontFace[]): Promise<void> {
  const dir = path.join(outDir, FONT_URL_BASE.replace(/^\.\.\//, ''));
  const unique = new Map(faces.map((f) => [f.file, f]));
  for (const face of unique.values()) {
    const target = path.join(dir, face.file);
    const exists = await stat(target).then((s) => s.isFile(), () => false);
    if (!exists) await writeAtomic(target, await readFile(face.absPath));
  }
}
