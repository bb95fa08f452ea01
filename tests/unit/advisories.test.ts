/**
 * Dependencies are pinned by package-lock.json; this file checks the pinned versions against the
 * public security advisories known for the packages that parse citybrief's input, templates,
 * charts, fonts, PDFs and archives, for the browser stack, and for the test and build tools.
 *
 * The table below records GitHub Advisory Database entries (GHSA ids, severity as GitHub rates
 * it, affected ranges, first fixed releases) as published up to September 2026. Every copy of a
 * package in the lock — nested ones under node_modules/<x>/node_modules/ included — must lie
 * outside every affected range, so a downgrade, or a dependency that drags in an old nested copy,
 * fails here. The table does not replace `npm audit`: where the registry's advisory endpoint is
 * reachable, `npm audit --audit-level=high` must pass too, and a new advisory it reports gets a
 * row here.
 *
 * The second half proves that Handlebars runs without prototype access: templates compiled by
 * citybrief's own loader cannot reach `constructor`, `__proto__` or inherited members, and the
 * well-known template gadgets neither run code nor pollute Object.prototype.
 */
import { readdir, readFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TemplateError } from '../../src/errors.js';
import { templatesIn } from '../helpers/templates.js';

const root = path.resolve(import.meta.dirname, '../..');

// ---------------------------------------------------------------------------------------------
// Versions. The lock holds plain x.y.z versions only (a test below keeps it so), which makes a
// three-number comparison exact; `semver` is in node_modules only as a dependency of
// @puppeteer/browsers, so it is not relied on here.
// ---------------------------------------------------------------------------------------------

type Version = readonly [number, number, number];

function parseVersion(text: string): Version {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) throw new Error(`not a plain x.y.z version: ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` lies in `range`: comparator sets joined by `||`, each a space-separated list
 * of `>=x.y.z`, `>x.y.z`, `<=x.y.z`, `<x.y.z` or `=x.y.z` that must all hold.
 */
function inRange(version: string, range: string): boolean {
  const v = parseVersion(version);
  return range.split('||').some((set) =>
    set
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        const m = /^(>=|<=|>|<|=)(\d+\.\d+\.\d+)$/.exec(comparator);
        if (!m) throw new Error(`bad comparator "${comparator}" in range "${range}"`);
        const c = compare(v, parseVersion(m[2]!));
        return { '>=': c >= 0, '<=': c <= 0, '>': c > 0, '<': c < 0, '=': c === 0 }[m[1] as '>=' | '<=' | '>' | '<' | '='];
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// The advisories. Rows group advisories of one package that share a fix; the severity is the
// highest in the row and the range the union of theirs. `fixedIn` names the first fixed release
// of each affected line; it is empty when no fixed release exists.
//
// Checked and without any advisory for the installed lines: fontkit, restructure, brotli,
// unicode-properties, unicode-trie, pdf-lib, pako, croner, puppeteer-core, @puppeteer/browsers,
// @sparticuz/chromium, chromium-bidi, get-uri, socks, vega-lite, vega-loader, vega-scenegraph.
// ---------------------------------------------------------------------------------------------

type Severity = 'low' | 'moderate' | 'high' | 'critical';

interface Advisory {
  readonly pkg: string;
  readonly ids: readonly string[];
  readonly severity: Severity;
  readonly affected: string;
  readonly fixedIn: readonly string[];
  readonly about: string;
  /** What to do when the first fixed release is out of reach. */
  readonly remedy?: string;
}

const ADVISORIES: readonly Advisory[] = [
  // Templates and data.
  {
    pkg: 'handlebars',
    ids: ['GHSA-2w6w-674q-4c4q', 'GHSA-3mfm-83xf-c92r', 'GHSA-xhpv-hc6g-r9c6', 'GHSA-9cx6-37pm-9jff', 'GHSA-xjpj-3mr7-gcpf', 'GHSA-2qvq-rjwj-gvw9', 'GHSA-7rx3-28cr-v5wh', 'GHSA-442j-39wm-28r2'],
    severity: 'critical',
    affected: '>=4.0.0 <4.7.9',
    fixedIn: ['4.7.9'],
    about: 'JavaScript injection via AST type confusion, @partial-block tampering, dynamic partials; decorator DoS; CLI precompiler injection; proto-access gaps (2026)',
  },
  {
    pkg: 'handlebars',
    ids: ['GHSA-f2jv-r9rf-7988', 'GHSA-765h-qjxv-5f44'],
    severity: 'critical',
    affected: '<4.7.7',
    fixedIn: ['4.7.7'],
    about: 'remote code execution and prototype pollution when compiling untrusted templates (CVE-2021-23369, CVE-2021-23383)',
  },
  {
    pkg: 'handlebars',
    ids: ['GHSA-w457-6q6x-cgp9', 'GHSA-2cf5-4w76-r9qv', 'GHSA-q2c6-c6pm-g3gh', 'GHSA-g9r4-xpmj-mj65', 'GHSA-3cqr-58rm-57f8', 'GHSA-62gr-4qp9-h98f', 'GHSA-f52g-6jhx-586p', 'GHSA-q42p-pg8m-cqh6'],
    severity: 'critical',
    affected: '<3.0.8 || >=4.0.0 <4.5.3',
    fixedIn: ['3.0.8', '4.5.3'],
    about: 'prototype pollution and code execution through templates; parser DoS (2019)',
  },
  {
    pkg: 'uglify-js',
    ids: ['GHSA-34r7-q49f-h37c', 'GHSA-c9f4-xj24-8jqx'],
    severity: 'critical',
    affected: '<2.6.0',
    fixedIn: ['2.6.0'],
    about: 'minifier changes semantics; parse() ReDoS (optional dependency of handlebars)',
  },
  // Workbooks: exceljs unpacks them with jszip (and writes temporary files with tmp, which citybrief never asks for).
  {
    pkg: 'jszip',
    ids: ['GHSA-jg8v-48h5-wgxh'],
    severity: 'high',
    affected: '<3.7.0',
    fixedIn: ['3.7.0'],
    about: 'prototype pollution through a file named __proto__ in the archive (loadAsync)',
  },
  {
    pkg: 'jszip',
    ids: ['GHSA-36fh-84j7-cv5h'],
    severity: 'moderate',
    affected: '<3.8.0',
    fixedIn: ['3.8.0'],
    about: 'path traversal (zip slip) in the names loadAsync gives',
  },
  {
    pkg: 'tmp',
    ids: ['GHSA-52f5-9888-hmc6'],
    severity: 'low',
    affected: '<=0.2.3',
    fixedIn: ['0.2.4'],
    about: 'arbitrary temporary file or folder write through a symbolic link in the dir option',
  },
  {
    pkg: 'yaml',
    ids: ['GHSA-48c2-rrv3-qjmp'],
    severity: 'moderate',
    affected: '>=1.0.0 <1.10.3 || >=2.0.0 <2.8.3',
    fixedIn: ['1.10.3', '2.8.3'],
    about: 'stack overflow (RangeError) on deeply nested collections (CVE-2026-33532)',
  },
  {
    pkg: 'yaml',
    ids: ['GHSA-f9xv-q969-pqx4'],
    severity: 'high',
    affected: '>=2.0.0 <2.2.2',
    fixedIn: ['2.2.2'],
    about: 'uncaught exception on crafted input (CVE-2023-2251)',
  },
  {
    pkg: 'zod',
    ids: ['GHSA-m95q-7qp3-xv42'],
    severity: 'moderate',
    affected: '<=3.22.2',
    fixedIn: ['3.22.3'],
    about: 'email validation ReDoS (CVE-2023-4316)',
  },
  {
    pkg: 'csv-parse',
    ids: ['GHSA-582f-p4pg-xc74'],
    severity: 'high',
    affected: '<4.4.6',
    fixedIn: ['4.4.6'],
    about: 'ReDoS in cast (CVE-2019-17592)',
  },

  // Charts.
  {
    pkg: 'vega',
    ids: ['GHSA-7f2v-3qq3-vvjf', 'GHSA-963h-3v39-3pqf', 'GHSA-rcw3-wmx7-cphr', 'GHSA-mp7w-mhcv-673j', 'GHSA-4vq7-882g-wcg4', 'GHSA-w5m3-xh75-mp55'],
    severity: 'high',
    affected: '<6.2.0',
    fixedIn: ['6.2.0'],
    about: 'expression sandbox escapes leading to script execution (CVE-2025-59840 and earlier)',
  },
  {
    pkg: 'vega-expression',
    ids: ['GHSA-7f2v-3qq3-vvjf'],
    severity: 'high',
    affected: '<5.2.1 || >=6.0.0 <6.1.0',
    fixedIn: ['5.2.1', '6.1.0'],
    about: 'expression sandbox escape through toString calls (CVE-2025-59840)',
  },
  {
    pkg: 'vega-functions',
    ids: ['GHSA-m9rg-mr6g-75gm', 'GHSA-963h-3v39-3pqf', 'GHSA-rcw3-wmx7-cphr', 'GHSA-4vq7-882g-wcg4', 'GHSA-w5m3-xh75-mp55'],
    severity: 'high',
    affected: '<6.1.1',
    fixedIn: ['6.1.1'],
    about: 'script execution through setdata, scale, lassoAppend, event filters (CVE-2025-66648 and earlier)',
  },
  {
    pkg: 'vega-selections',
    ids: ['GHSA-829q-m3qg-ph8r', 'GHSA-mp7w-mhcv-673j'],
    severity: 'high',
    affected: '<5.6.3 || >=6.0.0 <6.1.2',
    fixedIn: ['5.6.3', '6.1.2'],
    about: 'script execution through vlSelectionTuples (CVE-2025-65110, CVE-2025-25304)',
  },
  {
    pkg: 'vega-util',
    ids: ['GHSA-6hwh-rqwf-cxxr'],
    severity: 'moderate',
    affected: '<1.13.1',
    fixedIn: ['1.13.1'],
    about: 'prototype pollution through mergeConfig (CVE-2019-10806)',
  },
  {
    pkg: 'd3-color',
    ids: ['GHSA-36jr-mh4h-2g58'],
    severity: 'high',
    affected: '<3.1.0',
    fixedIn: ['3.1.0'],
    about: 'ReDoS when parsing colour strings',
  },

  // Printing: the browser connection, its download and proxy stack, archives.
  {
    pkg: 'ws',
    ids: ['GHSA-96hv-2xvq-fx4p', 'GHSA-3h5v-q93c-6h6q', 'GHSA-58qx-3vcg-4xpx'],
    severity: 'high',
    affected: '>=1.1.0 <5.2.5 || >=6.0.0 <6.2.4 || >=7.0.0 <7.5.11 || >=8.0.0 <8.21.0',
    fixedIn: ['5.2.5', '6.2.4', '7.5.11', '8.21.0'],
    about: 'memory exhaustion from tiny fragments (CVE-2026-48779); crash on many headers; uninitialized memory in close()',
  },
  {
    pkg: 'tar-fs',
    ids: ['GHSA-vj76-c3g6-qr5v', 'GHSA-8cj5-5rvv-wf4v', 'GHSA-pq67-2wwv-3xjx'],
    severity: 'high',
    affected: '<1.16.6 || >=2.0.0 <2.1.4 || >=3.0.0 <3.1.1',
    fixedIn: ['1.16.6', '2.1.4', '3.1.1'],
    about: 'extraction outside the target folder through links in crafted tarballs',
  },
  {
    pkg: 'extract-zip',
    ids: ['GHSA-jmr9-qjv8-65gv', 'GHSA-7pqw-9j4j-h8q3'],
    severity: 'high',
    affected: '>=0.0.0',
    fixedIn: [],
    about: 'symlink path traversal and writes through symlink entries when unpacking a zip (CVE-2026-56876, CVE-2026-19693); no fixed release exists',
  },
  {
    pkg: 'yauzl',
    ids: ['GHSA-gmq8-994r-jv83'],
    severity: 'low',
    affected: '=3.2.0',
    fixedIn: ['3.2.1'],
    about: 'off-by-one in the NTFS timestamp parser',
  },
  {
    pkg: 'follow-redirects',
    ids: ['GHSA-r4q5-vmmm-2653', 'GHSA-cxjh-pqwp-8mfp', 'GHSA-jchw-25xp-jwwc', 'GHSA-pw2r-vq6v-hr8c', 'GHSA-74fj-2j2h-c42q'],
    severity: 'high',
    affected: '<1.16.0',
    fixedIn: ['1.16.0'],
    about: 'credentials forwarded to other hosts on redirect; url.parse confusion',
  },
  {
    pkg: 'basic-ftp',
    ids: ['GHSA-rpmf-866q-6p89', 'GHSA-rp42-5vxx-qpwr', 'GHSA-6v7q-wjvx-w8wg', 'GHSA-5rq4-664w-9x2c'],
    severity: 'critical',
    affected: '<5.3.1',
    fixedIn: ['5.3.1'],
    about: 'path traversal in downloadToDir; CRLF command injection; unbounded memory from a server',
  },
  {
    pkg: 'ip-address',
    ids: ['GHSA-mwp4-54f8-5fhr', 'GHSA-4xrf-jv44-h6hh', 'GHSA-22jq-vg5j-6vgg', 'GHSA-v2v4-37r5-5v8g'],
    severity: 'high',
    affected: '<10.3.1',
    fixedIn: ['10.3.1'],
    about: 'leading-zero octets and mapped addresses misclassified (SSRF); HTML injection in Address6',
  },
  {
    pkg: 'netmask',
    ids: ['GHSA-4c7m-wxvm-r7gc', 'GHSA-pch5-whg9-qr2r'],
    severity: 'critical',
    affected: '<2.0.1',
    fixedIn: ['2.0.1'],
    about: 'octal input misparsed (SSRF)',
  },
  {
    pkg: 'pac-resolver',
    ids: ['GHSA-9j49-mfvp-vmhm'],
    severity: 'high',
    affected: '<5.0.0',
    fixedIn: ['5.0.0'],
    about: 'code injection from a PAC file (CVE-2021-23406)',
  },
  {
    pkg: 'degenerator',
    ids: ['GHSA-9j49-mfvp-vmhm'],
    severity: 'high',
    affected: '<3.0.1',
    fixedIn: ['3.0.1'],
    about: 'code injection from a PAC file (CVE-2021-23406)',
  },
  {
    pkg: 'debug',
    ids: ['GHSA-9vvw-cc9w-f27h'],
    severity: 'high',
    affected: '<2.6.9 || >=3.0.0 <3.1.0',
    fixedIn: ['2.6.9', '3.1.0'],
    about: 'ReDoS (CVE-2017-20165)',
  },
  {
    pkg: 'debug',
    ids: ['GHSA-8mgj-vmr8-frr6'],
    severity: 'critical',
    affected: '=4.4.2',
    fixedIn: [],
    about: 'compromised release carrying malware (September 2025); every other release is clean',
  },
  {
    pkg: 'semver',
    ids: ['GHSA-c2qf-rxjj-qqgw'],
    severity: 'high',
    affected: '<5.7.2 || >=6.0.0 <6.3.1 || >=7.0.0 <7.5.2',
    fixedIn: ['5.7.2', '6.3.1', '7.5.2'],
    about: 'ReDoS in range parsing (CVE-2022-25883)',
  },
  {
    pkg: 'ansi-regex',
    ids: ['GHSA-93q8-gq69-wqmw'],
    severity: 'high',
    affected: '>=3.0.0 <3.0.1 || >=4.0.0 <4.1.1 || >=5.0.0 <5.0.1 || >=6.0.0 <6.0.1',
    fixedIn: ['3.0.1', '4.1.1', '5.0.1', '6.0.1'],
    about: 'ReDoS (CVE-2021-3807)',
  },
  {
    pkg: 'ansi-regex',
    ids: ['GHSA-jvhh-2m83-6w29'],
    severity: 'critical',
    affected: '=6.2.1',
    fixedIn: [],
    about: 'compromised release carrying malware (September 2025)',
  },
  // The same September 2025 compromise (chalk/chalk#656, debug-js/debug#1005) published one
  // malicious release of each of these; they were unpublished, but caches and old locks keep them.
  { pkg: 'ansi-styles', ids: ['chalk/ansi-styles#92'], severity: 'critical', affected: '=6.2.2', fixedIn: [], about: 'compromised release (September 2025)' },
  { pkg: 'strip-ansi', ids: ['chalk/chalk#656'], severity: 'critical', affected: '=7.1.1', fixedIn: [], about: 'compromised release (September 2025)' },
  { pkg: 'wrap-ansi', ids: ['chalk/chalk#656'], severity: 'critical', affected: '=9.0.1', fixedIn: [], about: 'compromised release (September 2025)' },
  { pkg: 'color-convert', ids: ['chalk/chalk#656'], severity: 'critical', affected: '=3.1.1', fixedIn: [], about: 'compromised release (September 2025)' },
  { pkg: 'color-name', ids: ['chalk/chalk#656'], severity: 'critical', affected: '=2.0.1', fixedIn: [], about: 'compromised release (September 2025)' },

  // Test and build tools (devDependencies).
  {
    pkg: 'pdfjs-dist',
    ids: ['GHSA-hq66-cqwq-w95j'],
    severity: 'high',
    affected: '>=5.6.83 <6.2.108',
    fixedIn: ['6.2.108'],
    about: 'arbitrary JavaScript from a malicious PDF when scripting is enabled (CVE-2026-16633)',
    remedy: 'pin ~5.5.207, the newest release before the affected range (6.2.108 and later need Node >= 22.13)',
  },
  {
    pkg: 'pdfjs-dist',
    ids: ['GHSA-wgrm-67xf-hhpq', 'GHSA-7jg2-jgv3-fmr4'],
    severity: 'high',
    affected: '<4.2.67',
    fixedIn: ['4.2.67'],
    about: 'arbitrary JavaScript from a malicious PDF (CVE-2024-4367, CVE-2018-5158)',
  },
  {
    pkg: 'vite',
    ids: ['GHSA-fx2h-pf6j-xcff', 'GHSA-v6wh-96g9-6wx3', 'GHSA-v2wj-q39q-566r', 'GHSA-p9ff-h696-f583', 'GHSA-4w7w-66w2-5vf9', 'GHSA-93m4-6634-74q7', 'GHSA-c27g-q93r-2cwf'],
    severity: 'high',
    affected: '<6.4.3 || >=7.0.0 <7.3.5 || >=8.0.0 <8.0.16',
    fixedIn: ['6.4.3', '7.3.5', '8.0.16'],
    about: 'dev server file disclosure (server.fs.deny bypasses, WebSocket fetchModule, .map traversal); launch-editor',
  },
  {
    pkg: 'vitest',
    ids: ['GHSA-5xrq-8626-4rwp', 'GHSA-9crc-q9x8-hgqq'],
    severity: 'critical',
    affected: '<3.2.6 || >=4.0.0 <4.1.0',
    fixedIn: ['3.2.6', '4.1.0'],
    about: 'file read and code execution through the UI/API server',
  },
  {
    pkg: 'esbuild',
    ids: ['GHSA-gv7w-rqvm-qjhr', 'GHSA-g7r4-m6w7-qqqr', 'GHSA-67mh-4wv8-2f99'],
    severity: 'high',
    affected: '<0.28.1',
    fixedIn: ['0.28.1'],
    about: 'unverified binary download (RCE via NPM_CONFIG_REGISTRY); dev server file read and CORS',
  },
  {
    pkg: 'rollup',
    ids: ['GHSA-mw96-cpmx-2vgc'],
    severity: 'high',
    affected: '<2.80.0 || >=4.0.0 <4.59.0',
    fixedIn: ['2.80.0', '4.59.0'],
    about: 'arbitrary file write via path traversal in output names (CVE-2026-27606)',
  },
  {
    pkg: 'postcss',
    ids: ['GHSA-r28c-9q8g-f849', 'GHSA-6g55-p6wh-862q', 'GHSA-fxqj-rqcc-2cmp', 'GHSA-qx2v-qp2m-jg93', 'GHSA-7fh5-64p2-3v2j'],
    severity: 'high',
    affected: '<8.5.23',
    fixedIn: ['8.5.23'],
    about: 'file disclosure through sourceMappingURL; </style> not escaped',
  },
  {
    pkg: 'nanoid',
    ids: ['GHSA-2v37-7h3g-55p8', 'GHSA-28wg-ghj8-5hjv', 'GHSA-xwg4-73v4-xw9w', 'GHSA-mwcw-c2x4-8c55'],
    severity: 'high',
    affected: '<3.3.18 || >=4.0.0 <5.1.16',
    fixedIn: ['3.3.18', '5.1.16'],
    about: 'infinite loops and corrupted random pool on odd sizes',
  },
  {
    pkg: 'picomatch',
    ids: ['GHSA-c2c7-rcm5-vvqj', 'GHSA-3v7f-55p6-f55p'],
    severity: 'high',
    affected: '<2.3.2 || >=3.0.0 <3.0.2 || >=4.0.0 <4.0.4',
    fixedIn: ['2.3.2', '3.0.2', '4.0.4'],
    about: 'ReDoS via extglob quantifiers; method injection in POSIX classes',
  },
];

/** Security fixes released without an advisory: the installed copies must include them. */
const FIXES_WITHOUT_ADVISORY: readonly { pkg: string; ref: string; atLeast: string; about: string }[] = [
  { pkg: 'vega-util', ref: 'vega/vega#4273', atLeast: '2.1.1', about: 'mergeConfig also refuses constructor and prototype keys' },
  { pkg: 'vega-view', ref: 'vega/vega@9dd237c', atLeast: '6.2.0', about: 'signal bindings ignore on* event-handler attributes' },
];

/**
 * Advisories that apply to an installed copy and have no release to move to on Node 20, kept
 * because the affected code is never reached. Each is pinned to the exact copy: any change to the
 * version, to who depends on it, or to citybrief's imports makes the test fail for review.
 */
const ACCEPTED: readonly { pkg: string; ids: readonly string[]; version: string; requiredBy: readonly string[]; why: string }[] = [
  {
    pkg: 'extract-zip',
    ids: ['GHSA-jmr9-qjv8-65gv', 'GHSA-7pqw-9j4j-h8q3'],
    version: '2.0.1',
    requiredBy: ['@puppeteer/browsers'],
    why:
      '@puppeteer/browsers imports it only to unpack a browser it downloads; citybrief never installs a browser ' +
      '(@sparticuz/chromium unpacks with tar-fs). The fix is @puppeteer/browsers 3 (puppeteer-core 25), which needs Node >= 22.12.',
  },
];

// ---------------------------------------------------------------------------------------------
// The lock.
// ---------------------------------------------------------------------------------------------

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}
interface Copy {
  readonly name: string;
  readonly path: string;
  readonly version: string;
}

const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as Lock;

/** Every installed copy: `node_modules/a/node_modules/@s/b` is a copy of `@s/b`. */
function copies(l: Lock): Copy[] {
  return Object.entries(l.packages)
    .filter(([key, entry]) => key.startsWith('node_modules/') && !entry.link)
    .map(([key, entry]) => ({ name: key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), path: key, version: entry.version ?? '' }));
}

function isAccepted(copy: Copy, advisory: Advisory): boolean {
  return ACCEPTED.some((a) => a.pkg === copy.name && a.version === copy.version && advisory.ids.every((id) => a.ids.includes(id)));
}

/** Installed copies inside an affected range, one line each. */
function violations(l: Lock): string[] {
  const found: string[] = [];
  for (const copy of copies(l)) {
    for (const advisory of ADVISORIES) {
      if (advisory.pkg !== copy.name || !inRange(copy.version, advisory.affected) || isAccepted(copy, advisory)) continue;
      const fix = advisory.remedy ?? (advisory.fixedIn.length > 0 ? `move to ${advisory.fixedIn.join(' / ')} or later` : 'no fixed release: remove it');
      found.push(`${copy.path}@${copy.version}: ${advisory.severity} ${advisory.ids.join(', ')} (${advisory.affected}); ${fix}`);
    }
    for (const fix of FIXES_WITHOUT_ADVISORY) {
      if (fix.pkg === copy.name && compare(parseVersion(copy.version), parseVersion(fix.atLeast)) < 0) {
        found.push(`${copy.path}@${copy.version}: lacks ${fix.ref} (${fix.about}); move to ${fix.atLeast} or later`);
      }
    }
  }
  return found;
}

describe('pinned dependencies against known advisories', () => {
  it('compares versions numerically and reads ranges as npm does', () => {
    expect(inRange('4.7.8', '>=4.0.0 <4.7.9')).toBe(true);
    expect(inRange('4.7.9', '>=4.0.0 <4.7.9')).toBe(false);
    expect(inRange('4.7.10', '>=4.0.0 <4.7.9')).toBe(false);
    expect(inRange('3.0.7', '<3.0.8 || >=4.0.0 <4.5.3')).toBe(true);
    expect(inRange('3.9.0', '<3.0.8 || >=4.0.0 <4.5.3')).toBe(false);
    expect(inRange('8.20.9', '>=7.0.0 <7.5.11 || >=8.0.0 <8.21.0')).toBe(true);
    expect(inRange('6.2.2', '=6.2.2')).toBe(true);
    expect(inRange('6.2.3', '=6.2.2')).toBe(false);
    expect(inRange('10.10.0', '<10.3.1')).toBe(false);
    expect(() => inRange('1.0.0-beta.1', '<2.0.0')).toThrow(/plain x\.y\.z/);
  });

  it('has a well-formed table: known ids, every fix outside its range, every package in the lock', () => {
    const installed = new Set(copies(lock).map((c) => c.name));
    for (const a of ADVISORIES) {
      for (const id of a.ids) expect(id, a.pkg).toMatch(/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$|^[\w.-]+\/[\w.-]+#\d+$/);
      expect(['low', 'moderate', 'high', 'critical']).toContain(a.severity);
      for (const fixed of a.fixedIn) expect(inRange(fixed, a.affected), `${a.pkg} ${fixed} is inside ${a.affected}`).toBe(false);
      expect(installed.has(a.pkg), `${a.pkg} is not in package-lock.json: correct the name, or drop the row if it left the tree`).toBe(true);
    }
    for (const f of FIXES_WITHOUT_ADVISORY) expect(installed.has(f.pkg), f.pkg).toBe(true);
  });

  it('records only plain x.y.z versions in package-lock.json', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    expect(copies(lock).filter((c) => !/^\d+\.\d+\.\d+$/.test(c.version)).map((c) => `${c.path}@${c.version}`)).toEqual([]);
  });

  it('installs no copy, nested ones included, inside an affected range', () => {
    expect(violations(lock)).toEqual([]);
  });

  it('catches a downgrade, a vulnerable nested copy and a compromised release', () => {
    const doctored = structuredClone(lock);
    doctored.packages['node_modules/handlebars']!.version = '4.7.8';
    doctored.packages['node_modules/vega/node_modules/vega-expression']!.version = '6.0.0';
    doctored.packages['node_modules/vega-lite/node_modules/ws'] = { version: '8.20.0' };
    doctored.packages['node_modules/debug']!.version = '4.4.2';
    doctored.packages['node_modules/vega-util']!.version = '2.1.0';
    const before = new Set(violations(lock));
    const found = violations(doctored).filter((line) => !before.has(line));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^node_modules\/handlebars@4\.7\.8: critical GHSA-2w6w-674q-4c4q.*move to 4\.7\.9 or later$/),
        expect.stringMatching(/^node_modules\/vega\/node_modules\/vega-expression@6\.0\.0: high GHSA-7f2v-3qq3-vvjf/),
        expect.stringMatching(/^node_modules\/vega-lite\/node_modules\/ws@8\.20\.0: high GHSA-96hv-2xvq-fx4p.*8\.21\.0 or later$/),
        expect.stringMatching(/^node_modules\/debug@4\.4\.2: critical GHSA-8mgj-vmr8-frr6.*no fixed release/),
        expect.stringMatching(/^node_modules\/vega-util@2\.1\.0: lacks vega\/vega#4273/),
      ]),
    );
    expect(found).toHaveLength(5);
  });

  describe('accepted advisories stay exactly as reviewed', () => {
    const dependents = (name: string) =>
      Object.entries(lock.packages)
        .filter(([key, e]) => key.startsWith('node_modules/') && Object.hasOwn({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies }, name))
        .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));

    for (const accepted of ACCEPTED) {
      it(`${accepted.pkg}@${accepted.version} (${accepted.ids.join(', ')}): the only copy, required only by ${accepted.requiredBy.join(', ')}, reached by nothing in src`, async () => {
        expect(copies(lock).filter((c) => c.name === accepted.pkg).map((c) => c.version)).toEqual([accepted.version]);
        expect(dependents(accepted.pkg).sort()).toEqual([...accepted.requiredBy].sort());
        // citybrief itself reaches neither the package nor its only dependent.
        const sources = (await readdir(path.join(root, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
        for (const file of sources) {
          const text = await readFile(path.join(root, 'src', file), 'utf8');
          for (const name of [accepted.pkg, ...accepted.requiredBy]) expect(text, `src/${file} imports ${name}`).not.toContain(`'${name}`);
        }
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Handlebars without prototype access.
// ---------------------------------------------------------------------------------------------

/** Fonts are not under test: a set that needs no font files. */

/** Each probe tries to reach the prototype chain from a template; each must print nothing. */
const PROBES: Record<string, string> = {
  'constructor-constructor': '{{constructor.constructor}}',
  'proto': '{{__proto__}}',
  'with-constructor': '{{#with this.constructor}}{{name}}{{/with}}',
  'lookup-proto': '{{lookup this "__proto__"}}',
  'lookup-constructor': '{{lookup city "constructor"}}',
  'constructor-name': '{{city.constructor.name}}',
  'proto-keys': '{{#each city.__proto__}}{{@key}}{{/each}}',
  'inherited-field': '{{city.inherited}}',
  'inherited-method': '{{toString}}',
};
const probeTemplate = `<ul>\n${Object.entries(PROBES)
  .map(([id, probe]) => `<li id="${id}">[${probe}]</li>`)
  .join('\n')}\n<li id="own">[{{city.name}}]</li>\n</ul>\n`;

/** The text printed by each probe. */
function probeResults(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<li id="([\w-]+)">\[(.*?)\]<\/li>/g)].map((m) => [m[1]!, m[2]!]));
}

/** A context whose `city` inherits a field, as an object from outside the schema could. */
function context() {
  return { city: Object.assign(Object.create({ inherited: 'LEAKED' }) as object, { name: 'Shenzhen' }) };
}

/** Well-known template gadgets for code execution and prototype pollution (CVE-2019-19919 family). */
const GADGETS = [
  `{{#with "s" as |string|}}{{#with "e"}}{{#with split as |conslist|}}{{this.pop}}{{this.push (lookup string.sub "constructor")}}{{this.pop}}` +
    `{{#with string.split as |codelist|}}{{this.pop}}{{this.push "return globalThis.__citybriefGadget = 'ran';"}}{{this.pop}}` +
    `{{#each conslist}}{{#with (string.sub.apply 0 codelist)}}{{this}}{{/with}}{{/each}}{{/with}}{{/with}}{{/with}}{{/with}}`,
  `{{#with __proto__ as |p|}}{{p.__defineGetter__ "polluted" p.valueOf}}{{/with}}`,
  `{{#with this.constructor as |c|}}{{#with c.prototype as |p|}}{{p.__defineSetter__ "polluted" c}}{{/with}}{{/with}}`,
  `{{#with (lookup this "constructor") as |c|}}{{c.assign (lookup c "prototype") city}}{{/with}}`,
];

describe('Handlebars runs without prototype access', () => {
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  const temps: string[] = [];
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
    delete (globalThis as Record<string, unknown>).__citybriefGadget;
  });

  async function templatesDir(briefing: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-advisories-'));
    temps.push(dir);
    await mkdir(path.join(dir, 'partials'));
    await writeFile(path.join(dir, 'briefing.hbs'), briefing);
    return dir;
  }

  it('is compiled with no runtime option that opens it', async () => {
    const sources = (await readdir(path.join(root, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
    for (const file of sources) {
      const text = await readFile(path.join(root, 'src', file), 'utf8');
      expect(text, `src/${file}`).not.toMatch(/allowProto(Properties|Methods)ByDefault|allowedProto(Properties|Methods)/);
    }
  });

  it("prints nothing for constructor, __proto__ or inherited members through citybrief's loader", async () => {
    const denied = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const templates = await templatesIn(await templatesDir(probeTemplate));
    const { html } = templates.render('briefing', context());
    const results = probeResults(html);
    expect(Object.keys(results)).toEqual([...Object.keys(PROBES), 'own']);
    expect(results).toEqual({ ...Object.fromEntries(Object.keys(PROBES).map((id) => [id, ''])), own: 'Shenzhen' });
    expect(html).not.toMatch(/LEAKED|\[object Object\]|function|native code/);
    // Blanked by Handlebars' access control, not by missing data: it reports the denied lookup.
    expect(denied.mock.calls.flat().join('\n')).toMatch(/Access has been denied to resolve the property "toString"/);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  });

  it('would print them with prototype access opened, so the probes are meaningful', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const template = Handlebars.create().compile(probeTemplate);
    const results = probeResults(template(context(), { allowProtoPropertiesByDefault: true, allowProtoMethodsByDefault: true }));
    expect(results['inherited-field']).toBe('LEAKED');
    expect(results['inherited-method']).toBe('[object Object]');
  });

  it('refuses the known code-execution and pollution gadgets at load, and they do nothing when rendered', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const gadget of GADGETS) {
      // citybrief's loader: the gadgets call helpers that do not exist, which is a load-time error.
      await expect(templatesIn(await templatesDir(gadget))).rejects.toBeInstanceOf(TemplateError);
      // Handlebars itself, compiled and run as citybrief runs it (no runtime options): every
      // step that needs a prototype member resolves to nothing, so the gadget prints nothing.
      const hbs = Handlebars.create();
      expect(hbs.compile(hbs.parse(gadget))(context()).trim(), gadget).toBe('');
    }
    expect((globalThis as Record<string, unknown>).__citybriefGadget).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  });
});
