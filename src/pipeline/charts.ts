/**
 * Stage 4 — charts: Vega-Lite specs from the templates' charts/ folder,
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
 * The work one chart may ask for is bounded: its rows (checked before drawing)
 * and its drawing time. Vega computes and draws synchronously between its
 * asynchronous steps, so the time limit is checked at those steps and stops a
 * chart once a step ends past it; it cannot cut one step short (that would
 * take a worker thread).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
// Vega and Vega-Lite load when specs are compiled, not when citybrief starts.
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
// Types only (erased when compiled): the encoding channels of the installed Vega-Lite, to check ENCODING_CHANNELS against.
import type { ErrorExtraEncoding } from 'vega-lite/types_unstable/compositemark/errorbar.js';
import type { EncodingWithFacet } from 'vega-lite/types_unstable/encoding.js';
import { ChartError, formatProblem, UsageError, type Problem } from '../errors.js';
import { msg } from '../messages.js';
import type { FontSet } from '../fonts.js';
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
}

/** Names of the specs in `dir` (file names without .vl.json), without reading them. */
export async function listChartSpecs(dir: string): Promise<Set<string>> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return new Set(files.filter((f) => f.endsWith(SPEC_SUFFIX)).map((f) => f.slice(0, -SPEC_SUFFIX.length)));
}

/**
 * Read and compile every spec in `dir`. Compilation happens once; each render
 * only creates a view over the already-parsed Vega runtime. Text is set in the
 * bundled fonts (overriding any font in the specs: only bundled fonts reach
 * the PDF) and measured with them. `limits` bound each render's rows and time.
 */
export async function loadChartSpecs(dir: string, fonts: FontSet, limits: ChartLimits = {}): Promise<ChartSpecs> {
  const timeoutMs = limit(limits.timeoutMs, 'timeoutMs') ?? CHART_TIMEOUT_MS;
  const maxRows = limit(limits.maxRows, 'maxRows') ?? MAX_CHART_ROWS;
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  useFontMetrics(vega, fonts);
  const loader = refusingLoader(vega);
  const files = [...(await listChartSpecs(dir))].sort().map((name) => `${name}${SPEC_SUFFIX}`);
  const themePath = path.join(dir, THEME_FILE);
  const theme = await readJsonFile(themePath).then(
    ({ value, parsed }) => {
      refuseUrls(value, THEME_FILE);
      refuseLinks(value, failAt(parsed, themePath));
      return value;
    },
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return {};
      throw e;
    },
  );

  // Every spec is read and checked before any is compiled: a broken file is reported with its place.
  const specs: { file: string; name: string; spec: VegaLite.TopLevelSpec }[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const { value, parsed } = await readJsonFile(full);
    refuseUrls(value, file);
    checkSpec(value, failAt(parsed, full));
    specs.push({ file, name: file.slice(0, -SPEC_SUFFIX.length), spec: value as unknown as VegaLite.TopLevelSpec });
  }

  const runtimes = new Map<string, Vega.Runtime>();
  const warnings: string[] = [];
  for (const { file, name, spec } of specs) {
    let compiled: Vega.Spec;
    try {
      const config = { ...theme, ...(spec.config ?? {}), font: fonts.stack } as VegaLite.Config;
      compiled = vl.compile(spec, { config, logger: collectingLogger(file, warnings) }).spec;
      runtimes.set(name, vega.parse(compiled));
    } catch (error) {
      throw new ChartError(msg.chartInvalid(path.join(dir, file), (error as Error).message), { cause: error });
    }
  }

  let queue: Promise<unknown> = Promise.resolve();
  return {
    dir,
    names: new Set(runtimes.keys()),
    warnings,
    render(name, rows, idPrefix, chart = idPrefix) {
      const runtime = runtimes.get(name);
      if (!runtime) return Promise.reject(new ChartError(msg.unknownChartSpec(name, dir)));
      const file = path.join(dir, `${name}${SPEC_SUFFIX}`);
      // Too many rows is refused before any work (and without waiting for the charts before it).
      if (rows.length > maxRows) return Promise.reject(new ChartError(msg.chartTooManyRows(file, chart, rows.length, maxRows)));
      // One render at a time: the id counter below is process-wide. The time limit counts from the render's own start.
      const next = queue.then(() => renderOne(runtime, rows, idPrefix, file, chart));
      queue = next.catch(() => {});
      return next;
    },
  };

  async function renderOne(runtime: Vega.Runtime, rows: readonly object[], idPrefix: string, file: string, chart: string): Promise<string> {
    const started = performance.now();
    const tooSlow = new ChartError(msg.chartTooSlow(file, chart, timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    // Stops a step that waits (Vega's asynchronous steps) once the time is up; a step that computes is checked when it ends.
    const timeUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(tooSlow), timeoutMs);
    });
    timeUp.catch(() => {});
    // Vega catches the errors inside its dataflow, logs them (by default to the console) and draws on: keep them instead.
    const errors: unknown[] = [];
    const step = async <T>(work: Promise<T>): Promise<T> => {
      work.catch(() => {});
      const value = await Promise.race([work, timeUp]);
      if (errors.length > 0) throw errors[0];
      if (performance.now() - started > timeoutMs) throw tooSlow;
      return value;
    };
    // A fresh view per chart: a reused view keeps layout from its previous data (axis widths, padding),
    // so a chart would depend on the charts drawn before it. The parsed runtime is shared.
    // Vega numbers clip-path ids from a process-wide counter; restart it so a chart's SVG depends only on its inputs.
    (vega as unknown as { resetSVGDefIds: () => void }).resetSVGDefIds();
    let view: Vega.View | undefined;
    try {
      view = new vega.View(runtime, { renderer: 'none', loader, logger: errorsTo(errors) });
      view.data(CHART_DATA, rows.map((row) => ({ ...row })));
      await step(view.runAsync());
      return scopeIds(await step(view.toSVG()), idPrefix);
    } catch (error) {
      if (error === tooSlow) throw error;
      // Whatever Vega throws while drawing becomes one message naming the spec and the chart, never a stack.
      throw new ChartError(msg.chartRenderFailed(file, chart, reasonOf(error)), { cause: error });
    } finally {
      clearTimeout(timer);
      view?.finalize();
    }
  }
}

/** The `fail` callback of checkSpec for a file: throws a ChartError at the place of the field path. */
function failAt(parsed: Parsed, shown: string) {
  return (fieldPath: PropertyKey[], message: string, atKey?: boolean): never => {
    throw new ChartError(formatProblem({ ...locate({ ...parsed, shown }, fieldPath, atKey), field: fieldName(fieldPath), message }));
  };
}

function limit(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(msg.notPositive(name, value));
  return value;
}

/** The words of an error Vega threw (or logged), whatever it threw. */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  return text.trim() || (error instanceof Error ? error.name : 'unknown error');
}

/** A Vega logger that keeps the errors and drops the rest (Vega's own prints errors to the console). */
function errorsTo(errors: unknown[]): Vega.LoggerInterface {
  let level = 1;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) {
      errors.push(args.find((a) => a instanceof Error) ?? args.map(String).join(' '));
      return logger;
    },
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
  };
  return logger as unknown as Vega.LoggerInterface;
}

/** Vega-Lite logs to the console by default; keep its warnings with the specs instead. */
function collectingLogger(file: string, warnings: string[]) {
  const logger = {
    level: (() => logger) as unknown,
    error: (...args: unknown[]) => (warnings.push(`${file}: ${args.join(' ')}`), logger),
    warn: (...args: unknown[]) => (warnings.push(`${file}: ${args.join(' ')}`), logger),
    info: () => logger,
    debug: () => logger,
  };
  return logger as unknown as NonNullable<Parameters<typeof VegaLite.compile>[1]>['logger'];
}

function scopeIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) => (ids.has(id) ? `${lead}${prefix}-${id}` : whole));
}

/**
 * A JSON file of the charts folder, read with the dataset's parser: a syntax
 * error or a key given twice (which JSON.parse would pass over, keeping the
 * last) is reported with its line and column. The file must hold an object.
 */
async function readJsonFile(file: string): Promise<{ value: Record<string, unknown>; parsed: Parsed }> {
  const problems: Problem[] = [];
  const parsed = parseYaml(file, await readFile(file, 'utf8'), problems, 'JSON');
  // One message: the first problem of a broken file is where to start.
  if (problems[0]) throw new ChartError(formatProblem(problems[0]));
  const { value } = parsed;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ChartError(formatProblem({ ...locate({ ...parsed, shown: file }, []), message: msg.chartNotObject }));
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

/** Throw if any `url` key appears anywhere in a spec (data, images, projections). */
export function refuseUrls(spec: unknown, file: string, at = ''): void {
  if (Array.isArray(spec)) {
    spec.forEach((item, i) => refuseUrls(item, file, `${at}[${i}]`));
  } else if (spec && typeof spec === 'object') {
    for (const [key, value] of Object.entries(spec)) {
      const here = at ? `${at}.${key}` : key;
      if (key === 'url') throw new ChartError(msg.chartUrl(file, here));
      refuseUrls(value, file, here);
    }
  }
}

/** A Vega loader that performs no I/O: charts only ever see inline rows. */
const refusingLoader = (vega: typeof Vega) => ({
  ...vega.loader(),
  async load(uri: string) {
    throw new ChartError(msg.chartUrl('chart', uri));
  },
  async sanitize(uri: string) {
    throw new ChartError(msg.chartUrl('chart', uri));
  },
  async http(uri: string) {
    throw new ChartError(msg.chartUrl('chart', uri));
  },
  async file(uri: string) {
    throw new ChartError(msg.chartUrl('chart', uri));
  },
}) as unknown as Vega.Loader;

/**
 * Without a canvas, Vega guesses text widths as 0.8 em per character, which is
 * too narrow for CJK and makes labels overlap or get clipped. Measure with the
 * bundled font's advance widths instead (the same font the page embeds).
 */
function useFontMetrics(vega: typeof Vega, fonts: FontSet): void {
  type Item = { text?: unknown; fontSize?: number; fontWeight?: number | string; limit?: number };
  // vega re-exports vega-scenegraph's textMetrics at runtime; its typings omit it.
  const metrics = (vega as unknown as { textMetrics: { width: (item: Item, text?: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    const str = Array.isArray(value) ? value.join(' ') : value == null ? '' : String(value);
    const width = fonts.measure(str, item.fontSize ?? 11, item.fontWeight);
    // Vega asks for two things here. Laying out a label (its bounds, which size the chart) it asks for the
    // label as printed, which a label limit (axis labelLimit, mark limit) cuts to fit; cutting, it asks for
    // the widths of pieces of the label. Vega's own measurers cut the label themselves; this one answers
    // at most the limit for the whole label (so a 300-character name does not widen the chart by its
    // full length, and is still cut) and the true width for pieces.
    const limit = Number(item.limit) || 0;
    if (limit > 0 && width > limit && isWholeLabel(item.text, str)) return limit;
    return width;
  };
}

/** Whether `text` is the whole of a label (or one of its lines), not a piece of it. */
function isWholeLabel(label: unknown, text: string): boolean {
  const lines = Array.isArray(label) ? label : [label];
  return lines.some((line) => line != null && String(line).trim() === text.trim());
}
