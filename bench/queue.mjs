/**
 * citybrief queue benchmark: N synthetic briefings (200 by default) built through a real Redis
 * (redis-server on loopback, a temporary folder) by 1 and then 2 `citybrief worker` processes on
 * this machine, beside a local build of the same documents.
 *
 *   npm run bench -- 200 --queue
 *   node bench/queue.mjs 200 --workers 1,2 --concurrency 2
 *
 * Prints documents/s for each, the Redis commands (round trips, counted by the server) and the
 * bytes through Redis per document, and the build's own work per document (everything but
 * printing), which bounds what any number of workers can reach. The model for N machines is
 * written from these: it is a model, measured per worker here, not a measurement of N machines.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { writeSyntheticDataset } from './synthetic.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: { workers: { type: 'string', default: '1,2' }, concurrency: { type: 'string', default: '2' }, kind: { type: 'string', default: 'briefing' }, queue: { type: 'boolean' } },
});
const n = Number(positionals[0] ?? 200);
const counts = values.workers.split(',').map(Number);
const kinds = values.kind.split(',');
const { build } = await import(path.join(root, 'dist/index.js'));
const cli = path.join(root, 'dist/cli/main.js');

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const work = await mkdtemp(path.join(tmpdir(), 'citybrief-bench-queue-'));
const redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
redisServer.on('error', (error) => {
  process.stderr.write(`bench: the queue mode needs redis-server (Debian: apt-get install redis-server): ${error.message}\n`);
  process.exit(2);
});
const url = `redis://127.0.0.1:${port}`;
const redis = new Redis(url, { maxRetriesPerRequest: null });
redis.on('error', () => {}); // until the server listens: ioredis retries
await redis.ping();

/**
 * The server's own counts since the last CONFIG RESETSTAT: commands clients sent (each a round trip,
 * or part of a pipeline; a Lua script is one), by name, and bytes in and out.
 */
async function serverStats() {
  const stats = await redis.info('stats');
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  const byCommand = {};
  for (const [, name, calls] of (await redis.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) byCommand[name] = Number(calls);
  return { commands: field('total_commands_processed'), bytes: field('total_net_input_bytes') + field('total_net_output_bytes'), byCommand };
}

function startWorker() {
  const proc = spawn(process.execPath, [cli, 'worker', '--redis', url, '--json', '--concurrency', values.concurrency], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => /"type":"ready"/.test(d.toString()) && resolve());
    proc.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
  return { proc, ready };
}

const rate = (docs, ms) => (docs / (ms / 1000)).toFixed(1);
const rows = [];
try {
  const data = path.join(work, 'data');
  await writeSyntheticDataset(data, n);
  process.stdout.write(`citybrief queue bench: ${n} synthetic cities (${kinds.join(', ')}), Redis ${url}, ${values.concurrency} pages per worker\n`);

  const local = await build({ data, out: path.join(work, 'out-local'), kinds, cwd: root });
  const docs = local.outputs.filter((o) => o.format === 'pdf').length;
  const own = ['context', 'charts', 'html', 'finish', 'write'].reduce((sum, stage) => sum + local.timings[stage], 0);
  rows.push(['local build (no queue)', docs, local.elapsedMs]);
  process.stdout.write(`\nlocal build: ${docs} documents in ${(local.elapsedMs / 1000).toFixed(2)} s = ${rate(docs, local.elapsedMs)} documents/s\n`);
  process.stdout.write(`  the build's own work per document (context, charts, html, finish, write): ${(own / docs).toFixed(1)} ms\n`);

  for (const count of counts) {
    await redis.flushall();
    const pool = Array.from({ length: count }, startWorker);
    await Promise.all(pool.map((w) => w.ready));
    await redis.config('RESETSTAT');
    const result = await build({ data, out: path.join(work, `out-${count}`), kinds, cwd: root, redis: url });
    const after = await serverStats();
    const built = result.outputs.filter((o) => o.format === 'pdf').length;
    rows.push([`${count} worker${count > 1 ? 's' : ''}`, built, result.elapsedMs]);
    // Announcements, the stalled-job checks and the sweep are in these counts too: they go by the second, not by the document.
    const perDoc = { commands: after.commands / built, bytes: after.bytes / built };
    const top = Object.entries(after.byCommand).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${(n / built).toFixed(1)}`);
    process.stdout.write(
      `\n${count} worker${count > 1 ? 's' : ''}: ${built} documents in ${(result.elapsedMs / 1000).toFixed(2)} s = ${rate(built, result.elapsedMs)} documents/s` +
        `\n  Redis per document: ${perDoc.commands.toFixed(1)} commands, ${(perDoc.bytes / 1024).toFixed(0)} KB through the server (in + out)` +
        `\n    most sent: ${top.join(', ')}` +
        `\n  printed by: ${Object.entries(result.workers ?? {}).map(([w, c]) => `${w} ${c}`).join(', ')}\n`,
    );
    for (const w of pool) w.proc.kill('SIGTERM');
    await Promise.all(pool.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r() : w.proc.once('exit', r)))));
  }
  process.stdout.write(`\n${'run'.padEnd(24)} ${'documents'.padStart(9)} ${'seconds'.padStart(8)} ${'docs/s'.padStart(7)}\n`);
  for (const [name, d, ms] of rows) process.stdout.write(`${name.padEnd(24)} ${String(d).padStart(9)} ${(ms / 1000).toFixed(2).padStart(8)} ${rate(d, ms).padStart(7)}\n`);
} finally {
  redis.disconnect();
  redisServer.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
}
