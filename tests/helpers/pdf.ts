/** Reading PDFs back: text through pdf.js, structure (pages, fonts) through pdf-lib. */
import { readFile } from 'node:fs/promises';
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFStream, PDFString, type PDFObject } from 'pdf-lib';

export interface PdfFacts {
  readonly pages: number;
  /** Page sizes in points. */
  readonly sizes: readonly { width: number; height: number }[];
  /** Text of each page, whitespace removed (CJK text has no spaces and wraps anywhere). */
  readonly pageText: readonly string[];
  readonly text: string;
  readonly fonts: readonly { baseFont: string; subtype: string; embedded: boolean; descendant?: string }[];
}

export async function readPdf(file: string): Promise<PdfFacts> {
  const bytes = new Uint8Array(await readFile(file));
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const sizes = doc.getPages().map((p) => p.getSize());

  const fonts: PdfFacts['fonts'][number][] = [];
  const get = (dict: PDFDict, key: string): PDFObject | undefined => {
    const value = dict.get(PDFName.of(key));
    return value ? doc.context.lookup(value) : undefined;
  };
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || get(object, 'Type')?.toString() !== '/Font') continue;
    const subtype = get(object, 'Subtype')?.toString() ?? '';
    if (subtype === '/CIDFontType2' || subtype === '/CIDFontType0') continue; // reported through their Type0 parent
    let embedded = false;
    let descendant: string | undefined;
    const descendants = get(object, 'DescendantFonts');
    const first = descendants && 'get' in descendants ? doc.context.lookup((descendants as unknown as { get(i: number): PDFObject }).get(0)) : undefined;
    const fontDict = first instanceof PDFDict ? first : object;
    if (first instanceof PDFDict) descendant = get(first, 'Subtype')?.toString();
    const descriptor = get(fontDict, 'FontDescriptor');
    if (descriptor instanceof PDFDict) {
      embedded = ['FontFile', 'FontFile2', 'FontFile3'].some((k) => get(descriptor, k) instanceof PDFRawStream || get(descriptor, k) !== undefined);
    }
    fonts.push({ baseFont: get(object, 'BaseFont')?.toString() ?? '', subtype, embedded, descendant });
  }

  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = pdfjs.getDocument({ data: bytes, useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const pdf = await loading.promise;
  const pageText: string[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent();
    pageText.push(content.items.map((item) => ('str' in item ? item.str : '')).join('').replace(/\s+/g, ''));
  }
  await loading.destroy();
  return { pages: doc.getPageCount(), sizes, pageText, text: pageText.join(''), fonts };
}

/** Text with whitespace removed, to compare with extracted PDF text. */
export function squash(text: string): string {
  return text.replace(/\s+/g, '');
}

export interface PdfDocumentFacts {
  /** The document information dictionary as pdf.js reads it (Title, Subject, Author, Keywords, Creator, CreationDate…). */
  readonly info: Record<string, unknown>;
  readonly lang: string | null;
  /** Bookmarks in order: title, 1-based page, depth. */
  readonly outline: readonly { title: string; page: number; depth: number }[];
  /** /MarkInfo /Marked and a structure tree on page 1: a tagged PDF. */
  readonly tagged: boolean;
  /** Link annotations that open another file (GoToR), by page. */
  readonly fileLinks: readonly { page: number; file: string }[];
}

/** Document-level facts, read with pdf.js (metadata, outline, tags) and pdf-lib (link actions). */
export async function readPdfDocument(file: string): Promise<PdfDocumentFacts> {
  const bytes = new Uint8Array(await readFile(file));
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = pdfjs.getDocument({ data: bytes.slice(), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const pdf = await loading.promise;
  const { info } = await pdf.getMetadata();
  const outline: { title: string; page: number; depth: number }[] = [];
  type Item = { title: string; dest: unknown; items: Item[] };
  const walk = async (items: Item[] | null, depth: number) => {
    for (const item of items ?? []) {
      const dest = typeof item.dest === 'string' ? await pdf.getDestination(item.dest) : (item.dest as unknown[] | null);
      const ref = dest?.[0] as { num: number; gen: number } | undefined;
      outline.push({ title: item.title, page: ref ? (await pdf.getPageIndex(ref)) + 1 : 0, depth });
      await walk(item.items, depth + 1);
    }
  };
  await walk((await pdf.getOutline()) as Item[] | null, 0);
  const markInfo = await pdf.getMarkInfo();
  const tree = await (await pdf.getPage(1)).getStructTree();
  await loading.destroy();

  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const lang = doc.catalog.lookupMaybe(PDFName.of('Lang'), PDFString, PDFHexString)?.decodeText() ?? null;
  const fileLinks: { page: number; file: string }[] = [];
  doc.getPages().forEach((page, i) => {
    const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
    for (let j = 0; j < (annots?.size() ?? 0); j++) {
      const action = doc.context.lookup(annots!.get(j), PDFDict).lookupMaybe(PDFName.of('A'), PDFDict);
      if (action?.get(PDFName.of('S'))?.toString() !== '/GoToR') continue;
      const target = action.lookupMaybe(PDFName.of('F'), PDFString, PDFHexString)?.decodeText();
      if (target) fileLinks.push({ page: i + 1, file: target });
    }
  });
  return { info: info as Record<string, unknown>, lang, outline, tagged: Boolean(markInfo?.Marked) && tree !== null, fileLinks };
}

/**
 * How far down each page's text reaches, as a share of the page's content box (0–1): from the
 * top margin to the lowest line of text above the bottom margin (the running footer is below it).
 * Read from the PDF alone, so it checks the print stage's own measure independently.
 */
export async function pageFills(file: string, margins: { readonly topMm: number; readonly bottomMm: number }): Promise<number[]> {
  const pt = (mm: number) => (mm / 25.4) * 72;
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = pdfjs.getDocument({ data: new Uint8Array(await readFile(file)), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const pdf = await loading.promise;
  const fills: number[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const page = await pdf.getPage(i);
    const [, , , height] = page.view as [number, number, number, number];
    const top = height - pt(margins.topMm);
    const bottom = pt(margins.bottomMm);
    let lowest = top;
    for (const item of (await page.getTextContent()).items) {
      if (!('str' in item) || item.str.trim() === '') continue;
      const y = item.transform[5] as number;
      if (y > bottom) lowest = Math.min(lowest, y);
    }
    fills.push((top - lowest) / (top - bottom));
  }
  await loading.destroy();
  return fills;
}

/** An element of a PDF's structure tree (tagged PDF), with the text of the content it marks. */
export interface StructNode {
  /** The structure type without its slash: Document, H1, P, L, LI, Table, TR, TH, TD, Figure… */
  readonly type: string;
  readonly alt: string | undefined;
  readonly lang: string | undefined;
  /** The text of its marked content and its children's, in order, whitespace removed. */
  readonly text: string;
  readonly kids: readonly StructNode[];
}

/**
 * The structure tree as a document's tags say it: each element's type, /Alt and /Lang from the
 * tree (pdf-lib), and its text from the marked content it refers to (pdf.js, by page and MCID).
 */
export async function readStructure(file: string): Promise<StructNode> {
  const bytes = new Uint8Array(await readFile(file));
  // The text of every marked-content sequence, by pdf.js's id for it: p<page object>R_mc<MCID>.
  const marked = new Map<string, string>();
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = pdfjs.getDocument({ data: bytes.slice(), useSystemFonts: false, isEvalSupported: false, verbosity: 0 });
  const pdf = await loading.promise;
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent({ includeMarkedContent: true });
    const open: string[] = [];
    for (const item of content.items) {
      if ('str' in item) {
        for (const id of open) marked.set(id, (marked.get(id) ?? '') + item.str);
      } else if (item.type === 'beginMarkedContentProps' && typeof item.id === 'string') open.push(item.id);
      else if (item.type === 'beginMarkedContent') open.push('');
      else if (item.type === 'endMarkedContent') open.pop();
    }
  }
  await loading.destroy();

  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const text = (dict: PDFDict, key: string) => dict.lookupMaybe(PDFName.of(key), PDFString, PDFHexString)?.decodeText();
  const walk = (value: PDFObject | undefined, page: PDFObject | undefined, into: StructNode[], texts: string[]): void => {
    if (value === undefined) return;
    if (value instanceof PDFNumber) {
      texts.push(marked.get(`p${(page as PDFRef | undefined)?.objectNumber}R_mc${value.asNumber()}`) ?? '');
      return;
    }
    const resolved = doc.context.lookup(value);
    if (resolved instanceof PDFArray) return resolved.asArray().forEach((kid) => walk(kid, page, into, texts));
    if (!(resolved instanceof PDFDict)) return;
    const type = resolved.get(PDFName.of('Type'))?.toString();
    const pg = resolved.get(PDFName.of('Pg')) ?? page;
    if (type === '/MCR') return walk(resolved.get(PDFName.of('MCID')), pg, into, texts);
    if (type === '/OBJR') return;
    const kids: StructNode[] = [];
    const own: string[] = [];
    walk(resolved.get(PDFName.of('K')), pg, kids, own);
    const node: StructNode = { type: resolved.get(PDFName.of('S'))?.toString().slice(1) ?? '', alt: text(resolved, 'Alt'), lang: text(resolved, 'Lang'), text: squash(own.join('')), kids };
    texts.push(...own);
    into.push(node);
  };
  const root = doc.catalog.lookup(PDFName.of('StructTreeRoot'), PDFDict);
  const kids: StructNode[] = [];
  const texts: string[] = [];
  walk(root.get(PDFName.of('K')), undefined, kids, texts);
  return { type: 'StructTreeRoot', alt: undefined, lang: undefined, text: squash(texts.join('')), kids };
}

/** Every element of a structure tree, in document order (an element before its children). */
export function structElements(node: StructNode): StructNode[] {
  return [node, ...node.kids.flatMap(structElements)];
}

/** What a PDF says of itself: its Info dictionary's strings (raw, as pdf-lib decodes them), the catalog's language and XMP metadata. */
export async function readMetadata(file: string): Promise<{ info: Record<string, string>; lang: string | undefined; xmp: string | undefined; displayDocTitle: boolean }> {
  const doc = await PDFDocument.load(new Uint8Array(await readFile(file)), { updateMetadata: false });
  const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
  const strings: Record<string, string> = {};
  for (const [key, value] of info.entries()) {
    if (value instanceof PDFString || value instanceof PDFHexString) strings[key.decodeText()] = value.decodeText();
  }
  const stream = doc.catalog.lookupMaybe(PDFName.of('Metadata'), PDFStream);
  const xmp = stream instanceof PDFRawStream ? Buffer.from(decodePDFRawStream(stream).decode()).toString('utf8') : undefined;
  const prefs = doc.catalog.lookupMaybe(PDFName.of('ViewerPreferences'), PDFDict);
  return {
    info: strings,
    lang: doc.catalog.lookupMaybe(PDFName.of('Lang'), PDFString, PDFHexString)?.decodeText(),
    xmp,
    displayDocTitle: prefs?.get(PDFName.of('DisplayDocTitle'))?.toString() === 'true',
  };
}
