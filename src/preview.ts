/**
 * `citybrief preview`: the project's documents in a browser, rebuilt and
 * shown again on every save.
 *
 *   save ─▶ watcher (watch.ts) ─▶ incremental build, the documents on screen first
 *        ─▶ out/ (as `build` writes it) ─▶ event to the page ─▶ the page loads the new PDF
 *
 * The page shows the PDF itself, drawn by pdf.js (served from the package, never a CDN), so what
 * the preview shows is what `build` writes, byte for byte. Problems (the data's, a template's, a
 * document's layout warnings) are sent to the page with their file, line and column and shown over
 * the last good view; the next good build clears them. The server listens on loopback only unless
 * told otherwise, answers only requests addressed to it by name (no DNS rebinding), and serves no
 * file but its page, pdf.js, and the PDFs the build listed.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { packageRoot, resolveConfig, type BuildOptions, type ProgressEvent } from './config.js';
import { DataError, formatProblem, InputError, problemPlace, shownField, UsageError, type Problem } from './errors.js';
import { msg } from './messages.js';
import { builder, BuildFailedError } from './pipeline/build.js';
import { readManifest, type ManifestEntry } from './pipeline/state.js';
import { serialRunner, type RunReport } from './runner.js';
import { watchProject, type WatchOptions } from './watch.js';

export interface PreviewOptions extends BuildOptions, WatchOptions {
  /** Port to listen on; 0 picks a free one. Default: 4680, or the next free one after it. */
  readonly port?: number;
  /** Address to listen on. Default: 127.0.0.1 (this machine only). */
  readonly host?: string;
}

/** What the CLI (or an editor, with --json) is told, besides the build's own progress. */
export type PreviewEvent =
  | { readonly type: 'listening'; readonly url: string; readonly port: number; readonly portWanted?: number }
  | { readonly type: 'changed'; readonly file: string }
  | { readonly type: 'built'; readonly built: readonly string[]; readonly unchanged: number; readonly elapsedMs: number }
  | { readonly type: 'problems'; readonly problems: readonly ShownProblem[]; readonly error?: string };

export interface Preview {
  readonly url: string;
  readonly port: number;
  /** Resolves once no build is running or waiting (the view is up to date with the files). */
  idle(): Promise<void>;
  /** Stop watching, close the browser, the server and every open page's connection. */
  close(): Promise<void>;
}

/** A problem as the page shows it: where, and what to do. */
export interface ShownProblem {
  readonly where: string;
  readonly field?: string;
  readonly message: string;
  /** The whole line, as the terminal prints it. */
  readonly text: string;
}

/** One output the page can show. */
interface Shown {
  readonly path: string;
  readonly city: string | null;
  readonly kind: string;
  readonly pages: number | null;
  /** Changes whenever the file does: the page loads the PDF again when it sees a new one. */
  readonly version: string;
  readonly warnings: readonly string[];
  /** Why the last build of it failed (the file on disk is the one before). */
  readonly failed?: string;
}

/** What every open page is sent, whole, on every change. */
interface ViewState {
  readonly building: boolean;
  readonly outputs: readonly Shown[];
  readonly problems: readonly ShownProblem[];
  /** An error that has no place in a file (a browser that does not start). */
  readonly error?: string;
  /** Warnings about no one output (a chart spec's). */
  readonly warnings: readonly string[];
}

export const DEFAULT_PORT = 4680;
/** How long the rest of a build waits for the open pages to draw their new documents. */
const DRAW_WAIT_MS = 1500;
/** How many ports after the default are tried when it is busy. */
const PORTS_TRIED = 20;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function preview(options: PreviewOptions = {}, onEvent: (event: PreviewEvent | ProgressEvent) => void = () => {}): Promise<Preview> {
  const config = resolveConfig(options);
  const outputs = new Map<string, Shown>();
  for (const entry of (await readManifest(config.outDir)).outputs) if (entry.format === 'pdf') outputs.set(entry.path, shown(entry));
  let problems: ShownProblem[] = [];
  let error: string | undefined;
  let general: string[] = [];
  let building = false;
  const state = (): ViewState => ({ building, outputs: order([...outputs.values()]), problems, error, warnings: general });

  // Pages listening for changes (server-sent events), and the outputs each shows.
  const pages = new Map<ServerResponse, string | undefined>();
  const send = () => {
    const data = `event: state\ndata: ${JSON.stringify(state())}\n\n`;
    for (const page of pages.keys()) page.write(data);
  };

  // Warnings of this build, by output; an output's warnings are its latest build's.
  let warnings = new Map<string, string[]>();
  const onProgress = (event: ProgressEvent) => {
    onEvent(event);
    if (event.type === 'warning') {
      if (event.path) warnings.set(event.path, [...(warnings.get(event.path) ?? []), event.message]);
      else general.push(event.message);
    } else if (event.type === 'output' && event.sha256) {
      outputs.set(event.path, { path: event.path, city: event.city, kind: event.kind, pages: event.pages ?? null, version: event.sha256.slice(0, 16), warnings: warnings.get(event.path) ?? [] });
      // Each document is shown as soon as it is written, before the rest of the build ends.
      send();
    }
  };

  // The version of each output a page last reported drawn, and who waits for the pages to draw.
  const drawn = new Map<string, string>();
  let onDrawn = () => {};
  const viewsDrawn = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, DRAW_WAIT_MS);
      function done() {
        clearTimeout(timer);
        onDrawn = () => {};
        resolve();
      }
      onDrawn = () => {
        const waiting = [...pages.values()].some((p) => p !== undefined && outputs.has(p) && drawn.get(p) !== outputs.get(p)!.version);
        if (!waiting) done();
      };
      onDrawn();
    });

  const builds = builder({ ...options, onProgress });
  builds.warm();
  const runner = serialRunner(
    options,
    (report) => {
      finished(report);
      building = false;
      send();
    },
    async (more) => {
      building = true;
      warnings = new Map();
      general = [];
      send();
      // The documents open in a page first, in a build of their own, so they are shown as soon as
      // they are printed; then everything else the change affects. A problem stops both.
      const open = [...new Set(pages.values())].map((p) => (p ? outputs.get(p) : undefined)).filter((o): o is Shown => o !== undefined);
      const cities = open.flatMap((o) => (o.city === null ? [] : [o.city])).filter((c) => !config.cities || config.cities.includes(c));
      const kinds = open.map((o) => o.kind).filter((k) => !config.kinds || config.kinds.includes(k));
      if (kinds.length > 0 && (cities.length > 0 || open.some((o) => o.city === null))) {
        await builds.build({ ...more, cities: cities.length > 0 ? cities : config.cities, kinds }).catch((error: unknown) => {
          // A city no longer in the data, or a document that failed: the whole build says so.
          if (!(error instanceof UsageError || error instanceof BuildFailedError)) throw error;
        });
        // The pages draw what changed before the rest is printed: on a small machine the two would
        // share its cores, and the reader waits for the view, not for the other documents.
        await viewsDrawn();
      }
      return builds.build(more);
    },
  );

  const finished = ({ result, error: failure }: RunReport) => {
    if (result) {
      // The manifest lists what out/ holds now; an output built again has this build's warnings.
      const before = new Map(outputs);
      outputs.clear();
      for (const entry of result.manifest.outputs) {
        if (entry.format !== 'pdf') continue;
        const fresh = result.outputs.some((o) => o.path === entry.path);
        outputs.set(entry.path, { ...shown(entry), warnings: fresh ? (warnings.get(entry.path) ?? []) : (before.get(entry.path)?.warnings ?? []) });
      }
      for (const f of result.failures) {
        const kept = outputs.get(f.path);
        if (kept) outputs.set(f.path, { ...kept, failed: f.error.message });
      }
      onEvent({ type: 'built', built: result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path), unchanged: result.unchanged, elapsedMs: Math.round(result.elapsedMs) });
    }
    const located = failure instanceof DataError || failure instanceof InputError ? failure.problems : [];
    problems = located.map(toShown);
    error = failure && located.length === 0 && !(failure instanceof BuildFailedError) ? failure.message : undefined;
    if (failure && !(failure instanceof BuildFailedError)) onEvent({ type: 'problems', problems, error });
  };

  const files = watchProject(config, options, (file) => {
    onEvent({ type: 'changed', file: path.relative(config.cwd, file) || file });
    runner.request(true);
  });

  const client = clientFiles();
  const server = createServer((request, response) => {
    void respond(request, response).catch((e: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(String((e as Error).message));
    });
  });
  let port = 0;
  // Listening on another address than loopback is the user's choice (--host): then any name is answered.
  const exposed = options.host !== undefined && !isLoopback(options.host);

  const respond = async (request: IncomingMessage, response: ServerResponse) => {
    // A page of another site that names this address through its own DNS name is not served.
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (exposed ? false : !isLoopback(host)) return plain(response, 403, 'This preview answers only to its own address.');
    const url = new URL(request.url ?? '/', 'http://preview.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(response, 405, 'Only GET.');
    if (url.pathname === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      // The page names the output it shows, so that output is printed first.
      pages.set(response, url.searchParams.get('path') ?? undefined);
      response.on('close', () => pages.delete(response));
      response.write(`retry: 500\nevent: state\ndata: ${JSON.stringify(state())}\n\n`);
      return;
    }
    if (url.pathname === '/drawn') {
      const [drawnPath, version] = [url.searchParams.get('path'), url.searchParams.get('v')];
      if (drawnPath && version) drawn.set(drawnPath, version);
      onDrawn();
      response.writeHead(204, SECURITY);
      return void response.end();
    }
    if (url.pathname === '/state') return send200(response, 'application/json; charset=utf-8', JSON.stringify(state()));
    if (url.pathname.startsWith('/out/')) {
      const wanted = decodeURIComponent(url.pathname.slice('/out/'.length));
      // Only the PDFs the build listed: no other file of the out folder, and nothing outside it.
      if (!outputs.has(wanted)) return plain(response, 404, `${wanted} is not an output of this project.`);
      const file = path.join(config.outDir, ...wanted.split('/'));
      const info = await stat(file).catch(() => undefined);
      if (!info) return plain(response, 404, `${wanted} has not been built yet.`);
      response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': info.size, 'cache-control': 'no-store', ...SECURITY });
      if (request.method === 'HEAD') return void response.end();
      createReadStream(file).pipe(response);
      return;
    }
    const file = client(url.pathname);
    if (!file) return plain(response, 404, 'Not found.');
    return send200(response, file.type, await readFile(file.path), 'public, max-age=3600');
  };

  try {
    port = await listen(server, options.host ?? '127.0.0.1', options.port, onEvent);
  } catch (error) {
    await Promise.all([files.close(), builds.close()]);
    throw error;
  }
  const url = address(options.host ?? '127.0.0.1', port);
  await files.ready;
  runner.request(true);

  return {
    url,
    port,
    idle: () => runner.idle(),
    async close() {
      await files.close();
      await runner.stop();
      await builds.close();
      for (const page of pages.keys()) page.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Listen on `port`, or on the first free one from the default; a busy port that was asked for is a usage error. */
async function listen(server: Server, host: string, wanted: number | undefined, onEvent: (event: PreviewEvent) => void): Promise<number> {
  const attempt = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const failed = (e: Error) => {
        server.off('listening', done);
        reject(e);
      };
      const done = () => {
        server.off('error', failed);
        resolve((server.address() as AddressInfo).port);
      };
      server.once('error', failed);
      server.once('listening', done);
      server.listen(port, host);
    });
  const busy = (e: unknown) => (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
  if (wanted !== undefined) {
    const port = await attempt(wanted).catch((e: unknown) => {
      throw busy(e) ? new UsageError(msg.portBusy(wanted)) : new UsageError(msg.cannotListen(host, wanted, (e as Error).message));
    });
    onEvent({ type: 'listening', url: address(host, port), port });
    return port;
  }
  for (let port = DEFAULT_PORT; port < DEFAULT_PORT + PORTS_TRIED; port++) {
    try {
      const got = await attempt(port);
      onEvent({ type: 'listening', url: address(host, got), port: got, ...(got !== DEFAULT_PORT ? { portWanted: DEFAULT_PORT } : {}) });
      return got;
    } catch (e) {
      if (!busy(e)) throw new UsageError(msg.cannotListen(host, port, (e as Error).message));
    }
  }
  throw new UsageError(msg.portsBusy(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED - 1));
}

const address = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;

/** Whether an address to listen on is this machine only. */
export const isLoopback = (host: string) => LOOPBACK.has(host) || host.startsWith('127.');

/** The page, and the parts of pdf.js it loads: nothing else is served from the package. */
function clientFiles(): (pathname: string) => { path: string; type: string } | undefined {
  const pdfjs = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  const page = path.join(packageRoot, 'preview');
  // The page's own words (a problem quotes the data) in the bundled Chinese faces, for browsers without them.
  const fontsource = (name: string) => path.dirname(createRequire(import.meta.url).resolve(`@fontsource/${name}/package.json`));
  const roots: [string, string][] = [
    ['/pdfjs/build/', path.join(pdfjs, 'build')],
    ['/pdfjs/web/', path.join(pdfjs, 'web')],
    ['/pdfjs/cmaps/', path.join(pdfjs, 'cmaps')],
    ['/pdfjs/standard_fonts/', path.join(pdfjs, 'standard_fonts')],
    ['/pdfjs/wasm/', path.join(pdfjs, 'wasm')],
    ['/fonts/noto-sans-tc/', fontsource('noto-sans-tc')],
    ['/fonts/noto-sans-sc/', fontsource('noto-sans-sc')],
    ['/', page],
  ];
  return (pathname) => {
    const wanted = pathname === '/' ? '/index.html' : decodeURIComponent(pathname);
    for (const [prefix, dir] of roots) {
      if (!wanted.startsWith(prefix)) continue;
      const file = path.resolve(dir, `.${wanted.slice(prefix.length - 1)}`);
      if (path.relative(dir, file).startsWith('..') || path.isAbsolute(path.relative(dir, file))) return undefined;
      const type = TYPES[path.extname(file)];
      return type ? { path: file, type } : undefined;
    }
    return undefined;
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.bcmap': 'application/octet-stream',
  '.pfb': 'application/octet-stream',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

/** The page loads nothing from anywhere but this server. */
const SECURITY = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

function send200(response: ServerResponse, type: string, body: string | Buffer, cache = 'no-store') {
  response.writeHead(200, { 'content-type': type, 'cache-control': cache, ...SECURITY });
  response.end(body);
}

function plain(response: ServerResponse, status: number, text: string) {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY });
  response.end(`${text}\n`);
}

const shown = (entry: ManifestEntry): Shown => ({ path: entry.path, city: entry.city, kind: entry.kind, pages: entry.pages, version: entry.sha256.slice(0, 16), warnings: [] });

/** Cities in the dataset's order as the manifest lists them; documents about all cities last. */
const order = (list: Shown[]) => list.sort((a, b) => Number(a.city === null) - Number(b.city === null));

function toShown(p: Problem): ShownProblem {
  const field = shownField(p);
  return { where: problemPlace(p), ...(field ? { field } : {}), message: p.message, text: formatProblem(p) };
}
