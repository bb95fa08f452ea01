/**
 * citybrief benchmark: a synthetic dataset of N cities shaped like the seed
 * (N = 1000 by default), built in one run, then rebuilt with nothing changed
 * and with one city changed; and, for comparison, the naive approach (a
 * browser launched per document) on a small sample.
 *
 *   npm run bench                 # N = 1000
 *   npm run bench -- 200          # N = 200
 *   npm run bench -- 1000 --sample 10 --kind briefing
 *   npm run bench -- 200 --queue      # through Redis with 1 and 2 workers (bench/queue.mjs)
 *
 * Prints briefings per second (over the whole build, and sustained once the
 * first documents are out), milliseconds per stage, the peak memory of the
 * whole process tree (this process and every Chromium process under it,
 * proportional set size), the print-only ceiling (the same Chromium
 * re-printing loaded briefings) and the build's ratio to it, and the times of
 * the two rebuilds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSyntheticDataset } from './synthetic.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sample: { type: 'string', default: '10' },
    kind: { type: 'string', default: 'briefing' },
    keep: { type: 'boolean', default: false },
    queue: { type: 'boolean', default: false },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
if (values.queue) {
  await import('./queue.mjs');
  process.exit(0);
}
const n = Number(positionals[0] ?? 1000);
const sample = Number(values.sample);
const kinds = values.kind.split(',');

const { build } = await import(path.join(root, 'dist/index.js'));

/** Peak proportional set size of this process and all its descendants, sampled every second. */
function memoryWatcher() {
  let peak = 0;
  const children = () => {
    const byParent = new Map();
    for (const entry of readdirSyncSafe('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (!byParent.has(ppid)) byParent.set(ppid, []);
        byParent.get(ppid).push(Number(entry));
      } catch {}
    }
    const tree = [process.pid];
    for (let i = 0; i < tree.length; i++) tree.push(...(byParent.get(tree[i]) ?? []));
    return tree;
  };
  const pss = (pid) => {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  const sampleNow = () => {
    const total = children().reduce((sum, pid) => sum + pss(pid), 0);
    if (total > peak) peak = total;
  };
  // Reading smaps_rollup walks page tables; once a second keeps the measurement from slowing the build it measures.
  const timer = setInterval(sampleNow, 1000);
  return {
    stop() {
      clearInterval(timer);
      sampleNow();
      return peak;
    },
  };
}

function readdirSyncSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

const work = await mkdtemp(path.join(tmpdir(), 'citybrief-bench-'));
try {
  const data = path.join(work, 'data');
  const out = path.join(work, 'out');
  process.stdout.write(`citybrief bench: ${n} synthetic cities (${kinds.join(', ')}) in ${work}\n`);
  await writeSyntheticDataset(data, n);

  // 1. Full build.
  const memory = memoryWatcher();
  // When each document was written: the steady rate is measured between the 10th and the last, past
  // the start (reading and validating every city, starting Chromium, the first documents of a page).
  const written = [];
  const started = performance.now();
  const full = await build({ data, out, kinds, cwd: root, onProgress: (e) => e.type === 'output' && written.push(performance.now()) });
  const peak = memory.stop();
  const docs = full.outputs.filter((o) => o.format === 'pdf').length;
  process.stdout.write(`\nfull build: ${docs} documents in ${s(full.elapsedMs)} = ${(docs / (full.elapsedMs / 1000)).toFixed(1)} documents/s\n`);
  if (written.length > 20) {
    const from = 9;
    const steady = (written.length - 1 - from) / ((written.at(-1) - written[from]) / 1000);
    process.stdout.write(`  sustained from the 10th document on (the first ${s(written[from] - started)} not counted): ${steady.toFixed(1)} documents/s\n`);
  }
  process.stdout.write(`  peak memory of the process tree (PSS): ${mb(peak)}\n`);
  process.stdout.write(`  per stage (ms in total, ms per document; printing runs on several pages at once):\n`);
  for (const [stage, ms] of Object.entries(full.timings)) {
    process.stdout.write(`    ${stage.padEnd(9)} ${String(Math.round(ms)).padStart(8)}  ${(ms / docs).toFixed(1).padStart(7)}\n`);
  }

  // 2. The ceiling: the same Chromium re-printing briefings already loaded, on as many pages as the
  // build prints on at once: no new content, no Node work. What the build reaches of it is the measure
  // of everything around printing.
  {
    const { launchBrowser } = await import(path.join(root, 'dist/browser/launch.js'));
    const { printOnlyPage } = await import(path.join(root, 'dist/browser/pool.js'));
    const { resolveConfig } = await import(path.join(root, 'dist/config.js'));
    const config = resolveConfig({ cwd: root });
    const browser = await launchBrowser(config);
    try {
      const htmls = full.outputs.filter((o) => o.format === 'html' && o.kind === kinds[0]).slice(0, config.concurrency);
      const sessions = [];
      for (const entry of htmls) {
        const page = await printOnlyPage(browser);
        await page.setJavaScriptEnabled(false);
        await page.goto(`file://${path.join(out, entry.path)}`, { waitUntil: 'load' });
        sessions.push(await page.createCDPSession());
      }
      const print = (session) =>
        session.send('Page.printToPDF', {
          printBackground: true, preferCSSPageSize: true, paperWidth: 8.27, paperHeight: 11.7,
          marginTop: 0, marginBottom: 0, marginLeft: 0, marginRight: 0,
          generateTaggedPDF: true, generateDocumentOutline: true, transferMode: 'ReturnAsBase64',
        });
      await Promise.all(sessions.map(print)); // warm
      let printed = 0;
      const from = performance.now();
      const until = from + 15_000;
      await Promise.all(sessions.map(async (session) => {
        while (performance.now() < until) {
          await print(session);
          printed++;
        }
      }));
      const ceiling = printed / ((performance.now() - from) / 1000);
      const whole = docs / (full.elapsedMs / 1000);
      process.stdout.write(`\nprint-only ceiling (this Chromium re-printing ${sessions.length} loaded documents, ${sessions.length} at once): ${ceiling.toFixed(1)} documents/s\n`);
      process.stdout.write(`  whole build / ceiling: ${(whole / ceiling).toFixed(2)}\n`);
      if (written.length > 20) process.stdout.write(`  sustained / ceiling: ${((written.length - 10) / ((written.at(-1) - written[9]) / 1000) / ceiling).toFixed(2)}\n`);
    } finally {
      await browser.close();
    }
  }

  // 3. No-op rebuild: nothing changed.
  let t = performance.now();
  const noop = await build({ data, out, kinds, cwd: root });
  process.stdout.write(`\nno-op rebuild: ${s(performance.now() - t)} (built ${noop.outputs.filter((o) => o.format === 'pdf').length}, unchanged ${noop.unchanged})\n`);

  // 4. One city changed.
  const cityFiles = (await readdir(path.join(data, 'cities'))).sort();
  const changed = path.join(data, 'cities', cityFiles[Math.floor(cityFiles.length / 2)]);
  const text = await readFile(changed, 'utf8');
  await writeFile(changed, text.replace(/^commentary: (.*)$/m, (_, c) => `commentary: ${c}(修訂)`));
  t = performance.now();
  const one = await build({ data, out, kinds, cwd: root });
  process.stdout.write(`one-city-changed rebuild: ${s(performance.now() - t)} (built ${one.outputs.filter((o) => o.format === 'pdf').length}, unchanged ${one.unchanged})\n`);

  // 5. The naive approach, on a sample: launch a browser for each document and navigate to it.
  if (sample > 0) {
    const { default: puppeteer } = await import('puppeteer-core');
    const { default: chromium } = await import('@sparticuz/chromium');
    const executablePath = process.env.CITYBRIEF_CHROME ?? (await chromium.executablePath());
    const htmls = full.outputs.filter((o) => o.format === 'html').slice(0, sample);
    t = performance.now();
    for (const entry of htmls) {
      const browser = await puppeteer.launch({ executablePath, headless: process.env.CITYBRIEF_CHROME ? true : 'shell', args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'] });
      try {
        const page = await browser.newPage();
        await page.goto(`file://${path.join(out, entry.path)}`, { waitUntil: 'load' });
        await page.pdf({ preferCSSPageSize: true, printBackground: true, tagged: true, outline: true });
      } finally {
        await browser.close();
      }
    }
    const naive = performance.now() - t;
    process.stdout.write(`\nnaive (a browser per document, ${htmls.length} documents): ${s(naive)} = ${(htmls.length / (naive / 1000)).toFixed(1)} documents/s\n`);
  }
} finally {
  if (!values.keep) await rm(work, { recursive: true, force: true });
}
