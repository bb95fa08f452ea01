/**
 * Broken files: each gives one located message that says what to do, exit
 * code 2, and leaves the outputs of earlier builds exactly as they were.
 *
 * Every case is a committed folder under tests/fixtures/broken/<case>/: a
 * complete small dataset (dataset.yaml, cities/, source/), for template and
 * chart cases a templates/ folder holding only the broken file, and an
 * expected.json saying what must be reported:
 *
 *   description  what is broken
 *   error        the error class the library throws (DataError, TemplateError, …)
 *   messages     each message: file (relative to the case folder, null when
 *                none applies), line, column, field (null where none applies),
 *                the start of its text, and `advice`, the words saying what to do
 *   options      build options the case needs (cities: the --city flags)
 *   setup.grow   a file to extend to `bytes` before the build (too big to commit)
 *   unread       files that must never be read; untouched: not even looked up
 *   valid        true for a case that is not broken (a byte-order mark)
 *   gaps         checks the product does not pass yet, each with what it does
 *                instead. They run as expected failures (it.fails), so a fix
 *                shows up as a failing test to turn back into a plain one; where
 *                the words to expect are not known yet (advice: null), as todo.
 *
 * Each case runs the CLI (`citybrief build`) against a copy of its folder: the
 * real templates with the case's own files put over them, and an out/ folder
 * holding the files of an earlier build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ChartError, DataError, TemplateError, UsageError } from '../../src/errors.js';
import { build } from '../../src/index.js';
import { MAX_FILE_BYTES } from '../../src/pipeline/load.js';
import { readPdf, squash } from '../helpers/pdf.js';

/** Every path citybrief hands to node:fs (promises and synchronous calls) while a case runs, to prove what it never reads. */
const touched = vi.hoisted(() => {
  const state = { on: false, calls: [] as { op: 'read' | 'look'; file: string }[] };
  /** `fn`, recording the path it is called with while `on`. */
  const spy = <F extends (file: never, ...rest: never[]) => unknown>(op: 'read' | 'look', fn: F): F =>
    ((file: unknown, ...rest: unknown[]) => {
      if (state.on) state.calls.push({ op, file: String(file) });
      return (fn as unknown as (...args: unknown[]) => unknown)(file, ...rest);
    }) as unknown as F;
  return Object.assign(state, { spy });
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const { spy } = touched;
  const spied = {
    readFile: spy('read', fs.readFile),
    open: spy('read', fs.open),
    stat: spy('look', fs.stat),
    lstat: spy('look', fs.lstat),
    access: spy('look', fs.access),
    readdir: spy('look', fs.readdir),
  };
  return { ...fs, ...spied, default: { ...fs, ...spied } };
});
// Images are checked with synchronous calls (src/assets.ts), and the project file is read with them.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const { spy } = touched;
  const spied = {
    readFileSync: spy('read', fs.readFileSync),
    openSync: spy('read', fs.openSync),
    statSync: spy('look', fs.statSync),
    lstatSync: spy('look', fs.lstatSync),
    existsSync: spy('look', fs.existsSync),
    realpathSync: Object.assign(spy('look', fs.realpathSync), { native: fs.realpathSync.native }),
    readdirSync: spy('look', fs.readdirSync),
  };
  return { ...fs, ...spied, default: { ...fs, ...spied } };
});

const root = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(root, 'tests/fixtures/broken');
const TEMPLATES = path.join(root, 'templates');

type Check = 'exit' | 'outputs' | 'one' | 'located' | 'advice' | 'unread' | 'untouched';

interface ExpectedMessage {
  readonly file: string | null;
  /** In a workbook: the sheet; `line` and `column` are then the cell's row and column number (D2: 2, 4). */
  readonly sheet?: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly field: string | null;
  /** How the message text (after file:line:column field:) starts; null: any text. */
  readonly message: string | null;
  /** The words that say what to do; null: not known yet (a gap). */
  readonly advice: string | null;
}

interface Expected {
  readonly description: string;
  readonly error?: 'DataError' | 'TemplateError' | 'ChartError' | 'UsageError';
  readonly messages?: readonly ExpectedMessage[];
  readonly options?: { readonly cities?: readonly string[] };
  readonly setup?: { readonly grow?: { readonly file: string; readonly bytes: number } };
  readonly unread?: readonly string[];
  readonly untouched?: readonly string[];
  readonly valid?: true;
  readonly gaps?: Partial<Record<Check, string>>;
}

const ERRORS = { DataError, TemplateError, ChartError, UsageError } as const;

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({ name: d.name, expected: JSON.parse(readFileSync(path.join(FIXTURES, d.name, 'expected.json'), 'utf8')) as Expected }))
  .sort((a, b) => a.name.localeCompare(b.name));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'citybrief-broken-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A copy of the case: the real templates with the case's own files put over them, and `setup` applied. */
async function copyCase(name: string, expected: Expected): Promise<string> {
  const dir = path.join(work, name);
  await cp(TEMPLATES, path.join(dir, 'templates'), { recursive: true });
  await cp(path.join(FIXTURES, name), dir, { recursive: true });
  const grow = expected.setup?.grow;
  if (grow) await truncate(path.join(dir, grow.file), grow.bytes);
  return dir;
}

/** The files of an earlier, good build: PDFs and HTML per document, a font, the manifest and the state file. */
async function earlierBuild(out: string): Promise<void> {
  const documents = ['alpha/briefing', 'alpha/slides', 'overview'];
  const files = new Map<string, Buffer>();
  for (const doc of documents) {
    files.set(`${doc}.pdf`, Buffer.from(`%PDF-1.7\n% ${doc} from an earlier build\n%%EOF\n`));
    files.set(`${doc}.html`, Buffer.from(`<!doctype html><html lang="zh-Hant"><body>${doc} from an earlier build</body></html>\n`));
  }
  files.set('fonts/noto-sans-tc-chinese-traditional-400-normal.woff2', Buffer.from('wOF2 earlier font bytes'));
  const entries = [...files]
    .filter(([file]) => !file.startsWith('fonts/'))
    .map(([file, bytes]) => ({
      city: file.startsWith('alpha/') ? 'alpha' : null,
      kind: path.posix.basename(file).replace(/\.(pdf|html)$/, ''),
      format: file.endsWith('.pdf') ? 'pdf' : 'html',
      lang: 'zh-Hant',
      path: file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.byteLength,
      pages: file.endsWith('.pdf') ? 1 : null,
      inputs: 'earlier',
    }));
  files.set('manifest.json', Buffer.from(`${JSON.stringify({ outputs: entries }, null, 2)}\n`));
  files.set('.citybrief/state.json', Buffer.from(JSON.stringify({ version: '0.0.0', sourceSha256: '', cities: {}, outputs: {} })));
  for (const [file, bytes] of files) {
    await mkdir(path.dirname(path.join(out, file)), { recursive: true });
    await writeFile(path.join(out, file), bytes);
  }
  // An old, recognisable time on every file and folder: a rewrite, even with the same bytes, would show.
  const then = new Date('2020-01-01T00:00:00Z');
  for (const entry of await readdir(out, { recursive: true })) await utimes(path.join(out, entry), then, then);
  await utimes(out, then, then);
}

/** Every file and folder below `dir`: its bytes (files) and modification time. */
async function snapshot(dir: string): Promise<Map<string, { mtimeMs: number; bytes?: Buffer }>> {
  const result = new Map<string, { mtimeMs: number; bytes?: Buffer }>();
  result.set('.', { mtimeMs: (await lstat(dir)).mtimeMs });
  for (const entry of (await readdir(dir, { recursive: true })).sort()) {
    const file = path.join(dir, entry);
    const info = await lstat(file);
    result.set(entry, { mtimeMs: info.mtimeMs, bytes: info.isFile() ? await readFile(file) : undefined });
  }
  return result;
}

/** Files and folders below the case folder, except the earlier outputs (whose bytes are compared instead). */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((entry) => entry !== 'out' && !entry.startsWith(`out${path.sep}`)).sort();
}

interface Printed {
  /** Absolute path of the file the message names, when it names one that exists. */
  readonly file?: string;
  readonly sheet?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly text: string;
}

/**
 * The messages the CLI printed on stderr: the problems listed under
 * "citybrief: N problems in the dataset:", or else the one error after
 * "citybrief: " (with the lines that continue it). Each is split into
 * `file:line:column field: text`, where the file must exist.
 */
function printedMessages(stderr: string): Printed[] {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('citybrief: '));
  if (start === -1) return [];
  const first = lines[start]!.slice('citybrief: '.length);
  if (/^\d+ problems? in the dataset( and its templates)?:$/.test(first)) {
    const problems: Printed[] = [];
    for (const line of lines.slice(start + 1)) {
      if (!line.startsWith('  ')) break;
      problems.push(located(line.trim()));
    }
    return problems;
  }
  return [located([first, ...lines.slice(start + 1)].join('\n').trimEnd())];
}

function located(message: string): Printed {
  // A workbook's cell, as spreadsheets name it: book.xlsx!Sheet!D2.
  const cell = /^(\S+?\.xlsx)!([^!]+)!([A-Z]+)(\d+)(?: (\S+))?: ([\s\S]*)$/.exec(message);
  if (cell && existsSync(path.resolve(cell[1]!))) {
    const column = [...cell[3]!].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0);
    return { file: path.resolve(cell[1]!), sheet: cell[2], line: Number(cell[4]), column, field: cell[5], text: cell[6]! };
  }
  const m = /^(\S+?)(?::(\d+)(?::(\d+))?)?(?: (\S+))?: ([\s\S]*)$/.exec(message);
  if (!m || !existsSync(path.resolve(m[1]!))) return { text: message };
  return {
    file: path.resolve(m[1]!),
    line: m[2] === undefined ? undefined : Number(m[2]),
    column: m[3] === undefined ? undefined : Number(m[3]),
    field: m[4],
    text: m[5]!,
  };
}

/** Does a printed message say what `expected` says, where it says it? */
function matches(printed: Printed, expected: ExpectedMessage, dir: string): boolean {
  return (
    printed.file === (expected.file === null ? undefined : path.join(dir, expected.file)) &&
    printed.sheet === expected.sheet &&
    printed.line === (expected.line ?? undefined) &&
    printed.column === (expected.column ?? undefined) &&
    printed.field === (expected.field ?? undefined) &&
    (expected.message === null || printed.text.startsWith(expected.message))
  );
}

describe.each(cases.filter((c) => !c.expected.valid))('$name', ({ name, expected }) => {
  let dir: string;
  let out: string;
  let before: Awaited<ReturnType<typeof snapshot>>;
  let listed: string[];
  let run: { code: number; stdout: string; stderr: string; calls: typeof touched.calls };
  let thrown: unknown;

  beforeAll(async () => {
    dir = await copyCase(name, expected);
    out = path.join(dir, 'out');
    await earlierBuild(out);
    before = await snapshot(out);
    listed = await listing(dir);

    // The case folder is the project: its labels/ and assets/ (if any) are the project's.
    const args = ['build', '--project', dir, '--data', dir, '--templates', path.join(dir, 'templates'), '--out', out];
    for (const city of expected.options?.cities ?? []) args.push('--city', city);
    let stdout = '';
    let stderr = '';
    touched.calls = [];
    touched.on = true;
    try {
      const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
      run = { code, stdout, stderr, calls: touched.calls };
    } finally {
      touched.on = false;
    }
    // The library call behind the CLI, for the class of its error.
    thrown = await build({ cwd: root, project: dir, data: dir, templates: path.join(dir, 'templates'), out, cities: expected.options?.cities }).then(
      () => undefined,
      (e: unknown) => e,
    );
  });

  /** A check, or an expected failure when the case lists it as a gap (what the product does instead). */
  const check = (id: Check, title: string, body: () => void | Promise<void>) => {
    const gap = expected.gaps?.[id];
    if (gap) it.fails(`${title} — not yet: ${gap}`, body);
    else it(title, body);
  };

  it('is a case with an expectation', () => {
    expect(expected.description).toBeTruthy();
    expect(expected.error).toBeDefined();
    expect(expected.messages?.length).toBeGreaterThan(0);
  });

  check('exit', `exits with code 2, prints nothing on stdout, and the library throws a ${expected.error}`, () => {
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(thrown).toBeInstanceOf(ERRORS[expected.error!]);
  });

  check('outputs', 'leaves every earlier output byte-identical and unmodified, and writes no file anywhere', async () => {
    const after = await snapshot(out);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [entry, was] of before) {
      const now = after.get(entry)!;
      // A build takes the folder's lock (.citybrief/lock) before it reads the folder and removes it when it
      // stops: that folder's time shows it; no file is left.
      if (entry !== '.citybrief') expect(now.mtimeMs, entry).toBe(was.mtimeMs);
      if (was.bytes) expect(now.bytes!.equals(was.bytes), entry).toBe(true);
    }
    expect(await listing(dir)).toEqual(listed);
  });

  const files = expected.messages?.map((m) => m.file ?? 'no file').join(', ');
  check('one', `prints exactly ${expected.messages?.length === 1 ? 'one message' : `${expected.messages?.length} messages`}, naming ${files}`, () => {
    const printed = printedMessages(run.stderr);
    expect(printed.map((p) => p.file), run.stderr).toEqual(expected.messages!.map((m) => (m.file === null ? undefined : path.join(dir, m.file))));
  });

  check('located', 'names the file, line, column and field of each problem', () => {
    const printed = printedMessages(run.stderr);
    for (const message of expected.messages!) {
      expect(
        printed.some((p) => matches(p, message, dir)),
        `${JSON.stringify(message)} among ${JSON.stringify(printed, null, 1)}`,
      ).toBe(true);
    }
  });

  const advice = expected.messages?.map((m) => m.advice) ?? [];
  if (advice.every((a): a is string => a !== null)) {
    check('advice', 'says what to do', () => {
      const printed = printedMessages(run.stderr);
      for (const message of expected.messages!) {
        const found = printed.find((p) => message.message === null || p.text.startsWith(message.message));
        expect(found?.text, run.stderr).toContain(message.advice);
      }
    });
  } else {
    it.todo(`says what to do — not yet: ${expected.gaps?.advice ?? 'no advice is expected'}`);
  }

  if (expected.unread) {
    check('unread', `never reads ${expected.unread.join(', ')}`, () => {
      const files = expected.unread!.map((f) => path.join(dir, f));
      // The file is there to be read: the refusal comes from what is known before reading it.
      for (const file of files) expect(existsSync(file)).toBe(true);
      expect(run.calls.filter((c) => c.op === 'read' && files.includes(path.resolve(c.file)))).toEqual([]);
      // Reads are seen: the other files of the case were read.
      expect(run.calls.some((c) => c.op === 'read' && c.file === path.join(dir, 'dataset.yaml'))).toBe(true);
    });
  }

  if (expected.untouched) {
    check('untouched', `never looks for ${expected.untouched.join(', ')}`, () => {
      const files = expected.untouched!.map((f) => path.join(dir, f));
      expect(run.calls.filter((c) => files.includes(path.resolve(c.file)))).toEqual([]);
      // The run did go to the file system: the list of calls is not empty by accident.
      expect(run.calls.some((c) => c.file.startsWith(dir))).toBe(true);
    });
  }

  if (expected.setup?.grow) {
    it('is larger than citybrief reads', async () => {
      const grown = await lstat(path.join(dir, expected.setup!.grow!.file));
      expect(grown.size).toBe(expected.setup!.grow!.bytes);
      expect(grown.size).toBeGreaterThan(MAX_FILE_BYTES);
    });
  }
});

describe.each(cases.filter((c) => c.expected.valid))('$name (valid)', ({ name, expected }) => {
  it('validates, builds, and prints the text without the mark', async () => {
    const dir = await copyCase(name, expected);
    const out = path.join(dir, 'out');
    // The case is what it says: every file starts with a byte-order mark.
    for (const file of ['dataset.yaml', 'cities/alpha.yaml', 'source/article.txt']) {
      expect([...(await readFile(path.join(dir, file))).subarray(0, 3)], file).toEqual([0xef, 0xbb, 0xbf]);
    }
    let stdout = '';
    let stderr = '';
    const io = { out: (t: string) => void (stdout += t), err: (t: string) => void (stderr += t) };
    expect(await main(['validate', '--data', dir, '--templates', path.join(dir, 'templates')], io), stderr).toBe(0);
    expect(stdout).toMatch(/^Valid: 1 city, 1 figure, every source quote found in /);
    expect(await main(['build', '--data', dir, '--templates', path.join(dir, 'templates'), '--out', out, '--kind', 'briefing'], io), stderr).toBe(0);
    const city = parse((await readFile(path.join(dir, 'cities', 'alpha.yaml'), 'utf8')).replace(/^\ufeff/, '')) as { name: { 'zh-Hant': string }; narrative: string[] };
    const { text } = await readPdf(path.join(out, 'alpha', 'briefing.pdf'));
    expect(text).toContain(squash(city.name['zh-Hant']));
    expect(text).toContain(squash(city.narrative[0]!));
    expect(text).not.toContain('\ufeff');
  });
});
