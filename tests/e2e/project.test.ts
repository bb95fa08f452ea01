/**
 * A project that is not the seed, owned by its office: another language
 * (French, which citybrief has no words for, so labels/fr.yaml gives them
 * all), fields of its own, a helper of its own, a one-page Letter-size kind
 * of its own, a logo and photos. Built as a user builds it (the project
 * folder, nothing else), read back, then changed one file at a time to see
 * that exactly the affected outputs are redone. And the starter that
 * `citybrief init` writes builds with no edit.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDict, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';
import { build, type BuildResult, type ProgressEvent } from '../../src/index.js';
import { init } from '../../src/init.js';
import { readPdf, squash, type PdfFacts } from '../helpers/pdf.js';

const root = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(root, 'tests/fixtures/project');
const scratch: string[] = [];
const temp = async (name: string) => {
  const dir = await mkdtemp(path.join(tmpdir(), `citybrief-${name}-`));
  scratch.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Build a project as `citybrief build` in its folder does; the plan event says what was redone. */
async function buildProject(dir: string): Promise<{ result: BuildResult; plan: ProgressEvent | undefined; warnings: string[] }> {
  const events: ProgressEvent[] = [];
  const result = await build({ cwd: dir, onProgress: (e) => events.push(e) });
  return { result, plan: events.find((e) => e.type === 'plan'), warnings: events.flatMap((e) => (e.type === 'warning' ? [e.message] : [])) };
}

/** The image XObjects of a PDF: their filter and the bytes of their stream as stored. */
async function images(file: string): Promise<{ filter: string; bytes: Uint8Array }[]> {
  const doc = await PDFDocument.load(await readFile(file), { updateMetadata: false });
  const found: { filter: string; bytes: Uint8Array }[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFRawStream) || object.dict.get(PDFName.of('Subtype'))?.toString() !== '/Image') continue;
    found.push({ filter: object.dict.get(PDFName.of('Filter'))?.toString() ?? '', bytes: object.contents });
  }
  return found;
}

describe('a project of its own: French words, own fields, own helper, a Letter fact sheet, images', () => {
  let dir: string;
  let first: BuildResult;
  const pdfs = new Map<string, PdfFacts>();

  beforeAll(async () => {
    dir = await temp('project');
    await cp(FIXTURE, dir, { recursive: true });
    ({ result: first } = await buildProject(dir));
    for (const id of ['vallon', 'port-aubert']) pdfs.set(id, await readPdf(path.join(dir, 'out', id, 'fiche.pdf')));
  }, 120_000);

  it('builds the kind its template declares, per city, where its front matter says, and nothing else', () => {
    expect(first.failures).toEqual([]);
    expect(first.outputs.map((o) => `${o.kind} ${o.city} ${o.path}`).sort()).toEqual([
      'fiche port-aubert port-aubert/fiche.html',
      'fiche port-aubert port-aubert/fiche.pdf',
      'fiche vallon vallon/fiche.html',
      'fiche vallon vallon/fiche.pdf',
    ]);
  });

  it('prints on one US Letter page, as the kind declares', () => {
    for (const pdf of pdfs.values()) {
      expect(pdf.pages).toBe(1);
      expect(pdf.sizes[0]).toEqual({ width: 612, height: 792 });
    }
  });

  it("prints the project's words from labels/fr.yaml, its footer included", async () => {
    const labels = parse(await readFile(path.join(FIXTURE, 'labels/fr.yaml'), 'utf8')) as Record<string, string | Record<string, string>>;
    const text = pdfs.get('port-aubert')!.text;
    for (const key of ['facts', 'keyFigures', 'commentary', 'programmes']) expect(text).toContain(squash(labels[key] as string));
    expect(text).toContain(squash('Page 1 sur 1'));
    // A kind of programme the project named itself, and the qualifier "nearly" in its words.
    expect(text).toContain(squash(`${(labels.programmeKinds as Record<string, string>).guichet}—Guichet unique de la rénovation`));
    expect(text).toContain(squash('près de 600 ménages'));
    // No word of citybrief's own languages slipped in.
    expect(text).not.toMatch(/Key figures|重點數據|重点数据/);
  });

  it('shows the fields the dataset declares, through its own template, and the value of its own helper', () => {
    const text = pdfs.get('vallon')!.text;
    expect(text).toContain('ClaireDumas');
    // 18 400 in French digits (a narrow no-break space groups them), and 18400 / 412 from the project's helper.
    expect(text).toContain(squash(`${new Intl.NumberFormat('fr').format(18400)}habitants`));
    expect(text).toContain(new Intl.NumberFormat('fr', { maximumFractionDigits: 1 }).format(18400 / 412));
    // A figure's own field.
    expect(text).toContain(squash('Toitures isolées (Toits chauds)'));
  });

  it('embeds each JPEG once, as the file itself (not re-encoded), though the page shows it twice', async () => {
    for (const id of ['vallon', 'port-aubert']) {
      const jpeg = await readFile(path.join(FIXTURE, 'assets/photos', `${id}.jpg`));
      const shown = await images(path.join(dir, 'out', id, 'fiche.pdf'));
      const jpegs = shown.filter((i) => i.filter === '/DCTDecode');
      expect(jpegs, id).toHaveLength(1);
      expect(Buffer.from(jpegs[0]!.bytes).equals(jpeg), `${id}: the stored stream is the JPEG file`).toBe(true);
      // And the logo, a PNG, as an image of its own.
      expect(shown.length, id).toBe(2);
    }
  });

  it('HTML outputs show the same images from out/assets, and the printer asked for nothing else', async () => {
    const html = await readFile(path.join(dir, 'out/vallon/fiche.html'), 'utf8');
    expect(html).toContain('src="../assets/photos/vallon.jpg"');
    expect(html).toContain('src="../assets/logo.png"');
    expect((await readFile(path.join(dir, 'out/assets/photos/vallon.jpg'))).equals(await readFile(path.join(FIXTURE, 'assets/photos/vallon.jpg')))).toBe(true);
    // Only the images the documents show are copied.
    expect((await readdir(path.join(dir, 'out/assets'), { recursive: true })).sort()).toEqual(['logo.png', 'photos', 'photos/port-aubert.jpg', 'photos/vallon.jpg']);
    expect(first.refused).toEqual([]);
  });

  it('gives the same bytes when built again into another folder, as every kind does', async () => {
    const again = await build({ cwd: dir, out: path.join(await temp('project-again'), 'out') });
    for (const entry of again.outputs) {
      const earlier = first.outputs.find((o) => o.path === entry.path);
      expect(entry.sha256, entry.path).toBe(earlier?.sha256);
    }
    expect(again.outputs).toHaveLength(first.outputs.length);
  });

  describe('rebuilds redo exactly the affected outputs', () => {
    const built = (result: BuildResult) => result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path).sort();

    it('nothing changed: nothing is redone', async () => {
      const { result, plan } = await buildProject(dir);
      expect(plan).toEqual({ type: 'plan', build: 0, unchanged: 2 });
      expect(result.outputs).toEqual([]);
    });

    it("a label changed: every document of the project's language", async () => {
      const file = path.join(dir, 'labels/fr.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('commentary: Le mot de la mairie', 'commentary: La parole au maire'));
      const { result } = await buildProject(dir);
      expect(built(result)).toEqual(['port-aubert/fiche.pdf', 'vallon/fiche.pdf']);
      expect((await readPdf(path.join(dir, 'out/vallon/fiche.pdf'))).text).toContain('Laparoleaumaire');
    });

    it("one city's photo changed: that city's document only", async () => {
      await cp(path.join(FIXTURE, 'assets/photos/port-aubert.jpg'), path.join(dir, 'assets/photos/vallon.jpg'));
      const { result } = await buildProject(dir);
      expect(built(result)).toEqual(['vallon/fiche.pdf']);
      const jpegs = (await images(path.join(dir, 'out/vallon/fiche.pdf'))).filter((i) => i.filter === '/DCTDecode');
      expect(Buffer.from(jpegs[0]!.bytes).equals(await readFile(path.join(FIXTURE, 'assets/photos/port-aubert.jpg')))).toBe(true);
      // The HTML output's copy follows.
      expect((await readFile(path.join(dir, 'out/assets/photos/vallon.jpg'))).equals(await readFile(path.join(FIXTURE, 'assets/photos/port-aubert.jpg')))).toBe(true);
    });

    it('the logo changed: every document that shows it', async () => {
      const logo = path.join(dir, 'assets/logo.png');
      const bytes = await readFile(logo);
      // The same image with one more (ignored) chunk before its end: other bytes, same picture.
      const end = bytes.length - 12;
      const text = Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from('tEXt'), Buffer.from('a\0b!'), Buffer.from([0, 0, 0, 0])]);
      await writeFile(logo, Buffer.concat([bytes.subarray(0, end), text, bytes.subarray(end)]));
      const { result } = await buildProject(dir);
      expect(built(result)).toEqual(['port-aubert/fiche.pdf', 'vallon/fiche.pdf']);
    });

    it('a city file changed: that city only', async () => {
      const file = path.join(dir, 'data/cities/port-aubert.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('maire: Hugo Bernier', 'maire: Hugo  Bernier'));
      const { result } = await buildProject(dir);
      expect(built(result)).toEqual(['port-aubert/fiche.pdf']);
    });
  });
});

describe('citybrief init', () => {
  it('writes a starter project that builds with no edit: its own words, fields and logo in the documents', async () => {
    const parent = await temp('init');
    const dir = path.join(parent, 'my-briefings');
    let stdout = '';
    const io = { out: (t: string) => void (stdout += t), err: () => {} };
    const cwd = process.cwd();
    process.chdir(parent);
    try {
      expect(await main(['init', 'my-briefings'], io)).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(stdout).toMatch(/Wrote a starter project to my-briefings \(\d+ files\)\. Next:\n {2}cd my-briefings\n {2}citybrief build\n/);
    const files = (await readdir(dir, { recursive: true })).map((f) => f.split(path.sep).join('/'));
    for (const file of ['citybrief.config.yaml', 'data/dataset.yaml', 'labels/en.yaml', 'assets/logo.svg', 'templates/briefing.hbs', 'templates/helpers.mjs', 'README.md']) expect(files).toContain(file);

    const { result, warnings } = await buildProject(dir);
    expect(result.failures).toEqual([]);
    expect(result.refused).toEqual([]);
    // Within the page budget, and nothing else a reader would see wrong.
    expect(warnings).toEqual([]);
    const dataset = parse(await readFile(path.join(dir, 'data/dataset.yaml'), 'utf8')) as { cities: string[] };
    expect(result.outputs.filter((o) => o.format === 'pdf').map((o) => o.path).sort()).toEqual(
      [...dataset.cities.flatMap((id) => [`${id}/briefing.pdf`, `${id}/slides.pdf`]), 'overview.pdf'].sort(),
    );
    // The logo, in every document, from the assets folder.
    const logo = await readFile(path.join(dir, 'assets/logo.svg'));
    expect((await readFile(path.join(dir, 'out/assets/logo.svg'))).equals(logo)).toBe(true);
    for (const [doc, src] of [[`${dataset.cities[0]}/briefing.html`, '../assets/logo.svg'], [`${dataset.cities[0]}/slides.html`, '../assets/logo.svg'], ['overview.html', 'assets/logo.svg']]) {
      expect(await readFile(path.join(dir, 'out', doc!), 'utf8'), doc).toContain(`<img class="logo" src="${src}"`);
    }
    for (const o of result.outputs) expect(o.assets ?? {}, o.path).toHaveProperty(['logo.svg']);
    // The project's own words, and a field it declares, printed by the default theme.
    const labels = parse(await readFile(path.join(dir, 'labels/en.yaml'), 'utf8')) as { narrative: string };
    const text = (await readPdf(path.join(dir, 'out', dataset.cities[0]!, 'briefing.pdf'))).text;
    expect(text).toContain(squash(labels.narrative));
    expect(text).toContain('Region');
  }, 120_000);

  it('refuses a folder that holds anything, and writes nothing into it', async () => {
    const dir = await temp('init-full');
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    await expect(init(dir)).rejects.toBeInstanceOf(UsageError);
    await expect(init(dir)).rejects.toThrow(/is not empty \(it holds notes\.txt\): init writes only into an empty or new folder/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });
});
