import { describe, expect, it } from 'vitest';
import { launchBrowser } from '../../src/browser/launch.js';
import { resolveConfig } from '../../src/config.js';
import { BrowserError } from '../../src/errors.js';

describe('choosing a browser', () => {
  it('takes CITYBRIEF_CHROME over PUPPETEER_EXECUTABLE_PATH, and the chrome option over both', () => {
    const env = { CITYBRIEF_CHROME: '/a/chrome', PUPPETEER_EXECUTABLE_PATH: '/b/chrome' };
    expect(resolveConfig({ env }).browser).toEqual({ executablePath: '/a/chrome', executableFrom: 'CITYBRIEF_CHROME' });
    expect(resolveConfig({ env: { PUPPETEER_EXECUTABLE_PATH: '/b/chrome' } }).browser.executableFrom).toBe('PUPPETEER_EXECUTABLE_PATH');
    expect(resolveConfig({ env, chrome: '/c/chrome' }).browser.executablePath).toBe('/c/chrome');
    expect(resolveConfig({ env: {} }).browser.executablePath).toBeUndefined();
  });

  it('fails with one error naming what was tried and how to fix it when the given browser does not exist', async () => {
    const config = resolveConfig({ env: { CITYBRIEF_CHROME: '/nowhere/chrome' } });
    const error = await launchBrowser(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrowserError);
    expect((error as Error).message).toContain('CITYBRIEF_CHROME=/nowhere/chrome: not found');
    expect((error as Error).message).toContain('Set CITYBRIEF_CHROME');
    // An explicit choice is never silently replaced by the bundled browser.
    expect((error as Error).message).not.toContain('@sparticuz/chromium');
  });

  it('reports a given executable that is not a browser instead of falling back', async () => {
    const config = resolveConfig({ chrome: process.execPath });
    const error = await launchBrowser(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrowserError);
    expect((error as Error).message).toContain(`the chrome option=${process.execPath} (${process.execPath})`);
  });
});
