/**
 * One build at a time per out folder. Two builds writing one folder (a
 * scheduled run overlapping a manual one) would each write a manifest that
 * misses the other's files. A build takes `.citybrief/lock` in the out
 * folder, created exclusively (O_EXCL), holding its process id, host and
 * start time, before it reads what the folder remembers; it removes the
 * file when it ends, however it ends. A second build fails at once, naming
 * the holder, or with `wait` waits for it. A lock left by a process that is
 * gone (killed, the machine restarted) is taken over: on the same host
 * that is known for certain; a lock from another host is never guessed
 * stale, since that host's builds may be running.
 */
import { hostname } from 'node:os';
import { mkdir, open, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from './errors.js';
import { msg } from './messages.js';

export const LOCK_FILE = path.join('.citybrief', 'lock');

/** Who holds a lock, as its file says. */
export interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface LockOptions {
  /** Wait for another build to finish instead of failing at once. */
  readonly wait?: boolean;
  /** Stops waiting. */
  readonly signal?: AbortSignal;
  /** Called once when the build starts waiting, with who it waits for. */
  readonly onWait?: (holder: Holder | undefined) => void;
  /** How often to look again while waiting. Default: 250 ms. */
  readonly pollMs?: number;
}

/** Is a process of this machine still running? (EPERM: it runs, as another user.) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as Holder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Remove `folder` and the folders above it up to `top` (included), as long as they are empty. */
async function removeEmptyFolders(folder: string, top: string): Promise<void> {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty: the build wrote something, or someone else did
    }
    if (dir === top || path.dirname(dir) === dir) return;
  }
}

/** Take the out folder's lock; the returned object releases it. */
export async function lockOutFolder(outDir: string, options: LockOptions = {}): Promise<AsyncDisposable & { release(): Promise<void> }> {
  const file = path.join(outDir, LOCK_FILE);
  // The first folder this creates, if any: a build that ends before writing anything leaves no folder behind.
  const created = await mkdir(path.dirname(file), { recursive: true });
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let waiting = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        await rm(file, { force: true });
        if (created) await removeEmptyFolders(path.dirname(file), created);
      };
      return { release, [Symbol.asyncDispose]: release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    // A lock whose holder is gone from this machine is stale: take it over. (A file that is being
    // written right now reads as nothing; that is not stale, look again.)
    if (holder && holder.host === me.host && !alive(holder.pid)) {
      await rm(file, { force: true });
      continue;
    }
    if (!options.wait) throw new UsageError(msg.outLocked(outDir, holder));
    if (!waiting) {
      waiting = true;
      options.onWait?.(holder);
    }
    if (options.signal?.aborted) throw new UsageError(msg.stoppedWaiting(outDir));
    await sleep(options.pollMs ?? 250, undefined, { signal: options.signal }).catch(() => {});
  }
}
