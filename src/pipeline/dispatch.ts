/**
 * Stage 7 on other machines: a Printer (print.ts's interface) that hands each document to the
 * printing workers through a BullMQ queue on Redis (queue.ts) and waits for its PDF. The build
 * (build.ts) is the same either way: it plans, renders, finishes and writes; only who prints
 * changes. A local build never loads this file.
 *
 * Each document is one job whose id is the hash of what it prints, so:
 *   - a build that was stopped or killed and started again asks for the same jobs; those
 *     already printed are collected, not printed again (a PDF is kept RESULT_TTL_S);
 *   - a job Redis lost (a restart without persistence) is noticed by the sweep below and put
 *     on the queue again; a result that went missing likewise;
 *   - a job that failed on every attempt fails its document alone, with the worker's reason,
 *     and is removed so that the next build tries it afresh.
 * A Redis that stays out of reach for REDIS_LOST_MS fails the documents still waiting, with
 * a message saying so; what was written stays written (each file is written whole).
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Asset } from '../assets.js';
import { CitybriefError, PrintError } from '../errors.js';
import { fontPackagesDigest } from '../fonts.js';
import { msg } from '../messages.js';
import type { ResolvedConfig } from '../config.js';
import {
  announce,
  blobKey,
  connect,
  jobId,
  peerName,
  peers,
  PREFIX,
  queueName,
  RESULT_TTL_S,
  resultKey,
  shownUrl,
  within,
  ANNOUNCE_MS,
  type PrintJob,
  type PrintReturn,
} from '../queue.js';
import { sha256 } from './load.js';
import type { Printed, Printer } from './print.js';

/** How long Redis may be out of reach before the documents waiting on it fail. */
export const REDIS_LOST_MS = 30_000;
/** How often jobs under way are looked at directly, besides the queue's events (which a Redis restart loses). */
const SWEEP_MS = 2_000;

/** Redis cannot be reached, or refused this build. */
export class QueueError extends CitybriefError {}

interface Waiter {
  /** When this build asked for it: a job of the same id made before is an earlier build's. */
  readonly since: number;
  readonly job: PrintJob;
  readonly assets: readonly Asset[];
  /** When it was last put on the queue or looked at: the sweep leaves it alone for SWEEP_MS after. */
  seen: number;
  readonly done: Promise<Printed>;
  resolve(printed: Printed): void;
  reject(error: Error): void;
}

/** A worker's return value as a queue event carries it (parsed, or still JSON text), if it is one. */
function returned(value: unknown): PrintReturn | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const r = parsed as PrintReturn | null;
  return r && typeof r.sha256 === 'string' && typeof r.worker === 'string' && Array.isArray(r.refused) && typeof r.layout === 'object' ? r : undefined;
}

export async function openQueuePrinter(config: ResolvedConfig): Promise<Printer> {
  const url = config.redis!;
  const shown = shownUrl(url);
  const name = queueName(config.version);
  const fonts = fontPackagesDigest();
  // Connected by warm(), once Redis is known to answer. BullMQ leaves a connection it was handed
  // open when it closes: close() closes them.
  let redis!: ReturnType<typeof connect>;
  let queue!: Queue<PrintJob, PrintReturn>;
  let events!: QueueEvents;
  const connections: ReturnType<typeof connect>[] = [];

  const waiting = new Map<string, Waiter>();
  const refused: string[] = [];
  /**
   * Images known to be in Redis, with when they were put there (they expire after RESULT_TTL_S: a
   * builder that stays open sends them again well before); forgotten whenever the connection drops,
   * as Redis may have restarted empty.
   */
  const sent = new Map<string, number>();
  const stillSent = (sha: string) => Date.now() - (sent.get(sha) ?? -Infinity) < (RESULT_TTL_S * 1000) / 2;
  let lostSince: number | undefined;
  let lastError = '';
  let broken: Error | undefined;
  let closed = false;

  const fail = (error: Error) => {
    for (const [id, waiter] of waiting) {
      waiting.delete(id);
      waiter.reject(error);
    }
  };

  /** Put the job on the queue (its images first: a worker fetches them by hash). */
  const submit = async (id: string, waiter: Waiter) => {
    const missing = waiter.assets.filter((a) => !stillSent(a.sha256));
    if (missing.length > 0) {
      const here = await redis.pipeline(missing.map((a) => ['exists', blobKey(a.sha256)])).exec();
      const upload = redis.pipeline();
      missing.forEach((a, i) => {
        if (here?.[i]?.[1] === 1) upload.expire(blobKey(a.sha256), RESULT_TTL_S);
        else upload.set(blobKey(a.sha256), a.bytes, 'EX', RESULT_TTL_S);
      });
      await upload.exec();
      for (const a of missing) sent.set(a.sha256, Date.now());
    }
    await queue.add('print', waiter.job, {
      jobId: id,
      // One more try, on whichever worker takes it: a browser that crashed under a document is not the document's fault.
      attempts: 2,
      backoff: { type: 'fixed', delay: 500 },
      removeOnComplete: { age: RESULT_TTL_S },
      removeOnFail: { age: RESULT_TTL_S },
    });
  };

  /** Hand the printed PDF to the build; once the build has written it, the job and its PDF need not wait for their expiry. */
  const collect = (id: string, waiter: Waiter, pdf: Buffer, result: PrintReturn) => {
    waiting.delete(id);
    refused.push(...result.refused);
    const release = async () => void (await Promise.all([queue.remove(id).catch(() => 0), redis.del(resultKey(id)).catch(() => 0)]));
    waiter.resolve({ pdf, layout: result.layout, by: result.worker, release });
  };

  const checking = new Set<string>();
  /**
   * Look at one job: collect it when done, fail it when failed, put it back when Redis lost it.
   * `completed` is what the queue's event said the worker returned: then only the PDF is read.
   */
  const check = async (id: string, completed?: PrintReturn) => {
    const waiter = waiting.get(id);
    if (!waiter || checking.has(id)) return;
    checking.add(id);
    waiter.seen = Date.now();
    try {
      if (completed) {
        const pdf = await redis.getBuffer(resultKey(id));
        if (pdf && waiting.has(id) && sha256(pdf) === completed.sha256) return collect(id, waiter, pdf, completed);
      }
      const job = (await Job.fromId(queue, id)) as Job<PrintJob, PrintReturn> | undefined;
      if (!waiting.has(id)) return;
      if (!job) return await submit(id, waiter);
      const state = await job.getState();
      if (state === 'failed' && job.timestamp < waiter.since) {
        // An earlier build's failure (all workers gone then, say): this build tries it afresh.
        await job.remove().catch(() => {});
        return await submit(id, waiter);
      }
      if (state === 'failed') {
        waiting.delete(id);
        await job.remove().catch(() => {});
        waiter.reject(new PrintError(msg.jobFailed(waiter.job.path, job.failedReason || 'no reason given')));
      } else if (state === 'completed') {
        const result = job.returnvalue;
        const pdf = await redis.getBuffer(resultKey(id));
        if (!pdf || !result || sha256(pdf) !== result.sha256) {
          // The PDF expired or was lost with Redis: print it again.
          await job.remove().catch(() => {});
          return await submit(id, waiter);
        }
        collect(id, waiter, pdf, result);
      }
    } catch (error) {
      // Redis away: the sweep looks again, until REDIS_LOST_MS.
      lastError = (error as Error).message;
    } finally {
      checking.delete(id);
    }
  };

  let sweeping = false;
  const sweep = async () => {
    if (closed) return;
    // Before anything that waits on Redis: a command to a Redis that is away waits for its return.
    if (lostSince !== undefined && Date.now() - lostSince > REDIS_LOST_MS) {
      broken = new QueueError(msg.redisLost(shown, REDIS_LOST_MS, lastError));
      fail(broken);
      return;
    }
    if (sweeping) return;
    sweeping = true;
    try {
      const due = Date.now() - SWEEP_MS;
      await Promise.all([...waiting].flatMap(([id, waiter]) => (waiter.seen <= due ? [check(id)] : [])));
    } finally {
      sweeping = false;
    }
  };
  let sweeper: NodeJS.Timeout | undefined;

  // Who prints: said when nobody of this version is there, again whenever that changes.
  let withdraw: (() => Promise<void>) | undefined;
  let workers = -1;
  const lookForWorkers = async () => {
    const all = await peers(redis);
    const mine = all.filter((p) => p.role === 'worker' && p.version === config.version);
    if (mine.length === 0 && workers !== 0) {
      const others = all.filter((p) => p.role === 'worker' && p.version !== config.version).map(peerName);
      config.onProgress({ type: 'queue', message: msg.noWorkers(shown, config.version, others) });
    } else if (mine.length > 0 && workers === 0) {
      config.onProgress({ type: 'queue', message: msg.workersBack(mine.length) });
    }
    workers = mine.length;
  };
  let looker: NodeJS.Timeout | undefined;

  const close = async () => {
    if (closed) return;
    closed = true;
    clearInterval(sweeper);
    clearInterval(looker);
    fail(new PrintError(msg.printerClosed));
    // Politely, while Redis answers; then at once (BullMQ's own blocking connections too).
    await within(2000, Promise.all([withdraw?.(), queue?.close(), events?.close()]));
    await within(1000, Promise.all([queue?.disconnect(), events?.disconnect()]));
    for (const connection of connections) connection.disconnect();
  };

  return {
    async warm() {
      // A Redis that cannot be reached, or refuses the password, is one error for the build, at once.
      const probe = connect(url, { retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 5000, lazyConnect: true });
      let reason = '';
      probe.on('error', (error: Error) => (reason ||= error.message));
      try {
        await probe.connect();
        await probe.ping();
      } catch (error) {
        throw new QueueError(msg.redisUnreachable(shown, reason || (error as Error).message));
      } finally {
        probe.disconnect();
      }
      if (closed) return;
      connections.push(connect(url), connect(url), connect(url));
      [redis] = connections as [typeof redis];
      queue = new Queue<PrintJob, PrintReturn>(name, { connection: connections[1]!, prefix: PREFIX });
      events = new QueueEvents(name, { connection: connections[2]!, prefix: PREFIX });
      queue.on('error', () => {});
      events.on('error', () => {});
      redis.on('close', () => {
        lostSince ??= Date.now();
        sent.clear();
      });
      redis.on('error', (error: Error) => (lastError = error.message));
      redis.on('ready', () => {
        if (lostSince === undefined) return;
        lostSince = undefined;
        // Back: jobs Redis lost are put on the queue again at once.
        void sweep();
      });

      events.on('completed', ({ jobId: id, returnvalue }) => void check(id, returned(returnvalue)));
      events.on('failed', ({ jobId: id }) => void check(id));
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      sweeper = setInterval(() => void sweep(), SWEEP_MS);
      sweeper.unref();
      looker = setInterval(() => void lookForWorkers().catch(() => {}), ANNOUNCE_MS);
      looker.unref();
      withdraw = announce(redis, 'build', config.version);
      await lookForWorkers();
    },
    print(doc) {
      if (broken) return Promise.reject(broken);
      if (closed) return Promise.reject(new PrintError(msg.printerClosed));
      const job: PrintJob = {
        version: config.version,
        fonts,
        path: doc.path,
        html: doc.html,
        timeoutMs: config.timeoutMs,
        faces: doc.fonts.map((f) => f.file),
        assets: doc.assets.map((a) => ({ name: a.name, sha256: a.sha256, contentType: a.contentType })),
      };
      const id = jobId(job);
      const already = waiting.get(id);
      if (already) return already.done;
      let resolve!: (printed: Printed) => void;
      let reject!: (error: Error) => void;
      const done = new Promise<Printed>((yes, no) => ((resolve = yes), (reject = no)));
      const waiter: Waiter = { since: Date.now(), seen: Date.now(), job, assets: doc.assets, done, resolve, reject };
      waiting.set(id, waiter);
      // An earlier build's job with this id may be there: adding it again changes nothing, and the
      // sweep finds it printed (collected, not printed again) or failed (tried afresh).
      void submit(id, waiter).catch((error: Error) => {
        lastError = error.message;
      });
      return done;
    },
    // Each worker makes its fonts as its documents need them.
    expect: () => {},
    size: config.concurrency,
    refused,
    restarts: 0,
    close,
    [Symbol.asyncDispose]: close,
  };
}
