/**
 * Stage 7 — print: HTML to PDF in Chromium. One browser for the whole build,
 * a pool of reused pages, JavaScript off, and only the build's own documents
 * and font files served (from memory); every other request is refused.
 *
 * Navigating to a new document per PDF costs more than printing it, mostly
 * in loading and decoding web fonts again. So each page loads an empty shell
 * document once; each document is then swapped into it (head elements that
 * changed, the body, attributes) through DevTools, which works with page
 * scripts off. Fonts are added to the page once as FontFace objects and stay
 * loaded across documents.
 *
 * A document is printed with one font per family and weight, merged from the
 * family's subsets (fonts.ts, printFonts), not with the subsets its HTML
 * output declares: Chromium embeds every font file a document's text touches
 * as a font of its own, so a briefing set in the subsets would embed some
 * thirty. A merged font is handed to the page in pieces (see sendFont), and
 * kept until a document needs one with more outlines.
 */
import { PrintError } from '../errors.js';
import { msg } from '../messages.js';
import { launchBrowser } from '../browser/launch.js';
import { createPagePool, ORIGIN, type Asset, type Slot } from '../browser/pool.js';
import type { ResolvedConfig } from '../config.js';
import { printFonts, type FontFace as BundledFace, type PrintFace } from '../fonts.js';
import { assetName, type Asset as ProjectAsset } from '../assets.js';
import type { CDPSession } from 'puppeteer-core';
import { BUDGET, LAY_OUT, type Layout } from './measure.js';

export interface PrintDocument {
  /** Path of the document below the out folder, e.g. `riverton/briefing.html`. */
  readonly path: string;
  readonly html: string;
  readonly fonts: readonly BundledFace[];
  /** Images the document shows, served at assets/<name>. */
  readonly assets: readonly ProjectAsset[];
  /** Milliseconds it may take to print, when not the printer's own limit (a worker prints with the build's). */
  readonly timeoutMs?: number;
}

export interface Printed {
  readonly pdf: Uint8Array;
  /** The document laid out in pages as it printed: its pages, its ladder step, what is wrong (measure.ts). */
  readonly layout: Layout;
  /** Who printed it, when not this process: a worker's host and process id (dispatch.ts). */
  readonly by?: string;
  /**
   * Let go of what the printer keeps of it (a queue's job and PDF), once the document is written
   * or has failed: until then, a build started again after this one was killed collects it there.
   */
  readonly release?: () => Promise<void>;
}

export interface Printer extends AsyncDisposable {
  /** Start the browser and its pages ahead of the first document; rejects if no browser starts. */
  warm(): Promise<void>;
  print(doc: PrintDocument): Promise<Printed>;
  /** Font faces the documents about to be printed will need (from their data), so pages are handed fonts that draw them all at once. */
  expect(faces: readonly BundledFace[]): void;
  /** How many documents it prints at once. */
  readonly size: number;
  /** URLs documents asked for that were refused. */
  readonly refused: readonly string[];
  /** Browser relaunches after a crash. */
  readonly restarts: number;
  close(): Promise<void>;
}

const SHELL = '/__citybrief__/shell.html';
const SHELL_HTML = '<!doctype html><html><head></head><body></body></html>';

export async function openPrinter(config: ResolvedConfig): Promise<Printer> {
  const fonts = printFonts();
  const fontFiles = new Map<string, PrintFace>();
  const images = new Map<string, ProjectAsset>();

  const assets = (pathname: string): Asset | undefined => {
    if (pathname === SHELL) return { body: SHELL_HTML, contentType: 'text/html; charset=utf-8' };
    const image = images.get(assetName(pathname) ?? '');
    if (image) return { body: image.bytes, contentType: image.contentType };
    const face = fontFiles.get(pathname);
    if (face) return { body: face.bytes(), contentType: 'font/woff2' };
    return undefined;
  };

  const size = config.concurrency;
  const pool = createPagePool({
    size,
    launch: () => launchBrowser(config),
    assets,
    timeoutMs: config.timeoutMs,
    recycleAfter: config.recycleAfter,
    onLaunch: (pid, generation) => config.onProgress({ type: 'browser', pid, generation }),
    setup: async (slot) => {
      // Measure and print in print layout.
      await slot.page.emulateMediaType('print');
      await loadShell(slot);
    },
  });

  return {
    warm: () => pool.warm(),
    async print(doc) {
      for (const image of doc.assets) images.set(image.name, image);
      try {
        const used = fonts.forDocument(doc.fonts);
        for (const face of used) {
          if (face.replaces === undefined) fontFiles.set(`/fonts/${face.file}`, face);
          // Read or made here (a merged font the first time), rather than while a page waits for it.
          face.bytes();
        }
        return await pool.run(doc.path, async (slot) => {
          // A face the page already holds is named by its URL alone: the descriptors (long unicode
          // ranges) would otherwise be most of every message. Each held URL with what it replaces.
          const held = (slot.state.get('faces') as Map<string, string | undefined> | undefined) ?? new Map<string, string | undefined>();
          slot.state.set('faces', held);
          const faces = [];
          for (const f of used) {
            const url = `/fonts/${f.file}`;
            if (held.has(url)) {
              faces.push({ url });
              continue;
            }
            if (f.replaces !== undefined) {
              await sendFont(slot, url, f.bytes());
              // The page lets go of the file this one replaces (swapIn).
              for (const [other, replaces] of held) if (replaces === f.replaces) held.delete(other);
            }
            faces.push({ url, family: f.family, weight: f.cssWeight, unicodeRange: f.unicodeRange, replaces: f.replaces });
            held.set(url, f.replaces);
          }
          const layout = await swap(slot, { html: doc.html, url: `/${doc.path}`, faces });
          return { pdf: await printToPdf(slot), layout };
        }, doc.timeoutMs);
      } catch (error) {
        if (error instanceof PrintError) throw error;
        throw new PrintError(msg.printFailed(doc.path, (error as Error).message), { cause: error });
      }
    },
    expect: (faces) => fonts.expect(faces),
    size,
    refused: pool.refused,
    get restarts() {
      return pool.restarts;
    },
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}

/** The page's own DevTools session: the two calls per document go straight to it. */
async function sessionOf(slot: Slot): Promise<CDPSession> {
  let session = slot.state.get('session') as CDPSession | undefined;
  if (!session) {
    session = await slot.page.createCDPSession();
    slot.state.set('session', session);
  }
  return session;
}

/** Characters of base64 per message: DevTools carries many pieces of this size faster than one large message. */
const FONT_PIECE = 1 << 16;

/**
 * Hand a font's bytes to the page, as base64 in pieces that swapIn joins. A merged CJK font is a few
 * megabytes: served as the response to the page's request, it is one DevTools message that Chromium
 * reads at a fraction of the speed of messages of some 64 KB (measured: 5.7 MB of base64 in about
 * 0.7–1 s as one message, 0.25–0.3 s in pieces of 64 KB).
 */
async function sendFont(slot: Slot, url: string, bytes: Buffer): Promise<void> {
  const session = await sessionOf(slot);
  const base64 = bytes.toString('base64');
  const name = JSON.stringify(url);
  await session.send('Runtime.evaluate', { expression: `((globalThis.citybriefFontData ??= new Map()).set(${name}, []), 0)` });
  for (let at = 0; at < base64.length; at += FONT_PIECE) {
    await session.send('Runtime.evaluate', { expression: `(citybriefFontData.get(${name}).push(${JSON.stringify(base64.slice(at, at + FONT_PIECE))}), 0)` });
  }
}

/** swapIn's source, evaluated in the page with each document's arguments. */
const SWAP_IN = `(${swapIn.toString()})`;

/**
 * Swap a document in and lay it out in pages: one Runtime.evaluate, without what Puppeteer's
 * page.evaluate() adds on every call (a stack trace for the source URL, its own argument serialisation).
 */
async function swap(slot: Slot, args: Parameters<typeof swapIn>[0]): Promise<Layout> {
  const session = await sessionOf(slot);
  const { result, exceptionDetails } = await session.send('Runtime.evaluate', {
    expression: `${SWAP_IN}(${JSON.stringify(args)}).then(() => ${LAY_OUT}(${JSON.stringify(BUDGET)}))`,
    awaitPromise: true,
    returnByValue: true,
  });
  if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
  return result.value as Layout;
}

/**
 * Print the page as it stands. Fonts are loaded by now (swapIn waits for them), so this is one
 * DevTools call that returns the whole PDF, rather than Puppeteer's page.pdf(), which first asks
 * the page for its fonts again and then reads the PDF back as a stream, in further round trips.
 * A4 applies only where the document sets no @page size.
 */
async function printToPdf(slot: Slot): Promise<Uint8Array> {
  const session = await sessionOf(slot);
  const { data } = await session.send('Page.printToPDF', {
    printBackground: true,
    preferCSSPageSize: true,
    paperWidth: 8.27,
    paperHeight: 11.7,
    marginTop: 0,
    marginBottom: 0,
    marginLeft: 0,
    marginRight: 0,
    generateTaggedPDF: true,
    generateDocumentOutline: true,
    transferMode: 'ReturnAsBase64',
  });
  return Buffer.from(data, 'base64');
}

async function loadShell(slot: Slot): Promise<void> {
  await slot.page.goto(`${ORIGIN}${SHELL}`, { waitUntil: 'load', timeout: 0 });
}

/**
 * Runs in the page (through DevTools; page scripts stay off). Replaces the
 * shell's content with a document's: the browser's own parser reads it (so any
 * document a browser could open works, scripts inert), head elements that did
 * not change are kept so an unchanged stylesheet is not parsed again, the
 * document's fonts are loaded.
 */
async function swapIn(args: {
  html: string;
  url: string;
  /** `replaces`: a merged font, handed over by sendFont, which replaces the page's other file of it. */
  faces: { url: string; family?: string; weight?: string; unicodeRange?: string; replaces?: string }[];
}): Promise<void> {
  // Exactly this document's faces, in its order: which face wins for a character covered twice depends
  // on the set and its order, and a document must not depend on what the page showed before.
  // FontFace objects are kept across documents, so a face loads once per page; a merged font's newer
  // file replaces the older one.
  const cache = ((globalThis as { citybriefFaces?: Map<string, { face: FontFace; replaces?: string }> }).citybriefFaces ??= new Map());
  document.fonts.clear();
  const faces = args.faces.map((f) => {
    let face = cache.get(f.url)?.face;
    if (!face) {
      let source: string | Uint8Array = `url("${f.url}")`;
      if (f.replaces !== undefined) {
        const data = (globalThis as { citybriefFontData?: Map<string, string[]> }).citybriefFontData!;
        source = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(data.get(f.url)!.join(''));
        data.delete(f.url);
        for (const [url, held] of cache) if (held.replaces === f.replaces) cache.delete(url);
      }
      face = new FontFace(f.family ?? '', source as BufferSource, f.unicodeRange === undefined ? { weight: f.weight } : { weight: f.weight, unicodeRange: f.unicodeRange });
      cache.set(f.url, { face, replaces: f.replaces });
    }
    document.fonts.add(face);
    return face;
  });
  const next = new DOMParser().parseFromString(args.html, 'text/html');
  // Relative links resolve against the document's own address. A <base> says so without a
  // navigation (which would notify DevTools and update history on every document).
  if (!next.querySelector('base[href]')) {
    const base = next.createElement('base');
    base.href = new URL(args.url, location.href).href;
    next.head.prepend(base);
  }
  const copyAttributes = (from: Element, to: Element) => {
    for (const a of [...to.attributes]) to.removeAttribute(a.name);
    for (const a of [...from.attributes]) to.setAttribute(a.name, a.value);
  };
  copyAttributes(next.documentElement, document.documentElement);
  const incoming = [...next.head.children];
  const current = [...document.head.children];
  incoming.forEach((element, i) => {
    const old = current[i];
    if (!old) document.head.append(element);
    else if (old.outerHTML !== element.outerHTML) old.replaceWith(element);
  });
  for (const old of current.slice(incoming.length)) old.remove();
  copyAttributes(next.body, document.body);
  document.body.replaceChildren(...next.body.childNodes);
  // The faces are exactly the ones the document's text needs (the html stage scanned it), so load them
  // directly rather than wait for layout to discover them.
  await Promise.all(faces.map((face) => (face.status === 'loaded' ? face : face.load())));
  // And its images, before the page is measured (a picture without a set size takes its own) and
  // printed (printing does not wait for an image still loading: it would print without it).
  await Promise.all([...document.images].map((image) => image.decode().catch(() => undefined)));
}
