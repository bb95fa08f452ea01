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
 *   5. charts    Vega-Lite specs compiled once, rendered to SVG in a thread (charts.ts)
 *   6. html      Handlebars: one template per kind, partials, helpers       (html.ts)
 *   7. print     Chromium prints each HTML to PDF                           (print.ts)
 *   8. finish    metadata, relative links, reproducible bytes               (finish.ts)
 *   9. write     atomic files                                               (write.ts)
 *
 * Stages 4–8 for one document are assemble.ts; what the out folder remembers
 * (the manifest, the state cache) is state.ts; this file orders the stages.
 *
 * Stages 1–3 run before anything is written, so invalid data leaves the out
 * folder as it was; the first document of each kind is rendered before the
 * first write too, so a broken template does. Stages 4–9 then stream, one
 * document at a time per page of the browser, so memory stays flat however
 * many cities there are. A document that fails is reported and the others
 * go on; the manifest records what was written, and the next build redoes
 * only what is missing or changed.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { assetProblem, assetStore } from '../assets.js';
import { resolveConfig, type BuildOptions, type ResolvedConfig } from '../config.js';
import { CitybriefError, DataError, InputError, UsageError, type Problem } from '../errors.js';
import { bundledFonts } from '../fonts.js';
import { lockOutFolder } from '../lock.js';
import { msg } from '../messages.js';
import { assembler, type Prepared } from './assemble.js';
import { listChartSpecs, prepareChartThread, type ChartSpecs } from './charts.js';
import { readKinds, selectKinds, type KindSpec } from './kinds.js';
import { cellReader, load, type Loaded } from './load.js';
import { plan, type Job } from './plan.js';
import type { Printer } from './print.js';
import { knownCities, Ledger, MANIFEST, recall, writeState, nextState, type Manifest, type ManifestEntry } from './state.js';
import { validate, type Valid } from './validate.js';
import { copyAssets, copyFonts, writeOutput } from './write.js';

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
  /** For a build printed on workers (the `redis` option): documents each worker printed, by host:pid. */
  readonly workers?: Readonly<Record<string, number>>;
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

/** Load and check a dataset, its templates' kinds and its chart specs, without building anything. */
export async function validateDataset(options: BuildOptions = {}): Promise<Valid> {
  const config = resolveConfig(options);
  const loaded = await load(config);
  const valid = await checkedData(config, loaded, new Map());
  // The kinds' front matter and the chart specs too, so a broken template or spec is found by validate as well.
  const problems = await templateProblems(config, valid.dataset.lang, (message) => config.onProgress({ type: 'warning', message }));
  if (problems.length > 0) throw new DataError(problems, msg.problemsHeading(problems.length, true));
  return valid;
}

/**
 * Every located problem of the templates' kinds (their front matter) and of the chart specs, so a
 * check reports them with the dataset's, in one pass. A problem without a place is thrown.
 */
async function templateProblems(config: ResolvedConfig, lang: string | undefined, warn: (message: string) => void = () => {}): Promise<Problem[]> {
  const problems: Problem[] = [];
  const gather = async (check: () => Promise<unknown>) => {
    try {
      await check();
    } catch (error) {
      if (!(error instanceof InputError) || error.problems.length === 0) throw error;
      // Shown as the data's files are: from where the user stands.
      problems.push(...error.problems.map((p) => (path.isAbsolute(p.file) ? { ...p, file: shownBy(config)(p.file) } : p)));
    }
  };
  await gather(async () => kindsToBuild(config, await readKinds(config.templatesDir, config.cwd)));
  await gather(async () => {
    const { loadChartSpecs } = await import('./charts.js');
    await using charts = await loadChartSpecs(path.join(config.templatesDir, 'charts'), bundledFonts(lang), { ...config.charts, signal: config.signal });
    for (const message of charts.warnings) warn(message);
  });
  return problems;
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

/**
 * The dataset validated. Invalid data is one DataError with every problem: the dataset's, then
 * the templates' and chart specs' (which would otherwise show only once the data is fixed).
 */
async function checkedData(config: ResolvedConfig, loaded: Loaded, known: ReadonlyMap<string, Valid['cities'][number]>, checkImage = imageChecker(config)): Promise<Valid> {
  const chartsDir = path.join(config.templatesDir, 'charts');
  try {
    return await validate(loaded, {
      chartSpecs: await listChartSpecs(chartsDir),
      chartsDir: shownBy(config)(chartsDir),
      known,
      asset: checkImage,
      logo: config.logo,
      signal: config.signal,
      cell: cellReader(config),
    });
  } catch (error) {
    if (!(error instanceof DataError) || config.signal?.aborted) throw error;
    const lang = (loaded.dataset.value as { lang?: unknown } | undefined)?.lang;
    const more = await templateProblems(config, typeof lang === 'string' ? lang : undefined).catch(() => [] as Problem[]);
    if (more.length === 0) throw error;
    const problems = [...error.problems, ...more];
    throw new DataError(problems, msg.problemsHeading(problems.length, true));
  }
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
  // On the workers of a Redis queue (dispatch.ts), or in this process.
  const printer = config.redis ? await (await import('./dispatch.js')).openQueuePrinter(config) : await (await import('./print.js')).openPrinter(config);
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
  let adopted: Starting | undefined;
  try {
    return await buildWith(config, started, async () => (adopted = await (early ?? startPrinter(config))));
  } finally {
    await (adopted ?? (await early?.catch(() => undefined)))?.printer.close();
  }
}

/** Builds run one after another, sharing one browser between them. */
export interface Builder extends AsyncDisposable {
  /** An incremental build with the builder's options, and `more` over them (a signal, fewer cities). */
  build(more?: BuildOptions): Promise<BuildResult>;
  /** Start the browser and the chart thread now, ahead of the first build that prints. */
  warm(): void;
  /** Close the browser. */
  close(): Promise<void>;
}

/**
 * For the long-running commands (watch, preview): the browser and its pages stay open between
 * builds, so a rebuild after a save prints at once instead of first starting Chromium. A browser
 * that failed to start, or was closed by a stop, is started again by the next build.
 */
export function builder(options: BuildOptions = {}): Builder {
  let open: Promise<Starting> | undefined;
  const close = async () => {
    const starting = open;
    open = undefined;
    await (await starting?.catch(() => undefined))?.printer.close();
  };
  return {
    async build(more = {}) {
      const started = performance.now();
      const config = resolveConfig({ ...options, ...more });
      try {
        return await buildWith(config, started, () => (open ??= startPrinter(config)));
      } catch (error) {
        const starting = await open?.catch(() => undefined);
        const usable = starting && !config.signal?.aborted && (await starting.warming.then(() => true, () => false));
        if (!usable) await close();
        throw error;
      }
    },
    warm() {
      open ??= startPrinter(resolveConfig(options));
      open.catch(() => (open = undefined));
      prepareChartThread();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** One build. The printer `printerFor` gives is the caller's to close; a stop closes it at once. */
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
  // What earlier builds left (the manifest; the state, checked against its hash: an edited cache is not
  // believed), and the temporary files of a build that was killed, swept away.
  const [loaded, previous] = await Promise.all([timed('load', () => load(config)), recall(config.outDir)]);
  const { state } = previous;
  // A stop before anything is printed ends the build here, with nothing written.
  const stoppedEarly = () =>
    new BuildAbortedError({ outDir: config.outDir, outputs: [], unchanged: 0, manifest: previous.manifest, failures: [], refused: [], restarts: 0, timings, elapsedMs: performance.now() - started });
  if (config.signal?.aborted) throw stoppedEarly();
  stage('validate');
  const checkImage = imageChecker(config);
  const valid = await timed('validate', () => checkedData(config, loaded, knownCities(state, config.version, loaded), checkImage)).catch((error: unknown) => {
    throw config.signal?.aborted ? stoppedEarly() : error;
  });
  const known = valid.cities.map((c) => c.id);
  for (const id of config.cities ?? []) if (!known.includes(id)) throw new UsageError(msg.unknownCity(id, known));

  stage('plan');
  const kinds = kindsToBuild(config, await timed('plan', () => readKinds(config.templatesDir, config.cwd)));
  const images = assetStore(config.assetsDir);
  const planned = await timed('plan', () => plan(config, loaded, valid, kinds, previous.manifest, state, (name) => (checkImage(name) ? undefined : images.get(name).sha256)));
  config.onProgress({ type: 'plan', build: planned.todo.length, unchanged: planned.unchanged });
  const ledger = new Ledger(config.outDir, previous.manifest, planned.kept, new Set(planned.todo.flatMap((job) => [job.path, job.pdfPath])));

  const failures: { path: string; city: string | null; error: Error }[] = [];
  const printedBy = new Map<string, number>();
  let counted = { refused: 0, restarts: 0 };
  const result = (manifest: Manifest, printer?: Printer): BuildResult => ({
    outDir: config.outDir,
    outputs: ledger.written,
    unchanged: planned.unchanged,
    manifest,
    failures,
    // A printer shared between builds counts from its first: this build's share is what it added.
    refused: printer ? printer.refused.slice(counted.refused) : [],
    restarts: printer ? printer.restarts - counted.restarts : 0,
    timings,
    elapsedMs: performance.now() - started,
    ...(printedBy.size > 0 ? { workers: Object.fromEntries([...printedBy].sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
  });
  if (planned.todo.length === 0) {
    // Nothing changed: no output is written, not even the manifest. Only a state that was missing or not
    // believed is written again, so the next rebuild need not validate and hash everything once more.
    if (!state) {
      const seen = new Set(planned.kept.map((e) => e.path));
      await writeState(config.outDir, await nextState(config.outDir, { version: config.version, loaded, validated: valid.files, manifest: previous.manifest, state, seen }));
    }
    return result(previous.manifest);
  }

  // Heavy modules (Handlebars, Puppeteer) load only when there is something to build.
  const [{ loadChartSpecs }, { loadTemplates }] = await Promise.all([import('./charts.js'), import('./html.js')]);
  // Chromium starts (if it has not yet) on the other core while charts and templates load and the
  // first documents render.
  const { printer, warming } = await printerFor();
  counted = { refused: printer.refused.length, restarts: printer.restarts };
  const stopped = () => config.signal?.aborted === true;
  const onAbort = () => void printer.close();
  config.signal?.addEventListener('abort', onAbort, { once: true });
  if (stopped()) void printer.close();
  let charts: ChartSpecs | undefined;
  try {
    const fonts = bundledFonts(valid.dataset.lang);
    charts = await timed('charts', () => loadChartSpecs(path.join(config.templatesDir, 'charts'), fonts, { ...config.charts, signal: config.signal }));
    for (const message of charts.warnings) config.onProgress({ type: 'warning', message });
    // A warning about the chart specs concerns every document that draws them: a strict build writes none.
    if (config.strict && charts.warnings.length > 0) throw new UsageError(msg.strictWarnings(charts.warnings.length));
    const templates = await timed('html', () => loadTemplates(config.templatesDir, fonts, kinds, { labels: valid.labels, assetProblem: checkImage, shown: shownBy(config) }));
    const documents = assembler(config, valid, kinds, charts, templates, printer, timed);
    // What the documents will print, near enough (their cities' data, the labels, the templates): the
    // printer's fonts are made with those characters' outlines at once, rather than as documents need more.
    const cities = new Set(planned.todo.map((job) => job.city));
    const printed = [valid.dataset, cities.has(null) ? valid.cities : valid.cities.filter((c) => cities.has(c.id)), valid.labels.words, valid.fields];
    printer.expect(await timed('html', () => fonts.scan(JSON.stringify(printed) + kinds.map((k) => k.source).join('')).faces));

    // A template that fails fails for the first document of its kind: find out before writing anything.
    const first = new Map<string, Prepared>();
    try {
      for (const job of planned.todo) if (!first.has(job.kind.name)) first.set(job.kind.name, await documents.prepare(job));
    } catch (error) {
      // A stop while they are made (a chart computing) ends the build as a stop, with nothing written.
      throw stopped() ? stoppedEarly() : error;
    }
    const prepared = (job: Job) => {
      const made = first.get(job.kind.name);
      if (made?.job !== job) return documents.prepare(job);
      first.delete(job.kind.name);
      return made;
    };

    // No browser at all is one error for the build, not one per document; nothing is written.
    await warming.catch((error: unknown) => {
      if (!stopped()) throw error;
    });
    await ledger.open();
    stage('print');
    const copied = new Set<string>();
    const queue = [...planned.todo];
    let done = 0;
    const worker = async () => {
      for (let job = queue.shift(); job && !stopped(); job = queue.shift()) {
        try {
          const document = await prepared(job);
          const shown = document.rendered.assets.map((name) => images.get(name));
          await copyFonts(config.outDir, document.rendered.fonts, copied);
          await copyAssets(config.outDir, shown, copied);
          const made = await documents.make(document, shown);
          let pdf: ManifestEntry | undefined;
          await timed('write', async () => {
            const assets = shown.length > 0 ? { assets: Object.fromEntries(shown.map((a) => [a.name, a.sha256])) } : {};
            const base = { city: job.city, kind: job.kind.name, lang: valid.dataset.lang, inputs: job.inputs, ...assets };
            // Each file enters the manifest as soon as it is written, so none stands unlisted if the other fails.
            pdf = await writeOutput(config.outDir, { ...base, format: 'pdf', path: job.pdfPath }, made.pdf.pdf, made.pdf.pages);
            ledger.record(pdf);
            ledger.record(await writeOutput(config.outDir, { ...base, format: 'html', path: job.path }, made.html, null));
            await ledger.documentDone(made.release);
          }).catch(async (error: unknown) => {
            await made.release();
            throw error;
          });
          if (made.by) printedBy.set(made.by, (printedBy.get(made.by) ?? 0) + 1);
          config.onProgress({ type: 'output', kind: job.kind.name, city: job.city, path: job.pdfPath, done: ++done, total: planned.todo.length, pages: pdf?.pages, sha256: pdf?.sha256, ...(made.by ? { worker: made.by } : {}) });
        } catch (error) {
          if (stopped()) break;
          failures.push({ path: job.pdfPath, city: job.city, error: error as Error });
          config.onProgress({ type: 'failed', path: job.pdfPath, message: (error as Error).message });
        }
      }
    };
    // Twice as many documents under way as pages print: while one is printed, another is rendered or
    // written, so no page waits for the work around printing.
    await Promise.all(Array.from({ length: printer.size * 2 }, worker));
  } finally {
    config.signal?.removeEventListener('abort', onAbort);
    await charts?.close();
  }

  stage('write');
  const manifest = await timed('write', () => ledger.close({ version: config.version, loaded, validated: valid.files, state }));
  const built = result(manifest, printer);
  if (stopped()) throw new BuildAbortedError(built);
  if (failures.length > 0) throw new BuildFailedError(built);
  return built;
}

