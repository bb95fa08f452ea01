/**
 * The build, stage by stage:
 *
 *   load ─▶ validate ─▶ context ─▶ charts ─▶ html ─▶ print ─▶ finish ─▶ write
 *
 *   1. load      read dataset.yaml, the city files and the source text   (load.ts)
 *   2. validate  schema and cross-file checks, every problem at once      (validate.ts)
 *   3. context   view models: per city, and the cross-city overview       (context.ts)
 *   4. charts    Vega-Lite specs compiled once, rendered to SVG in Node   (charts.ts)
 *   5. html      Handlebars: briefing, slides and overview templates      (html.ts)
 *   6. print     Chromium prints each HTML to PDF                         (print.ts)
 *   7. finish    metadata, relative links, reproducible bytes             (finish.ts)
 *   8. write     atomic files, then the manifest                          (write.ts)
 *
 * Stages 1–5 run for every document before anything is written, so invalid
 * data or a broken template leaves the out folder as it was.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveConfig, type BuildOptions, type Kind, type ResolvedConfig } from '../config.js';
import { CitybriefError, UsageError } from '../errors.js';
import { bundledFonts, type FontFace } from '../fonts.js';
import { msg } from '../messages.js';
import { listChartSpecs, loadChartSpecs } from './charts.js';
import { buildContexts, buildOverviewContext } from './context.js';
import { loadTemplates, type RenderedHtml } from './html.js';
import { finishPdf, readOutline, type PdfMeta } from './finish.js';
import { load } from './load.js';
import { openPrinter } from './print.js';
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

/** A document to print: its HTML, and for the overview how to redo it once its page numbers are known. */
interface Job {
  readonly kind: Kind;
  readonly city: string | null;
  /** HTML path below the out folder; the PDF sits beside it. */
  readonly path: string;
  readonly rendered: RenderedHtml;
  readonly meta: Omit<PdfMeta, 'dir' | 'epoch' | 'creator' | 'lang'>;
  /** Re-render with the pages the first print gave each outline entry (table of contents). */
  readonly repaginate?: (outline: readonly { title: string; page: number }[]) => RenderedHtml;
}

export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const config = resolveConfig(options);
  const valid = await checkedData(config);
  const { dataset, fonts, charts } = valid;

  const known = valid.cities.map((c) => c.id);
  for (const id of config.cities ?? []) if (!known.includes(id)) throw new UsageError(msg.unknownCity(id, known));
  const wants = (kind: Kind) => config.kinds.includes(kind);

  config.onProgress({ type: 'stage', stage: 'context' });
  const contexts = buildContexts(valid);
  const selected = contexts.filter((c) => !config.cities || config.cities.includes(c.city.id));
  const templates = await loadTemplates(config.templatesDir, fonts, config.kinds);

  config.onProgress({ type: 'stage', stage: 'charts' });
  const withSvgs = async <T extends { id: string; spec: string; rows: readonly object[] }>(list: readonly T[], scope: string) => {
    const out: (T & { svg: string })[] = [];
    for (const chart of list) out.push({ ...chart, svg: await charts.render(chart.spec, chart.rows, `${scope}-${chart.id}`) });
    return out;
  };

  config.onProgress({ type: 'stage', stage: 'html' });
  const author = [dataset.source.publication, contexts[0]?.dataset.source.byline].filter(Boolean).join(' ');
  const jobs: Job[] = [];
  for (const context of selected) {
    const { city } = context;
    const data = { ...context, city: { ...city, charts: await withSvgs(city.charts, 'chart') } };
    const meta = {
      title: `${city.name} — ${dataset.title}`,
      subject: city.headline.join(' · '),
      author,
      keywords: [city.name, ...city.otherNames, ...valid.cities.find((c) => c.id === city.id)!.aliases, dataset.title],
    };
    for (const kind of ['briefing', 'slides'] as const) {
      if (!wants(kind)) continue;
      const rendered = templates.render(kind, data, '../fonts/');
      jobs.push({ kind, city: city.id, path: `${city.id}/${kind}.html`, rendered, meta: kind === 'slides' ? { ...meta, title: `${meta.title} · ${context.labels.slides}` } : meta });
    }
  }
  if (wants('overview') && contexts.length > 0) {
    const overview = buildOverviewContext(valid, contexts);
    const data = { ...overview, charts: await withSvgs(overview.charts, 'overview') };
    const toc = [
      { title: overview.labels.comparison, anchor: 'comparison' },
      ...overview.cities.map((c) => ({ title: c.name, anchor: c.anchor, headline: c.headline })),
    ];
    const render = (pages: ReadonlyMap<string, number>) =>
      templates.render('overview', { ...data, toc: toc.map((t) => ({ ...t, page: pages.get(t.anchor) ?? '' })) }, 'fonts/');
    jobs.push({
      kind: 'overview',
      city: null,
      path: 'overview.html',
      rendered: render(new Map()),
      meta: { title: `${dataset.title} — ${overview.labels.overview}`, subject: overview.cities.map((c) => c.name).join('、'), author, keywords: [dataset.title, ...overview.cities.map((c) => c.name)] },
      repaginate: (outline) => render(tocPages(toc, outline)),
    });
  }
  for (const job of jobs) {
    const missing = fonts.uncovered(job.rendered.html);
    if (missing.length > 0) config.onProgress({ type: 'warning', message: msg.uncoveredGlyphs(job.path, missing) });
  }

  config.onProgress({ type: 'stage', stage: 'print' });
  const outputs: ManifestEntry[] = [];
  const failures: { city: string; error: Error }[] = [];
  const printer = await openPrinter(config);
  try {
    await copyFonts(config.outDir, jobs.flatMap((j) => j.rendered.fonts));
    let done = 0;
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const pdfPath = job.path.replace(/\.html$/, '.pdf');
        try {
          let rendered = job.rendered;
          let printed = await printer.print({ city: job.city ?? job.kind, path: job.path, html: rendered.html, fonts: rendered.fonts });
          if (job.repaginate) {
            rendered = job.repaginate(await readOutline(printed.pdf));
            printed = await printer.print({ city: job.city ?? job.kind, path: job.path, html: rendered.html, fonts: rendered.fonts });
          }
          if (printed.overflows.length > 0) config.onProgress({ type: 'warning', message: msg.slideOverflow(job.path, printed.overflows) });
          const pdf = await finishPdf(printed.pdf, { ...job.meta, lang: dataset.lang, creator: config.creator, epoch: config.epoch, dir: path.posix.dirname(job.path).replace(/^\.$/, '') });
          const base = { city: job.city, kind: job.kind, lang: dataset.lang };
          outputs.push(await writeOutput(config.outDir, { ...base, format: 'html', path: job.path }, rendered.html));
          outputs.push(await writeOutput(config.outDir, { ...base, format: 'pdf', path: pdfPath }, pdf));
          config.onProgress({ type: 'output', kind: job.kind, city: job.city, path: pdfPath, done: ++done, total: jobs.length });
        } catch (error) {
          failures.push({ city: job.city ?? job.kind, error: error as Error });
        }
      }
    };
    await Promise.all(Array.from({ length: printer.size }, worker));
  } finally {
    await printer.close();
  }

  config.onProgress({ type: 'stage', stage: 'write' });
  const manifest = await writeManifest(config.outDir, outputs, true);
  const result = { outDir: config.outDir, outputs, manifest, failures, refused: [...printer.refused] };
  if (failures.length > 0) throw new BuildFailedError(result);
  return result;
}

/** Page of each table-of-contents entry: the first outline entry with its title, in order. */
function tocPages(toc: readonly { title: string; anchor: string }[], outline: readonly { title: string; page: number }[]): Map<string, number> {
  const pages = new Map<string, number>();
  let from = 0;
  for (const entry of toc) {
    const at = outline.findIndex((o, i) => i >= from && o.title.trim() === entry.title);
    if (at === -1) continue;
    pages.set(entry.anchor, outline[at]!.page);
    from = at + 1;
  }
  return pages;
}

/** Font files HTML outputs refer to (fonts/ beside the documents), so the HTML opens with its own type. */
async function copyFonts(outDir: string, faces: readonly FontFace[]): Promise<void> {
  const dir = path.join(outDir, 'fonts');
  const unique = new Map(faces.map((f) => [f.file, f]));
  for (const face of unique.values()) {
    const target = path.join(dir, face.file);
    const exists = await stat(target).then((s) => s.isFile(), () => false);
    if (!exists) await writeAtomic(target, await readFile(face.absPath));
  }
}
