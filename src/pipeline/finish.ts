/**
 * Stage 7 — finish: turn what Chromium printed into a finished document.
 * Document metadata (title, subject, author, keywords, language), links to
 * other outputs made relative to the document, and reproducible bytes: no
 * build time inside, and a file id derived from the content, so the same
 * inputs give the same file. Chromium already tags the PDF and writes the
 * outline from the headings; both are kept.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFRef,
  PDFString,
  type PDFObject,
} from 'pdf-lib';
import { ORIGIN } from '../browser/pool.js';

export interface PdfMeta {
  readonly title: string;
  readonly subject: string;
  readonly author: string;
  readonly keywords: readonly string[];
  readonly lang: string;
  /** Creator application, e.g. `citybrief 0.1.0`. */
  readonly creator: string;
  /** Folder of the document below the out folder ('' for the top), to make links relative. */
  readonly dir: string;
  /** Seconds since 1970 to stamp as creation date; no date at all when undefined. */
  readonly epoch: number | undefined;
}

export async function finishPdf(pdf: Uint8Array, meta: PdfMeta): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  doc.setTitle(meta.title, { showInWindowTitleBar: true });
  doc.setSubject(meta.subject);
  doc.setAuthor(meta.author);
  doc.setKeywords([...meta.keywords]);
  doc.setCreator(meta.creator);
  doc.setProducer('citybrief (Chromium, pdf-lib)');
  doc.setLanguage(meta.lang);

  const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
  info.delete(PDFName.of('CreationDate'));
  info.delete(PDFName.of('ModDate'));
  if (meta.epoch !== undefined) {
    const date = new Date(meta.epoch * 1000);
    doc.setCreationDate(date);
    doc.setModificationDate(date);
  }

  relativeLinks(doc, meta.dir);
  stableStructureIds(doc);

  // The file identifier is the hash of the content, so identical inputs give identical bytes.
  const draft = await doc.save({ useObjectStreams: false });
  const id = PDFHexString.of(createHash('md5').update(draft).digest('hex'));
  doc.context.trailerInfo.ID = doc.context.obj([id, id]);
  return doc.save({ useObjectStreams: false });
}

/**
 * Chromium resolves <a href="shenzhen/briefing.pdf"> against the page's URL
 * and writes an absolute URI. Links to the build's own outputs become
 * GoToR actions with a path relative to the document, which viewers open as
 * the neighbouring file.
 */
function relativeLinks(doc: PDFDocument, dir: string): void {
  for (const page of doc.getPages()) {
    const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
    if (!annots) continue;
    for (let i = 0; i < annots.size(); i++) {
      const annot = doc.context.lookup(annots.get(i));
      if (!(annot instanceof PDFDict)) continue;
      const action = annot.lookupMaybe(PDFName.of('A'), PDFDict);
      const uri = action?.lookupMaybe(PDFName.of('URI'), PDFString, PDFHexString)?.decodeText();
      if (!action || !uri?.startsWith(`${ORIGIN}/`)) continue;
      const target = decodeURIComponent(new URL(uri).pathname).replace(/^\//, '');
      const relative = path.posix.relative(dir, target) || path.posix.basename(target);
      annot.set(
        PDFName.of('A'),
        doc.context.obj({ S: 'GoToR', F: PDFString.of(relative), D: [PDFNumber.of(0), PDFName.of('Fit')], NewWindow: true }),
      );
    }
  }
}

/**
 * Chromium names tagged-structure elements after DOM node ids (node00003430),
 * which depend on what the page loaded before. Renumber them from 1 in their
 * original order, everywhere they occur (element /ID, table /Headers, the
 * IDTree), so a document's bytes do not depend on its neighbours.
 */
function stableStructureIds(doc: PDFDocument): void {
  const pattern = /^node(\d+)$/;
  const seen = new Set<string>();
  const strings = (object: PDFObject, visit: (s: PDFString | PDFHexString, replace: (next: PDFObject) => void) => void) => {
    if (object instanceof PDFDict) {
      for (const [key, value] of object.entries()) {
        if (value instanceof PDFString || value instanceof PDFHexString) visit(value, (next) => object.set(key, next));
        else strings(value, visit);
      }
    } else if (object instanceof PDFArray) {
      for (let i = 0; i < object.size(); i++) {
        const value = object.get(i);
        if (value instanceof PDFString || value instanceof PDFHexString) visit(value, (next) => object.set(i, next));
        else strings(value, visit);
      }
    }
  };
  const objects = doc.context.enumerateIndirectObjects().map(([, object]) => object);
  for (const object of objects) {
    if (object instanceof PDFDict && object.get(PDFName.of('Type'))?.toString() === '/StructElem') {
      const id = object.lookupMaybe(PDFName.of('ID'), PDFString, PDFHexString)?.decodeText();
      if (id && pattern.test(id)) seen.add(id);
    }
  }
  if (seen.size === 0) return;
  const renamed = new Map([...seen].sort((a, b) => Number(pattern.exec(a)![1]) - Number(pattern.exec(b)![1])).map((id, i) => [id, `node${String(i + 1).padStart(8, '0')}`]));
  for (const object of objects) {
    strings(object, (value, replace) => {
      const next = renamed.get(value.decodeText());
      if (next) replace(PDFString.of(next));
    });
  }
}

/** The outline (bookmarks) of a PDF: each entry's title, 1-based page and depth, in order. */
export async function readOutline(pdf: Uint8Array): Promise<{ title: string; page: number; depth: number }[]> {
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
