/** Reading PDFs back: text through pdf.js, structure (pages, fonts) through pdf-lib. */
import { readFile } from 'node:fs/promises';
import { PDFDict, PDFDocument, PDFName, PDFRawStream, type PDFObject } from 'pdf-lib';

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
