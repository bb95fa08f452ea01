/**
 * One browser and a pool of reused pages. A page is only reached through
 * `run`, which hands it back (or discards it if it broke) when the work is
 * done. Every page runs with JavaScript off and answers requests for the
 * build's own assets from memory; anything else is refused and recorded.
 *
 * The pool survives its browser: if Chromium crashes or is killed, the next
 * `run` relaunches it, and work that was on the dead browser is retried once.
 * After `recycleAfter` documents the browser is replaced, to bound its memory.
 * Work that takes longer than `timeoutMs` fails alone: its page is closed.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { PrintError } from '../errors.js';
import { msg } from '../messages.js';

/** The origin documents are served from. `.invalid` can never resolve, so nothing reaches a network. */
export const ORIGIN = 'http://citybrief.invalid';

export interface Asset {
  readonly body: Buffer | string;
  readonly contentType: string;
}

/** A page of the pool with what it already holds, so work can skip repeating it. */
export interface Slot {
  readonly page: Page;
  /** Free-form state the user of the pool keeps per page (e.g. fonts added). */
  readonly state: Map<string, unknown>;
}

export interface PoolOptions {
  readonly size: number;
  readonly launch: () => Promise<Browser>;
  readonly assets: (pathname: string) => Asset | undefined;
  /** Prepare a new page (load a shell document, …). */
  readonly setup?: (slot: Slot) => Promise<void>;
  readonly timeoutMs: number;
  readonly recycleAfter: number;
  /** Told when a browser starts: its process id, for logs and for tests that kill it. */
  readonly onLaunch?: (pid: number | undefined, generation: number) => void;
}

export interface PagePool extends AsyncDisposable {
  /**
   * Launch the browser and open every page now, so it happens while the
   * caller prepares its first work. Rejects (BrowserError) if no browser starts.
   */
  warm(): Promise<void>;
  /** Run `fn` with a page; retried once on a fresh browser if the browser died under it. */
  run<T>(label: string, fn: (slot: Slot) => Promise<T>, timeoutMs?: number): Promise<T>;
  /** Requests that were refused, by URL. */
  readonly refused: readonly string[];
  /** How many times the browser was relaunched after a crash. */
  readonly restarts: number;
  close(): Promise<void>;
}

class Timeout extends Error {}
/** The browser died under a piece of work. */
class BrowserGone extends Error {
  constructor(options: { cause: unknown }) {
    super('the browser closed unexpectedly', options);
  }
}

export function createPagePool(options: PoolOptions): PagePool {
  const refused: string[] = [];
  let browser: Browser | undefined;
  let launching: Promise<Browser> | undefined;
  let generation = 0;
  let restarts = 0;
  let documents = 0;
  let closed = false;
  const idle: Slot[] = [];
  const waiting: (() => void)[] = [];
  let busy = 0;

  const onRequest = (request: HTTPRequest) => {
    const url = request.url();
    const asset = url.startsWith(`${ORIGIN}/`) ? options.assets(new URL(url).pathname) : undefined;
    if (asset) {
      void request.respond({ status: 200, contentType: asset.contentType, body: asset.body }).catch(() => {});
    } else {
      // data: URLs never reach the network and are not recorded as refused.
      if (!url.startsWith('data:')) refused.push(url);
      void request.abort('blockedbyclient').catch(() => {});
    }
  };

  const ensureBrowser = async (): Promise<Browser> => {
    if (browser?.connected) return browser;
    launching ??= (async () => {
      if (browser) {
        // The old browser died: forget its pages. Its count carries over, so the new one is
        // recycled early rather than late (the document that triggered the launch is already counted).
        idle.length = 0;
        restarts++;
        await browser.close().catch(() => {});
      }
      const next = await options.launch();
      generation++;
      options.onLaunch?.(next.process()?.pid, generation);
      browser = next;
      return next;
    })().finally(() => {
      launching = undefined;
    });
    return launching;
  };

  const newSlot = async (): Promise<Slot> => {
    const b = await ensureBrowser();
    const page = await printOnlyPage(b);
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', onRequest);
    const slot: Slot = { page, state: new Map<string, unknown>() };
    await options.setup?.(slot);
    return slot;
  };

  let recycling: Promise<void> | undefined;
  /** Replace the browser once the documents started on it are done; every caller shares one replacement. */
  const recycle = () =>
    (recycling ??= (async () => {
      while (busy > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      idle.length = 0;
      const old = browser;
      browser = undefined;
      documents = 0;
      await old?.close().catch(() => {});
    })().finally(() => {
      recycling = undefined;
    }));

  const acquire = async (): Promise<Slot> => {
    for (;;) {
      while (busy >= options.size) await new Promise<void>((resolve) => waiting.push(resolve));
      // Documents are counted when they start, so no browser prints more than recycleAfter.
      if (documents < options.recycleAfter) break;
      if (browser?.connected) await recycle();
      else if (launching) await launching.catch(() => {});
      else break;
    }
    busy++;
    documents++;
    try {
      let slot = idle.pop();
      while (slot && (slot.page.isClosed() || !slot.page.browser().connected)) slot = idle.pop();
      return slot ?? (await newSlot());
    } catch (error) {
      release(undefined);
      throw error;
    }
  };

  const release = (slot: Slot | undefined) => {
    busy--;
    if (slot && !slot.page.isClosed() && slot.page.browser() === browser && browser?.connected) idle.push(slot);
    else if (slot) void slot.page.close().catch(() => {});
    waiting.shift()?.();
  };

  const attempt = async <T>(label: string, fn: (slot: Slot) => Promise<T>, timeoutMs = options.timeoutMs): Promise<T> => {
    const slot = await acquire().catch((error: unknown) => {
      // The browser died while a page was being opened on it: the same as dying under the work.
      if (!closed && browser !== undefined && !browser.connected) throw new BrowserGone({ cause: error });
      throw error;
    });
    let keep = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(label)), timeoutMs);
      });
      return await Promise.race([fn(slot), timeout]);
    } catch (error) {
      keep = false;
      if (error instanceof Timeout) {
        await slot.page.close().catch(() => {});
        throw new PrintError(msg.printTimeout(label, timeoutMs));
      }
      if (!closed && !slot.page.browser().connected) throw new BrowserGone({ cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
      release(keep ? slot : undefined);
    }
  };

  const close = async () => {
    closed = true;
    idle.length = 0;
    await launching?.catch(() => {});
    const b = browser;
    browser = undefined;
    await b?.close().catch(() => {});
  };

  return {
    async warm() {
      await ensureBrowser();
      // A page that fails to open (the browser died meanwhile) is left to `run`, which relaunches.
      const missing = Math.max(0, options.size - busy - idle.length);
      for (const opened of await Promise.allSettled(Array.from({ length: missing }, newSlot))) {
        if (opened.status === 'fulfilled') idle.push(opened.value);
      }
    },
    async run(label, fn, timeoutMs) {
      if (closed) throw new PrintError(msg.printerClosed);
      try {
        return await attempt(label, fn, timeoutMs);
      } catch (error) {
        if (!(error instanceof BrowserGone) || closed) throw error;
        // The browser died under this work: try again, once, on a relaunched browser (ensureBrowser counts the crash).
        try {
          return await attempt(label, fn, timeoutMs);
        } catch (again) {
          throw again instanceof BrowserGone ? new PrintError(msg.browserCrashed(label), { cause: again.cause }) : again;
        }
      }
    },
    refused,
    get restarts() {
      return restarts;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A page that never draws to a screen. Pages here are only printed, but an
 * ordinary headless page still composites and rasterises a frame after every
 * change (and hit-tests for hover): measured, a fifth of Chromium's CPU per
 * document. A target whose frames are under DevTools' control draws none
 * unless asked, and printing does not need them. Only the headless shell
 * offers this; other browsers get an ordinary page, which prints the same.
 */
export async function printOnlyPage(browser: Browser): Promise<Page> {
  const session = await browser.target().createCDPSession();
  let targetId: string | undefined;
  // The new target is found by its address, unique to it (Puppeteer does not show a target's id).
  const url = `about:blank#print-${randomUUID()}`;
  try {
    ({ targetId } = await session.send('Target.createTarget', { url, enableBeginFrameControl: true }));
    const target = await browser.waitForTarget((t) => t.url() === url, { timeout: 10_000 });
    const page = await target.page();
    if (page) return page;
  } catch {
    // Not supported by this browser: an ordinary page prints the same.
  }
  try {
    if (targetId) await session.send('Target.closeTarget', { targetId });
  } catch {
    // already gone
  } finally {
    await session.detach().catch(() => {});
  }
  return browser.newPage();
}
