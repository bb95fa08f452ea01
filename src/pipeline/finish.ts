/**
 * Stage 8 — finish: turn what Chromium printed into a finished document.
 * Document metadata (title, subject, author, keywords, language) in the
 * document information dictionary and, said the same way, in an XMP metadata
 * stream (the catalog's /Metadata, xmpPacket below), links to
 * other outputs made relative to the document, and reproducible bytes: no
 * build time inside, and a file id derived from the content, so the same
 * inputs give the same file. Chromium already tags the PDF and writes the
 * outline from the headings; both are kept.
 *
 * This runs once per document on the build's main thread, so it does not
 * parse the whole PDF when it need not: Chromium writes plain objects and a
 * classic xref table, and everything here is either an edit of the same length in place
 * (dates blanked, structure ids renumbered) or an incremental update appended
 * at the end (new Info, XMP metadata, rewritten link annotations, catalog
 * language and metadata), which
 * every PDF reader applies. A PDF laid out otherwise is parsed whole
 * (finishParsed).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { PDFArray as PdfArray, PDFDict as PdfDict, PDFName as PdfName, PDFObject } from 'pdf-lib';
import { ORIGIN } from '../browser/pool.js';

export interface PdfMeta {
  readonly title: string;
  readonly subject: string;
  readonly author: string;
  readonly keywords: readonly string[];
  readonly lang: string;
  /** Where the content comes from, as the documents cite it (the XMP's dc:source). */
  readonly source: string;
  /** Creator application, e.g. `citybrief 0.1.0`. */
  readonly creator: string;
  /** Folder of the document below the out folder ('' for the top), to make links relative. */
  readonly dir: string;
  /** Seconds since 1970 to stamp as creation date; no date at all when undefined. */
  readonly epoch: number | undefined;
}

export interface Finished {
  readonly pdf: Uint8Array;
  readonly pages: number;
}

export class PdfFormatError extends Error {}

/** The PDFs' producer, in the Info dictionary and the XMP alike. */
const PRODUCER = 'citybrief (Chromium, Skia)';

/**
 * Finish a printed PDF. The fast path below edits the file as Chromium writes
 * it; a PDF laid out otherwise (another browser's, or another version's, with
 * cross-reference streams or objects in streams) is finished the slow way,
 * by parsing it whole with pdf-lib, with the same result for a reader.
 */
export async function finishPdf(printed: Uint8Array, meta: PdfMeta): Promise<Finished> {
  try {
    return finishInPlace(printed, meta);
  } catch {
    // Not laid out as the fast path expects (a PdfFormatError, or a layout it misreads): parse it.
    return finishParsed(printed, meta);
  }
}

/** The fast path: same-length edits and one incremental update, on a PDF as the bundled Chromium writes it. */
export function finishInPlace(printed: Uint8Array, meta: PdfMeta): Finished {
  let s = Buffer.from(printed.buffer, printed.byteOffset, printed.byteLength).toString('latin1');
  const regions = textRegions(s);

  // Same-length edits: the xref offsets stay valid.
  s = editText(s, regions, (text) => text.replace(/\/(CreationDate|ModDate) \((?:[^()\\]|\\.)*\)/g, (m) => ' '.repeat(m.length)));
  s = stableStructureIds(s, regions);

  const pages = regions.reduce((n, [a, b]) => n + (s.slice(a, b).match(/\/Type \/Page(?![a-zA-Z])/g)?.length ?? 0), 0);
  if (pages < 1) throw new PdfFormatError('the PDF has no pages');
  const trailer = /trailer\s*<<([\s\S]*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$/.exec(s);
  if (!trailer) throw new PdfFormatError('the PDF has no classic trailer');
  const [, trailerDict = '', startxref = '0'] = trailer;
  const size = Number(/\/Size (\d+)/.exec(trailerDict)?.[1]);
  const root = /\/Root (\d+) 0 R/.exec(trailerDict)?.[1];
  const info = /\/Info (\d+) 0 R/.exec(trailerDict)?.[1];
  if (!size || !root) throw new PdfFormatError('the PDF trailer lacks /Size or /Root');

  // Objects to replace in the update.
  const updates = new Map<number, string>();
  const date = meta.epoch === undefined ? '' : `/CreationDate (${pdfDate(meta.epoch)})\n/ModDate (${pdfDate(meta.epoch)})\n`;
  let next = size;
  const infoNumber = info ? Number(info) : next++;
  updates.set(
    infoNumber,
    `<</Title ${textString(meta.title)}\n/Subject ${textString(meta.subject)}\n/Author ${textString(meta.author)}\n/Keywords ${textString(meta.keywords.join(', '))}\n/Creator ${textString(meta.creator)}\n/Producer ${textString(PRODUCER)}\n${date}>>`,
  );
  // The XMP as a new object, uncompressed (its UTF-8 bytes as the file's latin1 text), as PDF/A and PDF/UA readers expect it.
  const metadataNumber = next++;
  const xmp = Buffer.from(xmpPacket(meta), 'utf8');
  updates.set(metadataNumber, `<</Type /Metadata\n/Subtype /XML\n/Length ${xmp.length}>>\nstream\n${xmp.toString('latin1')}\nendstream`);
  const catalog = objectText(s, Number(root));
  if (!catalog) throw new PdfFormatError('the catalog is not a plain object');
  const withLang = /\/Lang /.test(catalog) ? catalog : catalog.replace(/>>\s*$/, `\n/Lang ${textString(meta.lang)}>>`);
  updates.set(Number(root), withLang.replace(/\/Metadata \d+ \d+ R\s*/, '').replace(/>>\s*$/, `\n/Metadata ${metadataNumber} 0 R>>`));
  for (const [number, text] of relativeLinks(s, regions, meta.dir)) updates.set(number, text);

  // The id is the hash of the normalised content: identical inputs, identical file.
  const id = createHash('md5').update(s, 'latin1').update(JSON.stringify([...updates])).digest('hex');
  let out = s.endsWith('\n') ? s : `${s}\n`;
  const offsets = new Map<number, number>();
  for (const [number, text] of [...updates].sort(([a], [b]) => a - b)) {
    offsets.set(number, Buffer.byteLength(out, 'latin1'));
    out += `${number} 0 obj\n${text}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(out, 'latin1');
  out += `xref\n${xrefSections(offsets)}trailer\n<</Size ${Math.max(size, next)}\n/Root ${root} 0 R\n/Info ${infoNumber} 0 R\n/Prev ${startxref}\n/ID [<${id}> <${id}>]>>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return { pdf: new Uint8Array(Buffer.from(out, 'latin1')), pages };
}

/**
 * The slow path: parse the whole PDF with pdf-lib and write it again (classic
 * cross-reference table, no object streams), with the same metadata, language,
 * relative links, renumbered structure ids and content-derived id.
 */
export async function finishParsed(printed: Uint8Array, meta: PdfMeta): Promise<Finished> {
  const { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFString, PDFBool } = await import('pdf-lib');
  let doc;
  let pages;
  try {
    doc = await PDFDocument.load(printed, { updateMetadata: false });
    pages = doc.getPageCount();
  } catch (error) {
    throw new PdfFormatError(`the PDF could not be read: ${(error as Error).message}`);
  }
  if (pages < 1) throw new PdfFormatError('the PDF has no pages');

  // A fresh Info dictionary: nothing of Chromium's (its dates) stays.
  doc.context.trailerInfo.Info = doc.context.register(doc.context.obj({}));
  doc.setTitle(meta.title);
  doc.setSubject(meta.subject);
  doc.setAuthor(meta.author);
  doc.setKeywords([meta.keywords.join(', ')]);
  doc.setCreator(meta.creator);
  doc.setProducer(PRODUCER);
  if (meta.epoch !== undefined) {
    doc.setCreationDate(new Date(meta.epoch * 1000));
    doc.setModificationDate(new Date(meta.epoch * 1000));
  }
  if (!doc.catalog.has(PDFName.of('Lang'))) doc.catalog.set(PDFName.of('Lang'), PDFHexString.fromText(meta.lang));
  // Uncompressed, as the fast path writes it (a stream of its own: any earlier /Metadata is no longer referred to).
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(doc.context.stream(new Uint8Array(Buffer.from(xmpPacket(meta), 'utf8')), { Type: 'Metadata', Subtype: 'XML' })));

  // Every dictionary and string of the file, for the links and the structure ids.
  const dicts: PdfDict[] = [];
  const strings: { holder: PdfDict | PdfArray; key: PdfName | number; text: string }[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if (seen.has(value)) return;
    seen.add(value);
    if (value instanceof PDFDict) {
      dicts.push(value);
      for (const [key, inner] of value.entries()) {
        if (inner instanceof PDFString || inner instanceof PDFHexString) strings.push({ holder: value, key, text: inner.decodeText() });
        else visit(inner);
      }
    } else if (value instanceof PDFArray) {
      value.asArray().forEach((inner, i) => {
        if (inner instanceof PDFString || inner instanceof PDFHexString) strings.push({ holder: value, key: i, text: inner.decodeText() });
        else visit(inner);
      });
    }
  };
  for (const [, object] of doc.context.enumerateIndirectObjects()) visit(object);

  // Links to the build's own outputs: relative, as the fast path writes them.
  const S = PDFName.of('S');
  const URI = PDFName.of('URI');
  for (const dict of dicts) {
    if (dict.get(S) !== PDFName.of('URI')) continue;
    const uri = dict.lookupMaybe(URI, PDFString, PDFHexString)?.decodeText();
    if (!uri?.startsWith(`${ORIGIN}/`)) continue;
    const target = decodeURIComponent(new URL(uri).pathname).replace(/^\//, '');
    dict.delete(URI);
    dict.set(S, PDFName.of('GoToR'));
    dict.set(PDFName.of('F'), PDFString.of(path.posix.relative(meta.dir, target) || path.posix.basename(target)));
    dict.set(PDFName.of('D'), doc.context.obj([PDFNumber.of(0), PDFName.of('Fit')]));
    dict.set(PDFName.of('NewWindow'), PDFBool.True);
  }

  // Structure ids named after DOM nodes, renumbered in order (see stableStructureIds).
  const ids = [...new Set(strings.map((s) => /^node(\d{8})$/.exec(s.text)?.[1]).filter((n): n is string => n !== undefined))].sort();
  const renamed = new Map(ids.map((n, i) => [n, String(i + 1).padStart(8, '0')]));
  for (const { holder, key, text } of strings) {
    const n = /^node(\d{8})$/.exec(text)?.[1];
    if (n === undefined) continue;
    const value = PDFString.of(`node${renamed.get(n)}`);
    if (holder instanceof PDFArray) holder.set(key as number, value);
    else holder.set(key as PdfName, value);
  }

  // The id is the hash of the content without one: identical inputs, identical file.
  delete doc.context.trailerInfo.ID;
  const bare = await doc.save({ useObjectStreams: false, updateFieldAppearances: false });
  const id = createHash('md5').update(bare).digest('hex');
  doc.context.trailerInfo.ID = doc.context.obj([PDFHexString.of(id), PDFHexString.of(id)]);
  return { pdf: await doc.save({ useObjectStreams: false, updateFieldAppearances: false }), pages };
}

/** Spans of the file outside stream data, where dictionaries and strings are plain text. */
function textRegions(s: string): [number, number][] {
  const regions: [number, number][] = [];
  const streams = />>\s*stream\r?\n/g;
  let from = 0;
  for (let m = streams.exec(s); m; m = streams.exec(s)) {
    const objStart = s.lastIndexOf(' obj', m.index);
    const length = Number(/\/Length (\d+)(?![\d])/.exec(s.slice(objStart, m.index))?.[1] ?? NaN);
    if (!Number.isFinite(length)) throw new PdfFormatError('a stream has no direct /Length');
    const dataStart = m.index + m[0].length;
    regions.push([from, dataStart]);
    from = dataStart + length;
    streams.lastIndex = from;
  }
  regions.push([from, s.length]);
  return regions;
}

/** Apply a length-preserving edit to the text regions only. */
function editText(s: string, regions: readonly [number, number][], edit: (text: string) => string): string {
  let out = '';
  let at = 0;
  for (const [a, b] of regions) {
    out += s.slice(at, a);
    const edited = edit(s.slice(a, b));
    if (edited.length !== b - a) throw new Error('finish: an in-place edit changed the length');
    out += edited;
    at = b;
  }
  return out + s.slice(at);
}

/**
 * Chromium names tagged-structure elements after DOM node ids (node00003430),
 * which depend on what the page showed before. Renumber them from 1 in their
 * original order, wherever they occur (element /ID, table /Headers, IDTree),
 * so a document's bytes do not depend on its neighbours. Same length, same order.
 */
function stableStructureIds(s: string, regions: readonly [number, number][]): string {
  const seen = new Set<number>();
  for (const [a, b] of regions) for (const m of s.slice(a, b).matchAll(/\(node(\d{8})\)/g)) seen.add(Number(m[1]));
  if (seen.size === 0) return s;
  const renamed = new Map([...seen].sort((x, y) => x - y).map((n, i) => [n, String(i + 1).padStart(8, '0')]));
  return editText(s, regions, (text) => text.replace(/\(node(\d{8})\)/g, (_, n: string) => `(node${renamed.get(Number(n))})`));
}

/**
 * Chromium resolves <a href="riverton/briefing.pdf"> against the page's URL
 * and writes an absolute URI. Links to the build's own outputs become GoToR
 * actions with a path relative to the document, which viewers open as the
 * neighbouring file.
 */
function relativeLinks(s: string, regions: readonly [number, number][], dir: string): Map<number, string> {
  const updated = new Map<number, string>();
  const origin = ORIGIN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const [a, b] of regions) {
    for (const m of s.slice(a, b).matchAll(new RegExp(`/URI \\((${origin}/[^)\\\\]*)\\)`, 'g'))) {
      const objAt = s.lastIndexOf(' 0 obj', a + (m.index ?? 0));
      const number = Number(s.slice(s.lastIndexOf('\n', objAt) + 1, objAt));
      const text = objectText(s, number);
      if (!text) continue;
      const target = decodeURIComponent(new URL(m[1]!).pathname).replace(/^\//, '');
      const relative = path.posix.relative(dir, target) || path.posix.basename(target);
      const action = `<</S /GoToR\n/F ${byteString(relative)}\n/D [0 /Fit]\n/NewWindow true>>`;
      const before = updated.get(number) ?? text;
      const after = before.replace(/<<\/Type \/Action\s*\/S \/URI\s*\/URI \((?:[^()\\]|\\.)*\)>>/, action);
      if (after === before) throw new PdfFormatError('a link is written in a form the fast path does not know');
      updated.set(number, after);
    }
  }
  return updated;
}

/** The dictionary of object `number` as written in the file. */
function objectText(s: string, number: number): string | undefined {
  const m = new RegExp(`(?:^|\\n)${number} 0 obj\\s*`).exec(s);
  if (!m) return undefined;
  const start = m.index + m[0].length;
  const end = s.indexOf('endobj', start);
  const text = s.slice(start, end).trimEnd();
  return text.startsWith('<<') && !/stream\s*$/.test(text) ? text : undefined;
}

function xrefSections(offsets: ReadonlyMap<number, number>): string {
  const numbers = [...offsets.keys()].sort((a, b) => a - b);
  let out = '';
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    out += `${numbers[i]} ${j - i + 1}\n`;
    for (let k = i; k <= j; k++) out += `${String(offsets.get(numbers[k]!)).padStart(10, '0')} 00000 n \n`;
    i = j + 1;
  }
  return out;
}

/** A PDF text string: UTF-16BE with byte-order mark, in hex. */
function textString(text: string): string {
  const bytes = Buffer.from(`\ufeff${text}`, 'utf16le').swap16();
  return `<${bytes.toString('hex').toUpperCase()}>`;
}

/** A PDF byte string for file names: literal, with ( ) \ escaped, non-ASCII as UTF-8 octal escapes. */
function byteString(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x20 || byte > 0x7e ? `\\${byte.toString(8).padStart(3, '0')}` : /[()\\]/.test(c) ? `\\${c}` : c;
  }
  return `(${out})`;
}

/**
 * The document's metadata as an XMP packet, saying what the Info dictionary says: dc:title
 * (/Title), dc:description (/Subject), dc:creator (/Author), pdf:Keywords (/Keywords, and each
 * keyword in dc:subject), xmp:CreatorTool (/Creator), pdf:Producer (/Producer), and the dates
 * (/CreationDate, /ModDate) only when the build has an epoch; besides, dc:language (the catalog's
 * /Lang), dc:source and dc:format. The same meta gives the same bytes.
 */
export function xmpPacket(meta: PdfMeta): string {
  const alt = (text: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${xmlText(text)}</rdf:li></rdf:Alt>`;
  const list = (kind: 'Seq' | 'Bag', items: readonly string[]) => `<rdf:${kind}>${items.map((item) => `<rdf:li>${xmlText(item)}</rdf:li>`).join('')}</rdf:${kind}>`;
  const date = meta.epoch === undefined ? undefined : new Date(meta.epoch * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const fields = [
    `<dc:format>application/pdf</dc:format>`,
    `<dc:title>${alt(meta.title)}</dc:title>`,
    `<dc:description>${alt(meta.subject)}</dc:description>`,
    `<dc:creator>${list('Seq', [meta.author])}</dc:creator>`,
    `<dc:subject>${list('Bag', meta.keywords)}</dc:subject>`,
    `<dc:language>${list('Bag', [meta.lang])}</dc:language>`,
    `<dc:source>${xmlText(meta.source)}</dc:source>`,
    `<pdf:Keywords>${xmlText(meta.keywords.join(', '))}</pdf:Keywords>`,
    `<pdf:Producer>${xmlText(PRODUCER)}</pdf:Producer>`,
    `<xmp:CreatorTool>${xmlText(meta.creator)}</xmp:CreatorTool>`,
    ...(date === undefined ? [] : [`<xmp:CreateDate>${date}</xmp:CreateDate>`, `<xmp:ModifyDate>${date}</xmp:ModifyDate>`, `<xmp:MetadataDate>${date}</xmp:MetadataDate>`]),
  ];
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
    ...fields,
    '</rdf:Description>',
    '</rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="r"?>',
  ].join('\n');
}

/**
 * Text as XML character data: markup escaped, and what XML 1.0 cannot hold at all, even as a
 * reference (C0 controls but tab and line ends, U+FFFE, U+FFFF, a lone surrogate), replaced:
 * a control by a space (a form feed in a name is a break), the others by U+FFFD.
 */
function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' ')
    .replace(/[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function pdfDate(epoch: number): string {
  const d = new Date(epoch * 1000).toISOString(); // 2023-11-14T22:13:20.000Z
  return `D:${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}Z`;
}

/** The outline (bookmarks) of a PDF: each entry's title, 1-based page and depth, in order. */
export async function readOutline(pdf: Uint8Array): Promise<{ title: string; page: number; depth: number }[]> {
  const { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRef, PDFString } = await import('pdf-lib');
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const pageOf = new Map(doc.getPages().map((p, i) => [p.ref.toString(), i + 1]));
  const outlines = doc.catalog.lookupMaybe(PDFName.of('Outlines'), PDFDict);
  const entries: { title: string; page: number; depth: number }[] = [];
  const walk = (first: PDFObject | undefined, depth: number) => {
    let ref = first;
    while (ref) {
      const item = doc.context.lookup(ref);
      if (!(item instanceof PDFDict)) break;
      const title = item.lookupMaybe(PDFName.of('Title'), PDFString, PDFHexString)?.decodeText() ?? '';
      let dest: PDFObject | undefined = item.get(PDFName.of('Dest'));
      if (!dest) dest = item.lookupMaybe(PDFName.of('A'), PDFDict)?.get(PDFName.of('D'));
      const destArray = dest ? doc.context.lookup(dest) : undefined;
      const pageRef = destArray instanceof PDFArray ? destArray.get(0) : undefined;
      entries.push({ title, page: pageRef instanceof PDFRef ? (pageOf.get(pageRef.toString()) ?? 0) : 0, depth });
      walk(item.get(PDFName.of('First')), depth + 1);
      ref = item.get(PDFName.of('Next'));
    }
  };
  walk(outlines?.get(PDFName.of('First')), 0);
  return entries;
}
