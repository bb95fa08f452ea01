/**
 * Preview latency: from saving a file to the new document drawn in the browser.
 *
 *   npm run bench:preview            # 20 saves
 *   npm run bench:preview -- 40      # 40 saves
 *
 * Starts `preview` on a copy of this repository's project (the seed), opens one
 * briefing in the bundled Chromium as a reader would, then saves its city file
 * again and again, each time with another headline, and measures how long it
 * takes until the page shows the new headline (its PDF loaded and its first
 * page's text drawn by pdf.js). Prints the median and the worst save, and the
 * build's share of it.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const saves = Number(process.argv[2] ?? 20);
if (!Number.isInteger(saves) || saves < 1) {
  console.error(`bench/preview.mjs: the number of saves must be a whole number of at least 1, not "${process.argv[2]}".`);
  process.exit(2);
}
const { preview } = await import(path.join(root, 'dist/preview.js'));
const { launchBrowser } = await import(path.join(root, 'dist/browser/launch.js'));
const { resolveConfig } = await import(path.join(root, 'dist/config.js'));

const work = await mkdtemp(path.join(tmpdir(), 'citybrief-bench-preview-'));
await cp(path.join(root, 'data'), path.join(work, 'data'), { recursive: true });
const city = 'chengdu';
const file = path.join(work, 'data', 'cities', `${city}.yaml`);
const original = await readFile(file, 'utf8');
const headline = /^headline: \[ (.+), (.+) \]$/m;
if (!headline.test(original)) throw new Error(`${file} has no one-line headline to change`);

const builds = [];
const started = performance.now();
const server = await preview({ cwd: work, out: path.join(work, 'out'), port: 0 }, (event) => {
  if (event.type === 'built') builds.push(event.elapsedMs);
});
const startup = performance.now() - started;
const browser = await launchBrowser(resolveConfig({}));
try {
  await server.idle();
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${server.url}#/view/${encodeURIComponent(`${city}/briefing.pdf`)}`);
  await page.waitForSelector('.textLayer span', { timeout: 30_000 });

  const times = [];
  for (let i = 1; i <= saves; i++) {
    const mark = `鞏固${i}號`;
    const t = performance.now();
    await writeFile(file, original.replace(headline, `headline: [ $1, ${mark} ]`));
    await page.waitForFunction((m) => (document.getElementById('viewer')?.textContent ?? '').replace(/\s+/g, '').includes(m), { polling: 'mutation', timeout: 30_000 }, mark);
    times.push(performance.now() - t);
    await server.idle();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor((times.length - 1) / 2)];
  const rebuilds = builds.slice(1).sort((a, b) => a - b);
  console.log(`preview of ${city}/briefing.pdf (seed, ${saves} saves of its city file)`);
  console.log(`  server started in ${startup.toFixed(0)} ms`);
  console.log(`  save to new view: median ${median.toFixed(0)} ms, worst ${times.at(-1).toFixed(0)} ms, best ${times[0].toFixed(0)} ms`);
  console.log(`  each rebuild (briefing, slides and overview of the city): median ${rebuilds[Math.floor((rebuilds.length - 1) / 2)]} ms`);
} finally {
  await browser.close();
  await server.close();
  await rm(work, { recursive: true, force: true });
}
