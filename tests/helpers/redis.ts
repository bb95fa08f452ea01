/**
 * A real redis-server on loopback with a temporary folder, and citybrief workers as separate
 * processes, for the queue tests. Nothing is installed here: without redis-server the queue
 * tests are skipped and say why (CI installs it, and fails rather than skip).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { WorkerEvent } from '../../src/index.js';

export const root = path.resolve(import.meta.dirname, '../..');
export const cli = path.join(root, 'dist/cli/main.js');

/** redis-server on this machine, or undefined. */
export function redisServerBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  return dirs
    .filter((d) => path.isAbsolute(d))
    .map((d) => path.join(d, 'redis-server'))
    .find((f) => existsSync(f));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  /** With `tls`: the certificate authority that signed the server's certificate (for NODE_EXTRA_CA_CERTS). */
  readonly ca?: string;
  /** redis://127.0.0.1:PORT, with the password when there is one. */
  readonly url: string;
  /** A client for the test's own looks (closed by stop). */
  readonly client: Redis;
  /** Kill the server (SIGKILL: a crash, nothing saved) and start it again on the same port, empty. */
  crashAndRestart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A certificate authority and a server certificate for 127.0.0.1 signed by it, made with openssl. */
async function certificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn('openssl', args, { cwd: dir, stdio: 'ignore' });
      p.once('error', reject);
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`openssl ${args[0]} exited ${code}`))));
    });
  await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=citybrief test CA']);
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
}

export async function startRedis(options: { password?: string; tls?: boolean } = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  if (!bin) throw new Error('redis-server is not installed (Debian: apt-get install redis-server)');
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-redis-'));
  const tls = options.tls ? await certificates(dir) : undefined;
  const listen = tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'] : ['--port', String(port)];
  const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...(options.password ? ['--requirepass', options.password] : [])];
  const tlsOptions = tls ? { tls: { ca: await readFile(tls.ca) } } : {};
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn(bin, args, { stdio: 'ignore' });
    const probe = new Redis({ port, host: '127.0.0.1', password: options.password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...tlsOptions });
    probe.on('error', () => {});
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch (error) {
        probe.disconnect();
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await launch();
  const url = `${tls ? 'rediss' : 'redis'}://${options.password ? `:${options.password}@` : ''}127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: null, ...tlsOptions });
  client.on('error', () => {});
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    ...(tls ? { ca: tls.ca } : {}),
    url,
    client,
    async crashAndRestart(downMs = 500) {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    async stop() {
      client.disconnect();
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerProcess {
  readonly proc: ChildProcess;
  /** Its events so far (its --json lines). */
  readonly events: (WorkerEvent & { time: string })[];
  readonly stderr: () => string;
  /** Resolves once the worker takes jobs. */
  readonly ready: Promise<void>;
  /** Resolves once it has printed `n` documents. */
  printed(n: number): Promise<void>;
  /** SIGTERM (finish what is under way) or SIGKILL; resolves when it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `citybrief worker` as a process of its own; `cliPath` runs another install of it. */
export function startWorkerProcess(url: string, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}, cliPath = cli): WorkerProcess {
  // --stalled 10: a worker busy on two loaded cores (making a merged font, a test file building beside it)
  // may answer late; shorter, BullMQ would take its job for stalled and print it a second time.
  const proc = spawn(process.execPath, [cliPath, 'worker', '--redis', url, '--json', '--stalled', '10', '--concurrency', '2', ...extra], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: (WorkerEvent & { time: string })[] = [];
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  let err = '';
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as WorkerEvent & { time: string });
    for (const w of [...waiters]) {
      if (!w.test()) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const until = (test: () => boolean) =>
    test()
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ test, resolve })),
          exited.then((code) => {
            throw new Error(`the worker exited (${code}) first: ${err}`);
          }),
        ]);
  return {
    proc,
    events,
    stderr: () => err,
    ready: until(() => events.some((e) => e.type === 'ready')),
    printed: (n) => until(() => events.filter((e) => e.type === 'printed').length >= n),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
