/**
 * Finding and launching Chromium. In order: an explicit executable (the
 * `chrome` option, CITYBRIEF_CHROME, PUPPETEER_EXECUTABLE_PATH); the Chromium
 * shipped inside the @sparticuz/chromium npm package (Linux x64); then Chrome,
 * Chromium or Edge installed in their usual places. If none launches, one
 * error lists everything that was tried.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { BrowserError } from '../errors.js';
import { msg } from '../messages.js';
import type { ResolvedConfig } from '../config.js';
import { bundledChromium } from './bundled.js';

interface Candidate {
  readonly label: string;
  /** Resolves to an executable path, or undefined when this candidate does not exist here. */
  readonly path: () => Promise<string | undefined>;
  /** chrome-headless-shell binaries want puppeteer's 'shell' mode; full browsers the new headless. */
  readonly shell: boolean;
}

/**
 * Flags for printing documents on a machine that may have no network: no
 * background services that phone home, no GPU, hinting off so glyph outlines
 * in the PDF match the font.
 */
const ARGS = [
  '--disable-gpu',
  '--font-render-hinting=none',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-extensions',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--mute-audio',
  '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication',
];

export async function launchBrowser(config: ResolvedConfig): Promise<Browser> {
  const { default: puppeteer } = await import('puppeteer-core');
  const tried: string[] = [];
  for (const candidate of candidates(config)) {
    let executablePath: string | undefined;
    try {
      executablePath = await candidate.path();
    } catch (error) {
      tried.push(`${candidate.label}: ${(error as Error).message}`);
      continue;
    }
    if (!executablePath) {
      tried.push(`${candidate.label}: not found`);
      continue;
    }
    try {
      return await puppeteer.launch({
        executablePath,
        headless: candidate.shell ? 'shell' : true,
        // Running as root (containers, CI) needs the sandbox off; Chromium refuses to start otherwise.
        args: [...ARGS, ...(needsNoSandbox(candidate) ? ['--no-sandbox'] : [])],
        timeout: 60_000,
        // DevTools over a pipe rather than a WebSocket: no TCP, framing or masking for every document
        // and PDF that passes between Node and Chromium.
        pipe: true,
        // The build's own limit per document (config.timeoutMs) ends a print that takes too long, with a
        // message saying which flag raises it; Puppeteer's limit on one DevTools call must not end it first.
        protocolTimeout: Math.max(120_000, config.timeoutMs + 60_000),
        // citybrief stops cleanly on SIGINT/SIGTERM itself (keeping finished documents, then closing the
        // browser); Puppeteer's own handlers would kill Chromium and exit the process first.
        handleSIGINT: false,
        handleSIGTERM: false,
      });
    } catch (error) {
      tried.push(`${candidate.label} (${executablePath}): ${firstLine((error as Error).message)}`);
      if (config.browser.executablePath) break; // an explicit choice is not silently replaced
    }
  }
  throw new BrowserError(msg.noBrowser(tried));
}

function needsNoSandbox(candidate: Candidate): boolean {
  return candidate.shell || process.getuid?.() === 0;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim())?.trim() ?? text;
}

function candidates(config: ResolvedConfig): Candidate[] {
  const { executablePath, executableFrom } = config.browser;
  if (executablePath) {
    return [{ label: `${executableFrom}=${executablePath}`, path: async () => (existsSync(executablePath) ? executablePath : undefined), shell: /headless[-_]shell/i.test(executablePath) }];
  }
  const list: Candidate[] = [];
  if (process.platform === 'linux' && process.arch === 'x64') {
    list.push({
      label: '@sparticuz/chromium (bundled)',
      path: () => bundledChromium(),
      shell: true,
    });
  }
  for (const file of installedBrowsers(config.env)) {
    list.push({ label: file, path: async () => (existsSync(file) ? file : undefined), shell: false });
  }
  return list;
}

function installedBrowsers(env: Readonly<Record<string, string | undefined>>): string[] {
  if (process.platform === 'darwin') {
    return [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
  }
  if (process.platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => Boolean(r));
    return roots.flatMap((root) => [
      path.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      path.join(root, 'Chromium', 'Application', 'chrome.exe'),
      path.join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
    ]);
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/microsoft-edge',
    '/snap/bin/chromium',
  ];
}
