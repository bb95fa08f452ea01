/**
 * Holes an unlucky operator or a hostile dataset found, each closed and
 * proved here: two builds into one out folder, dataset paths that lead out
 * of the project (or to a pipe or a device), text that would rewrite the
 * page's CSS, a state cache edited by hand, the leftovers of a killed build,
 * and an out folder that cannot be one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ChartError, DataError, UsageError } from '../../src/errors.js';
import { build, validateDataset } from '../../src/index.js';
import { BuildAbortedError } from '../../src/pipeline/build.js';
import { LOCK_FILE } from '../../src/lock.js';
import { msg } from '../../src/messages.js';
import { STATE_FILE } from '../../src/pipeline/state.js';
import { readPdf, squash } from '../helpers/pdf.js';
import { writeSyntheticDataset } from '../../bench/synthetic.mjs';
import { templatesIn } from '../helpers/templates.js';

const root = path.resolve(import.meta.dirname, '../..');
const OFFICE = path.join(root, 'tests/fixtures/other-office');
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});
/** A project folder holding a copy of the other office's dataset (two cities) as its data/. */
async function project(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-hardening-'));
  scratch.push(dir);
  await cp(OFFICE, path.join(dir, 'data'), { recursive: true });
  return dir;
}
const briefings = (dir: string, extra: object = {}) => build({ cwd: dir, kinds: ['briefing'], ...extra });

/** The pid of a process that has ended (and so holds nothing). */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}

describe('one build at a time per out folder', () => {
  it('a second build fails at once with exit code 2, naming the build that holds the folder, and writes nothing', async () => {
    const dir = await project();
    const lock = path.join(dir, 'out', LOCK_FILE);
    await mkdir(path.dirname(lock), { recursive: true });
    const holder = { pid: process.pid, host: hostname(), since: '2026-12-01T06:00:00.000Z' };
    await writeFile(lock, JSON.stringify(holder));
    const error = await briefings(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(msg.outLocked(path.join(dir, 'out'), holder));
    expect((await readdir(path.join(dir, 'out'), { recursive: true })).sort()).toEqual(['.citybrief', path.join('.citybrief', 'lock')]);
    // The holder's lock is its own: it is left in place.
    expect(JSON.parse(await readFile(lock, 'utf8'))).toEqual(holder);
  });

  it('with wait, it starts when the other build has ended', async () => {
    const dir = await project();
    const lock = path.join(dir, 'out', LOCK_FILE);
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    const waited: string[] = [];
    const building = briefings(dir, { wait: true, onProgress: (e: { type: string; holder?: string }) => e.type === 'waiting' && waited.push(e.holder!) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(waited).toEqual([`process ${process.pid} on ${hostname()}`]);
    await rm(lock);
    const result = await building;
    expect(result.outputs.filter((o) => o.format === 'pdf')).toHaveLength(2);
    // And it leaves no lock behind.
    expect(await readdir(path.join(dir, 'out/.citybrief'))).not.toContain('lock');
  });

  it('a lock left by a process that is gone is taken over', async () => {
    const dir = await project();
    const lock = path.join(dir, 'out', LOCK_FILE);
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-11-30T06:00:00.000Z' }));
    const result = await briefings(dir);
    expect(result.outputs.filter((o) => o.format === 'pdf')).toHaveLength(2);
  });

  it('two CLI builds started together: one builds, the other stops with exit code 2, and the manifest lists exactly the files on disk', async () => {
    const dir = await project();
    const cli = path.join(root, 'dist/cli/main.js');
    const run = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, 'build', '--kind', 'briefing'], { cwd: dir, env: { ...process.env, CI: 'true' } });
        let stderr = '';
        child.stderr.on('data', (d) => void (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([run(), run()]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 2]);
    expect(results.find((r) => r.code === 2)!.stderr).toMatch(/is being built by another citybrief \(process \d+ on /);
    const manifest = JSON.parse(await readFile(path.join(dir, 'out/manifest.json'), 'utf8')) as { outputs: { path: string; sha256: string }[] };
    expect(manifest.outputs).toHaveLength(4);
    for (const entry of manifest.outputs) {
      const bytes = await readFile(path.join(dir, 'out', entry.path));
      expect(createHash('sha256').update(bytes).digest('hex'), entry.path).toBe(entry.sha256);
    }
  });
});

describe('the files a dataset names', () => {
  async function withSource(file: string): Promise<string> {
    const dir = await project();
    const datasetFile = path.join(dir, 'data/dataset.yaml');
    const dataset = parse(await readFile(datasetFile, 'utf8')) as { source: { file: string } };
    dataset.source.file = file;
    await writeFile(datasetFile, stringify(dataset));
    return dir;
  }
  const problemsOf = async (dir: string, extra: object = {}) =>
    validateDataset({ cwd: dir, ...extra }).then(
      () => [],
      (e: unknown) => (e as DataError).problems,
    );

  it('a file outside the project and the dataset folder is not read: /etc/passwd, /proc/self/environ, /dev/zero', async () => {
    for (const file of ['/etc/passwd', '/proc/self/environ', '/dev/zero']) {
      const problems = await problemsOf(await withSource(file));
      expect(problems, file).toHaveLength(1);
      expect(problems[0]).toMatchObject({ file: path.join('data', 'dataset.yaml'), field: 'source.file' });
      expect(problems[0]!.message).toMatch(/which is outside the project .* build with --allow-outside-files\.$/);
      // Nothing of the file is quoted back.
      expect(problems[0]!.message).not.toMatch(/root:|PATH=|HOME=/);
    }
  });

  it('a link inside the project that leads out of it is outside too', async () => {
    const dir = await withSource('source/linked.txt');
    await symlink('/etc/passwd', path.join(dir, 'data/source/linked.txt'));
    const problems = await problemsOf(dir);
    expect(problems.map((p) => p.field)).toEqual(['source.file']);
    expect(problems[0]!.message).toMatch(/outside the project/);
  });

  it('a pipe or a device is refused as not a regular file, without waiting on it, even when outside files are allowed', async () => {
    const dir = await withSource('source/pipe.txt');
    execFileSync('mkfifo', [path.join(dir, 'data/source/pipe.txt')]);
    const started = Date.now();
    const problems = await problemsOf(dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(problems.map((p) => p.message)).toEqual([msg.notRegularFile]);
    const zero = await problemsOf(await withSource('/dev/zero'), { allowOutside: true });
    expect(zero.map((p) => p.message)).toEqual([msg.notRegularFile]);
  });

  it('with --allow-outside-files, a regular file outside is read as asked', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'citybrief-outside-'));
    scratch.push(outside);
    await cp(path.join(OFFICE, 'source/report.txt'), path.join(outside, 'report.txt'));
    const dir = await withSource(path.join(outside, 'report.txt'));
    expect(await problemsOf(dir)).toHaveLength(1);
    expect(await problemsOf(dir, { allowOutside: true })).toEqual([]);
  });
});

describe('text that would rewrite the page', () => {
  it('a CSS string escapes every CSS line end and the characters that end a string or a style', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-css-'));
    scratch.push(dir);
    await writeFile(path.join(dir, 'page.hbs'), '<style>@page { @bottom-left { content: {{{cssString name}}}; } }</style>');
    const name = 'A\fB\nC\rD"E\\F</style><p>G';
    const { print } = (await templatesIn(dir)).render('page', { name });
    const string = /content: ("[^"]*");/.exec(print)?.[1];
    expect(string, print).toBeDefined();
    expect(string).not.toMatch(/[\f\n\r<>]/);
    expect(print).not.toContain('</style><p>');
  });

  it('a form feed in a city name leaves the page whole: the briefing prints its name and figures', async () => {
    const dir = await project();
    const file = path.join(dir, 'data/cities/example-city.yaml');
    const city = parse(await readFile(file, 'utf8')) as { name: Record<string, string> };
    city.name['zh-Hans'] = `示例市\f} body { display: none } x {`;
    await writeFile(file, stringify(city));
    const result = await briefings(dir);
    expect(result.failures).toEqual([]);
    const { text } = await readPdf(path.join(dir, 'out/example-city/briefing.pdf'));
    expect(text).toContain(squash('2.35万件'));
    expect(text).toContain(squash('示例市'));
  });
});

describe('a stop while the data is checked', () => {
  it('ends the build within a few cities, before any plan, with nothing written', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-stop-'));
    scratch.push(dir);
    await writeSyntheticDataset(path.join(dir, 'data'), 200);
    const controller = new AbortController();
    const stages: string[] = [];
    const error = await build({
      cwd: dir,
      kinds: ['briefing'],
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type !== 'stage') return;
        stages.push(event.stage);
        // Ctrl-C as the checking of 200 city files begins.
        if (event.stage === 'validate') controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BuildAbortedError);
    expect((error as BuildAbortedError).exitCode).toBe(130);
    expect(stages).toEqual(['load', 'validate']);
    expect((await readdir(dir)).sort()).toEqual(['data']);
  });
});

describe('text in another order than the data gives it', () => {
  it('every control that reorders text is refused where it stands, in a city file, dataset.yaml and a labels file', async () => {
    const controls = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
    for (const control of controls) {
      const dir = await project();
      const cityFile = path.join(dir, 'data/cities/example-city.yaml');
      const city = parse(await readFile(cityFile, 'utf8')) as { headline: string[] };
      city.headline[0] = `第1位${control}2013`;
      await writeFile(cityFile, stringify(city));
      const datasetFile = path.join(dir, 'data/dataset.yaml');
      const dataset = parse(await readFile(datasetFile, 'utf8')) as { title: string };
      dataset.title = `${dataset.title}${control}`;
      await writeFile(datasetFile, stringify(dataset));
      await mkdir(path.join(dir, 'labels'));
      await writeFile(path.join(dir, 'labels/zh-Hans.yaml'), stringify({ keyFigures: `重点${control}数据` }));
      const problems = await validateDataset({ cwd: dir }).then(
        () => [],
        (e: unknown) => (e as DataError).problems,
      );
      const code = `U+${control.codePointAt(0)!.toString(16).toUpperCase()}`;
      expect(problems.map((p) => [p.file, p.field]), code).toEqual([
        [path.join('data', 'dataset.yaml'), 'title'],
        [path.join('data', 'cities', 'example-city.yaml'), 'headline[0]'],
        [path.join('labels', 'zh-Hans.yaml'), 'keyFigures'],
      ]);
      for (const problem of problems) expect(problem.message, code).toContain(`holds the invisible control ${code} (`);
    }
  });
});

describe('what out/ remembers', () => {
  it('an HTML output that cannot be written fails its document alone, named by the HTML file; the summary counts each document once', async () => {
    const dir = await project();
    // A folder stands where one document's HTML must be written.
    await mkdir(path.join(dir, 'out/example-city/briefing.html'), { recursive: true });
    const error = await briefings(dir).then(
      () => undefined,
      (e: unknown) => e as Error & { result: { failures: { path: string; error: Error }[] } },
    );
    expect(error?.result.failures.map((f) => f.path)).toEqual(['example-city/briefing.pdf']);
    expect(error!.result.failures[0]!.error.message).toMatch(/could not write .*example-city[\\/]briefing\.html/);
    expect(error!.message).toMatch(/^1 of 2 documents failed; the others were written:/);
  });

  it('a state cache edited by hand is not believed: the data is validated again, and the document prints what the data says', async () => {
    const dir = await project();
    await briefings(dir);
    const stateFile = path.join(dir, 'out', STATE_FILE);
    const file = JSON.parse(await readFile(stateFile, 'utf8')) as { sum: string; state: { cities: Record<string, { name: Record<string, string> }> } };
    expect(Object.keys(file)).toEqual(['sum', 'state']);
    for (const city of Object.values(file.state.cities)) city.name['zh-Hans'] = '偽造之名';
    await writeFile(stateFile, JSON.stringify(file));
    await briefings(dir, { force: true });
    const { text } = await readPdf(path.join(dir, 'out/example-city/briefing.pdf'));
    expect(text).not.toContain('偽造之名');
  });

  it('a build killed (SIGKILL) while it replaces outputs leaves a manifest that describes only files as they are on disk', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-killed-'));
    scratch.push(dir);
    await writeSyntheticDataset(path.join(dir, 'data'), 40);
    const cli = path.join(root, 'dist/cli/main.js');
    const args = [cli, 'build', '--project', dir, '--kind', 'briefing', '--concurrency', '2'];
    execFileSync(process.execPath, args, { env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
    // A label changed: every briefing is made again with other bytes. Kill the build once some of them have been replaced.
    await mkdir(path.join(dir, 'labels'));
    await writeFile(path.join(dir, 'labels/zh-Hant.yaml'), 'keyFigures: 主要數據\n');
    const child = spawn(process.execPath, args, { env: { ...process.env, CI: 'true' } });
    let written = 0;
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        written += (chunk.toString().match(/✓ /g) ?? []).length;
        if (written >= 8 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    expect(written, 'the build was killed mid-way').toBeLessThan(40);
    const manifest = JSON.parse(await readFile(path.join(dir, 'out/manifest.json'), 'utf8')) as { outputs: { path: string; sha256: string }[] };
    for (const entry of manifest.outputs) {
      const bytes = await readFile(path.join(dir, 'out', entry.path)).catch(() => undefined);
      expect(bytes && createHash('sha256').update(bytes).digest('hex'), entry.path).toBe(entry.sha256);
    }
    // The next build finishes the job, and leaves no temporary file.
    execFileSync(process.execPath, args, { env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
    const after = JSON.parse(await readFile(path.join(dir, 'out/manifest.json'), 'utf8')) as { outputs: unknown[] };
    expect(after.outputs).toHaveLength(80);
    expect((await readdir(path.join(dir, 'out'), { recursive: true })).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 180_000);

  it("the temporary files a killed build left are swept by the next build; other files are not touched", async () => {
    const dir = await project();
    await briefings(dir);
    const left = path.join(dir, 'out/example-city/.briefing.pdf.0123456789ab.tmp');
    const mine = path.join(dir, 'out/example-city/notes.tmp');
    await writeFile(left, 'half a PDF');
    await writeFile(mine, 'my notes');
    await briefings(dir);
    const files = await readdir(path.join(dir, 'out/example-city'));
    expect(files).not.toContain('.briefing.pdf.0123456789ab.tmp');
    expect(files).toContain('notes.tmp');
  });

  it('an out folder that is a file is a usage error before anything starts', async () => {
    const dir = await project();
    await writeFile(path.join(dir, 'out'), 'not a folder');
    let stderr = '';
    const code = await main(['build', '--project', dir], { out: () => {}, err: (t) => void (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toBe(`citybrief: ${msg.outNotFolder(path.relative(process.cwd(), path.join(dir, 'out')), 'a file')}\n`);
  });
});

describe('a chart that computes for minutes', () => {
  /** The files in out/, but the folder of the lock. */
  const written = async (dir: string) =>
    (await readdir(path.join(dir, 'out'), { recursive: true }).catch(() => [] as string[])).filter((f) => f.split(path.sep)[0] !== '.citybrief');

  /** A project whose every chart spec first runs an expression that backtracks for minutes, in one step of Vega's. */
  async function slowCharts(): Promise<string> {
    const dir = await project();
    await cp(path.join(root, 'templates'), path.join(dir, 'templates'), { recursive: true });
    const charts = path.join(dir, 'templates/charts');
    for (const file of (await readdir(charts)).filter((f) => f.endsWith('.vl.json'))) {
      const spec = JSON.parse(await readFile(path.join(charts, file), 'utf8')) as { transform?: object[] };
      spec.transform = [{ calculate: "test(regexp('^(a+)+$'), 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')", as: 'stuck' }, ...(spec.transform ?? [])];
      await writeFile(path.join(charts, file), JSON.stringify(spec, null, 2));
    }
    return dir;
  }

  it('is stopped at the chart time limit, naming the spec and the chart; found in the first document, nothing is written', async () => {
    const dir = await slowCharts();
    const started = performance.now();
    const error = await briefings(dir, { chartTimeout: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    expect((error as Error).message).toMatch(/templates\/charts\/[a-z-]+\.vl\.json: the chart "[^"]+" took longer than 1 s to draw and was stopped/);
    // Stopped at its second, not when the expression would end.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(await written(dir)).toEqual([]);
  });

  it('Ctrl-C (SIGINT) ends the CLI build within a few seconds while the chart computes: exit code 130, nothing written', async () => {
    const dir = await slowCharts();
    const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'build', '--kind', 'briefing', '--chart-timeout', '600'], { cwd: dir, env: { ...process.env, CI: 'true' } });
    let stderr = '';
    child.stderr.on('data', (d) => void (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Stuck: the plan is made and the first chart is computing, which would take minutes.
    while (!/build|unchanged/.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 100));
    const stuck = await Promise.race([exited.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), 5_000))]);
    expect(stuck, stderr).toBe(true);
    const sent = performance.now();
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(performance.now() - sent).toBeLessThan(5_000);
    expect(stderr).toContain(msg.buildAborted(0));
    expect(await written(dir)).toEqual([]);
  });
});
