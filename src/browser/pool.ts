/**
 * One browser per build and a small pool of pages reused across documents.
 * A page is only reached through `withPage`, which hands it back (or closes it
 * if it broke) when the work is done. Every page runs with JavaScript off and
 * answers requests for the build's own assets from memory; anything else is
 * refused and recorded.
 */
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';

/** The origin documents are served from. `.invalid` can never resolve, so nothing reaches a network. */
export const ORIGIN = 'http://citybrief.invalid';

export interface Asset {
  readonly body: Buffer | string;
  readonly contentType: string;
}

export interface PagePool extends AsyncDisposable {
  /** Run `fn` with a page; the page returns to the pool afterwards. */
  withPage<T>(fn: (page: Page) => Promise<T>): Promise<T>;
  /** Requests that were refused, by URL. */
  readonly refused: readonly string[];
  close(): Promise<void>;
}

export function createPagePool(browser: Browser, size: number, assets: (pathname: string) => Asset | undefined): PagePool {
  const idle: Page[] = [];
  const waiting: ((page: Page | undefined) => void)[] = [];
  let open = 0;
  const refused: string[] = [];

  const onRequest = (request: HTTPRequest) => {
    const url = request.url();
    const asset = url.startsWith(`${ORIGIN}/`) ? assets(new URL(url).pathname) : undefined;
    if (asset) {
      void request.respond({ status: 200, contentType: asset.contentType, body: asset.body });
    } else {
      refused.push(url);
      void request.abort('blockedbyclient');
    }
  };

  const newPage = async () => {
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', onRequest);
    return page;
  };

  const acquire = async (): Promise<Page> => {
    const page = idle.pop();
    if (page) return page;
    if (open < size) {
      open++;
      try {
        return await newPage();
      } catch (error) {
        open--;
        throw error;
      }
    }
    const next = await new Promise<Page | undefined>((resolve) => waiting.push(resolve));
    return next ?? acquire();
  };

  const release = (page: Page, broken: boolean) => {
    if (broken) {
      open--;
      void page.close().catch(() => {});
      waiting.shift()?.(undefined);
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter(page);
    else idle.push(page);
  };

  const close = async () => {
    await browser.close().catch(() => {});
  };

  return {
    async withPage(fn) {
      const page = await acquire();
      let broken = false;
      try {
        return await fn(page);
      } catch (error) {
        broken = true;
        throw error;
      } finally {
        release(page, broken || page.isClosed());
      }
    },
    refused,
    close,
    [Symbol.asyncDispose]: close,
  };
}
