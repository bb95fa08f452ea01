/**
 * Options from the CLI or an API caller, the environment and the defaults,
 * resolved once into a readonly object every stage receives. No stage reads
 * process.env or process.argv itself.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';
import { msg } from './messages.js';

export interface BuildOptions {
  /** dataset.yaml, or a folder holding one. Default: ./data/dataset.yaml */
  data?: string;
  /** Folder with briefing.hbs, partials/, charts/ and theme.css. Default: ./templates, else the bundled ones. */
  templates?: string;
  /** Output folder. Default: ./out */
  out?: string;
  /** Build only these city ids. Default: every city in the dataset. */
  cities?: readonly string[];
  /** What to build: briefing, slides, overview. Default: all three. */
  kinds?: readonly string[];
  /** A Chrome/Chromium executable. Default: $CITYBRIEF_CHROME, $PUPPETEER_EXECUTABLE_PATH, the bundled Chromium, then installed browsers. */
  chrome?: string;
  /** Working directory relative paths are resolved against. Default: process.cwd() */
  cwd?: string;
  /** Environment to read CITYBRIEF_CHROME and PUPPETEER_EXECUTABLE_PATH from. Default: process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Rebuild every output even when its inputs did not change. */
  force?: boolean;
  /** Pages printing at once. Default: the number of CPUs, at most 4. */
  concurrency?: number;
  /** Milliseconds one document may take to print before it fails alone. Default: 60000. */
  timeout?: number;
  /** Replace the browser after this many documents, to bound its memory. Default: 500. */
  recycleAfter?: number;
  /** Stops the build: no new work is started, the browser is closed, nothing half-written is left. */
  signal?: AbortSignal;
  /** Called with progress events; the CLI prints them. */
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { readonly type: 'stage'; readonly stage: string }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'plan'; readonly build: number; readonly unchanged: number }
  | { readonly type: 'browser'; readonly pid: number | undefined; readonly generation: number }
  | { readonly type: 'failed'; readonly path: string; readonly message: string }
  | { readonly type: 'output'; readonly kind: Kind; readonly city: string | null; readonly path: string; readonly done: number; readonly total: number };

export interface ResolvedConfig {
  readonly cwd: string;
  readonly dataFile: string;
  readonly dataDir: string;
  readonly templatesDir: string;
  readonly outDir: string;
  readonly cities: readonly string[] | undefined;
  readonly kinds: readonly Kind[];
  /** SOURCE_DATE_EPOCH: the date stamped into PDFs; none when unset, so rebuilds are byte-identical. */
  readonly epoch: number | undefined;
  /** citybrief's name and version, recorded as the PDFs' creator. */
  readonly creator: string;
  readonly version: string;
  readonly force: boolean;
  readonly concurrency: number | undefined;
  readonly timeoutMs: number;
  readonly recycleAfter: number;
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

export const KINDS = ['briefing', 'slides', 'overview'] as const;
export type Kind = (typeof KINDS)[number];

const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export function resolveConfig(options: BuildOptions = {}): ResolvedConfig {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;

  const kinds = options.kinds && options.kinds.length > 0 ? [...new Set(options.kinds)] : [...KINDS];
  for (const kind of kinds) if (!(KINDS as readonly string[]).includes(kind)) throw new UsageError(msg.unknownKind(kind, KINDS));
  const epochText = env.SOURCE_DATE_EPOCH;
  const epoch = epochText !== undefined && /^\d+$/.test(epochText) ? Number(epochText) : undefined;
  if (epochText !== undefined && epoch === undefined) throw new UsageError(msg.badEpoch(epochText));

  let dataFile = path.resolve(cwd, options.data ?? 'data/dataset.yaml');
  if (existsSync(dataFile) && statSync(dataFile).isDirectory()) dataFile = path.join(dataFile, 'dataset.yaml');

  const localTemplates = path.resolve(cwd, 'templates');
  const templatesDir = options.templates
    ? path.resolve(cwd, options.templates)
    : existsSync(path.join(localTemplates, 'briefing.hbs'))
      ? localTemplates
      : path.join(packageRoot, 'templates');

  const explicit: [string | undefined, string][] = [
    [options.chrome, 'the chrome option'],
    [env.CITYBRIEF_CHROME, 'CITYBRIEF_CHROME'],
    [env.PUPPETEER_EXECUTABLE_PATH, 'PUPPETEER_EXECUTABLE_PATH'],
  ];
  const [executablePath, executableFrom] = explicit.find(([value]) => value) ?? [undefined, undefined];

  return Object.freeze({
    cwd,
    dataFile,
    dataDir: path.dirname(dataFile),
    templatesDir,
    outDir: path.resolve(cwd, options.out ?? 'out'),
    cities: options.cities && options.cities.length > 0 ? Object.freeze([...options.cities]) : undefined,
    kinds: Object.freeze(KINDS.filter((k) => kinds.includes(k))),
    epoch,
    creator: `citybrief ${version}`,
    version,
    force: options.force ?? false,
    concurrency: positive(options.concurrency, 'concurrency'),
    timeoutMs: positive(options.timeout, 'timeout') ?? 60_000,
    recycleAfter: positive(options.recycleAfter, 'recycleAfter') ?? 500,
    signal: options.signal,
    browser: Object.freeze({ executablePath, executableFrom }),
    env: Object.freeze({ PROGRAMFILES: env.PROGRAMFILES, 'PROGRAMFILES(X86)': env['PROGRAMFILES(X86)'], LOCALAPPDATA: env.LOCALAPPDATA }),
    onProgress: options.onProgress ?? (() => {}),
  });
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(msg.notPositive(name, value));
  return value;
}
