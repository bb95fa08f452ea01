/**
 * The preview, driven in a real browser (the bundled Chromium) as a designer uses it: the index,
 * a document, a saved change seen in the view, a broken file shown in the page and recovered from,
 * a shared template that updates every open document. And the server's conventions: a busy port,
 * requests addressed to another name, files outside the outputs.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../src/browser/launch.js';
import { bundledTheme, resolveConfig } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';
import { msg } from '../../src/messages.js';
import { preview, type Preview } from '../../src/preview.js';

const root = path.resolve(import.meta.dirname, '../..');
let work: string;
let server: Preview;
let browser: Browser;
const events: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-preview-'));
  await cp(path.join(root, 'tests/fixtures/csv/tables'), path.join(work, 'data'), { recursive: true });
  await cp(bundledTheme, path.join(work, 'templates'), { recursive: true });
  server = await preview({ cwd: work, data: 'data', templates: 'templates', out: 'out', port: 0 }, (e) => events.push(e.type));
  browser = await launchBrowser(resolveConfig({}));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** The text pdf.js drew in the view (its text layer), without spaces. */
const viewText = (page: Page) => page.$eval('#viewer', (e) => (e.textContent ?? '').replace(/\s+/g, ''));
const waitForText = (page: Page, text: string) =>
  page.waitForFunction((t) => (document.getElementById('viewer')?.textContent ?? '').replace(/\s+/g, '').includes(t), { polling: 'mutation', timeout: 30_000 }, text);

async function open(pathInOut: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(`${server.url}#/view/${encodeURIComponent(pathInOut)}`);
  await page.waitForSelector('.textLayer span', { timeout: 30_000 });
  return page;
}

describe('preview in a browser', () => {
  it('lists every output with its pages, and opens one as it prints', async () => {
    await server.idle();
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelectorAll('#outputs a').length >= 5, { timeout: 30_000 });
    const rows = await page.$$eval('#outputs td', (cells) => cells.map((c) => c.textContent?.trim()).filter(Boolean));
    const manifest = JSON.parse(await readFile(path.join(work, 'out', 'manifest.json'), 'utf8')) as { outputs: { path: string; format: string; pages: number }[] };
    const pdfs = manifest.outputs.filter((o) => o.format === 'pdf');
    expect(rows).toHaveLength(pdfs.length);
    for (const o of pdfs) expect(rows).toContain(`${o.path} ${o.pages} page${o.pages === 1 ? '' : 's'}`);

    await page.click('a[href$="alpha%2Fbriefing.pdf"]');
    await waitForText(page, '甲市');
    // The view is the written PDF: the page loaded exactly the bytes in out/.
    const served = await page.evaluate(async () => new Uint8Array(await (await fetch(`/out/alpha/briefing.pdf`)).arrayBuffer()).length);
    expect(served).toBe((await readFile(path.join(work, 'out', 'alpha', 'briefing.pdf'))).length);
    expect(await page.$eval('#page', (e) => e.textContent)).toMatch(/^page 1 of \d+$/);
    await page.close();
  }, 90_000);

  it('shows a changed value after its file is saved, a broken file in the page, and recovers when it is fixed', async () => {
    const page = await open('alpha/briefing.pdf');
    await waitForText(page, '3111件');

    const series = path.join(work, 'data', 'series.csv');
    const rows = await readFile(series, 'utf8');
    await writeFile(series, rows.replace('2012年,3111,', '2012年,3222,'));
    await waitForText(page, '3222件');
    expect(await viewText(page)).not.toContain('3111件');

    // A YAML syntax error: its file and line show over the last good view, which stays.
    const dataset = path.join(work, 'data', 'dataset.yaml');
    const text = await readFile(dataset, 'utf8');
    const broken = text.replace('title: 測試資料集', 'title: [測試資料集');
    await writeFile(dataset, broken);
    await page.waitForSelector('#problems:not([hidden])', { timeout: 30_000 });
    const shown = await page.$eval('#problem-list', (e) => e.textContent ?? '');
    expect(shown).toMatch(/data[\\/]dataset\.yaml:\d+:\d+/);
    expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/problem/);
    expect(await viewText(page)).toContain('3222件');

    await writeFile(dataset, text);
    await page.waitForSelector('#problems[hidden]', { timeout: 30_000 });
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'up to date', { timeout: 30_000 });
    expect(await viewText(page)).toContain('3222件');

    await page.close();

    // The reader on page 2 (of the deck, which has several) stays on page 2 when the document is drawn anew (its stylesheet saved).
    const deck = await open('alpha/slides.pdf');
    await deck.click('#next');
    await deck.waitForFunction(() => /^page 2 of/.test(document.getElementById('page')?.textContent ?? ''), { timeout: 10_000 });
    const before = await deck.$eval('body', (b) => b.dataset.drawn);
    const slidesCss = path.join(work, 'templates', 'slides.css');
    await writeFile(slidesCss, `${await readFile(slidesCss, 'utf8')}\n.slide h2 { color: #7a1f5c; }\n`);
    await deck.waitForFunction((v) => document.body.dataset.drawn !== undefined && document.body.dataset.drawn !== v, { timeout: 30_000 }, before);
    expect(await deck.$eval('#page', (e) => e.textContent)).toMatch(/^page 2 of \d+$/);
    expect(await deck.$eval('#viewerContainer', (e) => e.scrollTop)).toBeGreaterThan(0);
    await deck.close();
  }, 120_000);

  it('redraws every open document when a template they share is saved', async () => {
    const [alpha, beta] = [await open('alpha/briefing.pdf'), await open('beta/briefing.pdf')];
    const header = path.join(work, 'templates', 'partials', 'header.hbs');
    const text = await readFile(header, 'utf8');
    await writeFile(header, text.replace('<p class="headline">', '<p class="draft">DRAFT 7</p><p class="headline">'));
    await Promise.all([waitForText(alpha, 'DRAFT7'), waitForText(beta, 'DRAFT7')]);
    await writeFile(header, text);
    await Promise.all([alpha.close(), beta.close()]);
    await server.idle();
  }, 120_000);
});

describe('the preview server', () => {
  const get = (pathname: string) => fetch(new URL(pathname, server.url));
  /** A request that names another host than the one it reaches (fetch always sends the real one). */
  const statusFor = (host: string) =>
    new Promise<number>((resolve, reject) => {
      request(new URL('/state', server.url), { headers: { host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });

  it('serves only the outputs and its own page, and only to its own address', async () => {
    expect((await get('/out/alpha/briefing.pdf')).status).toBe(200);
    expect((await get('/out/manifest.json')).status).toBe(404);
    expect((await get('/out/..%2Fdata%2Fdataset.yaml')).status).toBe(404);
    expect((await get('/..%2F..%2Fpackage.json')).status).toBe(404);
    // A page of another site whose name resolves here (DNS rebinding) is refused.
    expect(await statusFor('attacker.example')).toBe(403);
    expect(await statusFor(new URL(server.url).host)).toBe(200);
    const index = await get('/');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('names a busy port that was asked for, with the fix', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await preview({ cwd: work, data: 'data', out: 'out-busy', port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(msg.portBusy(port));
    } finally {
      blocker.close();
    }
  });

  it('told its listeners about the saves and builds', () => {
    expect(events).toContain('listening');
    expect(events).toContain('changed');
    expect(events).toContain('built');
    expect(events).toContain('problems');
  });
});

describe('citybrief preview (the command)', () => {
  it('prints JSON events, and on Ctrl-C exits 130 with its browser closed', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'preview', '--json', '--port', '0', '--data', 'data', '--out', 'out-cli'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: { type: string; pid?: number; url?: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) seen.push(JSON.parse(line) as (typeof seen)[number]);
        if (seen.some((e) => e.type === 'built')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`preview exited with ${code} before building`)));
    });
    expect(seen[0]).toMatchObject({ type: 'listening', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) });
    const pid = seen.find((e) => e.type === 'browser')?.pid;
    expect(pid).toBeGreaterThan(0);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(() => process.kill(pid!, 0)).toThrow(/ESRCH/);
  }, 90_000);

  it('refuses a port that is not a number, plainly', async () => {
    const { runCli } = await import('../helpers/fixtures.js');
    const { code, err } = await runCli(['preview', '--port', 'eighty']);
    expect(code).toBe(2);
    expect(err).toBe('citybrief: --port takes a port number from 0 to 65535, not "eighty".\n');
  });
});
