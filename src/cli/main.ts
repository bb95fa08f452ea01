#!/usr/bin/env node
/**
 * The citybrief command line: turns flags into build options, calls the
 * library, prints progress and errors, and sets the exit code. Nothing else.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CitybriefError, DataError } from '../errors.js';
import type { BuildOptions } from '../config.js';
import { progressReporter } from './progress.js';
import { version } from '../config.js';

const HELP = {
  main: `citybrief — printable city briefings from a dataset, Handlebars templates and Vega-Lite charts

Usage: citybrief <command> [options]

Commands:
  init       write a starter project into a new folder: citybrief init my-briefings
  build      build every document the project's templates declare (PDF and HTML)
  validate   check the dataset and report every problem at once
  watch      build, then rebuild what changed whenever data or templates change
  preview    show the documents in a browser, rebuilt and redrawn on every save
  schedule   run an incremental build on a cron schedule, e.g. --cron "0 6 * * 1"
  worker     print documents for builds on other machines, from a Redis queue

Every command works on the project in the current folder (the folder holding
citybrief.config.yaml), or the one --project names.

Run \`citybrief <command> --help\` for a command's options, \`citybrief --version\` for the version.
`,
  init: `Usage: citybrief init [DIR]

Writes a working starter project into DIR (default: the current folder), which
must be empty or not exist yet: citybrief.config.yaml, a small invented
dataset with its source text (data/), labels (labels/en.yaml), a logo
(assets/), and the default templates to make your own (templates/).

  citybrief init my-briefings && cd my-briefings && citybrief build

Exit codes: 0 written, 2 DIR is not empty (nothing is written).
`,
  build: `Usage: citybrief build [--project DIR] [--city IDS] [--kind KINDS] [--out DIR] [options]

Builds every kind of document the project's templates declare: with the
default theme, out/<city>/briefing.pdf (A4) and out/<city>/slides.pdf (16:9)
for each city, each with its .html, and out/overview.pdf with all cities side
by side; and out/manifest.json listing every output.

Options:
  --project DIR      the project folder (holding citybrief.config.yaml)
                     (default: the current folder)
  --data PATH        dataset.yaml or the folder holding it
                     (default: the project's \`data\`, else data/dataset.yaml)
  --templates DIR    templates: one *.hbs per kind, partials/, charts/, helpers.mjs
                     (default: the project's templates/, else the bundled theme)
  --out DIR          output folder                 (default: the project's \`out\`, else out)
  --city IDS         build only these cities, comma-separated (default: all)
  --kind KINDS       build only these kinds, comma-separated, e.g. briefing,slides
                     (default: the project's \`kinds\`, else every kind; a kind
                     made for all cities always covers every city)
  --force            rebuild every output, even those whose inputs did not change
  --strict           fail on any warning: a document whose pages break the page
                     budget or the layout checks (or lack glyphs) is not written,
                     and the build exits 1 (for scheduled builds that must not
                     publish a flawed page)
  --wait             if another build is writing the same out folder, wait for it
                     (default: stop at once with exit code 2, naming it)
  --allow-outside-files
                     read the source text or figures CSV dataset.yaml names even
                     outside the project and the dataset's folder
  --concurrency N    pages printing at once (default: CPUs, at most 4)
  --timeout S        seconds one document may take to print (default: 60)
  --chart-timeout S  seconds one chart may take to draw (default: 10)
  --max-chart-rows N rows one chart may draw (default: 10000)
  --json             print a machine-readable summary on stdout
  --chrome PATH      Chrome or Chromium to print with (also: CITYBRIEF_CHROME)
  --redis URL        print on the workers of this Redis server (citybrief worker)
                     instead of here: redis://[:PASSWORD@]HOST[:PORT][/DB], or
                     rediss:// for TLS; --concurrency is then the number of
                     documents on the queue at once (default: 8)
  -h, --help         show this help

Only outputs whose inputs changed are rebuilt (the manifest records each
output's inputs hash). Ctrl-C stops cleanly: finished documents are kept and
the next build continues from there.

Exit codes: 0 built, 1 some documents failed (the others were written),
2 invalid data, templates or usage, 130 stopped by a signal.
`,
  watch: `Usage: citybrief watch [build options]

Builds once, then watches the dataset folder and the templates folder and
rebuilds whenever a file changes. Each rebuild is incremental: only outputs
whose inputs changed are redone. Changes made during a build start one more
build after it. Stop with Ctrl-C.

Options:
  --poll             check files on a timer: for network shares, Docker bind
                     mounts and WSL, where changes are not reported
  and those of \`citybrief build\` (--project, --data, --templates, --out, --city,
  --kind, --force, --strict, --concurrency, --timeout, --chart-timeout, --max-chart-rows,
  --chrome).
`,
  preview: `Usage: citybrief preview [--port N] [--open] [build options]

Builds, then serves the documents to a browser on this machine and rebuilds
them whenever a file they depend on is saved: data, workbook, source text,
template, partial, stylesheet, chart spec, labels or image. The page lists
every document with its pages and warnings; a document opened there shows its
PDF exactly as it is written to the out folder, and is drawn again after each
save at the page the reader was on. Problems (file:line:column and message)
show over the last good view until the file is fixed. Stop with Ctrl-C.

Options:
  --port N           port to listen on (default: 4680, or the next free one;
                     0 picks any free port)
  --host ADDR        address to listen on (default: 127.0.0.1, this machine only)
  --open             open the page in the system's browser
  --poll             check files on a timer: for network shares, Docker bind
                     mounts and WSL, where changes are not reported
  --json             progress as JSON lines on stdout, one event a line (for editors)
  and those of \`citybrief build\` (--project, --data, --templates, --out, --city,
  --kind, --concurrency, --timeout, --chrome, ...)

Exit codes: 130 stopped by a signal, 2 usage (a busy port that was asked for).
`,
  schedule: `Usage: citybrief schedule --cron EXPR [--tz ZONE] [build options]

Stays running and starts an incremental build at every time the cron
expression names (five fields: minute hour day-of-month month day-of-week;
"0 6 * * 1" is Mondays at 06:00). A build never overlaps the previous one: a
time that comes while a build is still running is skipped and logged. Each
run's summary is logged with its time. Stop with Ctrl-C.

Options:
  --cron EXPR        when to build (required)
  --tz ZONE          time zone of the schedule, e.g. Asia/Taipei (default: the machine's)
  and those of \`citybrief build\` (--project, --data, --templates, --out, --city, --kind, ...)

Without a long-running process, system cron can run the same build:
  0 6 * * 1  cd /srv/briefings && npx citybrief build >> build.log 2>&1
`,
  worker: `Usage: citybrief worker --redis URL [--concurrency N] [--stalled S] [--timeout S]

Takes print jobs from the Redis queue that \`citybrief build --redis URL\` fills,
prints them in Chromium (JavaScript off, no request leaves the page) and returns
the PDFs; the build writes them. Run as many workers on as many machines as
you like, each with the same citybrief version as the build: a worker of
another version takes none of its jobs, and says so. A worker needs no project
and no shared folder: each job carries what it prints. Stop with Ctrl-C (the
documents under way are finished first).

Options:
  --redis URL        the Redis server: redis://[:PASSWORD@]HOST[:PORT][/DB], or
                     rediss:// for TLS (a private CA: NODE_EXTRA_CA_CERTS=ca.pem)
  --concurrency N    pages printing at once (default: CPUs, at most 4)
  --timeout S        the longest a document may print, whatever a build asks:
                     each build's own limit (its --timeout) applies up to this
                     (default: 600)
  --stalled S        seconds after which a job whose worker stopped answering
                     (killed, its machine gone) goes to another worker (default: 30)
  --json             one JSON line per event on stdout
  --chrome PATH      Chrome or Chromium to print with (also: CITYBRIEF_CHROME)
  -h, --help         show this help

Exit codes: 130 stopped by a signal, 2 usage, 1 no browser or no Redis.
`,
  validate: `Usage: citybrief validate [--project DIR] [--data PATH] [--templates DIR]

Checks the dataset against its schema, the source text, the project's labels
and images, and the templates' kinds and chart specs, and prints every
problem with file, line and field. Writes nothing.

Options:
  --project DIR      the project folder (default: the current folder)
  --data PATH        dataset.yaml or the folder holding it
  --templates DIR    templates folder (kinds and chart specs are checked in it)
  --allow-outside-files
                     read files dataset.yaml names outside the project too
  -h, --help         show this help

Exit codes: 0 valid, 2 problems found.
`,
} as const;

const common = {
  project: { type: 'string' },
  'allow-outside-files': { type: 'boolean' },
  data: { type: 'string' },
  templates: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** A terminal that can redraw a progress line (not CI, not piped). */
  readonly live?: boolean;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  live: Boolean(process.stderr.isTTY) && !process.env.CI,
};

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'init':
        return await initCommand(rest, io);
      case 'build':
        return await buildCommand(rest, io);
      case 'validate':
        return await validateCommand(rest, io);
      case 'worker':
        return await workerCommand(rest, io);
      case 'watch':
        return await watchCommand(rest, io);
      case 'schedule':
        return await scheduleCommand(rest, io);
      case 'preview':
        return await previewCommand(rest, io);
      case undefined:
        // No command is a usage error: help goes to stderr with exit code 2.
        io.err(HELP.main);
        return 2;
      case '-h':
      case '--help':
      case 'help':
        io.out(HELP.main);
        return 0;
      case '-v':
      case '--version':
      case 'version':
        io.out(`citybrief ${version}\n`);
        return 0;
      default:
        io.err(`citybrief: unknown command "${command}".\n\n${HELP.main}`);
        return 2;
    }
  } catch (error) {
    return report(error, io);
  }
}

/** The command's flags; or the exit code when there is nothing more to do (--help printed, or bad flags). */
function parse(args: readonly string[], options: ParseArgsConfig['options'], help: string, io: Io, positionals = false): Values | number {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: positionals, strict: true });
    const values = { ...parsed.values, _: parsed.positionals } as Values;
    if (values.help) {
      io.out(help);
      return 0;
    }
    for (const flag of PORTS) {
      const value = values[flag];
      if (value !== undefined && (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) > 65535)) {
        io.err(`citybrief: --${flag} takes a port number from 0 to 65535, not "${String(value)}".\n`);
        return 2;
      }
    }
    for (const [flag, value] of Object.entries(values)) {
      if (!(flag in NUMBERS) || value === undefined) continue;
      if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) {
        io.err(`citybrief: --${flag} takes ${NUMBERS[flag as keyof typeof NUMBERS]}, not "${String(value)}".\n`);
        return 2;
      }
    }
    return values;
  } catch (error) {
    io.err(`citybrief: ${(error as Error).message}\n\n${help}`);
    return 2;
  }
}

/** Flags that take a number, and how the number is described when it is not one. */
const NUMBERS = {
  concurrency: 'a whole number of pages of at least 1',
  stalled: 'a whole number of seconds of at least 1',
  timeout: 'a whole number of seconds of at least 1',
  'chart-timeout': 'a whole number of seconds of at least 1',
  'max-chart-rows': 'a whole number of rows of at least 1',
} as const;

/** Flags that take a port: 0 to 65535. */
const PORTS = ['port'] as const;

const buildFlags = {
  ...common,
  timeout: { type: 'string' },
  'chart-timeout': { type: 'string' },
  'max-chart-rows': { type: 'string' },
  out: { type: 'string' },
  city: { type: 'string', multiple: true },
  kind: { type: 'string', multiple: true },
  chrome: { type: 'string' },
  force: { type: 'boolean' },
  strict: { type: 'boolean' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  redis: { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = Record<string, string | string[] | boolean | undefined>;

/** A list flag given as a comma list, repeated, or both: --city a,b --city c. */
const list = (value: unknown) => (value as string[] | undefined)?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

/** Build options from the flags every building command shares. */
function buildOptions(values: Values): BuildOptions {
  return {
    project: values.project as string | undefined,
    data: values.data as string | undefined,
    templates: values.templates as string | undefined,
    out: values.out as string | undefined,
    cities: list(values.city),
    kinds: list(values.kind),
    chrome: values.chrome as string | undefined,
    force: values.force as boolean | undefined,
    strict: values.strict as boolean | undefined,
    wait: values.wait as boolean | undefined,
    allowOutside: values['allow-outside-files'] as boolean | undefined,
    concurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
    timeout: values.timeout === undefined ? undefined : Number(values.timeout) * 1000,
    chartTimeout: values['chart-timeout'] === undefined ? undefined : Number(values['chart-timeout']) * 1000,
    maxChartRows: values['max-chart-rows'] === undefined ? undefined : Number(values['max-chart-rows']),
    redis: values.redis as string | undefined,
  };
}

async function initCommand(args: readonly string[], io: Io): Promise<number> {
  const values = parse(args, { help: { type: 'boolean', short: 'h' } }, HELP.init, io, true);
  if (typeof values === 'number') return values;
  const [dir = '.', ...extra] = values._ as string[];
  if (extra.length > 0) {
    io.err(`citybrief: init takes one folder, not ${extra.length + 1}.\n\n${HELP.init}`);
    return 2;
  }
  const { init } = await import('../init.js');
  const result = await init(dir);
  const shown = path.relative(process.cwd(), result.dir) || '.';
  io.out(`Wrote a starter project to ${shown} (${result.files.length} files). Next:\n${shown === '.' ? '' : `  cd ${shown}\n`}  citybrief build\n`);
  return 0;
}

/** Run until SIGINT/SIGTERM, then `stop` and exit 130. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const handler = () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      void stop().then(() => resolve(130));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** One line per run for the long-running commands. */
function runLine(report: import('../runner.js').RunReport): string {
  const at = report.started.toISOString();
  if (report.error && !report.result) return `${at} failed: ${report.error.message}`;
  const line = `${at} ${describe(report.result!)}`;
  return report.error ? `${line}\n${report.error.message}` : line;
}

async function watchCommand(args: readonly string[], io: Io): Promise<number> {
  const values = parse(args, { ...buildFlags, poll: { type: 'boolean' } }, HELP.watch, io);
  if (typeof values === 'number') return values;
  const { watch } = await import('../watch.js');
  const watcher = watch(
    { ...buildOptions(values), poll: values.poll as boolean | undefined, onProgress: progressReporter(io.err, false).onProgress },
    (report) => io.out(`${runLine(report)}\n`),
    (file) => io.err(`  changed: ${file}\n`),
  );
  io.err('watching for changes (Ctrl-C to stop)\n');
  return untilSignal(() => watcher.close());
}

async function previewCommand(args: readonly string[], io: Io): Promise<number> {
  const flags = { ...buildFlags, port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' }, poll: { type: 'boolean' } } satisfies ParseArgsConfig['options'];
  const values = parse(args, flags, HELP.preview, io);
  if (typeof values === 'number') return values;
  const { preview, isLoopback } = await import('../preview.js');
  const { msg } = await import('../messages.js');
  const json = values.json === true;
  const host = values.host as string | undefined;
  const reporter = progressReporter(io.err, false);
  const server = await preview(
    { ...buildOptions(values), port: values.port === undefined ? undefined : Number(values.port), host, poll: values.poll as boolean | undefined },
    (event) => {
      if (json) return io.out(`${JSON.stringify(event)}\n`);
      switch (event.type) {
        case 'listening':
          if (event.portWanted !== undefined) io.err(`port ${event.portWanted} is in use; using ${event.port}\n`);
          return;
        case 'changed':
          return io.err(`  changed: ${event.file}\n`);
        case 'built':
          return io.err(`  built ${event.built.length === 0 ? 'nothing new' : event.built.join(', ')} in ${(event.elapsedMs / 1000).toFixed(1)} s\n`);
        case 'problems':
          return io.err(`${[...event.problems.map((p) => `  ${p.text}`), ...(event.error ? [`  ${event.error}`] : [])].join('\n')}\n`);
        default:
          if (event.type !== 'stage') reporter.onProgress(event);
      }
    },
  );
  if (host && !isLoopback(host)) io.err(`citybrief: warning: ${msg.exposedHost(host)}\n`);
  if (!json) io.out(`preview at ${server.url} (Ctrl-C to stop)\n`);
  if (values.open) openInBrowser(server.url, io);
  return untilSignal(() => server.close());
}

/** Open a URL in the system's browser; a failure is said, not fatal. */
function openInBrowser(url: string, io: Io): void {
  const [command, ...args] = process.platform === 'darwin' ? ['open', url] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""', url] : ['xdg-open', url];
  void import('node:child_process').then(({ spawn }) => {
    const child = spawn(command!, args, { stdio: 'ignore', detached: true });
    child.on('error', () => io.err(`citybrief: could not open a browser (${command} failed); open ${url} yourself.\n`));
    child.unref();
  });
}

async function scheduleCommand(args: readonly string[], io: Io): Promise<number> {
  const values = parse(args, { ...buildFlags, cron: { type: 'string' }, tz: { type: 'string' } }, HELP.schedule, io);
  if (typeof values === 'number') return values;
  if (!values.cron) {
    io.err(`citybrief: schedule needs --cron.\n\n${HELP.schedule}`);
    return 2;
  }
  const { schedule } = await import('../schedule.js');
  const plan = schedule(
    values.cron as string,
    { ...buildOptions(values), onProgress: progressReporter(io.err, false).onProgress },
    (report) => io.out(`${runLine(report)}\nnext run: ${plan.next()?.toISOString() ?? 'none'}\n`),
    (at) => io.out(`${at.toISOString()} skipped: the previous build is still running\n`),
    values.tz as string | undefined,
  );
  io.out(`scheduled "${values.cron}"; next run: ${plan.next()?.toISOString() ?? 'none'}\n`);
  return untilSignal(() => plan.close());
}

async function buildCommand(args: readonly string[], io: Io): Promise<number> {
  const values = parse(args, buildFlags, HELP.build, io);
  if (typeof values === 'number') return values;
  const { build, BuildAbortedError, BuildFailedError } = await import('../pipeline/build.js');
  const reporter = progressReporter(io.err, io.live ?? false);
  // The first SIGINT/SIGTERM stops the build cleanly; a second one exits at once.
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const options: BuildOptions = { ...buildOptions(values), signal: controller.signal, onProgress: reporter.onProgress };
  try {
    const result = await build(options);
    reporter.end();
    if (values.json) io.out(`${JSON.stringify(summary(result))}\n`);
    else io.out(`${describe(result)}\n`);
    return 0;
  } catch (error) {
    reporter.end();
    if ((error instanceof BuildFailedError || error instanceof BuildAbortedError) && values.json) io.out(`${JSON.stringify(summary(error.result))}\n`);
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

type Result = Awaited<ReturnType<typeof import('../pipeline/build.js').build>>;

function describe(result: Result): string {
  const counts = new Map<string, number>();
  for (const o of result.outputs) if (o.format === 'pdf') counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  const built = [...counts].map(([kind, n]) => (kind.endsWith('s') ? `${n} ${kind}` : count(n, kind, `${kind}s`))).join(', ') || 'nothing';
  const kept = result.unchanged > 0 ? `, ${result.unchanged} unchanged` : '';
  return `Built ${built}${kept} in ${(result.elapsedMs / 1000).toFixed(1)} s → ${result.outDir}`;
}

/** The machine-readable summary printed by --json. */
function summary(result: Result) {
  return {
    ok: result.failures.length === 0,
    outDir: result.outDir,
    built: result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path),
    unchanged: result.unchanged,
    failed: result.failures.map((f) => ({ path: f.path, city: f.city, error: f.error.message })),
    restarts: result.restarts,
    refused: result.refused,
    elapsedMs: Math.round(result.elapsedMs),
    timingsMs: Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)])),
    ...(result.workers ? { workers: result.workers } : {}),
  };
}

async function workerCommand(args: readonly string[], io: Io): Promise<number> {
  const values = parse(
    args,
    { help: { type: 'boolean', short: 'h' }, redis: { type: 'string' }, concurrency: { type: 'string' }, timeout: { type: 'string' }, stalled: { type: 'string' }, chrome: { type: 'string' }, json: { type: 'boolean' } },
    HELP.worker,
    io,
  );
  if (typeof values === 'number') return values;
  if (!values.redis) {
    io.err(`citybrief: worker needs --redis.\n\n${HELP.worker}`);
    return 2;
  }
  const { startWorker } = await import('../worker.js');
  const worker = await startWorker({
    redis: values.redis as string,
    concurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
    timeout: values.timeout === undefined ? undefined : Number(values.timeout) * 1000,
    stalled: values.stalled === undefined ? undefined : Number(values.stalled) * 1000,
    chrome: values.chrome as string | undefined,
    onEvent: (event) => {
      if (values.json) return io.out(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
      switch (event.type) {
        case 'ready':
          return io.out(`worker ready: ${event.pages} pages, queue ${event.queue} on ${event.redis}\n`);
        case 'printed':
          return io.out(`printed ${event.path} in ${event.ms} ms (${Math.round(event.bytes / 1024)} KB)\n`);
        case 'failed':
          return io.err(`failed ${event.path}: ${event.message}\n`);
        default:
          return io.err(`${event.message}\n`);
      }
    },
  });
  return untilSignal(() => worker.close());
}

async function validateCommand(args: readonly string[], io: Io): Promise<number> {
  const values = parse(args, common, HELP.validate, io);
  if (typeof values === 'number') return values;
  const { validateDataset } = await import('../pipeline/build.js');
  const valid = await validateDataset({
    project: values.project as string | undefined,
    data: values.data as string | undefined,
    templates: values.templates as string | undefined,
    allowOutside: values['allow-outside-files'] as boolean | undefined,
    onProgress: (event) => {
      if (event.type === 'warning') io.err(`  warning: ${event.message}\n`);
    },
  });
  const figures = valid.cities.reduce((n, c) => n + c.figures.length, 0);
  const source = path.relative(process.cwd(), valid.sourceFile) || valid.sourceFile;
  io.out(`Valid: ${count(valid.cities.length, 'city', 'cities')}, ${count(figures, 'figure', 'figures')}, every source quote found in ${source}.\n`);
  return 0;
}

/** "1 city", "3 cities": the CLI speaks English, with English plurals. */
function count(n: number, one: string, other: string): string {
  return `${n} ${new Intl.PluralRules('en').select(n) === 'one' ? one : other}`;
}

/** Print an error with its cause chain; return its exit code. */
function report(error: unknown, io: Io): number {
  if (error instanceof CitybriefError) {
    io.err(`citybrief: ${error.message}\n`);
    let cause = (error as { cause?: unknown }).cause;
    while (cause instanceof Error && !(error instanceof DataError)) {
      if (!error.message.includes(cause.message)) io.err(`  caused by: ${cause.message}\n`);
      cause = (cause as { cause?: unknown }).cause;
    }
    return error.exitCode;
  }
  io.err(`citybrief: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

// Run when executed directly (bin), not when imported by tests.
const invoked = process.argv[1] ?? '';
if (/[\\/]cli[\\/]main\.[jt]s$/.test(invoked) || /[\\/]citybrief$/.test(invoked)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
