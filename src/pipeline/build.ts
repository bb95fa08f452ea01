/**
 * The build, stage by stage:
 *
 *   load ─▶ validate ─▶ plan ─▶ context ─▶ charts ─▶ html ─▶ print ─▶ finish ─▶ write
 *
 *   1. load      read dataset.yaml, the city files, the source text, labels (load.ts)
 *   2. validate  schema and cross-file checks, every problem at once        (validate.ts)
 *   3. plan      the kinds the templates declare (kinds.ts); hash each
 *                output's inputs; keep the unchanged ones                   (plan.ts)
 *   4. context   view models: per city, and for all cities                  (context.ts)
 *   5. charts    Vega-Lite specs compiled once, rendered to SVG in Node     (charts.ts)
 *   6. html      Handlebars: one template per kind, partials, helpers       (html.ts)
 *   7. print     Chromium prints each HTML to PDF                           (print.ts)
 *   8. finish    metadata, relative links, reproducible bytes               (finish.ts)
 *   9. write     atomic files; the manifest last                            (write.ts)
 *
 * Stages 1–3 run before anything is written, so invalid data leaves the out
 * folder as it was; the first document of each kind is rendered before the
 * first write too, so a broken template does. Stages 4–9 then stream, one
 * document at a time per page of the browser, so memory stays flat however
 * many cities there are. A document that fails is reported and the others
 * go on; the manifest records what was written, and the next build redoes
 * only what is missing or changed.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { assetProblem, assetStore, type Asset } from '../assets.js';
import { resolveConfig, type BuildOptions, type ResolvedConfig } from '../config.js';
import { CitybriefError, UsageError } from '../errors.js';
import { bundledFonts, fontLicences, type FontFace } from '../fonts.js';
import { msg } from '../messages.js';
import { listChartSpecs, prepareChartThread, type ChartSpecs } from './charts.js';
import { buildOverviewContext, contextBuilder, publicationLine, type CityContext } from './context.js';
import { finishPdf, readOutline, type PdfMeta } from './finish.js';
import type { RenderedHtml, Templates } from './html.js';
import { readKinds, selectKinds, type KindSpec } from './kinds.js';
import { load, type Loaded } from './load.js';
import { knownCities, plan, readState, validationBasis, writeState, type Job, type State } from './plan.js';
import type { Printer } from './print.js';
import { validate, type Valid } from './validate.js';
import { lockOutFolder } from '../lock.js';
import { MANIFEST, readManifest, sweepTemporaryFiles, writeAtomic, writeManifest, writeOutput, type Manifest, type ManifestEntry } from './write.js';

export const STAGES = ['load', 'validate', 'plan', 'context', 'charts', 'html', 'print', 'finish', 'write'] as const;
export type Stage = (typeof STAGES)[number];

export interface BuildResult {
  readonly outDir: string;
  /** Outputs written by this build. */
  readonly outputs: readonly ManifestEntry[];
  /** Outputs whose inputs had not changed, kept as they were. */
  readonly unchanged: number;
  /** The manifest as written (includes earlier outputs this build did not touch). */
  readonly manifest: Manifest;
  /** Outputs that could not be built, with the reason. */
  readonly failures: readonly { readonly path: string; readonly city: string | null; readonly error: Error }[];
  /** URLs documents asked for that were refused (citybrief loads nothing from outside the build). */
  readonly refused: readonly string[];
  /** Browser relaunches after a crash. */
  readonly restarts: number;
  /** Milliseconds spent in each stage, summed over documents (printing overlaps, so they can exceed the wall time). */
  readonly timings: Readonly<Record<Stage, number>>;
  /** Wall time of the whole build in milliseconds. */
  readonly elapsedMs: number;
}

const pdfs = (result: BuildResult) => result.outputs.filter((o) => o.format === 'pdf').length;

/** Documents this build made or tried to make: each counted once, though its PDF was written and its HTML failed. */
const documents = (result: BuildResult) => new Set([...result.failures.map((f) => f.path), ...result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path)]).size;

/** Some documents failed; the others were written. */
export class BuildFailedError extends CitybriefError {
  constructor(readonly result: BuildResult) {
    super(msg.buildFailed(result.failures.length, documents(result), result.failures.map((f) => `${f.path}: ${f.error.message}`)));
  }
}

/** The build was stopped by its signal; what was finished is kept and listed in the manifest. */
export class BuildAbortedError extends CitybriefError {
  override readonly exitCode = 130;
  constructor(readonly result: BuildResult) {
    super(msg.buildAborted(pdfs(result)));
  }
}

/** Load and check a dataset without building anything. */
export async function validateDataset(options: BuildOptions = {}): Promise<Valid> {
  const config = resolveConfig(options);
  const loaded = await load(config);
  const valid = await checkedData(config, loaded, new Map());
  // The kinds' front matter and the chart specs too, so a broken template or spec is found by validate as well.
  kindsToBuild(config, await readKinds(config.templatesDir, config.cwd));
  const { loadChartSpecs } = await import('./charts.js');
  await using charts = await loadChartSpecs(path.join(config.templatesDir, 'charts'), bundledFonts(valid.dataset.lang), { ...config.charts, signal: config.signal });
  for (const message of charts.warnings) config.onProgress({ type: 'warning', message });
  return valid;
}

/** A path as the user is shown it: relative to where they stand. */
const shownBy = (config: ResolvedConfig) => (file: string) => path.relative(config.cwd, file) || file;

/**
 * What is wrong with an image name in the project's assets folder, or undefined when it is usable.
 * Each name is checked once per build, though the data, the plan and every document ask (a logo is
 * named by all of them).
 */
function imageChecker(config: ResolvedConfig): (name: string) => string | undefined {
  const checked = new Map<string, string | undefined>();
  return (name) => {
    if (!checked.has(name)) checked.set(name, assetProblem(config.assetsDir, shownBy(config)(config.assetsDir), name));
    return checked.get(name);
  };
}

async function checkedData(config: ResolvedConfig, loaded: Loaded, known: ReadonlyMap<string, Valid['cities'][number]>, checkImage = imageChecker(config)): Promise<Valid> {
  const chartsDir = path.join(config.templatesDir, 'charts');
  return validate(loaded, { chartSpecs: await listChartSpecs(chartsDir), chartsDir: shownBy(config)(chartsDir), known, asset: checkImage, logo: config.logo, signal: config.signal });
}

/** The kinds this build makes, from those the templates declare. */
function kindsToBuild(config: ResolvedConfig, all: readonly KindSpec[]): KindSpec[] {
  return selectKinds(all, config.kinds, shownBy(config)(config.templatesDir));
}

/** A printer being started, and its warm-up (the browser and its pages). */
interface Starting {
  readonly printer: Printer;
  readonly warming: Promise<void>;
}

async function startPrinter(config: ResolvedConfig): Promise<Starting> {
  const { openPrinter } = await import('./print.js');
  const printer = await openPrinter(config);
  const warming = printer.warm();
  warming.catch(() => {}); // awaited before the first document; the build may end before that
  return { printer, warming };
}

export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const config = resolveConfig(options);
  // A first build into this folder will print everything: start Chromium now, on the other core,
  // while the data is read and checked. Later builds start it once the plan says there is work.
  const early = (await stat(path.join(config.outDir, MANIFEST)).then(() => false, () => true)) ? startPrinter(config) : undefined;
  // And load Vega into the thread that will draw the charts.
  if (early) prepareChartThread();
  let adopted = false;
  try {
    return await buildWith(config, started, () => {
      adopted = true;
      return early ?? startPrinter(config);
    });
  } finally {
    if (early && !adopted) await (await early.catch(() => undefined))?.printer.close();
  }
}

async function buildWith(config: ResolvedConfig, started: number, printerFor: () => Promise<Starting>): Promise<BuildResult> {
  const timings = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const timed = async <T>(stage: Stage, work: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      timings[stage] += performance.now() - t;
    }
  };
  const stage = (name: Stage) => config.onProgress({ type: 'stage', stage: name });

  // A build reads and writes what the out folder remembers: one build at a time (it ends with the build).
  await using _lock = await lockOutFolder(config.outDir, {
    wait: config.wait,
    signal: config.signal,
    onWait: (holder) => config.onProgress({ type: 'waiting', holder: holder ? `process ${holder.pid} on ${holder.host}` : 'another build' }),
  });
  stage('load');
  // What earlier builds left: the manifest, the state (checked against its hash: an edited cache is not
  // believed), and the temporary files of a build that was killed, swept away.
  const [loaded, previous, state] = await Promise.all([timed('load', () => load(config)), readManifest(config.outDir), readState(config.outDir), sweepTemporaryFiles(config.outDir)]);
  // A stop before anything is printed ends the build here, with nothing written.
  const stoppedEarly = () =>
    new BuildAbortedError({ outDir: config.outDir, outputs: [], unchanged: 0, manifest: previous, failures: [], refused: [], restarts: 0, timings, elapsedMs: performance.now() - started });
  if (config.signal?.aborted) throw stoppedEarly();
  stage('validate');
  const checkImage = imageChecker(config);
  const valid = await timed('validate', () => checkedData(config, loaded, knownCities(state, config, loaded), checkImage)).catch((error: unknown) => {
    throw config.signal?.aborted ? stoppedEarly() : error;
  });
  const known = valid.cities.map((c) => c.id);
  for (const id of config.cities ?? []) if (!known.includes(id)) throw new UsageError(msg.unknownCity(id, known));

  stage('plan');
  const kinds = kindsToBuild(config, await timed('plan', () => readKinds(config.templatesDir, config.cwd)));
  const images = assetStore(config.assetsDir);
  const planned = await timed('plan', () => plan(config, loaded, valid, kinds, previous, state, (name) => (checkImage(name) ? undefined : images.get(name).sha256)));
  config.onProgress({ type: 'plan', build: planned.todo.length, unchanged: planned.kept.length / 2 });
  /** Every file this build means to replace. */
  const rebuilding = new Set(planned.todo.flatMap((job) => [job.path, job.pdfPath]));

  const outputs: ManifestEntry[] = [];
  const failures: { path: string; city: string | null; error: Error }[] = [];
  const result = (manifest: Manifest, printer?: Printer): BuildResult => ({
    outDir: config.outDir,
    outputs,
    unchanged: planned.kept.length / 2,
    manifest,
    failures,
    refused: printer ? [...printer.refused] : [],
    restarts: printer?.restarts ?? 0,
    timings,
    elapsedMs: performance.now() - started,
  });
  if (planned.todo.length === 0) {
    // Nothing changed: no output is written, not even the manifest. Only a state that was missing or not
    // believed is written again, so the next rebuild need not validate and hash everything once more.
    if (!state) await writeState(config.outDir, await nextState(config, loaded, valid, previous, state, new Set(planned.kept.map((e) => e.path))));
    return result(previous);
  }

  // Heavy modules (Vega, Handlebars, Puppeteer) load only when there is something to build.
  const [{ loadChartSpecs }, { loadTemplates }] = await Promise.all([import('./charts.js'), import('./html.js')]);
  let manifest = previous;
  /** How many of this build's outputs a manifest written during it already names. */
  let checkpointed = 0;
  // Chromium starts (if it has not yet) on the other core while charts and templates load and the
  // first documents render.
  const { printer, warming } = await printerFor();
  const stopped = () => config.signal?.aborted === true;
  const onAbort = () => void printer.close();
  config.signal?.addEventListener('abort', onAbort, { once: true });
  if (stopped()) void printer.close();
  let charts: ChartSpecs | undefined;
  try {
    const fonts = bundledFonts(valid.dataset.lang);
    charts = await timed('charts', () => loadChartSpecs(path.join(config.templatesDir, 'charts'), fonts, { ...config.charts, signal: config.signal }));
    for (const message of charts.warnings) config.onProgress({ type: 'warning', message });
    const templates = await timed('html', () => loadTemplates(config.templatesDir, fonts, kinds, { labels: valid.labels, assetProblem: checkImage, shown: shownBy(config) }));
    const documents = documentMaker(config, valid, kinds, charts, templates, timed);

    // A template that fails fails for the first document of its kind: find out before writing anything.
    const first = new Map<string, Prepared>();
    try {
      for (const job of planned.todo) if (!first.has(job.kind.name)) first.set(job.kind.name, await documents.prepare(job));
    } catch (error) {
      // A stop while they are made (a chart computing) ends the build as a stop, with nothing written.
      throw stopped() ? stoppedEarly() : error;
    }

    // No browser at all is one error for the build, not one per document; nothing is written.
    await warming.catch((error: unknown) => {
      if (!stopped()) throw error;
    });
    // From the first replacement on, the manifest on disk must not describe a file that is being replaced:
    // it names, until the next checkpoint, only the outputs this build keeps or does not touch.
    manifest = await writeManifest(config.outDir, { outputs: previous.outputs.filter((e) => !rebuilding.has(e.path)) }, []);
    stage('print');
    const copied = new Set<string>();
    const queue = [...planned.todo];
    let done = 0;
    const worker = async () => {
      for (let job = queue.shift(); job && !stopped(); job = queue.shift()) {
        try {
          const prepared = first.get(job.kind.name)?.job === job ? first.get(job.kind.name)! : await documents.prepare(job);
          first.delete(job.kind.name);
          let rendered = prepared.rendered;
          const shown = rendered.assets.map((name) => images.get(name));
          await copyFonts(config.outDir, rendered.fonts, copied);
          await copyAssets(config.outDir, shown, copied);
          const print = (html: RenderedHtml) => timed('print', () => printer.print({ path: job.path, html: html.print, fonts: html.fonts, assets: shown }));
          let printed = await print(rendered);
          if (prepared.repaginate) {
            // A document that shows where its headings fall (a table of contents) is printed again with the pages the first print gave them.
            const again = await timed('html', async () => prepared.repaginate!(await readOutline(printed.pdf)));
            if (again.print !== rendered.print) {
              rendered = again;
              printed = await print(rendered);
            }
          }
          if (printed.overflows.length > 0) config.onProgress({ type: 'warning', message: msg.overflow(job.path, job.kind.boxes, printed.overflows) });
          const finished = await timed('finish', () =>
            finishPdf(printed.pdf, { ...prepared.meta, lang: valid.dataset.lang, creator: config.creator, epoch: config.epoch, dir: path.posix.dirname(job.path).replace(/^\.$/, '') }),
          );
          await timed('write', async () => {
            const assets = shown.length > 0 ? { assets: Object.fromEntries(shown.map((a) => [a.name, a.sha256])) } : {};
            const base = { city: job.city, kind: job.kind.name, lang: valid.dataset.lang, inputs: job.inputs, ...assets };
            // Each file enters the manifest as soon as it is written, so none stands unlisted if the other fails.
            outputs.push(await writeOutput(config.outDir, { ...base, format: 'pdf', path: job.pdfPath }, finished.pdf, finished.pages));
            outputs.push(await writeOutput(config.outDir, { ...base, format: 'html', path: job.path }, rendered.html, null));
            if (outputs.length - checkpointed >= CHECKPOINT * 2) {
              // A long build records its progress now and then, so an interrupted one resumes from here.
              const fresh = outputs.slice(checkpointed);
              checkpointed = outputs.length;
              manifest = await writeManifest(config.outDir, manifest, [...planned.kept, ...outputs], fresh);
            }
          });
          config.onProgress({ type: 'output', kind: job.kind.name, city: job.city, path: job.pdfPath, done: ++done, total: planned.todo.length });
        } catch (error) {
          if (stopped()) break;
          failures.push({ path: job.pdfPath, city: job.city, error: error as Error });
          config.onProgress({ type: 'failed', path: job.pdfPath, message: (error as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: printer.size }, worker));
  } finally {
    config.signal?.removeEventListener('abort', onAbort);
    await Promise.all([printer.close(), charts?.close()]);
  }

  stage('write');
  manifest = await timed('write', async () => {
    // An output this build did not replace (it failed, or the build was stopped first) still has its earlier file: list it as before.
    const replaced = new Set(outputs.map((e) => e.path));
    const untouched = previous.outputs.filter((e) => rebuilding.has(e.path) && !replaced.has(e.path));
    const written = await writeManifest(config.outDir, manifest, [...untouched, ...planned.kept, ...outputs], outputs.slice(checkpointed));
    await writeState(config.outDir, await nextState(config, loaded, valid, written, state, new Set([...planned.kept, ...outputs].map((e) => e.path))));
    return written;
  });
  const built = result(manifest, printer);
  if (stopped()) throw new BuildAbortedError(built);
  if (failures.length > 0) throw new BuildFailedError(built);
  return built;
}

/** Write the manifest after this many documents, so an interrupted build keeps its progress. */
const CHECKPOINT = 50;

interface Prepared {
  readonly job: Job;
  readonly rendered: RenderedHtml;
  readonly meta: Omit<PdfMeta, 'dir' | 'epoch' | 'creator' | 'lang'>;
  /** Re-render with the pages the first print gave each outline entry (table of contents). */
  readonly repaginate?: (outline: readonly { title: string; page: number }[]) => Promise<RenderedHtml>;
}

type Timed = <T>(stage: Stage, work: () => Promise<T> | T) => Promise<T>;

/** Stages 4–6 for one job: its context, its charts, its HTML. */
function documentMaker(config: ResolvedConfig, valid: Valid, kinds: readonly KindSpec[], charts: ChartSpecs, templates: Templates, timed: Timed) {
  const { dataset, labels } = valid;
  const documents = Object.fromEntries(kinds.filter((k) => k.per === 'city').map((k) => [k.name, k.output]));
  const contexts = contextBuilder(valid, { logo: config.logo, documents }, charts.names);
  const byId = new Map(valid.cities.map((c) => [c.id, c]));
  const author = publicationLine(dataset.source);
  // A city's documents show the same charts and are planned one after the other: the SVG
  // depends only on the spec, the rows and the id prefix, so the later documents reuse the first's.
  const recent = new Map<string, Promise<string>>();
  const svgOf = (spec: string, rows: readonly object[], prefix: string, name: string) => {
    const key = JSON.stringify([spec, prefix, rows]);
    let svg = recent.get(key);
    if (!svg) {
      svg = charts.render(spec, rows, prefix, name);
      recent.set(key, svg);
      if (recent.size > 16) recent.delete(recent.keys().next().value!);
    }
    return svg;
  };
  const withSvgs = async <T extends { id: string; spec: string; rows: readonly object[] }>(list: readonly T[], scope: string, owner: string) => {
    const out: (T & { svg: string })[] = [];
    for (const chart of list) out.push({ ...chart, svg: await svgOf(chart.spec, chart.rows, `${scope}-${chart.id}`, `${owner}: ${chart.id}`) });
    return out;
  };
  const render = (job: Job, data: object) => {
    const rendered = templates.render(job.kind, data, job.depth, job.path);
    if (rendered.missing.length > 0) config.onProgress({ type: 'warning', message: msg.uncoveredGlyphs(job.path, rendered.missing) });
    return rendered;
  };

  return {
    async prepare(job: Job): Promise<Prepared> {
      if (job.city === null) {
        const all: CityContext[] = await timed('context', () => valid.cities.map((c) => contexts.city(c)));
        const overview = await timed('context', () => buildOverviewContext(valid, all, charts.names));
        const data = { ...overview, charts: await timed('charts', () => withSvgs(overview.charts, job.kind.name, job.path)) };
        const toc = [
          ...(overview.charts.length > 0 ? [{ title: labels.words.comparison, anchor: 'comparison' }] : []),
          ...overview.cities.map((c) => ({ title: c.name, anchor: c.anchor, headline: c.headline })),
        ];
        const renderWith = (pages: ReadonlyMap<string, number>) => render(job, { ...data, toc: toc.map((t) => ({ ...t, page: pages.get(t.anchor) ?? '' })) });
        const rendered = await timed('html', () => renderWith(new Map()));
        return {
          job,
          rendered,
          meta: {
            title: titleOf(rendered.html) ?? `${dataset.title} — ${labels.words.overview}`,
            subject: labels.list(overview.cities.map((c) => c.name)),
            author,
            keywords: [dataset.title, ...overview.cities.map((c) => c.name)],
          },
          repaginate: async (outline) => renderWith(tocPages(toc, outline)),
        };
      }
      const city = byId.get(job.city)!;
      const context = await timed('context', () => contexts.city(city));
      const data = { ...context, city: { ...context.city, charts: await timed('charts', () => withSvgs(context.city.charts, 'chart', city.id)) } };
      const rendered = await timed('html', () => render(job, data));
      return {
        job,
        rendered,
        meta: {
          title: titleOf(rendered.html) ?? `${context.city.name} — ${dataset.title}`,
          subject: context.city.headline.join(' · '),
          author,
          keywords: [...new Set([context.city.name, ...context.city.otherNames, ...city.aliases, dataset.title])],
        },
      };
    },
  };
}

/** The text of a document's <title>, which becomes its PDF's title, or undefined when it has none. */
export function titleOf(html: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  if (!m) return undefined;
  const text = m[1]!
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e.toLowerCase()]!,
    )
    .replace(/\s+/g, ' ')
    .trim();
  return text || undefined;
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

/**
 * What the next build can reuse: validated cities by file hash, and each
 * output's size and mtime. Only files this build wrote or checked are
 * recorded afresh; for the others the earlier record stands, so a file
 * damaged since then is still noticed by the build that next looks at it.
 */
async function nextState(config: ResolvedConfig, loaded: Loaded, valid: Valid, manifest: Manifest, state: State | undefined, seen: ReadonlySet<string>): Promise<State> {
  const outputs: Record<string, { bytes: number; mtimeMs: number }> = {};
  await Promise.all(
    manifest.outputs.map(async (entry) => {
      if (!seen.has(entry.path)) {
        const earlier = state?.outputs[entry.path];
        if (earlier) outputs[entry.path] = earlier;
        return;
      }
      const info = await stat(path.join(config.outDir, entry.path)).catch(() => undefined);
      if (info?.size === entry.bytes) outputs[entry.path] = { bytes: info.size, mtimeMs: info.mtimeMs };
    }),
  );
  const basis = validationBasis(loaded);
  const reusable = state && state.version === config.version && state.basis === basis ? state.cities : {};
  return {
    version: config.version,
    basis,
    cities: { ...Object.fromEntries([...Object.entries(reusable)].filter(([sha]) => valid.files.has(sha))), ...Object.fromEntries(valid.files) },
    outputs,
  };
}

/** Images HTML outputs show (assets/ in the out folder), as the project has them. */
async function copyAssets(outDir: string, assets: readonly Asset[], copied: Set<string>): Promise<void> {
  for (const asset of assets) {
    const target = path.join(outDir, 'assets', ...asset.name.split('/'));
    const key = `${target}\0${asset.sha256}`;
    if (copied.has(key)) continue;
    // An image changed since the last build is written again; an unchanged one is left as it is.
    const current = await readFile(target).catch(() => undefined);
    if (!current || !current.equals(asset.bytes)) await writeAtomic(target, asset.bytes);
    copied.add(key);
  }
}

/** Font files HTML outputs refer to (fonts/ beside the documents), so the HTML opens with its own type. */
async function copyFonts(outDir: string, faces: readonly FontFace[], copied: Set<string>): Promise<void> {
  const dir = path.join(outDir, 'fonts');
  const files = [
    ...faces.map((face) => ({ file: face.file, data: () => readFile(face.absPath) })),
    // Each family's licence goes with its files.
    ...fontLicences(faces).map((l) => ({ file: l.file, data: async () => l.text })),
  ];
  for (const { file, data } of files) {
    const target = path.join(dir, file);
    if (copied.has(target)) continue;
    const exists = await stat(target).then((s) => s.isFile(), () => false);
    if (!exists) await writeAtomic(target, await data());
    copied.add(target);
  }
}
