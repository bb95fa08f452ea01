/**
 * Printing with another Chromium than the bundled one (--chrome): Debian's
 * `chromium` package, where it is installed (CI installs it). Its PDFs are
 * finished as the bundled browser's are: the same metadata, language, links
 * between outputs, tags and bookmarks, and reproducible bytes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from '../../src/index.js';
import { readPdf, readPdfDocument } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});
async function buildWith(chrome: string | undefined) {
  const out = await mkdtemp(path.join(tmpdir(), 'citybrief-browser-'));
  scratch.push(out);
  const result = await build({ cwd: root, data: 'tests/fixtures/other-office', kinds: ['briefing', 'overview'], out, chrome });
  return { out, result };
}

describe.skipIf(!existsSync(DEBIAN_CHROMIUM))("Debian's chromium", () => {
  it('prints documents finished as the bundled browser does, byte for byte the same on a second build', async () => {
    const [debian, again, bundled] = [await buildWith(DEBIAN_CHROMIUM), await buildWith(DEBIAN_CHROMIUM), await buildWith(undefined)];
    expect(debian.result.failures).toEqual([]);
    const bytes = (r: typeof debian) => Object.fromEntries(r.result.outputs.map((o) => [o.path, o.sha256]));
    expect(bytes(again)).toEqual(bytes(debian));

    for (const file of ['example-city/briefing.pdf', 'overview.pdf']) {
      const [theirs, ours] = await Promise.all([readPdfDocument(path.join(debian.out, file)), readPdfDocument(path.join(bundled.out, file))]);
      for (const key of ['Title', 'Subject', 'Author', 'Keywords', 'Creator']) expect(theirs.info[key], `${file} ${key}`).toBe(ours.info[key]);
      expect(theirs.info.CreationDate, file).toBeUndefined();
      expect(theirs.lang, file).toBe('zh-Hans');
      expect(theirs.tagged, file).toBe(true);
      expect(theirs.outline.map((o) => o.title), file).toEqual(ours.outline.map((o) => o.title));
      expect(theirs.fileLinks.map((l) => l.file).sort(), file).toEqual(ours.fileLinks.map((l) => l.file).sort());
      expect((await readPdf(path.join(debian.out, file))).text, file).toBe((await readPdf(path.join(bundled.out, file))).text);
    }
    const overview = await readPdfDocument(path.join(debian.out, 'overview.pdf'));
    expect(overview.fileLinks.map((l) => l.file).sort()).toEqual(['example-city/briefing.pdf', 'sample-county/briefing.pdf']);
  }, 240_000);
});
