/**
 * Options from the CLI or an API caller, the project's citybrief.config.yaml,
 * the environment and the defaults, resolved once into a readonly object every
 * stage receives. No stage reads process.env or process.argv itself.
 *
 * Precedence: an option (a flag) over the project file over the default.
 * Options' paths are relative to `cwd`; the project file's and the defaults'
 * to the project folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';
import { msg } from './messages.js';
import { readProjectFile, PROJECT_FILE } from './project.js';
import { checkRedisUrl } from './redis-url.js';

export interface BuildOptions {
  /** The project folder (holding citybrief.config.yaml). Default: `cwd`. */
  project?: string;
  /** dataset.yaml, or a folder holding one. Default: the project file's `data`, else data/dataset.yaml in the project. */
  data?: string;
  /** Templates folder: the document kinds (*.hbs), partials/, charts/, stylesheets, helpers.mjs. Default: the project's templates/, else the bundled theme. */
  templates?: string;
  /** Output folder. Default: the project file's `out`, else out/ in the project. */
  out?: string;
  /** Build only these city ids. Default: every city in the dataset. */
  cities?: readonly string[];
  /** What to build: kinds of the templates (the bundled theme has briefing, slides, overview). Default: the project file's `kinds`, else every kind. */
  kinds?: readonly string[];
  /** A Chrome/Chromium executable. Default: $CITYBRIEF_CHROME, $PUPPETEER_EXECUTABLE_PATH, the bundled Chromium, then installed browsers. */
  chrome?: string;
  /** Working directory relative paths are resolved against. Default: process.cwd() */
  cwd?: string;
  /** Environment to read CITYBRIEF_CHROME and PUPPETEER_EXECUTABLE_PATH from. Default: process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Rebuild every output even when its inputs did not change. */
  force?: boolean;
  /** Treat every warning as a failure: a document with a layout warning (or missing glyphs) is not written, and the build fails. */
  strict?: boolean;
  /** Read files dataset.yaml names (source text, figures CSV) even outside the project and the dataset's folder. */
  allowOutside?: boolean;
  /** When another build is writing the same out folder, wait for it instead of failing at once. */
  wait?: boolean;
  /** Pages printing at once. Default: the number of CPUs, at most 4. */
  concurrency?: number;
  /** Milliseconds one document may take to print before it fails alone. Default: 60000. */
  timeout?: number;
  /** Milliseconds one chart may take to draw. Default: 10000. */
  chartTimeout?: number;
  /** Rows one chart may draw. Default: 10000. */
  maxChartRows?: number;
  /** Replace the browser after this many documents, to bound its memory. Default: 500. */
  recycleAfter?: number;
  /**
   * Print on the workers of a Redis queue (`citybrief worker`) rather than in this process:
   * redis://[user:password@]host[:port][/db], or rediss:// for TLS. `concurrency` is then the number
   * of documents on the queue at once (default 8; raise it with the number of workers).
   */
  redis?: string;
  /** Stops the build: no new work is started, the browser is closed, nothing half-written is left. */
  signal?: AbortSignal;
  /** Called with progress events; the CLI prints them. */
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { readonly type: 'stage'; readonly stage: string }
  | { readonly type: 'warning'; readonly message: string; /** The output it concerns, when one. */ readonly path?: string }
  | { readonly type: 'waiting'; readonly holder: string }
  | { readonly type: 'plan'; readonly build: number; readonly unchanged: number }
  | { readonly type: 'browser'; readonly pid: number | undefined; readonly generation: number }
  | { readonly type: 'failed'; readonly path: string; readonly message: string }
  /** The queue's state, for a build printing on workers: none of its version connected, or back. */
  | { readonly type: 'queue'; readonly message: string }
  | {
      readonly type: 'output';
      readonly kind: string;
      readonly city: string | null;
      readonly path: string;
      readonly done: number;
      readonly total: number;
      /** The PDF's page count and hash, as the manifest lists them. */
      readonly pages?: number | null;
      readonly sha256?: string;
      /** The worker that printed it, for a build printing on workers (host:pid). */
      readonly worker?: string;
    };

export interface ResolvedConfig {
  readonly cwd: string;
  /** The project folder: where its file is, and what its paths are relative to. */
  readonly projectDir: string;
  /** citybrief.config.yaml, when the project has one. */
  readonly projectFile: string | undefined;
  readonly dataFile: string;
  readonly dataDir: string;
  readonly templatesDir: string;
  /** labels/<lang>.yaml: the project's words. */
  readonly labelsDir: string;
  /** Images documents may show, named relative to this folder. */
  readonly assetsDir: string;
  /** The project's logo, an image in the assets folder (the default theme prints it). */
  readonly logo: string | undefined;
  readonly outDir: string;
  readonly cities: readonly string[] | undefined;
  /** Kinds asked for; undefined: every kind the templates declare. Checked against the templates by the build. */
  readonly kinds: readonly string[] | undefined;
  /** SOURCE_DATE_EPOCH: the date stamped into PDFs; none when unset, so rebuilds are byte-identical. */
  readonly epoch: number | undefined;
  /** citybrief's name and version, recorded as the PDFs' creator. */
  readonly creator: string;
  readonly version: string;
  readonly force: boolean;
  readonly strict: boolean;
  readonly wait: boolean;
  readonly allowOutside: boolean;
  /** Pages printing at once; with `redis`, documents on the queue at once. */
  readonly concurrency: number;
  /** The Redis URL of the printing workers' queue; undefined: print in this process. */
  readonly redis: string | undefined;
  readonly timeoutMs: number;
  readonly recycleAfter: number;
  /** Bounds on the work one chart may ask for. */
  readonly charts: { readonly timeoutMs: number; readonly maxRows: number };
  readonly signal: AbortSignal | undefined;
  readonly browser: {
    /** Explicit executable, from options or the environment, tried first. */
    readonly executablePath: string | undefined;
    /** Where the explicit path came from, for error messages. */
    readonly executableFrom: string | undefined;
  };
  /** The environment variables stages may consult (browser search paths on Windows). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly onProgress: (event: ProgressEvent) => void;
}


/** The package's own folder: templates and fonts ship with it. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export function resolveConfig(options: BuildOptions = {}): ResolvedConfig {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const projectDir = path.resolve(cwd, options.project ?? '.');
  if (options.project !== undefined && !isDirectory(projectDir)) throw new UsageError(msg.noProject(options.project));
  const projectFile = path.join(projectDir, PROJECT_FILE);
  const project = existsSync(projectFile) ? readProjectFile(projectFile, cwd) : undefined;
  // An option's path is the user's, from where they stand; the project file's, from the project.
  const from = (option: string | undefined, setting: string | undefined, fallback: string) =>
    option !== undefined ? path.resolve(cwd, option) : path.resolve(projectDir, setting ?? fallback);

  const kinds = options.kinds && options.kinds.length > 0 ? [...new Set(options.kinds)] : project?.kinds ? [...project.kinds] : undefined;
  const epochText = env.SOURCE_DATE_EPOCH;
  const epoch = epochText !== undefined && /^\d+$/.test(epochText) ? Number(epochText) : undefined;
  if (epochText !== undefined && epoch === undefined) throw new UsageError(msg.badEpoch(epochText));

  let dataFile = from(options.data, project?.data, 'data/dataset.yaml');
  if (isDirectory(dataFile)) dataFile = path.join(dataFile, 'dataset.yaml');

  // A project without templates of its own (no *.hbs in its templates folder) is printed with the bundled theme.
  const projectTemplates = from(undefined, project?.templates, 'templates');
  const templatesDir =
    options.templates !== undefined ? path.resolve(cwd, options.templates) : project?.templates !== undefined || hasTemplates(projectTemplates) ? projectTemplates : bundledTheme;

  // An out folder that cannot be one (a file stands there, or in its path) is a usage error now, before any work.
  const outDir = from(options.out, project?.out, 'out');
  let outInfo;
  try {
    outInfo = statSync(outDir, { throwIfNoEntry: false });
  } catch (error) {
    throw new UsageError(msg.outNotFolder(path.relative(cwd, outDir) || outDir, (error as NodeJS.ErrnoException).code ?? 'unusable'));
  }
  if (outInfo && !outInfo.isDirectory()) throw new UsageError(msg.outNotFolder(path.relative(cwd, outDir) || outDir, 'a file'));

  const explicit: [string | undefined, string][] = [
    [options.chrome, 'the chrome option'],
    [env.CITYBRIEF_CHROME, 'CITYBRIEF_CHROME'],
    [env.PUPPETEER_EXECUTABLE_PATH, 'PUPPETEER_EXECUTABLE_PATH'],
  ];
  const [executablePath, executableFrom] = explicit.find(([value]) => value) ?? [undefined, undefined];

  return Object.freeze({
    cwd,
    projectDir,
    projectFile: project ? projectFile : undefined,
    dataFile,
    dataDir: path.dirname(dataFile),
    templatesDir,
    labelsDir: from(undefined, project?.labels, 'labels'),
    assetsDir: from(undefined, project?.assets, 'assets'),
    logo: project?.logo,
    outDir,
    cities: options.cities && options.cities.length > 0 ? Object.freeze([...new Set(options.cities)]) : undefined,
    kinds: kinds ? Object.freeze(kinds) : undefined,
    epoch,
    creator: `citybrief ${version}`,
    version,
    force: options.force ?? false,
    strict: options.strict ?? false,
    wait: options.wait ?? false,
    allowOutside: options.allowOutside ?? false,
    // Pages printing at once: one per core (Chromium's renderers and the build share them), at most four.
    // On workers, enough documents on the queue to keep a few machines' pages busy while the next are rendered.
    concurrency: positive(options.concurrency, 'concurrency') ?? (options.redis ? 8 : Math.max(1, Math.min(availableParallelism(), 4))),
    redis: options.redis === undefined ? undefined : checkRedisUrl(options.redis),
    timeoutMs: positive(options.timeout, 'timeout') ?? seconds(project?.timeout) ?? 60_000,
    recycleAfter: positive(options.recycleAfter, 'recycleAfter') ?? 500,
    charts: Object.freeze({
      timeoutMs: positive(options.chartTimeout, 'chartTimeout') ?? seconds(project?.chartTimeout) ?? 10_000,
      maxRows: positive(options.maxChartRows, 'maxChartRows') ?? project?.maxChartRows ?? 10_000,
    }),
    signal: options.signal,
    browser: Object.freeze({ executablePath, executableFrom }),
    env: Object.freeze({ PROGRAMFILES: env.PROGRAMFILES, 'PROGRAMFILES(X86)': env['PROGRAMFILES(X86)'], LOCALAPPDATA: env.LOCALAPPDATA }),
    onProgress: options.onProgress ?? (() => {}),
  });
}

/** The theme that ships with citybrief: briefing, slides and overview. */
export const bundledTheme = path.join(packageRoot, 'templates');

function isDirectory(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** A folder holding at least one document template (*.hbs at its top). */
function hasTemplates(dir: string): boolean {
  return isDirectory(dir) && readdirSync(dir).some((f) => f.endsWith('.hbs'));
}

/** A project file's seconds in milliseconds. */
const seconds = (value: number | undefined) => (value === undefined ? undefined : value * 1000);

/** A limit given as an option: a whole number of at least 1, or a usage error naming it. */
export function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(msg.notPositive(name, value));
  return value;
}
