/**
 * The thread that draws charts (stage 5). charts.ts lends one to one build at a
 * time and keeps it for the next build when the first is done (loading Vega
 * into a thread takes about a second).
 *
 * Vega computes and draws synchronously between its asynchronous steps: a
 * chart whose transforms or expressions run long would hold the build's own
 * thread, its timers and its signals. Here it holds only this thread, which
 * the build terminates when the chart's time is up or the build is stopped.
 *
 * Vega keeps two things for its whole module: its text measurer (set here to
 * the build's fonts) and the counter that numbers clip-path ids (restarted
 * before each chart). A thread has its own copy of both and serves one build
 * at a time, so builds that run at once in one process cannot see each
 * other's fonts.
 *
 * A build's specs arrive read and checked (`setup`); the thread compiles them
 * and answers `ready` with Vega-Lite's warnings, or `invalid` naming the
 * first spec that does not compile; then it draws one chart per `draw`, in
 * order.
 */
import { parentPort } from 'node:worker_threads';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { errorWords } from '../errors.js';
import { bundledFontsIn, type FontSet } from '../fonts.js';

/** What a build gives the thread to draw its charts with. */
export interface ThreadSetup {
  /** The build's font families, in order (FontSet.families). */
  readonly families: readonly string[];
  readonly theme: Record<string, unknown>;
  readonly specs: readonly { readonly file: string; readonly name: string; readonly spec: Record<string, unknown> }[];
  readonly dataName: string;
}

export type ThreadRequest =
  | { readonly type: 'setup'; readonly setup: ThreadSetup }
  | { readonly type: 'draw'; readonly name: string; readonly rows: readonly object[]; readonly idPrefix: string };

export type ThreadReply =
  | { readonly type: 'ready'; readonly warnings: readonly string[] }
  | { readonly type: 'invalid'; readonly file: string; readonly reason: string; readonly error: unknown }
  | { readonly type: 'drawn'; readonly svg: string }
  | { readonly type: 'failed'; readonly reason: string; readonly error: unknown };

const port = parentPort!;
const post = (reply: ThreadReply) => port.postMessage(reply);
const loader = refusingLoader();

/** The build the thread now draws for: its compiled specs. */
let current: { readonly runtimes: ReadonlyMap<string, vega.Runtime>; readonly dataName: string } | undefined;

// One request at a time, in the order asked: the id counter and the text measurer are the thread's.
let queue: Promise<unknown> = Promise.resolve();
port.on('message', (request: ThreadRequest) => {
  queue = queue.then(() => (request.type === 'setup' ? Promise.resolve(post(load(request.setup))) : draw(request)));
});

/**
 * Specs compiled for earlier builds, by file, configuration and spec: a build after a save of the
 * data (watch, preview) compiles only the specs that changed. A runtime is only read when drawing.
 */
const compiledBefore = new Map<string, { readonly runtime: vega.Runtime; readonly warnings: readonly string[] }>();
const KEPT_SPECS = 64;

/** Take a build's specs and fonts: compile every spec, or name the first that does not compile. */
function load(setup: ThreadSetup): ThreadReply {
  current = undefined;
  const fonts = bundledFontsIn(setup.families);
  useFontMetrics(fonts);
  const runtimes = new Map<string, vega.Runtime>();
  const warnings: string[] = [];
  for (const { file, name, spec } of setup.specs) {
    try {
      const config = { ...setup.theme, ...((spec.config as object | undefined) ?? {}), font: fonts.stack } as vl.Config;
      // Vega's own ARIA (a field dump per mark: "value: 80692; label: 專利申請量", axis summaries in
      // English) is off whatever the theme or a spec's config says: a chart is one image whose alt
      // text, in the document's language, is put on the SVG's root when the chart is inlined
      // (labelSvg in charts.ts). Set in the spec's own config too, since Vega-Lite merges a spec's
      // config over the one it is given.
      const quiet = { ...spec, config: { ...((spec.config as object | undefined) ?? {}), aria: false } };
      const key = JSON.stringify([file, config, quiet]);
      let made = compiledBefore.get(key);
      if (!made) {
        const said: string[] = [];
        made = { runtime: vega.parse(vl.compile(quiet as unknown as vl.TopLevelSpec, { config, logger: collectingLogger(file, said) }).spec), warnings: said };
        if (compiledBefore.size >= KEPT_SPECS) compiledBefore.delete(compiledBefore.keys().next().value!);
        compiledBefore.set(key, made);
      }
      warnings.push(...made.warnings);
      runtimes.set(name, made.runtime);
    } catch (error) {
      return { type: 'invalid', file, reason: errorWords(error), error: cloneable(error) };
    }
  }
  current = { runtimes, dataName: setup.dataName };
  return { type: 'ready', warnings };
}

async function draw(request: Extract<ThreadRequest, { type: 'draw' }>): Promise<void> {
  try {
    post({ type: 'drawn', svg: await svgOf(request) });
  } catch (error) {
    post({ type: 'failed', reason: errorWords(error), error: cloneable(error) });
  }
}

async function svgOf({ name, rows, idPrefix }: { name: string; rows: readonly object[]; idPrefix: string }): Promise<string> {
  const runtime = current?.runtimes.get(name);
  if (!current || !runtime) throw new Error(`no compiled spec named "${name}"`);
  // Vega catches the errors inside its dataflow, logs them (by default to the console) and draws on: keep them instead.
  const errors: unknown[] = [];
  const step = async <T>(work: Promise<T>): Promise<T> => {
    const value = await work;
    if (errors.length > 0) throw errors[0];
    return value;
  };
  // A fresh view per chart: a reused view keeps layout from its previous data (axis widths, padding),
  // so a chart would depend on the charts drawn before it. The parsed runtime is shared.
  // Vega numbers clip-path ids from a counter of its module; restart it so a chart's SVG depends only on its inputs.
  (vega as unknown as { resetSVGDefIds: () => void }).resetSVGDefIds();
  const view = new vega.View(runtime, { renderer: 'none', loader, logger: errorsTo(errors) });
  try {
    view.data(current.dataName, rows);
    await step(view.runAsync());
    return scopeIds(await step(view.toSVG()), idPrefix);
  } finally {
    view.finalize();
  }
}

/** An error as it can cross to the build's thread (Errors clone with their kind and message; other values as words). */
function cloneable(error: unknown): unknown {
  return error instanceof Error ? error : errorWords(error);
}

/** A Vega logger that keeps the errors and drops the rest (Vega's own prints errors to the console). */
function errorsTo(errors: unknown[]): vega.LoggerInterface {
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
  return logger as unknown as vega.LoggerInterface;
}

/** Vega-Lite logs to the console by default; keep its warnings with the specs instead. */
function collectingLogger(file: string, into: string[]) {
  const logger = {
    level: (() => logger) as unknown,
    error: (...args: unknown[]) => (into.push(`${file}: ${args.join(' ')}`), logger),
    warn: (...args: unknown[]) => (into.push(`${file}: ${args.join(' ')}`), logger),
    info: () => logger,
    debug: () => logger,
  };
  return logger as unknown as NonNullable<Parameters<typeof vl.compile>[1]>['logger'];
}

function scopeIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) => (ids.has(id) ? `${lead}${prefix}-${id}` : whole));
}

/** A Vega loader that performs no I/O: charts only ever see inline rows (specs naming a URL are refused before this). */
function refusingLoader(): vega.Loader {
  const refuse = async (uri: string) => {
    throw new Error(`${uri} loads data from a URL or file; chart data must be inline`);
  };
  return { ...vega.loader(), load: refuse, sanitize: refuse, http: refuse, file: refuse } as unknown as vega.Loader;
}

/**
 * Without a canvas, Vega guesses text widths as 0.8 em per character, which is
 * too narrow for CJK and makes labels overlap or get clipped. Measure with the
 * bundled font's advance widths instead (the same font the page embeds).
 */
function useFontMetrics(set: FontSet): void {
  type Item = { text?: unknown; fontSize?: number; fontWeight?: number | string; limit?: number };
  // vega re-exports vega-scenegraph's textMetrics at runtime; its typings omit it.
  const metrics = (vega as unknown as { textMetrics: { width: (item: Item, text?: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    const str = Array.isArray(value) ? value.join(' ') : value == null ? '' : String(value);
    const width = set.measure(str, item.fontSize ?? 11, item.fontWeight);
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
