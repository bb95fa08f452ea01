/**
 * Printing on workers through a real Redis (redis-server on loopback, a temporary folder) with
 * `citybrief worker` processes: the outputs are the bytes of a local build; a worker killed,
 * Redis crashing, the build itself killed and started again all end in a complete out folder,
 * nothing printed twice that was already printed; a worker of another version refuses.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { build, type BuildResult, type ProgressEvent } from '../../src/index.js';
import { msg } from '../../src/messages.js';
import { version } from '../../src/config.js';
import { cli, redisServerBinary, root, startRedis, startWorkerProcess, type RedisServer, type WorkerProcess } from '../helpers/redis.js';
import { readPdf } from '../helpers/pdf.js';
import { parse, stringify } from 'yaml';
// @ts-ignore -- plain JavaScript without type declarations
import { writeSyntheticDataset } from '../../bench/synthetic.mjs';

const bin = redisServerBinary();
if (!bin) {
  // CI always has it (.ci/run installs it): a queue test skipped there would hide a failure.
  if (process.env.CI) throw new Error('the queue tests need redis-server, and CI must have it: .ci/run installs it (apt-get install redis-server)');
  console.warn('queue tests skipped: they need redis-server on this machine (Debian: apt-get install redis-server). Nothing was installed.');
}

const seedOut = inject('seedOut');

/** Every file of an out folder with its hash, but the state cache (it records files' times). */
async function tree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (file.startsWith('.citybrief') || file === 'build-result.json') continue;
    files.set(file, createHash('sha256').update(await readFile(path.join(dir, file))).digest('hex'));
  }
  return files;
}

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  cleanup = [];
});

async function redis(options?: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
  const server = await startRedis(options);
  cleanup.push(() => server.stop());
  return server;
}

async function workers(url: string, count: number, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess[]> {
  const list = Array.from({ length: count }, () => startWorkerProcess(url, extra, env));
  for (const w of list) cleanup.push(() => w.stop('SIGKILL'));
  await Promise.all(list.map((w) => w.ready));
  return list;
}

async function outFolder(): Promise<string> {
  const out = await mkdtemp(path.join(tmpdir(), 'citybrief-queue-'));
  cleanup.push(() => rm(out, { recursive: true, force: true }));
  return out;
}

const printedJobs = (list: readonly WorkerProcess[]) => list.flatMap((w) => w.events.flatMap((e) => (e.type === 'printed' ? [e.job] : [])));

/** The build as a process of its own (to be killed), with its --json summary. */
function buildProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const proc = spawn(process.execPath, [cli, 'build', '--json', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  cleanup.push(async () => {
    proc.kill('SIGKILL');
    await exited;
  });
  return { proc, exited, out: () => out, err: () => err };
}

describe.skipIf(!bin)('printing on workers through Redis (needs redis-server)', () => {
  it('two workers and a build give the bytes of a local build; a second build enqueues nothing', async () => {
    const server = await redis();
    const pool = await workers(server.url, 2);
    const out = await outFolder();
    const events: ProgressEvent[] = [];
    const result = await build({ cwd: root, out, redis: server.url, onProgress: (e) => events.push(e) });

    expect(result.failures).toEqual([]);
    expect(await tree(out)).toEqual(await tree(seedOut));
    // Both workers printed, and the build counted each document once, naming who printed it.
    const outputs = events.filter((e) => e.type === 'output');
    expect(outputs).toHaveLength(21);
    expect(Object.values(result.workers ?? {}).reduce((a, b) => a + b, 0)).toBe(21);
    expect(Object.keys(result.workers ?? {})).toHaveLength(2);
    expect(outputs.every((e) => e.type === 'output' && e.worker && e.worker in result.workers!)).toBe(true);
    // The overview prints twice (its contents get the pages of the first print): 22 jobs in all.
    expect(printedJobs(pool)).toHaveLength(22);
    // Collected jobs and their PDFs are removed, not left to expire.
    expect(await server.client.keys('citybrief:result:*')).toEqual([]);

    const added = await server.client.xlen('citybrief:print-' + version + ':events');
    const again = await build({ cwd: root, out, redis: server.url });
    expect(again.outputs).toEqual([]);
    expect(again.unchanged).toBe(21);
    expect(await server.client.xlen('citybrief:print-' + version + ':events')).toBe(added);
    expect(printedJobs(pool)).toHaveLength(22);
  });

  it('a worker killed mid-build (SIGKILL): its jobs go to the other worker and the build completes', async () => {
    const server = await redis();
    // Its job goes to the other worker 3 s after it stops answering.
    const [doomed, survivor] = await workers(server.url, 2, ['--stalled', '3']);
    const out = await outFolder();
    const building = build({ cwd: root, out, redis: server.url });
    await doomed!.printed(1);
    await doomed!.stop('SIGKILL');
    const result = await building;

    expect(result.failures).toEqual([]);
    expect(await tree(out)).toEqual(await tree(seedOut));
    expect(survivor!.events.filter((e) => e.type === 'printed').length).toBeGreaterThan(0);
  });

  it('Redis crashing mid-build (restarted empty): the build puts the lost jobs back and completes, nothing corrupt', async () => {
    const server = await redis();
    const pool = await workers(server.url, 2);
    const out = await outFolder();
    const events: ProgressEvent[] = [];
    const building = build({ cwd: root, out, redis: server.url, onProgress: (e) => events.push(e) });
    await pool[0]!.printed(2);
    await server.crashAndRestart();
    const result = await building;

    expect(result.failures).toEqual([]);
    expect(await tree(out)).toEqual(await tree(seedOut));
  });

  it('Redis gone for good: the documents still waiting fail with a message saying so; what was written is whole', async () => {
    const server = await redis();
    const pool = await workers(server.url, 1);
    const out = await outFolder();
    const building = build({ cwd: root, out, redis: server.url }).then(
      (r) => ({ ok: true as const, r }),
      (error: unknown) => ({ ok: false as const, error: error as Error & { result?: BuildResult } }),
    );
    await pool[0]!.printed(1);
    await server.stop();
    const ended = await building;

    expect(ended.ok).toBe(false);
    if (ended.ok) return;
    expect(ended.error.message).toContain('lost Redis at redis://127.0.0.1:');
    // Every file the manifest lists is there with its hash: a PDF is written whole or not at all.
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as { outputs: { path: string; sha256: string }[] };
    const files = await tree(out);
    for (const o of manifest.outputs) expect(files.get(o.path)).toBe(o.sha256);
    expect([...files.keys()].filter((f) => /\.tmp|~$/.test(f))).toEqual([]);
    for (const o of manifest.outputs.filter((o) => o.path.endsWith('.pdf'))) expect((await readPdf(path.join(out, o.path))).pages).toBeGreaterThan(0);
  }, 180_000);

  it('the build killed and started again: what the workers printed for it is collected, not printed twice', async () => {
    const server = await redis();
    const pool = await workers(server.url, 2);
    const out = await outFolder();
    const first = buildProcess(['--out', out, '--redis', server.url]);
    await pool[0]!.printed(3);
    first.proc.kill('SIGKILL');
    await first.exited;
    // The jobs it left on the queue are printed meanwhile, for nobody yet.
    const second = buildProcess(['--out', out, '--redis', server.url]);
    expect(await second.exited).toBe(0);

    expect(await tree(out)).toEqual(await tree(seedOut));
    const jobs = printedJobs(pool);
    expect(new Set(jobs).size).toBe(jobs.length);
    expect(jobs).toHaveLength(22);
  });

  it('a document that fails on every attempt fails alone, with the reason the worker gave; the others are written', async () => {
    const server = await redis();
    const [worker] = await workers(server.url, 1);
    const data = await outFolder();
    const ids = (await writeSyntheticDataset(data, 3)) as string[];
    const slow = ids[1]!;
    // Tens of thousands of paragraphs (a job of some 5 MB): far longer to print than the 4 s the build allows.
    const file = path.join(data, 'cities', `${slow}.yaml`);
    const city = parse(await readFile(file, 'utf8')) as { narrative: string[] };
    city.narrative = Array.from({ length: 30_000 }, (_, i) => city.narrative[i % city.narrative.length]!);
    await writeFile(file, stringify(city, { lineWidth: 0 }));
    const out = await outFolder();
    const built = buildProcess(['--data', data, '--out', out, '--kind', 'briefing', '--redis', server.url, '--timeout', '4']);

    expect(await built.exited).toBe(1);
    const summary = JSON.parse(built.out()) as { built: string[]; failed: { path: string; error: string }[] };
    expect(summary.built.sort()).toEqual(ids.filter((id) => id !== slow).map((id) => `${id}/briefing.pdf`).sort());
    expect(summary.failed).toEqual([
      { path: `${slow}/briefing.pdf`, city: slow, error: msg.jobFailed(`${slow}/briefing.html`, msg.printTimeout(`${slow}/briefing.html`, 4000)) },
    ]);
    // Tried twice, on the one worker.
    expect(worker!.events.filter((e) => e.type === 'failed').map((e) => 'path' in e && e.path)).toEqual([`${slow}/briefing.html`, `${slow}/briefing.html`]);
  });

  it('a worker of another citybrief version takes no job of this build and says so; the build says who is missing', async () => {
    const server = await redis();
    // Another install: the same code with another version in its package.json.
    const other = await mkdtemp(path.join(root, '.test-other-version-'));
    cleanup.push(() => rm(other, { recursive: true, force: true }));
    await cp(path.join(root, 'dist'), path.join(other, 'dist'), { recursive: true });
    await writeFile(path.join(other, 'package.json'), JSON.stringify({ name: 'citybrief', version: '0.0.0-other', type: 'module' }));
    const stranger = startWorkerProcess(server.url, [], {}, path.join(other, 'dist/cli/main.js'));
    cleanup.push(() => stranger.stop('SIGKILL'));
    await stranger.ready;

    const out = await outFolder();
    const building = buildProcess(['--out', out, '--redis', server.url, '--kind', 'briefing', '--city', 'wuhan']);
    await until(() => /no worker of citybrief/.test(building.err()));
    expect(building.err()).toContain(`no worker of citybrief ${version} is connected to ${server.url}`);
    expect(building.err()).toContain('citybrief 0.0.0-other');
    await until(() => stranger.events.some((e) => e.type === 'refusing'));
    const refusing = stranger.events.find((e) => e.type === 'refusing');
    expect(refusing && 'message' in refusing ? refusing.message : '').toContain(`citybrief ${version}`);
    expect(stranger.events.filter((e) => e.type === 'printed')).toEqual([]);

    // A worker of the build's version comes: the build is printed, by it alone.
    const [right] = await workers(server.url, 1);
    expect(await building.exited).toBe(0);
    expect(JSON.parse(building.out()).built).toEqual(['wuhan/briefing.pdf']);
    expect(right!.events.filter((e) => e.type === 'printed')).toHaveLength(1);
    expect(stranger.events.filter((e) => e.type === 'printed')).toEqual([]);
  });

  it('a password in the URL works; a wrong one, or no Redis, is one clear error and nothing is written', async () => {
    const server = await redis({ password: 's3cret-pw' });
    await workers(server.url, 1);
    const out = await outFolder();
    const result = await build({ cwd: root, out, redis: server.url, cities: ['wuhan'], kinds: ['briefing'] });
    expect(result.outputs.map((o) => o.path).sort()).toEqual(['wuhan/briefing.html', 'wuhan/briefing.pdf']);

    const wrong = server.url.replace('s3cret-pw', 'not-it');
    const refusedOut = await outFolder();
    const denied = buildProcess(['--out', refusedOut, '--redis', wrong, '--city', 'wuhan', '--kind', 'briefing']);
    expect(await denied.exited).toBe(1);
    expect(denied.err()).toContain(`cannot use Redis at redis://:***@127.0.0.1:${server.port}`);
    expect(denied.err()).not.toContain('not-it');
    expect(await readdir(refusedOut)).toEqual([]);

    const nobody = buildProcess(['--out', refusedOut, '--redis', 'redis://127.0.0.1:1', '--city', 'wuhan', '--kind', 'briefing']);
    expect(await nobody.exited).toBe(1);
    expect(nobody.err()).toContain('cannot use Redis at redis://127.0.0.1:1: ');
    expect(await readdir(refusedOut)).toEqual([]);
  });
});

describe.skipIf(!bin)('printing on workers through Redis over TLS (needs redis-server and openssl)', () => {
  it('rediss:// with a password and a private CA (NODE_EXTRA_CA_CERTS): the build and its worker print over TLS', async () => {
    const server = await redis({ tls: true, password: 'tls-pw' });
    const trust = { NODE_EXTRA_CA_CERTS: server.ca };
    const [worker] = await workers(server.url, 1, [], trust);
    const out = await outFolder();
    const built = buildProcess(['--out', out, '--redis', server.url, '--city', 'wuhan', '--kind', 'briefing'], trust);
    expect(await built.exited).toBe(0);
    expect(JSON.parse(built.out()).built).toEqual(['wuhan/briefing.pdf']);
    expect(worker!.events.filter((e) => e.type === 'printed')).toHaveLength(1);
    expect((await tree(out)).get('wuhan/briefing.pdf')).toBe((await tree(seedOut)).get('wuhan/briefing.pdf'));

    // Without the CA the server's certificate is not trusted: one clear error, nothing printed.
    const untrusted = buildProcess(['--out', await outFolder(), '--redis', server.url, '--city', 'wuhan', '--kind', 'briefing', '--force']);
    expect(await untrusted.exited).toBe(1);
    expect(untrusted.err()).toMatch(/cannot use Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*certificate/);
  });
});

describe('the Redis URL', () => {
  it('is checked where it is given, and its password is never shown', async () => {
    await expect(build({ cwd: root, redis: 'http://example.org' })).rejects.toThrow(msg.badRedisUrl('http://example.org'));
    await expect(build({ cwd: root, redis: 'not a url:pw@' })).rejects.toThrow('is not a Redis URL');
    const shown = await build({ cwd: root, redis: 'redis//:hunter2@host' }).catch((e: Error) => e.message);
    expect(shown).not.toContain('hunter2');
  });
});

async function until(test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
