import { chmod, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledChromium, bundledFolder, bundledPackage } from '../../src/browser/bundled.js';
import { launchBrowser } from '../../src/browser/launch.js';
import { msg } from '../../src/messages.js';
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

describe('the bundled Chromium', () => {
  const temps: string[] = [];
  afterAll(async () => {
    await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const root = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-browser-'));
    temps.push(dir);
    return dir;
  };

  it("is unpacked into a folder of its package's version and its user, so an upgrade or another user never runs an old or foreign binary", async () => {
    const { version } = bundledPackage();
    const pkg = JSON.parse(await readFile(path.join(import.meta.dirname, '../../node_modules/@sparticuz/chromium/package.json'), 'utf8')) as { version: string };
    expect(version).toBe(pkg.version);
    const folder = bundledFolder(version, '/tmp');
    expect(folder).toBe(`/tmp/citybrief-chromium-${version}-${process.getuid!()}`);
    expect(bundledFolder('146.0.0', '/tmp')).not.toBe(folder);
    // Never the package's own fixed place, which any version or user may have filled.
    expect(folder).not.toBe('/tmp/chromium');
  });

  it('refuses a folder others may write, or a link, before unpacking or running anything from it', async () => {
    const open = await root();
    const folder = bundledFolder(bundledPackage().version, open);
    await mkdir(folder);
    await chmod(folder, 0o777);
    await expect(bundledChromium(open)).rejects.toThrow(msg.unsafeBrowserFolder(folder));

    const linked = await root();
    const elsewhere = await root();
    await symlink(elsewhere, bundledFolder(bundledPackage().version, linked));
    await expect(bundledChromium(linked)).rejects.toThrow(/is not a folder only this user may write/);
  });
});
