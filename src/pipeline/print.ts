/**
 * Stage 6 — print: HTML to PDF in Chromium. One browser for the whole build,
 * a pool of reused pages, JavaScript off, and only the build's own documents
 * and font files served (from memory); every other request is refused.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PrintError } from '../errors.js';
import { msg } from '../messages.js';
import { launchBrowser } from '../browser/launch.js';
import { createPagePool, ORIGIN, type Asset } from '../browser/pool.js';
import type { ResolvedConfig } from '../config.js';
import type { FontFace } from '../fonts.js';

export interface PrintDocument {
  /** City the document belongs to, for error messages. */
  readonly city: string;
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
  close(): Promise<void>;
}

const PRINT_TIMEOUT_MS = 60_000;

export async function openPrinter(config: ResolvedConfig): Promise<Printer> {
  const browser = await launchBrowser(config);
  const documents = new Map<string, string>();
  const fontFiles = new Map<string, FontFace>();
  const fontCache = new Map<string, Buffer>();

  const assets = (pathname: string): Asset | undefined => {
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

  const size = Math.max(1, Math.min(availableParallelism(), 4));
  const pool = createPagePool(browser, size, assets);

  return {
    async print(doc) {
      const pathname = `/${doc.path}`;
      documents.set(pathname, doc.html);
      for (const face of doc.fonts) fontFiles.set(`/fonts/${face.file}`, face);
      try {
        return await pool.withPage(async (page) => {
          await page.goto(`${ORIGIN}${pathname}`, { waitUntil: 'load', timeout: PRINT_TIMEOUT_MS });
          // Page scripts are off; DevTools evaluation still works, and measures in print layout.
          await page.emulateMediaType('print');
          const overflows = await page.evaluate(() =>
            [...document.querySelectorAll<HTMLElement>('[data-fit]')]
              .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
              .map((el) => el.dataset.fit ?? ''),
          );
          const pdf = await page.pdf({
            printBackground: true,
            preferCSSPageSize: true,
            format: 'A4',
            tagged: true,
            outline: true,
            waitForFonts: true,
            timeout: PRINT_TIMEOUT_MS,
          });
          return { pdf, overflows };
        });
      } catch (error) {
        throw new PrintError(msg.printFailed(doc.city, (error as Error).message), { cause: error });
      } finally {
        documents.delete(pathname);
      }
    },
    refused: pool.refused,
    size,
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}
