/**
 * `citybrief worker`: prints the documents builds put on the Redis queue (queue.ts), on any
 * machine that reaches the Redis server, with the same printer a local build uses (print.ts:
 * JavaScript off, every request but the job's own fonts and images refused). It returns each
 * PDF and its page layout; the build finishes and writes the files. A worker reads and writes
 * no file of a project: a job carries all it prints.
 *
 * A job held by a worker that stops answering (killed, its machine gone) is given to another
 * after `stalledMs` (BullMQ's stalled-job check); a job that fails is tried once more, then
 * fails with its reason, which the build reports for that document alone.
 */
import { tmpdir } from 'node:os';
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import { resolveConfig } from './config.js';
import { bundledFonts, fontPackagesDigest, type FontFace } from './fonts.js';
import { msg } from './messages.js';
import type { Asset } from './assets.js';
import { sha256 } from './pipeline/load.js';
import { openPrinter } from './pipeline/print.js';
import {
  announce,
  blobKey,
  checkRedisUrl,
  connect,
  peerName,
  peers,
  PREFIX,
  queueName,
  RESULT_TTL_S,
  resultKey,
  shownUrl,
  whoAmI,
  within,
  ANNOUNCE_MS,
  type Peer,
  type PrintJob,
  type PrintReturn,
} from './queue.js';
import { version } from './config.js';

export interface WorkerOptions {
  /** redis:// or rediss:// URL, with a password when the server asks for one. */
  redis: string;
  /** Pages printing at once on this worker. Default: the number of CPUs, at most 4. */
  concurrency?: number;
  /**
   * The longest a document may print, whatever a build asks: each job carries its build's limit
   * (--timeout, the project's `timeout`), and this caps it. Default: 600000 (ten minutes).
   */
  timeout?: number;
  /** Milliseconds after which a job whose worker stopped answering is given to another. Default: 30000. */
  stalled?: number;
  /** A Chrome/Chromium executable, as for a build. */
  chrome?: string;
  env?: Readonly<Record<string, string | undefined>>;
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { readonly type: 'ready'; readonly queue: string; readonly redis: string; readonly pages: number }
  | { readonly type: 'printed'; readonly path: string; readonly job: string; readonly ms: number; readonly bytes: number }
  | { readonly type: 'failed'; readonly path: string; readonly job: string; readonly message: string }
  | { readonly type: 'refusing'; readonly message: string }
  | { readonly type: 'error'; readonly message: string };

export interface PrintWorker extends AsyncDisposable {
  /** Documents printed so far. */
  readonly printed: number;
  /** Stop taking jobs, finish the ones under way, close the browser. */
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<PrintWorker> {
  const url = checkRedisUrl(options.redis);
  const onEvent = options.onEvent ?? (() => {});
  // A worker belongs to no project: resolved away from wherever it was started (a project file there is not its own).
  const cap = options.timeout ?? 600_000;
  const config = resolveConfig({ cwd: tmpdir(), chrome: options.chrome, concurrency: options.concurrency, timeout: cap, env: options.env });
  const stalled = options.stalled ?? 30_000;
  const fonts = fontPackagesDigest();
  const facesByFile = new Map<string, FontFace>(bundledFonts().faces.map((f) => [f.file, f]));

  const printer = await openPrinter(config);
  await printer.warm().catch(async (error: unknown) => {
    await printer.close();
    throw error;
  });
  const redis = connect(url);
  const images = imageCache(redis);
  let printed = 0;

  const processor = async (job: Job<PrintJob, PrintReturn>): Promise<PrintReturn> => {
    const data = job.data;
    if (!isPrintJob(data)) throw new UnrecoverableError(msg.workerBadJob(job.id ?? '?'));
    // Same queue, same version; but the fonts are only the same when every machine installed the same packages.
    if (data.version !== version || data.fonts !== fonts) throw new UnrecoverableError(msg.workerMismatch(whoAmI(), version, fonts, data.version, data.fonts));
    const faces = data.faces.map((file) => facesByFile.get(file));
    if (faces.some((f) => f === undefined)) throw new UnrecoverableError(msg.workerBadJob(job.id ?? '?'));
    const started = performance.now();
    const assets = await Promise.all(data.assets.map((a) => images.get(a)));
    const refusedBefore = printer.refused.length;
    const timeoutMs = Math.min(data.timeoutMs, cap);
    const result = await images.using(assets, () => printer.print({ path: data.path, html: data.html, fonts: faces as FontFace[], assets, timeoutMs }));
    const pdf = Buffer.from(result.pdf);
    await redis.set(resultKey(job.id!), pdf, 'EX', RESULT_TTL_S);
    printed++;
    onEvent({ type: 'printed', path: data.path, job: job.id!, ms: Math.round(performance.now() - started), bytes: pdf.length });
    return { sha256: sha256(pdf), bytes: pdf.length, layout: result.layout, refused: printer.refused.slice(refusedBefore), worker: whoAmI() };
  };

  // BullMQ leaves a connection it was handed open when it closes: closed below.
  const workerRedis = connect(url);
  const worker = new Worker<PrintJob, PrintReturn>(queueName(version), processor, {
    connection: workerRedis,
    prefix: PREFIX,
    concurrency: printer.size,
    lockDuration: stalled,
    stalledInterval: Math.max(1000, Math.round(stalled / 2)),
    // A job whose worker was killed twice (it may be what kills them) fails rather than kill a third.
    maxStalledCount: 2,
    name: whoAmI(),
  });
  worker.on('failed', (job, error) => {
    if (job) onEvent({ type: 'failed', path: (job.data as Partial<PrintJob>).path ?? '?', job: job.id ?? '?', message: error.message });
  });
  // While Redis is away every reconnection fails alike: each message is said once a minute at most.
  const said = new Map<string, number>();
  worker.on('error', (error) => {
    const message = msg.workerRedis(shownUrl(url), error.message);
    if (Date.now() - (said.get(message) ?? -Infinity) < 60_000) return;
    said.set(message, Date.now());
    onEvent({ type: 'error', message });
  });
  await worker.waitUntilReady();

  const withdraw = announce(redis, 'worker', version);
  // Builds of another version put their jobs where this worker does not look: say so, once per build.
  const told = new Set<string>();
  const watch = setInterval(() => {
    void peers(redis)
      .then((list) => {
        for (const peer of list.filter((p: Peer) => p.role === 'build' && p.version !== version)) {
          const key = `${peer.host}:${peer.pid}`;
          if (told.has(key)) continue;
          told.add(key);
          onEvent({ type: 'refusing', message: msg.workerRefuses(peerName(peer), version) });
        }
      })
      .catch(() => {});
  }, ANNOUNCE_MS);
  watch.unref();
  onEvent({ type: 'ready', queue: queueName(version), redis: shownUrl(url), pages: printer.size });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(watch);
      // The documents under way are finished (and returned, if Redis is there to take them).
      await within(stalled, worker.close());
      await within(2000, withdraw());
      await within(1000, worker.disconnect());
      await printer.close();
      redis.disconnect();
      workerRedis.disconnect();
    })());
  return {
    get printed() {
      return printed;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A job as a build makes it (queue.ts PrintJob); anything else (another program's job on the queue) is refused. */
const printJob = z.object({
  version: z.string(),
  fonts: z.string(),
  // A path below the out folder: the page's address, never a way out of it.
  path: z
    .string()
    .regex(/^[\w.@-][\w./@-]*$/)
    .refine((p) => !p.split('/').includes('..')),
  html: z.string(),
  timeoutMs: z.number().int().positive(),
  faces: z.array(z.string()),
  assets: z.array(z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), contentType: z.string() })),
});

const isPrintJob = (data: unknown): data is PrintJob => printJob.safeParse(data).success;

/**
 * The images jobs show, fetched once by hash and kept while they fit (a project's logo is in all
 * of its documents). The printer serves images by name: two documents printing at once whose
 * images share a name but not the bytes (two projects' logo.svg) take turns.
 */
function imageCache(redis: ReturnType<typeof connect>) {
  const kept = new Map<string, Asset>();
  let keptBytes = 0;
  const LIMIT = 64 * 1024 * 1024;
  const claims = new Map<string, { sha256: string; users: number; free: Promise<void>; release: () => void }>();
  return {
    async get(wanted: PrintJob['assets'][number]): Promise<Asset> {
      const hit = kept.get(wanted.sha256);
      if (hit) return { ...hit, name: wanted.name };
      const bytes = await redis.getBuffer(blobKey(wanted.sha256));
      if (!bytes || sha256(bytes) !== wanted.sha256) throw new Error(msg.workerNoImage(wanted.name));
      const asset = { name: wanted.name, bytes, sha256: wanted.sha256, contentType: wanted.contentType };
      if (bytes.length < LIMIT) {
        while (keptBytes + bytes.length > LIMIT && kept.size > 0) {
          const [oldest, old] = kept.entries().next().value!;
          kept.delete(oldest);
          keptBytes -= old.bytes.length;
        }
        kept.set(wanted.sha256, asset);
        keptBytes += bytes.length;
      }
      return asset;
    },
    async using<T>(assets: readonly Asset[], work: () => Promise<T>): Promise<T> {
      for (;;) {
        const clash = assets.map((a) => claims.get(a.name)).find((c, i) => c !== undefined && c.sha256 !== assets[i]!.sha256);
        if (!clash) break;
        await clash.free;
      }
      for (const a of assets) {
        let claim = claims.get(a.name);
        if (!claim) {
          let release!: () => void;
          const free = new Promise<void>((resolve) => (release = resolve));
          claim = { sha256: a.sha256, users: 0, free, release };
          claims.set(a.name, claim);
        }
        claim.users++;
      }
      try {
        return await work();
      } finally {
        for (const a of assets) {
          const claim = claims.get(a.name)!;
          if (--claim.users === 0) {
            claims.delete(a.name);
            claim.release();
          }
        }
      }
    },
  };
}
