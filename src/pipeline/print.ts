/**
 * Stage 6 — print: HTML to PDF in Chromium. One browser for the whole build,
 * a pool of reused pages, JavaScript off, and only the build's own documents
 * and font files served (from memory); every other request is refused.
 *
 * Navigating to a new document per PDF costs more than printing it, mostly
 * in loading and decoding web fonts again. So each page loads an empty shell
 * document once; each document is then swapped into it (head elements that
 * changed, the body, attributes) through DevTools, which works with page
 * scripts off. Fonts are added to the page once as FontFace objects and stay
 * loaded across documents. A document the swap cannot take is navigated to.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PrintError } from '../errors.js';
import { msg } from '../messages.js';
import { launchBrowser } from '../browser/launch.js';
import { createPagePool, ORIGIN, type Asset, type Slot } from '../browser/pool.js';
import type { ResolvedConfig } from '../config.js';
import type { FontFace } from '../fonts.js';

export interface PrintDocument {
  /** Path of the document below the out folder, e.g. `shenzhen/briefing.html`. */
  readonly path: string;
  readonly html: string;
  readonly fonts: readonly FontFace[];
}

export interface Printed {
  readonly pdf: Uint8Array;
  /**
   * Elements marked `data-fit="<name>"` whose content is larger than their box
   * (it would be clipped), by name: e.g. a slide whose text does not fit.
   */
  readonly overflows: readonly string[];
}

export interface Printer extends AsyncDisposable {
  print(doc: PrintDocument): Promise<Printed>;
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
  const documents = new Map<string, string>();
  const fontFiles = new Map<string, FontFace>();
  const fontCache = new Map<string, Buffer>();

  const assets = (pathname: string): Asset | undefined => {
    if (pathname === SHELL) return { body: SHELL_HTML, contentType: 'text/html; charset=utf-8' };
    const doc = documents.get(pathname);
    if (doc !== undefined) return { body: doc, contentType: 'text/html; charset=utf-8' };
    const face = fontFiles.get(pathname);
    if (face) {
      let body = fontCache.get(face.file);
      if (!body) {
        body = readFileSync(face.absPath);
        fontCache.set(face.file, body);
      }
      return { body, contentType: 'font/woff2' };
    }
    return undefined;
  };

  const size = config.concurrency ?? Math.max(1, Math.min(availableParallelism(), 4));
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
    async print(doc) {
      for (const face of doc.fonts) fontFiles.set(`/fonts/${face.file}`, face);
      try {
        return await pool.run(doc.path, async (slot) => {
          const parts = splitDocument(doc.html);
          let overflows: string[];
          if (parts && slot.state.get('shell')) {
            const faces = doc.fonts.map((f) => ({ family: f.family, url: `/fonts/${f.file}`, weight: String(f.weight), unicodeRange: f.unicodeRange }));
            overflows = await slot.page.evaluate(swapIn, { ...parts, url: `/${doc.path}`, faces });
          } else {
            // Not a document the swap understands: navigate to it instead, then restore the shell afterwards.
            documents.set(`/${doc.path}`, doc.html);
            try {
              await slot.page.goto(`${ORIGIN}/${doc.path}`, { waitUntil: 'load', timeout: 0 });
              overflows = await slot.page.evaluate(overflowing);
            } finally {
              documents.delete(`/${doc.path}`);
              slot.state.clear();
            }
          }
          const pdf = await slot.page.pdf({
            printBackground: true,
            preferCSSPageSize: true,
            format: 'A4',
            tagged: true,
            outline: true,
            waitForFonts: true,
            // The pool's per-document timeout governs; Puppeteer's own 30 s default would cut it short.
            timeout: 0,
          });
          if (!slot.state.get('shell')) await loadShell(slot);
          return { pdf, overflows };
        });
      } catch (error) {
        if (error instanceof PrintError) throw error;
        throw new PrintError(msg.printFailed(doc.path, (error as Error).message), { cause: error });
      }
    },
    size,
    refused: pool.refused,
    get restarts() {
      return pool.restarts;
    },
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}

async function loadShell(slot: Slot): Promise<void> {
  await slot.page.goto(`${ORIGIN}${SHELL}`, { waitUntil: 'load', timeout: 0 });
  slot.state.set('shell', true);
}

interface DocumentParts {
  readonly htmlAttrs: string;
  readonly head: string;
  readonly bodyAttrs: string;
  readonly body: string;
}

/** The parts of a full HTML document the swap needs; undefined when it is not one. */
export function splitDocument(html: string): DocumentParts | undefined {
  const match = /^\s*(?:<!doctype html>)?\s*<html([^>]*)>\s*<head>([\s\S]*?)<\/head>\s*<body([^>]*)>([\s\S]*)<\/body>\s*<\/html>\s*$/i.exec(html);
  if (!match) return undefined;
  const [, htmlAttrs = '', head = '', bodyAttrs = '', body = ''] = match;
  return { htmlAttrs, head, bodyAttrs, body };
}

/**
 * Runs in the page (through DevTools; page scripts stay off). Replaces the
 * shell's content with a document's, keeping head elements that did not
 * change so an unchanged stylesheet is not parsed again, waits for fonts and
 * returns the names of `data-fit` elements whose content overflows.
 */
async function swapIn(args: DocumentParts & { url: string; faces: { family: string; url: string; weight: string; unicodeRange: string }[] }): Promise<string[]> {
  // Exactly this document's faces, in its order: which face wins for a character covered twice depends
  // on the set and its order, and a document must not depend on what the page showed before.
  // FontFace objects are kept across documents, so a face loads once per page.
  const cache = ((globalThis as { citybriefFaces?: Map<string, FontFace> }).citybriefFaces ??= new Map());
  document.fonts.clear();
  for (const f of args.faces) {
    let face = cache.get(f.url);
    if (!face) {
      face = new FontFace(f.family, `url("${f.url}")`, { weight: f.weight, unicodeRange: f.unicodeRange });
      cache.set(f.url, face);
    }
    document.fonts.add(face);
  }
  history.replaceState(null, '', args.url);
  const setAttributes = (element: Element, attributes: string) => {
    for (const a of [...element.attributes]) element.removeAttribute(a.name);
    const t = document.createElement('template');
    t.innerHTML = `<div ${attributes}></div>`;
    for (const a of [...(t.content.firstElementChild?.attributes ?? [])]) element.setAttribute(a.name, a.value);
  };
  setAttributes(document.documentElement, args.htmlAttrs);
  const t = document.createElement('template');
  t.innerHTML = args.head;
  const next = [...t.content.children];
  const current = [...document.head.children];
  next.forEach((element, i) => {
    const old = current[i];
    if (!old) document.head.append(element);
    else if (old.outerHTML !== element.outerHTML) old.replaceWith(element);
  });
  for (const old of current.slice(next.length)) old.remove();
  setAttributes(document.body, args.bodyAttrs);
  document.body.innerHTML = args.body;
  void document.body.offsetHeight;
  await document.fonts.ready;
  // Functions passed to evaluate are sent as source, so this one cannot call `overflowing` below.
  return [...document.querySelectorAll<HTMLElement>('[data-fit]')]
    .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.dataset.fit ?? '');
}

/** Names of `data-fit` elements whose content is larger than their box. */
function overflowing(): string[] {
  return [...document.querySelectorAll<HTMLElement>('[data-fit]')]
    .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.dataset.fit ?? '');
}
