/**
 * Hostile content: markup, script, Handlebars syntax and URLs of every
 * spelling in the data and in a template come out as text or are refused;
 * nothing executes and nothing leaves the machine. A canary HTTP server on
 * the loopback address must receive no request at all.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, DataError, validateDataset, type BuildResult } from '../../src/index.js';
import { readPdf, squash } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = path.join(root, 'tests/fixtures/hostile');

let work: string;
let port: number;
const hits: string[] = [];
const servers: http.Server[] = [];

/** A server that records every request it gets, on an address of the loopback range. */
async function canary(host: string, at: number): Promise<number> {
  const server = http.createServer((req, res) => {
    hits.push(`${host} ${req.method} ${req.url}`);
    res.end('canary');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(at, host, () => resolve()));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

/** Copy a folder, writing the canary's address wherever a file says CANARY or PORT. */
async function copyWithCanary(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  for (const entry of await readdir(to, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replaceAll('CANARY', `127.0.0.1:${port}`).replaceAll('PORT', String(port)));
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-hostile-'));
  port = await canary('127.0.0.1', 0);
  // The same port on ::1, for the IPv6 spelling, where the machine has IPv6 loopback.
  await canary('::1', port).catch(() => undefined);
});

afterAll(async () => {
  for (const server of servers) server.close();
  await rm(work, { recursive: true, force: true });
});

describe('hostile text in the data', () => {
  let result: BuildResult;
  let out: string;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    const data = path.join(work, 'data');
    out = path.join(work, 'out');
    await copyWithCanary(fixture, data);
    result = await build({ cwd: root, data, out });
  });

  it('reaches no server: the canary gets no request', () => {
    expect(hits).toEqual([]);
    expect(result.failures).toEqual([]);
  });

  it('prints markup, script and Handlebars syntax literally', async () => {
    for (const file of ['hostile/briefing.pdf', 'hostile/slides.pdf', 'overview.pdf']) {
      const { text } = await readPdf(path.join(out, file));
      expect(text, file).toContain(squash('惡意市 <script>alert(1)</script>'));
    }
    const { text } = await readPdf(path.join(out, 'hostile/briefing.pdf'));
    for (const literal of ['{{#each this}}x{{/each}}', '<iframe src="file:///etc/passwd"></iframe>', '{{{raw}}} {{> header}}', `<img src=http://127.0.0.1:${port}/h.png>`]) {
      expect(text).toContain(squash(literal));
    }
  });

  it('writes HTML in which none of it is markup', async () => {
    for (const file of ['hostile/briefing.html', 'hostile/slides.html', 'overview.html']) {
      const html = await readFile(path.join(out, file), 'utf8');
      expect(html, file).not.toMatch(/<(script|iframe|object|video|img|link)\b/i);
      expect(html, file).not.toMatch(/href="javascript:/i);
      expect(html, file).toContain('&lt;script&gt;');
    }
  });

  it('prints emoji from the bundled emoji font, embedded like any text', async () => {
    const pdf = await readPdf(path.join(out, 'hostile/briefing.pdf'));
    expect(pdf.text).toContain('城市🏙');
    expect(pdf.text).toContain('專利📈');
    expect(pdf.fonts.some((f) => /\+NotoEmoji/.test(f.baseFont) && f.embedded && f.descendant === '/CIDFontType2')).toBe(true);
    for (const font of pdf.fonts) expect(font.baseFont).toMatch(/^\/[A-Z]{6}\+Noto(SansTC|SansSC|Emoji)/);
    // One font per face, the emoji's too, though its text touches several of the package's subset files.
    const names = pdf.fonts.map((f) => f.baseFont.replace(/^\/[A-Z]{6}\+/, ''));
    expect(names).toEqual([...new Set(names)]);
  });

  it('pollutes no prototype', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses __proto__ and constructor as fields instead of following them', async () => {
    const data = path.join(work, 'proto');
    await copyWithCanary(fixture, data);
    const file = path.join(data, 'cities', 'hostile.yaml');
    await writeFile(file, `${await readFile(file, 'utf8')}__proto__: { polluted: true }\nconstructor: { prototype: { polluted: true } }\n`);
    const error = await validateDataset({ cwd: root, data }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).problems.map((p) => p.field)).toEqual(expect.arrayContaining(['__proto__', 'constructor']));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('URLs in a template', () => {
  it('are refused by the printer: the canary gets no request, and the refused list names them', async () => {
    const templates = path.join(work, 'templates');
    await cp(path.join(root, 'templates'), templates, { recursive: true });
    const file = path.join(templates, 'briefing.hbs');
    const injected = [
      `<img src="http://127.0.0.1:${port}/template.png">`,
      `<link rel="stylesheet" href="//127.0.0.1:${port}/protocol-relative.css">`,
      `<style>@import url(http://127.0.0.1:${port}/import.css); .x{background:url(http://[::1]:${port}/ipv6.png)}</style><div class="x">x</div>`,
      `<iframe src="http://2130706433:${port}/decimal"></iframe>`,
      `<iframe src="file:///etc/passwd"></iframe>`,
      `<iframe src="data:text/html,<img src=http://127.0.0.1:${port}/from-data-url>"></iframe>`,
      `<a href="javascript:fetch('http://127.0.0.1:${port}/js')">link</a>`,
    ].join('\n');
    await writeFile(file, (await readFile(file, 'utf8')).replace('</main>', `${injected}\n</main>`));
    const result = await build({ cwd: root, templates, out: path.join(work, 'template-out'), kinds: ['briefing'], cities: ['shenzhen'] });
    expect(hits).toEqual([]);
    expect(result.failures).toEqual([]);
    // Every spelling reached the printer's request filter and went no further.
    for (const name of ['/template.png', '/protocol-relative.css', '/import.css', '/ipv6.png', '/decimal', '/from-data-url']) {
      expect(result.refused.some((url) => url.endsWith(name)), name).toBe(true);
    }
    // A local file is not even requested from a page of the build's origin: its content is nowhere.
    const { text } = await readPdf(path.join(work, 'template-out', 'shenzhen', 'briefing.pdf'));
    expect(text).not.toMatch(/root:.*:0:0:/);
  });
});

describe('a 300-character city name', () => {
  it('wraps and shrinks in every document: the full name is printed and nothing overflows its box', async () => {
    const data = path.join(work, 'long-name');
    await cp(path.join(root, 'tests/fixtures/other-office'), data, { recursive: true });
    const long = `${'長'.repeat(165)}${'Averyveryveryverylongcitynamewithoutanyspaces'.repeat(3)}`;
    expect([...long]).toHaveLength(300);
    const file = path.join(data, 'cities', 'example-city.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('zh-Hans: 示例市,', `zh-Hans: "${long}",`));
    const warnings: string[] = [];
    const result = await build({ cwd: root, data, out: path.join(work, 'long-out'), onProgress: (e) => e.type === 'warning' && warnings.push(e.message) });
    expect(result.failures).toEqual([]);
    // Slides and overview summaries are measured as they print: an overflow would be a warning.
    expect(warnings).toEqual([]);
    for (const doc of ['briefing', 'slides']) {
      const { text } = await readPdf(path.join(work, 'long-out', 'example-city', `${doc}.pdf`));
      expect(text, doc).toContain(long);
    }
  });
});
