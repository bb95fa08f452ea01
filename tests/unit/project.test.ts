/**
 * The project: citybrief.config.yaml resolved with flags and defaults, the
 * kinds a templates folder declares in its front matter, the labels a
 * document prints, and the command-line conventions around them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bundledTheme, resolveConfig, version } from '../../src/config.js';
import { DataError, TemplateError, UsageError } from '../../src/errors.js';
import { builtInLabels, makeLabels } from '../../src/labels.js';
import { msg } from '../../src/messages.js';
import { pageSize, readKinds, selectKinds } from '../../src/pipeline/kinds.js';
import { templatesIn } from '../helpers/templates.js';

const root = path.resolve(import.meta.dirname, '../..');
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-project-'));
  temps.push(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

/** Run the CLI in-process; stdout, stderr and the exit code. */
async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe('citybrief.config.yaml', () => {
  it("resolves the project file's paths against the project folder, and a flag's against where the user stands", async () => {
    const dir = await folder({
      'citybrief.config.yaml': 'data: facts\ntemplates: look\nlabels: words\nassets: pictures\nout: printed\nkinds: [briefing]\nlogo: mark.png\n',
      'look/briefing.hbs': 'x',
    });
    const config = resolveConfig({ cwd: root, project: dir });
    expect(config.projectDir).toBe(dir);
    expect(config.projectFile).toBe(path.join(dir, 'citybrief.config.yaml'));
    // `facts` is no folder (yet), so it is taken as the dataset file itself.
    expect(config.dataFile).toBe(path.join(dir, 'facts'));
    expect(config.templatesDir).toBe(path.join(dir, 'look'));
    expect(config.labelsDir).toBe(path.join(dir, 'words'));
    expect(config.assetsDir).toBe(path.join(dir, 'pictures'));
    expect(config.outDir).toBe(path.join(dir, 'printed'));
    expect(config.kinds).toEqual(['briefing']);
    expect(config.logo).toBe('mark.png');
    // Flags win, relative to the working directory.
    expect(config.timeoutMs).toBe(60_000);
    expect(config.charts).toEqual({ timeoutMs: 10_000, maxRows: 10_000 });
    const flagged = resolveConfig({ cwd: root, project: dir, out: 'elsewhere', kinds: ['slides'] });
    expect(flagged.outDir).toBe(path.join(root, 'elsewhere'));
    expect(flagged.kinds).toEqual(['slides']);
  });

  it('is found in the current folder; without one, the folder is a project with the default layout', async () => {
    const dir = await folder({ 'citybrief.config.yaml': 'out: printed\n' });
    expect(resolveConfig({ cwd: dir }).outDir).toBe(path.join(dir, 'printed'));
    const bare = await folder({});
    const config = resolveConfig({ cwd: bare });
    expect(config.projectFile).toBeUndefined();
    expect(config.dataFile).toBe(path.join(bare, 'data/dataset.yaml'));
    expect(config.outDir).toBe(path.join(bare, 'out'));
    // No templates of its own: the bundled theme.
    expect(config.templatesDir).toBe(bundledTheme);
    expect(config.kinds).toBeUndefined();
  });

  it('an empty project file is a project with every default', async () => {
    const dir = await folder({ 'citybrief.config.yaml': '# nothing set yet\n' });
    expect(resolveConfig({ cwd: dir }).dataFile).toBe(path.join(dir, 'data/dataset.yaml'));
  });

  it('reports an unknown or wrong setting at its line, with what to do, before anything runs', async () => {
    const dir = await folder({ 'citybrief.config.yaml': 'data: data\ntemplate: templates\nkinds: briefing\n' });
    const error = (() => {
      try {
        resolveConfig({ cwd: dir });
      } catch (e) {
        return e;
      }
    })() as DataError;
    expect(error).toBeInstanceOf(DataError);
    expect(error.problems).toEqual([
      { file: 'citybrief.config.yaml', line: 2, column: 1, field: 'template', message: msg.unknownField },
      { file: 'citybrief.config.yaml', line: 3, column: 8, field: 'kinds', message: msg.wrongType('array', 'briefing') },
    ]);
  });

  it('--project naming no folder is a usage error', () => {
    expect(() => resolveConfig({ cwd: root, project: 'no/such/folder' })).toThrow(UsageError);
    expect(() => resolveConfig({ cwd: root, project: 'no/such/folder' })).toThrow(msg.noProject('no/such/folder'));
  });
});

describe('kinds declared by the templates', () => {
  it('knows the page sizes offices use, and any CSS width and height', () => {
    expect(pageSize('A4')).toBe('A4');
    expect(pageSize('letter')).toBe('letter');
    expect(pageSize('A4 landscape')).toBe('A4 landscape');
    expect(pageSize('16:9')).toBe('338.67mm 190.5mm');
    expect(pageSize('4:3')).toBe('254mm 190.5mm');
    expect(pageSize('210mm 99mm')).toBe('210mm 99mm');
    expect(pageSize('8.5in 5.5in')).toBe('8.5in 5.5in');
    for (const bad of ['A7', '210mm', 'big', '16:9 landscape extra', '10px 10px 10px']) expect(pageSize(bad), bad).toBeUndefined();
  });

  it("reads the bundled theme's three kinds: per city first, the one for all cities last", async () => {
    const kinds = selectKinds(await readKinds(bundledTheme, root), undefined, 'templates');
    expect(kinds.map((k) => [k.name, k.per, k.page, k.output, k.boxes])).toEqual([
      ['briefing', 'city', 'A4', '{city}/briefing', 'box'],
      ['slides', 'city', '338.67mm 190.5mm', '{city}/slides', 'slide'],
      ['overview', 'all', 'A4', 'overview', 'page'],
    ]);
  });

  it('defaults a template without front matter to one document per city at {city}/<name>', async () => {
    const dir = await folder({ 'factsheet.hbs': '<p>{{city.name}}</p>' });
    const [kind] = await readKinds(dir, dir);
    expect(kind).toMatchObject({ name: 'factsheet', per: 'city', page: undefined, output: '{city}/factsheet', boxes: 'box' });
  });

  it('keeps line numbers true below the front matter: an error on line 6 is reported on line 6', async () => {
    const dir = await folder({ 'sheet.hbs': '---\nper: city\npage: Letter\n---\n<p>\n{{#if x}}</p>\n' });
    const error = await templatesIn(dir).then(
      () => undefined,
      (e: unknown) => e as TemplateError,
    );
    expect(error).toBeInstanceOf(TemplateError);
    expect(error!.message).toMatch(/sheet\.hbs:6:\d+: Parse error/);
  });

  it('prints the declared page size: the rule comes after the stylesheets, so it wins', async () => {
    const dir = await folder({ 'sheet.hbs': '---\npage: Letter\n---\n<html><head><style>@page { size: A4 }</style></head><body>x</body></html>' });
    const html = (await templatesIn(dir)).render('sheet', {}).print;
    expect(html.indexOf('@page{size:letter;}')).toBeGreaterThan(html.indexOf('size: A4'));
  });

  it('reports front matter problems together, at their lines, as one template error', async () => {
    const dir = await folder({
      'a.hbs': '---\nper: city\noutput: same\n---\nx',
      'b.hbs': '---\nper: all\noutput: same\npage: A7\n---\nx',
      'c.hbs': '---\nper: everyone\n---\nx',
    });
    const error = await readKinds(dir, dir).then(
      () => undefined,
      (e: unknown) => e as TemplateError,
    );
    expect(error).toBeInstanceOf(TemplateError);
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe(`a.hbs:3:9 output: ${msg.outputNeedsCity('same')}`);
    expect(lines[1]).toMatch(/^b\.hbs:4:7 page: is "A7", which is not a page size citybrief knows\. Use one of A3, A4/);
    expect(lines.some((l) => l.startsWith('c.hbs:2:6 per: '))).toBe(true);
  });

  it('two kinds writing one file, or a kind writing into a folder citybrief keeps, are refused', async () => {
    const dir = await folder({ 'a.hbs': '---\nper: all\noutput: report\n---\nx', 'b.hbs': '---\nper: all\noutput: report\n---\nx', 'c.hbs': '---\nper: all\noutput: fonts/x\n---\nx' });
    await expect(readKinds(dir, dir)).rejects.toThrow(msg.outputTwice('report', 'a'));
    await expect(readKinds(dir, dir)).rejects.toThrow(/c\.hbs:3:9 output: is "fonts\/x", which is a folder citybrief keeps for itself/);
  });

  it('--kind naming a kind the templates do not have lists the ones they have', async () => {
    const kinds = await readKinds(bundledTheme, root);
    expect(() => selectKinds(kinds, ['factsheet'], 'templates')).toThrow(msg.unknownKind('factsheet', ['briefing', 'overview', 'slides'], 'templates'));
  });
});

describe('labels', () => {
  it("citybrief's own words name no subject: nothing of patents, IP or GDP in any language", () => {
    for (const lang of ['zh-Hant', 'zh-Hans', 'en']) {
      const words = JSON.stringify(builtInLabels(lang));
      expect(words, lang).not.toMatch(/專利|专利|知識產權|知识产权|授權|授权|GDP|patent|intellectual|試點|试点/i);
    }
  });

  it('chooses plural forms through Intl: "1 more city", "3 more cities"', () => {
    const en = makeLabels('en', builtInLabels('en')!);
    expect(en.format('rankingTruncated', { n: 1 })).toBe('1 more city is not shown.');
    expect(en.format('rankingTruncated', { n: 3 })).toBe('3 more cities are not shown.');
    expect(makeLabels('zh-Hant', builtInLabels('zh-Hant')!).format('rankingTruncated', { n: 1 })).toBe('另有1個城市未列出。');
  });

  it('joins lists as the language does', () => {
    expect(makeLabels('en', builtInLabels('en')!).list(['Riverton', 'Millbrook', 'Hollins Bay'])).toBe('Riverton, Millbrook, and Hollins Bay');
    expect(makeLabels('zh-Hant', builtInLabels('zh-Hant')!).list(['深圳', '杭州', '南京'])).toBe('深圳、杭州和南京');
  });
});

describe('limits on the work a build may do', () => {
  it('are set in seconds and rows in the project file; an option (a flag, in milliseconds) wins', async () => {
    const dir = await folder({ 'citybrief.config.yaml': 'timeout: 120\nchartTimeout: 30\nmaxChartRows: 50000\n' });
    const config = resolveConfig({ cwd: root, project: dir });
    expect(config.timeoutMs).toBe(120_000);
    expect(config.charts).toEqual({ timeoutMs: 30_000, maxRows: 50_000 });
    const flagged = resolveConfig({ cwd: root, project: dir, timeout: 5_000, chartTimeout: 2_000, maxChartRows: 7 });
    expect([flagged.timeoutMs, flagged.charts.timeoutMs, flagged.charts.maxRows]).toEqual([5_000, 2_000, 7]);
  });

  it('a limit in the project file that is not a whole number of at least 1 is reported at its line', async () => {
    const dir = await folder({ 'citybrief.config.yaml': 'out: printed\nchartTimeout: 0.5\nmaxChartRows: 0\n' });
    const error = (() => {
      try {
        resolveConfig({ cwd: dir });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).problems.map((p) => [p.line, p.field, p.message])).toEqual([
      [2, 'chartTimeout', msg.notWhole(0.5)],
      [3, 'maxChartRows', 'must be at least 1'],
    ]);
  });
});

describe('command-line conventions', () => {
  it('--version prints the version', async () => {
    const { code, stdout } = await cli(['--version']);
    expect(code).toBe(0);
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`citybrief ${pkg.version}\n`);
    expect(version).toBe(pkg.version);
  });

  it('a number flag that is not a whole number gets a plain message and exit code 2', async () => {
    const units: Record<string, string> = { '--concurrency': 'pages', '--timeout': 'seconds', '--chart-timeout': 'seconds', '--max-chart-rows': 'rows' };
    const cases = [['--concurrency', 'four'], ['--concurrency', '0'], ['--timeout', '1.5'], ['--timeout=-3', undefined], ['--chart-timeout', '0.5'], ['--max-chart-rows', 'many']];
    for (const [flag, value] of cases) {
      const [name, given] = value === undefined ? flag!.split('=') : [flag!, value];
      const { code, stderr } = await cli(['build', ...(value === undefined ? [flag!] : [flag!, value])]);
      expect(code, `${flag} ${value}`).toBe(2);
      expect(stderr).toBe(`citybrief: ${name} takes a whole number of ${units[name!]} of at least 1, not "${given}".\n`);
    }
  });

  it('worker needs --redis and a Redis URL, and checks its numbers as build does', async () => {
    const bare = await cli(['worker']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('citybrief: worker needs --redis.');
    const stalled = await cli(['worker', '--redis', 'redis://127.0.0.1:1', '--stalled', '0']);
    expect(stalled).toMatchObject({ code: 2, stderr: 'citybrief: --stalled takes a whole number of seconds of at least 1, not "0".\n' });
    const notRedis = await cli(['worker', '--redis', 'https://user:pw@example.org']);
    expect(notRedis.code).toBe(2);
    expect(notRedis.stderr).toBe(`citybrief: ${msg.badRedisUrl('https://user:***@example.org')}\n`);
    const listed = await cli(['--help']);
    expect(listed.stdout + listed.stderr).toMatch(/^ {2}worker {5}print documents for builds on other machines/m);
  });

  it('--city takes a comma list like --kind, and names what it does not know', async () => {
    const { code, stderr } = await cli(['build', '--city', 'shenzhen,nowhere', '--out', await folder({})]);
    expect(code).toBe(2);
    expect(stderr).toContain(msg.unknownCity('nowhere', ['shenzhen', 'hangzhou', 'nanjing', 'guangzhou', 'xian', 'chengdu', 'wuhan', 'ningbo', 'jinan', 'shenyang']));
  });

  it('init refuses a second folder, and a non-empty one with exit code 2', async () => {
    expect((await cli(['init', 'a', 'b'])).code).toBe(2);
    const dir = await folder({ 'keep.txt': 'x' });
    const { code, stderr } = await cli(['init', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain('is not empty (it holds keep.txt)');
  });
});
