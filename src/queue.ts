/**
 * What a build and its printing workers share through Redis (BullMQ):
 *
 *   build (coordinator)                         worker (any machine)
 *   ───────────────────                         ────────────────────
 *   images ─▶ blob:<sha256>  (content-addressed)
 *   job doc-<hash of what it prints> ─▶ queue print-<version> ─▶ prints it (print.ts)
 *   collects result:<job> + job's return value ◀─ result:<job> (the PDF, expiring)
 *
 * A job is only data: the document's print HTML, the names of the bundled font
 * faces its text needs (every worker of the same citybrief version has the same
 * fonts) and the hashes of its images. Its id is the hash of all that, so the
 * same document is one job however often a build (or a build started again
 * after it was killed) asks for it, and a finished job is collected rather
 * than printed again.
 *
 * Jobs go to a queue named after citybrief's version: a worker of another
 * version never takes them. Builds and workers announce themselves under
 * `peers`, so each can say plainly who is there and who refuses whom.
 */
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { sha256 } from './pipeline/load.js';
import type { Layout } from './pipeline/measure.js';

export { checkRedisUrl, shownUrl } from './redis-url.js';

/** Key prefix of everything citybrief keeps in Redis (BullMQ's own keys included). */
export const PREFIX = 'citybrief';

/** The queue a citybrief version's builds and workers share. */
export const queueName = (version: string) => `print-${version}`;

/** An image a job's document shows: its bytes are under blobKey(sha256). */
export interface JobAsset {
  readonly name: string;
  readonly sha256: string;
  readonly contentType: string;
}

/** What a worker is asked to print: data and HTML only. */
export interface PrintJob {
  /** citybrief's version and the bundled fonts' packages, which must be the worker's own. */
  readonly version: string;
  readonly fonts: string;
  /** The document's path below the out folder (its address in the page, for relative links). */
  readonly path: string;
  readonly html: string;
  /** Milliseconds it may take to print: the build's limit (--timeout, the project's `timeout`). */
  readonly timeoutMs: number;
  /** File names of the bundled font faces its text needs, in CSS order (fonts.ts FontFace.file). */
  readonly faces: readonly string[];
  readonly assets: readonly JobAsset[];
}

/** What a worker returns; the PDF itself is under resultKey(job id). */
export interface PrintReturn {
  readonly sha256: string;
  readonly bytes: number;
  readonly layout: Layout;
  /** URLs the document asked for, which the worker refused. */
  readonly refused: readonly string[];
  /** Which worker printed it: host and process. */
  readonly worker: string;
}

/**
 * Seconds a finished job, its PDF and an image stay in Redis: long enough for a build that was
 * stopped or killed to be started again and collect what was printed for it, and no longer.
 */
export const RESULT_TTL_S = 24 * 60 * 60;

export const blobKey = (sha256: string) => `${PREFIX}:blob:${sha256}`;
export const resultKey = (jobId: string) => `${PREFIX}:result:${jobId}`;
const PEERS = `${PREFIX}:peers`;

/** A job's id: the hash of what it prints, so the same document is the same job. */
export function jobId(job: PrintJob): string {
  return `doc-${sha256(JSON.stringify(job))}`;
}

/**
 * A connection of its own for each BullMQ object (a worker and a queue's event reader block on
 * theirs). Commands wait through a dropped connection (`maxRetriesPerRequest: null`, as BullMQ asks
 * of workers) and ioredis reconnects; the callers decide how long a lost Redis may stay lost.
 * rediss:// turns TLS on (ioredis reads the scheme); a self-signed server's CA is trusted with
 * NODE_EXTRA_CA_CERTS, as for any Node program.
 */
export function connect(url: string, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000), ...extra });
  // Errors reach whoever awaits a command; the event alone would otherwise crash the process.
  redis.on('error', () => {});
  return redis;
}

export interface Peer {
  readonly role: 'build' | 'worker';
  readonly version: string;
  readonly host: string;
  readonly pid: number;
  /** Milliseconds since 1970 of its last announcement. */
  readonly at: number;
}

/** A peer that has not announced itself for this long is gone (killed, or its machine is). */
export const PEER_TTL_MS = 15_000;
export const ANNOUNCE_MS = 5_000;

export const whoAmI = () => `${hostname()}:${process.pid}`;

/**
 * Announce this process every few seconds until the returned function is called (which withdraws
 * it). A failed announcement (Redis away) is tried again at the next tick.
 */
export function announce(redis: Redis, role: Peer['role'], version: string): () => Promise<void> {
  const field = `${role}:${whoAmI()}`;
  const send = () => redis.hset(PEERS, field, JSON.stringify({ role, version, host: hostname(), pid: process.pid, at: Date.now() } satisfies Peer)).catch(() => 0);
  void send();
  const timer = setInterval(send, ANNOUNCE_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.hdel(PEERS, field).catch(() => 0);
  };
}

/** The peers announced lately; those gone quiet are removed. */
export async function peers(redis: Redis): Promise<Peer[]> {
  const all = await redis.hgetall(PEERS);
  const now = Date.now();
  const live: Peer[] = [];
  const stale: string[] = [];
  for (const [field, value] of Object.entries(all)) {
    try {
      const peer = JSON.parse(value) as Peer;
      if (now - peer.at <= PEER_TTL_MS) live.push(peer);
      else stale.push(field);
    } catch {
      stale.push(field);
    }
  }
  if (stale.length > 0) await redis.hdel(PEERS, ...stale).catch(() => 0);
  return live;
}

/**
 * `work`, or nothing once `ms` have passed: for the goodbyes of a close (withdrawing an
 * announcement, BullMQ's own close), which would otherwise wait as long as Redis is away.
 */
export async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A peer as a person reads it. */
export const peerName = (peer: Peer) => `${peer.host} (pid ${peer.pid}, citybrief ${peer.version})`;
