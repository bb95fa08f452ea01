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
 * it is loaded, and the Vega loader given to every view refuses all I/O.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
// Vega and Vega-Lite load when specs are compiled, not when citybrief starts.
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import { ChartError, formatProblem, type Problem } from '../errors.js';
import { msg } from '../messages.js';
import type { FontSet } from '../fonts.js';
import { fieldName, locate, parseYaml, type Parsed } from './load.js';

/** The named dataset every spec reads: `"data": {"name": "table"}`. */
export const CHART_DATA = 'table';
const SPEC_SUFFIX = '.vl.json';
const THEME_FILE = 'theme.json';

export interface ChartSpecs {
  readonly dir: string;
  readonly names: ReadonlySet<string>;
  /** Vega-Lite's warnings while compiling (e.g. a sort it had to drop), by spec file. */
  readonly warnings: readonly string[];
  /**
   * Render a spec with these rows to an SVG string. Element ids inside the SVG
   * (clip paths) start with `idPrefix`, so several charts inline in one page
   * never share an id and the output does not depend on render order.
   */
  render(name: string, rows: readonly object[], idPrefix: string): Promise<string>;
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
 * the PDF) and measured with them.
 */
export async function loadChartSpecs(dir: string, fonts: FontSet): Promise<ChartSpecs> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  useFontMetrics(vega, fonts);
  const loader = refusingLoader(vega);
  const files = [...(await listChartSpecs(dir))].sort().map((name) => `${name}${SPEC_SUFFIX}`);
  const themePath = path.join(dir, THEME_FILE);
  const theme = await readJsonFile(themePath).then(
    (read) => read.value,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return {};
      throw e;
    },
  );
  refuseUrls(theme, THEME_FILE);

  // Every spec is read and checked before any is compiled: a broken file is reported with its place.
  const specs: { file: string; name: string; spec: VegaLite.TopLevelSpec }[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const { value, parsed } = await readJsonFile(full);
    refuseUrls(value, file);
    checkSpec(value, (fieldPath, message) => {
      throw new ChartError(formatProblem({ ...locate({ ...parsed, shown: full }, fieldPath), field: fieldName(fieldPath), message }));
    });
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
    render(name, rows, idPrefix) {
      const runtime = runtimes.get(name);
      if (!runtime) return Promise.reject(new ChartError(msg.unknownChartSpec(name, dir)));
      // One render at a time: the id counter below is process-wide.
      const next = queue.then(() => renderOne(runtime, rows, idPrefix));
      queue = next.catch(() => {});
      return next;
    },
  };

  async function renderOne(runtime: Vega.Runtime, rows: readonly object[], idPrefix: string): Promise<string> {
    // A fresh view per chart: a reused view keeps layout from its previous data (axis widths, padding),
    // so a chart would depend on the charts drawn before it. The parsed runtime is shared.
    // Vega numbers clip-path ids from a process-wide counter; restart it so a chart's SVG depends only on its inputs.
    (vega as unknown as { resetSVGDefIds: () => void }).resetSVGDefIds();
    const view = new vega.View(runtime, { renderer: 'none', loader });
    try {
      view.data(CHART_DATA, rows.map((row) => ({ ...row })));
      return scopeIds(await view.toSVG(), idPrefix);
    } finally {
      view.finalize();
    }
  }
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
 * Check the values Vega-Lite takes from a short list (mark types, field
 * types) in every view of a spec, before compiling: Vega-Lite's own errors
 * carry no position, and a misspelt field type reaches it as "undefined".
 * `fail` is called with the field path of the first wrong value.
 */
export function checkSpec(spec: unknown, fail: (fieldPath: PropertyKey[], message: string) => void, at: PropertyKey[] = []): void {
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
    for (const [channel, def] of Object.entries(encoding)) definition(def, [...at, 'encoding', channel]);
  }
  // Views inside views: layers, concatenations, and the inner spec of a facet or repeat.
  for (const key of ['layer', 'concat', 'hconcat', 'vconcat'] as const) {
    const views = spec[key];
    if (Array.isArray(views)) views.forEach((view, i) => checkSpec(view, fail, [...at, key, i]));
  }
  if (isObject(spec.spec)) checkSpec(spec.spec, fail, [...at, 'spec']);
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
