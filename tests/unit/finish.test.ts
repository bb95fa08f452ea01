/**
 * The finish stage on PDFs laid out as the bundled Chromium writes them (the
 * fast path, edits in place) and otherwise (cross-reference streams, objects
 * in streams: parsed whole with pdf-lib): a reader finds the same document.
 */
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFStream, PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { ORIGIN } from '../../src/browser/pool.js';
import { finishInPlace, finishParsed, finishPdf, PdfFormatError, xmpPacket, type PdfMeta } from '../../src/pipeline/finish.js';

/**
 * A one-page PDF with what Chromium puts in one: a dated Info, a link to another output (unless `link` is
 * false: the fast path knows links only in Chromium's own spelling), structure ids named after DOM nodes.
 */
async function printed(objectStreams: boolean, { link: withLink = true } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setCreationDate(new Date('2026-11-30T10:00:00Z'));
  doc.setTitle('Chromium title');
  const page = doc.addPage([595, 842]);
  if (withLink) {
    const action = doc.context.obj({ Type: 'Action', S: 'URI', URI: PDFString.of(`${ORIGIN}/riverton/briefing.pdf`) });
    const link = doc.context.register(doc.context.obj({ Type: 'Annot', Subtype: 'Link', Rect: [10, 10, 100, 30], A: action }));
    page.node.set(PDFName.of('Annots'), doc.context.obj([link]));
  }
  const element = (id: string) => doc.context.register(doc.context.obj({ Type: 'StructElem', S: 'P', ID: PDFString.of(id) }));
  const tree = doc.context.obj({ Type: 'StructTreeRoot', K: [element('node00003430'), element('node00000017'), element('node00003430')] });
  doc.catalog.set(PDFName.of('StructTreeRoot'), doc.context.register(tree));
  return doc.save({ useObjectStreams: objectStreams });
}

const meta: PdfMeta = { title: '深圳 — 年度工作', subject: '一句話', author: '某局', keywords: ['深圳', '年度工作'], lang: 'zh-Hant', source: '知識產權報 向利/文', creator: 'citybrief 0.1.0', dir: 'overview', epoch: undefined };

/** What a reader sees of a finished PDF. */
async function facts(bytes: Uint8Array) {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
  const text = (dict: PDFDict, key: string) => dict.lookupMaybe(PDFName.of(key), PDFString, PDFHexString)?.decodeText();
  const ids: string[] = [];
  let link: Record<string, string | undefined> | undefined;
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict)) continue;
    if (object.get(PDFName.of('Type'))?.toString() === '/StructElem') ids.push(text(object, 'ID')!);
    const action = object.lookupMaybe(PDFName.of('A'), PDFDict);
    if (action) link = { S: action.get(PDFName.of('S'))?.toString(), F: text(action, 'F'), URI: text(action, 'URI'), D: action.lookupMaybe(PDFName.of('D'), PDFArray)?.toString() };
  }
  const id = doc.context.trailerInfo.ID;
  const stream = doc.catalog.lookupMaybe(PDFName.of('Metadata'), PDFStream);
  const metadata = stream instanceof PDFRawStream ? stream : undefined;
  return {
    pages: doc.getPageCount(),
    info: Object.fromEntries(['Title', 'Subject', 'Author', 'Keywords', 'Creator', 'Producer'].map((k) => [k, text(info, k)])),
    dated: ['CreationDate', 'ModDate'].map((k) => text(info, k) ?? null),
    lang: text(doc.catalog, 'Lang'),
    link,
    ids: ids.sort(),
    hasId: id !== undefined,
    xmp: metadata ? { subtype: metadata.dict.get(PDFName.of('Subtype'))?.toString(), text: Buffer.from(decodePDFRawStream(metadata).decode()).toString('utf8') } : undefined,
  };
}

describe('finishing a PDF', () => {
  it('a PDF with cross-reference streams is not for the fast path: it is parsed whole instead', async () => {
    const packed = await printed(true);
    expect(() => finishInPlace(packed, meta)).toThrow(PdfFormatError);
    const finished = await finishPdf(packed, meta);
    expect(finished.pages).toBe(1);
    expect(await facts(finished.pdf)).toEqual({
      pages: 1,
      info: { Title: meta.title, Subject: meta.subject, Author: meta.author, Keywords: '深圳, 年度工作', Creator: meta.creator, Producer: 'citybrief (Chromium, Skia)' },
      dated: [null, null],
      lang: 'zh-Hant',
      link: { S: '/GoToR', F: '../riverton/briefing.pdf', URI: undefined, D: '[ 0 /Fit ]' },
      ids: ['node00000001', 'node00000002', 'node00000002'],
      hasId: true,
      xmp: { subtype: '/XML', text: expect.stringContaining('<dc:title>') },
    });
  });

  it('both ways give a reader the same document', async () => {
    const fast = await finishPdf(await printed(false), meta);
    const slow = await finishParsed(await printed(false), meta);
    expect(await facts(slow.pdf)).toEqual(await facts(fast.pdf));
    expect(await facts(fast.pdf)).toMatchObject({ link: { S: '/GoToR', F: '../riverton/briefing.pdf' }, ids: ['node00000001', 'node00000002', 'node00000002'] });
  });

  it('the slow way is reproducible, and stamps a date only when one is given', async () => {
    const a = await finishPdf(await printed(true), meta);
    const b = await finishPdf(await printed(true), meta);
    expect(Buffer.from(a.pdf).equals(Buffer.from(b.pdf))).toBe(true);
    const dated = await finishPdf(await printed(true), { ...meta, epoch: 1_700_000_000 });
    expect((await facts(dated.pdf)).dated).toEqual(["D:20231114221320Z", "D:20231114221320Z"]);
  });

  it('both ways write XMP metadata a reader parses back to the Info dictionary\'s words, whatever characters they hold', async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const read = async (bytes: Uint8Array) => {
      const loading = pdfjs.getDocument({ data: bytes.slice(), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
      const { info, metadata } = await (await loading.promise).getMetadata();
      await loading.destroy();
      // pdf.js gives a property's items (rdf:li) as a list, or as a text where it expects one.
      const xmp = (name: string) => [metadata?.get(name) as string | string[] | undefined].flat();
      return { info: info as Record<string, unknown>, xmp };
    };
    const hostile: PdfMeta = {
      ...meta,
      title: 'R&D <script>alert("x")</script> ]]> 𠮷 — 深圳',
      subject: "a < b & c > d 'quoted'",
      author: '王明/文 & 李華/圖',
      keywords: ['<深圳>', 'R&D', '𪚥'],
      source: '</dc:source><dc:title>injected</dc:title>',
      epoch: 1_700_000_000,
    };
    for (const [way, finished] of [['fast', finishInPlace(await printed(false, { link: false }), hostile)], ['slow', await finishParsed(await printed(true), hostile)]] as const) {
      const { info, xmp } = await read(finished.pdf);
      expect(info.Title, way).toBe(hostile.title);
      expect(xmp('dc:title'), way).toEqual([info.Title]);
      expect(xmp('dc:description'), way).toEqual([info.Subject]);
      expect(xmp('dc:creator'), way).toEqual([info.Author]);
      expect(xmp('dc:subject'), way).toEqual(hostile.keywords);
      expect(xmp('pdf:keywords'), way).toEqual([info.Keywords]);
      expect(xmp('dc:source'), way).toEqual([hostile.source]);
      expect(xmp('dc:language'), way).toEqual([hostile.lang]);
      expect(xmp('xmp:creatortool'), way).toEqual([info.Creator]);
      expect(xmp('pdf:producer'), way).toEqual([info.Producer]);
      expect(xmp('xmp:createdate'), way).toEqual(['2023-11-14T22:13:20Z']);
    }
  });

  it('writes what XML cannot hold (a control character, a lone surrogate) as characters it can', () => {
    const packet = xmpPacket({ ...meta, title: 'a\fb\u0000c', subject: 'x\ud800y' });
    expect(packet).toContain('<rdf:li xml:lang="x-default">a b c</rdf:li>');
    expect(packet).toContain('x\ufffdy');
    expect(packet).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('dates the XMP only when the build has an epoch, and gives the same bytes for the same meta', () => {
    expect(xmpPacket(meta)).not.toMatch(/Date>/);
    expect(xmpPacket(meta)).toBe(xmpPacket({ ...meta }));
    expect(xmpPacket({ ...meta, epoch: 0 })).toContain('<xmp:CreateDate>1970-01-01T00:00:00Z</xmp:CreateDate>');
  });

  it('what is no PDF at all is a PdfFormatError, not a crash', async () => {
    await expect(finishPdf(new TextEncoder().encode('%PDF-1.7\nnot really\n%%EOF\n'), meta)).rejects.toThrow(PdfFormatError);
  });
});
