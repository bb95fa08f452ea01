/**
 * Stage 5 — charts: Vega-Lite specs from the templates' charts/ folder,
 * compiled once per build and rendered to SVG in Node with the rows the
 * context stage prepared. No browser is involved and the print page runs no
 * script: the SVG is inlined in the HTML.
 *
 * Specs and theme.json are read with the dataset's parser, so a syntax error
 * or a key given twice is reported at its line and column; the values
 * Vega-Lite takes from a short list (mark and field types) are checked before
 * compiling, at their place, since Vega-Lite's own errors carry none.
 *
 * Chart data is always inline. A spec that names a URL or file is refused when
 * it is loaded, and the Vega loader given to every view refuses all I/O. Links
 * (`href`: a channel, a mark property, in the config or theme.json) are refused
 * too: a printed chart cannot be clicked.
 *
 * Compiling and drawing happen in a thread of the build's own
 * (charts-thread.ts). The work one chart may ask for is bounded: its rows
 * (checked before drawing) and its drawing time, after which its thread is
 * ended, however long Vega would still compute, and a fresh one draws the next
 * chart. A stopped build ends the thread at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
// Types only (erased when compiled): the encoding channels of the installed Vega-Lite, to check ENCODING_CHANNELS against.
import type { ErrorExtraEncoding } from 'vega-lite/types_unstable/compositemark/errorbar.js';
import type { EncodingWithFacet } from 'vega-lite/types_unstable/encoding.js';
import { positive } from '../config.js';
import { ChartError, errorWords, formatProblem, type Problem } from '../errors.js';
import { msg } from '../messages.js';
import type { FontSet } from '../fonts.js';
import type { ThreadReply, ThreadRequest, ThreadSetup } from './charts-thread.js';
import { fieldName, locate, parseYaml, type Parsed } from './load.js';

/** The named dataset every spec reads: `"data": {"name": "table"}`. */
export const CHART_DATA = 'table';
const SPEC_SUFFIX = '.vl.json';
const THEME_FILE = 'theme.json';

/** Milliseconds one chart may take to draw, unless the loader is given another limit. */
export const CHART_TIMEOUT_MS = 10_000;
/** Rows one chart may draw, unless the loader is given another limit. */
export const MAX_CHART_ROWS = 10_000;

/** Limits on the work of one chart. */
export interface ChartLimits {
  /** Milliseconds one chart may take to draw. Default: CHART_TIMEOUT_MS (10 s). */
  readonly timeoutMs?: number;
  /** Rows one chart may draw. Default: MAX_CHART_ROWS (10,000). */
  readonly maxRows?: number;
}

export interface ChartOptions extends ChartLimits {
  /** Stops the drawing: the chart being drawn and every later one reject with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface ChartSpecs {
  readonly dir: string;
  readonly names: ReadonlySet<string>;
  /** Vega-Lite's warnings while compiling (e.g. a sort it had to drop), by spec file. */
  readonly warnings: readonly string[];
  /**
   * Render a spec with these rows to an SVG string. Element ids inside the SVG
   * (clip paths) start with `idPrefix`, so several charts inline in one page
   * never share an id and the output does not depend on render order.
   * `chart` names the chart in error messages (default: `idPrefix`). Every
   * failure is a ChartError naming the spec file and the chart.
   */
  render(name: string, rows: readonly object[], idPrefix: string, chart?: string): Promise<string>;
  /** End the thread that draws the charts. A render asked for later is refused. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A chart's SVG as one image with its alt text: `role="img"` and `aria-label` on the root element.
 * Chromium's tagged PDF makes an element of role img a /Figure whose /Alt is its accessible name,
 * and an image's children are presentational, so nothing inside the SVG (axis labels, marks, any
 * ARIA a spec adds) becomes a structure element of its own: the alt text is all a screen reader
 * reads for the chart.
 */
export function labelSvg(svg: string, alt: string): string {
  const root = /^<svg\b[^>]*>/.exec(svg);
  if (!root) return svg;
  const attributes = root[0].slice(4, -1).replace(/\s(?:role|aria-[a-z]+)="[^"]*"/g, '');
  return `<svg role="img" aria-label="${escapeAttribute(alt)}"${attributes}>${svg.slice(root[0].length)}`;
}

/** Text as a double-quoted HTML attribute value. */
function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** Names of the specs in `dir` (file names without .vl.json), without reading them. */
export async function listChartSpecs(dir: string): Promise<Set<string>> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return new Set(files.filter((f) => f.endsWith(SPEC_SUFFIX)).map((f) => f.slice(0, -SPEC_SUFFIX.length)));
}

/**
 * Read and check every spec in `dir`, then compile them in a thread of their
 * own (charts-thread.ts) that draws every chart of the build. Text is set in
 * the bundled fonts (overriding any font in the specs: only bundled fonts
 * reach the PDF) and measured with them. `options` bound each render's rows
 * and time; `signal` stops the drawing at once. `close()` ends the thread.
 */
export async function loadChartSpecs(dir: string, fonts: FontSet, options: ChartOptions = {}): Promise<ChartSpecs> {
  const timeoutMs = positive(options.timeoutMs, 'timeoutMs') ?? CHART_TIMEOUT_MS;
  const maxRows = positive(options.maxRows, 'maxRows') ?? MAX_CHART_ROWS;
  const files = [...(await listChartSpecs(dir))].sort().map((name) => `${name}${SPEC_SUFFIX}`);
  // Every file is read and checked before any spec is compiled, and every problem of every file is
  // reported at once, each at its place.
  const problems: Problem[] = [];
  const themePath = path.join(dir, THEME_FILE);
  const theme = await readJsonFile(themePath, problems).then(
    (read) => {
      if (!read) return {};
      refuseUrls(read.value, failAt(read.parsed, themePath, problems));
      refuseLinks(read.value, failAt(read.parsed, themePath, problems));
      return read.value;
    },
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return {};
      throw e;
    },
  );
  const specs: ThreadSetup['specs'][number][] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const read = await readJsonFile(full, problems);
    if (!read) continue;
    const before = problems.length;
    refuseUrls(read.value, failAt(read.parsed, full, problems));
    checkSpec(read.value, failAt(read.parsed, full, problems));
    if (problems.length === before) specs.push({ file, name: file.slice(0, -SPEC_SUFFIX.length), spec: read.value });
  }
  if (problems.length > 0) throw new ChartError(problems.map(formatProblem).join('\n'), { problems });

  const setup: ThreadSetup = { families: fonts.families, theme, specs, dataName: CHART_DATA };
  const { signal } = options;
  signal?.throwIfAborted();
  let { thread, warnings } = await takeThread(setup, dir);
  let closed = false;
  const stop = () => void thread.end(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) stop();

  let queue: Promise<unknown> = Promise.resolve();
  const renderOne = async (name: string, rows: readonly object[], idPrefix: string, file: string, chart: string): Promise<string> => {
    if (closed) throw new ChartError(msg.chartsClosed(file, chart));
    signal?.throwIfAborted();
    // A thread that was ended (its chart ran too long) is replaced for the next chart.
    if (thread.ended) {
      ({ thread } = await takeThread(setup, dir));
      if (signal?.aborted) stop();
    }
    return thread.draw(name, rows, idPrefix, timeoutMs).catch((error: unknown) => {
      if (signal?.aborted) throw signal.reason;
      if (error === TIME_UP) throw new ChartError(msg.chartTooSlow(file, chart, timeoutMs));
      const { reason, cause } = error as ThreadFailure;
      // Whatever Vega throws while drawing becomes one message naming the spec and the chart, never a stack.
      throw new ChartError(msg.chartRenderFailed(file, chart, reason), { cause });
    });
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener('abort', stop);
    // After the last chart: the thread is free for the next build.
    await queue;
    await releaseThread(thread);
  };
  const names = new Set(specs.map((s) => s.name));
  return {
    dir,
    names,
    warnings,
    render(name, rows, idPrefix, chart = idPrefix) {
      if (!names.has(name)) return Promise.reject(new ChartError(msg.unknownChartSpec(name, dir)));
      const file = path.join(dir, `${name}${SPEC_SUFFIX}`);
      // Too many rows is refused before any work (and without waiting for the charts before it).
      if (rows.length > maxRows) return Promise.reject(new ChartError(msg.chartTooManyRows(file, chart, rows.length, maxRows)));
      // One chart at a time: the time limit counts from the chart's own start.
      const next = queue.then(() => renderOne(name, rows, idPrefix, file, chart));
      queue = next.catch(() => {});
      return next;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Threads no build is using, kept for the next: loading Vega into a thread
 * takes about a second, which a process that builds again and again (watch,
 * preview, a schedule) would pay for every build. Each build has a thread of
 * its own while it runs; an idle thread does not keep the process alive.
 */
const idleThreads: ChartThread[] = [];
/** Idle threads kept at most: a second for a second build that runs at the same time. */
const IDLE_THREADS = 2;

/** A thread loaded with a build's specs and fonts: an idle one, or a new one. A spec that does not compile is a ChartError. */
async function takeThread(setup: ThreadSetup, dir: string): Promise<{ thread: ChartThread; warnings: readonly string[] }> {
  let thread = idleThreads.pop();
  while (thread?.ended) thread = idleThreads.pop();
  thread ??= ChartThread.spawn();
  try {
    return { thread, warnings: await thread.load(setup, dir) };
  } catch (error) {
    await releaseThread(thread);
    throw error;
  }
}

async function releaseThread(thread: ChartThread): Promise<void> {
  if (thread.ended) return;
  if (idleThreads.length < IDLE_THREADS) idleThreads.push(thread);
  else await thread.end();
}

/**
 * Start loading Vega into a thread now, for a build that will draw charts
 * soon: the second core does it while the data is read and checked.
 */
export function prepareChartThread(): void {
  if (!idleThreads.some((t) => !t.ended)) idleThreads.push(ChartThread.spawn());
}

/** Why a chart failed in its thread: the words, and the error as it crossed (an Error clone, or the words again). */
interface ThreadFailure {
  readonly reason: string;
  readonly cause: unknown;
}

/** The rejection of a chart whose time ran out (its thread is ended). */
const TIME_UP = Symbol('time up');

/**
 * A thread that compiles a build's specs and draws its charts, one request at
 * a time. A chart that is not drawn in time rejects with TIME_UP and ends the
 * thread: a computation cannot be interrupted otherwise. A chart that could
 * not be drawn rejects with a ThreadFailure, and `end(reason)` rejects the
 * chart being drawn with `reason`.
 */
class ChartThread {
  #ended = false;
  #pending: { resolve: (reply: ThreadReply) => void; reject: (error: unknown) => void; timer?: NodeJS.Timeout } | undefined;

  private constructor(readonly worker: Worker) {
    worker.on('message', (reply: ThreadReply) => {
      const pending = this.#pending;
      this.#settle();
      pending?.resolve(reply);
    });
    // A thread that dies (out of memory) fails its chart alone; the next chart gets a fresh thread.
    worker.on('error', (error) => this.#fail({ reason: errorWords(error), cause: error } satisfies ThreadFailure));
    worker.on('exit', (code) => {
      this.#ended = true;
      this.#fail({ reason: `the chart thread stopped (exit code ${code})`, cause: undefined } satisfies ThreadFailure);
    });
    // A thread waiting for work does not keep the process alive; one at work does (see #ask). After the
    // listeners: adding a 'message' listener refs the worker again.
    worker.unref();
  }

  static spawn(): ChartThread {
    return new ChartThread(new Worker(threadFile(), { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } }));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Compile a build's specs with its fonts; Vega-Lite's warnings. */
  async load(setup: ThreadSetup, dir: string): Promise<readonly string[]> {
    const reply = await this.#ask({ type: 'setup', setup }).catch((error: unknown) => {
      throw new ChartError(msg.chartInvalid(dir, (error as ThreadFailure).reason ?? errorWords(error)), { cause: error });
    });
    if (reply.type === 'invalid') {
      const problem = { file: path.join(dir, reply.file), message: msg.chartNotCompiling(reply.reason) };
      throw new ChartError(formatProblem(problem), { cause: reply.error, problems: [problem] });
    }
    if (reply.type !== 'ready') throw new Error(`the chart thread answered "${reply.type}" to its specs`);
    return reply.warnings;
  }

  async draw(name: string, rows: readonly object[], idPrefix: string, timeoutMs: number): Promise<string> {
    const reply = await this.#ask({ type: 'draw', name, rows, idPrefix }, timeoutMs);
    if (reply.type === 'failed') throw { reason: reply.reason, cause: reply.error } satisfies ThreadFailure;
    if (reply.type !== 'drawn') throw new Error(`the chart thread answered "${reply.type}" to a chart`);
    return reply.svg;
  }

  /** End the thread; the request being answered is rejected with `reason`. */
  async end(reason: unknown = { reason: 'the chart thread has ended', cause: undefined } satisfies ThreadFailure): Promise<void> {
    this.#fail(reason);
    this.#ended = true;
    await this.worker.terminate();
  }

  #ask(request: ThreadRequest, timeoutMs?: number): Promise<ThreadReply> {
    if (this.#ended) return Promise.reject({ reason: 'the chart thread has ended', cause: undefined } satisfies ThreadFailure);
    if (this.#pending) return Promise.reject(new Error('the chart thread answers one request at a time'));
    return new Promise<ThreadReply>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => void this.end(TIME_UP), timeoutMs);
      this.#pending = { resolve, reject, timer };
      this.worker.ref();
      try {
        this.worker.postMessage(request);
      } catch (error) {
        // Rows that cannot be copied to the thread (a function, a symbol) fail this chart alone.
        this.#fail({ reason: errorWords(error), cause: error } satisfies ThreadFailure);
      }
    });
  }

  #settle(): void {
    if (!this.#pending) return;
    clearTimeout(this.#pending.timer);
    this.#pending = undefined;
    this.worker.unref();
  }

  #fail(error: unknown): void {
    const pending = this.#pending;
    this.#settle();
    pending?.reject(error);
  }
}

/** Heap of one chart thread: a chart that would need more fails alone, with a message, instead of the build. */
const THREAD_HEAP_MB = 1024;

/**
 * The thread's module. Under the test runner this module is the TypeScript
 * source, which a thread cannot load: the thread runs the compiled copy in
 * dist/ (`npm test` compiles first).
 */
function threadFile(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/pipeline/charts-thread.js', here) : new URL('./charts-thread.js', here);
}

/** The `fail` callback of checkSpec for a file: a problem at the place of the field path. */
function failAt(parsed: Parsed, shown: string, problems: Problem[]) {
  return (fieldPath: PropertyKey[], message: string, atKey?: boolean): void => {
    problems.push({ ...locate({ ...parsed, shown }, fieldPath, atKey), field: fieldName(fieldPath), message });
  };
}

/**
 * A JSON file of the charts folder, read with the dataset's parser: a syntax
 * error or a key given twice (which JSON.parse would pass over, keeping the
 * last) is reported with its line and column. The file must hold an object.
 */
async function readJsonFile(file: string, problems: Problem[]): Promise<{ value: Record<string, unknown>; parsed: Parsed } | undefined> {
  const syntax: Problem[] = [];
  const parsed = parseYaml(file, await readFile(file, 'utf8'), syntax, 'JSON');
  // The first problem of a broken file is where to start: what follows it is often its echo.
  if (syntax[0]) return void problems.push(syntax[0]);
  const { value } = parsed;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return void problems.push({ ...locate({ ...parsed, shown: file }, []), message: msg.chartNotObject });
  }
  return { value: value as Record<string, unknown>, parsed };
}

/** Vega-Lite's mark types, primitive and composite (its JSON schema's Mark, BoxPlot, ErrorBar and ErrorBand). */
export const MARK_TYPES = ['arc', 'area', 'bar', 'image', 'line', 'point', 'rect', 'rule', 'text', 'tick', 'trail', 'circle', 'square', 'geoshape', 'boxplot', 'errorbar', 'errorband'] as const;
/** Vega-Lite's field types (its JSON schema's Type). */
export const FIELD_TYPES = ['quantitative', 'ordinal', 'temporal', 'nominal', 'geojson'] as const;

/**
 * Vega-Lite's encoding channels: every key its JSON schema allows under
 * `encoding` (FacetedEncoding), which is Vega-Lite's CHANNELS (not exported
 * at run time) plus the error-bar channels xError, xError2, yError, yError2.
 * Typed as a record of vega-lite's own key types, so the compiler refuses a
 * name that is not one and reports one that is missing after an upgrade.
 */
const CHANNEL_INDEX: Record<keyof EncodingWithFacet<string> | keyof ErrorExtraEncoding<string>, 1> = {
  x: 1, y: 1, x2: 1, y2: 1, xOffset: 1, yOffset: 1, xError: 1, xError2: 1, yError: 1, yError2: 1,
  theta: 1, theta2: 1, radius: 1, radius2: 1, longitude: 1, latitude: 1, longitude2: 1, latitude2: 1,
  color: 1, fill: 1, stroke: 1, opacity: 1, fillOpacity: 1, strokeOpacity: 1, strokeWidth: 1, strokeDash: 1,
  size: 1, angle: 1, shape: 1, text: 1, tooltip: 1, description: 1, detail: 1, key: 1, order: 1, time: 1,
  href: 1, url: 1, facet: 1, row: 1, column: 1,
};
export type EncodingChannel = keyof typeof CHANNEL_INDEX;
/** Every channel Vega-Lite knows. */
export const ENCODING_CHANNELS = Object.keys(CHANNEL_INDEX) as EncodingChannel[];
/** Channels a chart of citybrief's cannot use: links (`href`) print as nothing, `url` loads a file. */
export const REFUSED_CHANNELS: readonly EncodingChannel[] = ['href', 'url'];
/** The channels a spec may use. */
export const CHART_CHANNELS = ENCODING_CHANNELS.filter((channel) => !REFUSED_CHANNELS.includes(channel));

/** Called with the field path of the first wrong value and what to say; `atKey`: point at the key, not its value. */
export type SpecFailure = (fieldPath: PropertyKey[], message: string, atKey?: boolean) => void;

/**
 * Check a spec before compiling, in every view (layers, concatenations, the
 * inner spec of a facet or repeat): the values Vega-Lite takes from a short
 * list (mark types, field types) and its encoding channels. Vega-Lite's own
 * errors carry no position, a misspelt field type reaches it as "undefined",
 * and a misspelt channel it drops with only a warning. A link (`href`),
 * anywhere in the spec, is refused: it cannot work on paper, and Vega cannot
 * draw it without a browser. `fail` is called with the field path of the
 * first problem.
 */
export function checkSpec(spec: unknown, fail: SpecFailure, at: PropertyKey[] = []): void {
  // An href channel is found twice (as a channel, and as a link): report each place once.
  const reported = new Set<string>();
  const once: SpecFailure = (fieldPath, message, atKey) => {
    const place = fieldPath.map(String).join('\u0000');
    if (reported.has(place)) return;
    reported.add(place);
    fail(fieldPath, message, atKey);
  };
  checkView(spec, once, at);
  refuseLinks(spec, once, at);
}

function checkView(spec: unknown, fail: SpecFailure, at: PropertyKey[]): void {
  if (!isObject(spec)) return;
  const oneOf = (value: unknown, allowed: readonly string[], what: string, fieldPath: PropertyKey[]) => {
    if (!allowed.includes(value as string)) fail(fieldPath, msg.chartEnum(what, value, allowed));
  };
  const { mark, encoding } = spec;
  if (isObject(mark)) {
    if ('type' in mark) oneOf(mark.type, MARK_TYPES, 'mark type', [...at, 'mark', 'type']);
  } else if (mark !== undefined) oneOf(mark, MARK_TYPES, 'mark type', [...at, 'mark']);
  if (isObject(encoding)) {
    const definition = (def: unknown, fieldPath: PropertyKey[]): void => {
      if (Array.isArray(def)) return def.forEach((d, i) => definition(d, [...fieldPath, i]));
      if (!isObject(def)) return;
      if ('type' in def) oneOf(def.type, FIELD_TYPES, 'field type', [...fieldPath, 'type']);
      if ('condition' in def) definition(def.condition, [...fieldPath, 'condition']);
    };
    for (const [channel, def] of Object.entries(encoding)) {
      const here = [...at, 'encoding', channel];
      if (channel === 'href') fail(here, msg.chartHref, true);
      // (A url channel is refused with the other urls, by refuseUrls.)
      else if (channel !== 'url' && !(CHART_CHANNELS as readonly string[]).includes(channel)) fail(here, msg.chartEnum('encoding channel', channel, CHART_CHANNELS), true);
      definition(def, here);
    }
  }
  // Views inside views: layers, concatenations, and the inner spec of a facet or repeat.
  for (const key of ['layer', 'concat', 'hconcat', 'vconcat'] as const) {
    const views = spec[key];
    if (Array.isArray(views)) views.forEach((view, i) => checkView(view, fail, [...at, key, i]));
  }
  if (isObject(spec.spec)) checkView(spec.spec, fail, [...at, 'spec']);
}

/** Fail at any `href` key, wherever it is (a channel, a mark's property, the config or theme.json). */
export function refuseLinks(value: unknown, fail: SpecFailure, at: PropertyKey[] = []): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => refuseLinks(item, fail, [...at, i]));
  } else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'href') fail([...at, key], msg.chartHref, true);
      refuseLinks(inner, fail, [...at, key]);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Report every `url` key anywhere in a spec (data, images, projections), at its place: chart data is inline only. */
export function refuseUrls(value: unknown, fail: SpecFailure, at: PropertyKey[] = []): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => refuseUrls(item, fail, [...at, i]));
  } else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'url') fail([...at, key], msg.chartUrl, true);
      refuseUrls(inner, fail, [...at, key]);
    }
  }
}
