/**
 * citybrief's validation through its public entry points: `validateDataset`
 * (src/pipeline/build.ts) and the CLI `main` (src/cli/main.ts).
 *
 * Each broken dataset is a committed fixture under tests/fixtures/invalid/<case>/
 * (dataset.yaml, cities/*.yaml, source/article.txt; the defective file starts
 * with a `# Fixture:` comment saying what is wrong). Expected lines and columns
 * are looked up in the fixture text, so the assertions say *what* a problem
 * points at rather than hard-coding numbers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError, type Problem } from '../../src/errors.js';
import { fixtureFiles, problemsOf as rejectedWith, runCli } from '../helpers/fixtures.js';
import { msg } from '../../src/messages.js';
import { departure } from '../../src/pipeline/quotes.js';
import { validateDataset } from '../../src/pipeline/build.js';

const root = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
/** Fixtures as shown in problems when `cwd` is the repository root. */
const FIXTURES = 'tests/fixtures/invalid';
/** The source text of an invalid fixture. */
const articleOf = (fixture: string) => readFileSync(path.join(root, FIXTURES, fixture, 'source/article.txt'), 'utf8');
const fixtureCases = readdirSync(path.join(root, FIXTURES)).sort();
/** The charts folder as problems show it: relative to the cwd, like every path in a message. */
const chartsDir = path.join('templates', 'charts');

/** Validate a fixture; the problems of the DataError it must be rejected with. */
const problemsOf = (fixture: string) => rejectedWith(`${FIXTURES}/${fixture}`);
const { shown, at } = fixtureFiles(FIXTURES);

/** Does `message` have the shape msg.<fn> produces, whatever the variable part? */
function isMessageOf(message: string, template: (reason: string) => string): boolean {
  const [prefix = '', suffix = ''] = template('\u0000').split('\u0000');
  return message.startsWith(prefix) && message.endsWith(suffix) && message.length > prefix.length + suffix.length;
}

/** `file:line:column field: message`, written out here rather than taken from formatProblem. */
function cliLine(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  return `${where}${p.field ? ` ${p.field}` : ''}: ${p.message}`;
}

const run = runCli;

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'citybrief-validate-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

// ---------------------------------------------------------------------------

describe('validateDataset on the real dataset', () => {
  it('accepts data/ and returns the ten cities in dataset order', async () => {
    const valid = await validateDataset({ data: 'data', cwd: root });
    expect(valid.cities.map((c) => c.id)).toEqual(['shenzhen', 'hangzhou', 'nanjing', 'guangzhou', 'xian', 'chengdu', 'wuhan', 'ningbo', 'jinan', 'shenyang']);
    expect(valid.sourceFile).toBe(path.join(root, 'data', 'source', 'article.txt'));
  });
});

describe('validateDataset rejects invalid data with located problems', () => {
  it('a YAML syntax error: line and column point at the offending value', async () => {
    const problems = await problemsOf('yaml-syntax');
    expect(problems).toHaveLength(1);
    const [p] = problems;
    expect(p).toMatchObject({ file: shown('yaml-syntax', 'cities/alpha.yaml'), ...at('yaml-syntax', 'cities/alpha.yaml', '發明專利: 授權量') });
    expect(isMessageOf(p!.message, msg.yamlSyntax), p!.message).toBe(true);
  });

  it('a wrong type: figures[0].value on the line of "many"', async () => {
    const problems = await problemsOf('wrong-type');
    expect(problems).toEqual([
      {
        file: shown('wrong-type', 'cities/alpha.yaml'),
        ...at('wrong-type', 'cities/alpha.yaml', '"many"'),
        field: 'figures[0].value',
        message: msg.wrongType('number', 'many'),
      },
    ]);
  });

  it('a missing required field (headline): reported where its parent, the document, starts', async () => {
    const problems = await problemsOf('missing-field');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toEqual({
      file: shown('missing-field', 'cities/alpha.yaml'),
      ...at('missing-field', 'cities/alpha.yaml', 'id: alpha'),
      field: 'headline',
      message: msg.required('array'),
    });
  });

  it('an unknown field (typo `vaule`): named, on its line, and the missing `value` too', async () => {
    const problems = await problemsOf('unknown-field');
    const file = shown('unknown-field', 'cities/alpha.yaml');
    expect(problems).toHaveLength(2);
    expect(problems).toContainEqual(
      expect.objectContaining({ file, field: 'figures[0].vaule', line: at('unknown-field', 'cities/alpha.yaml', 'vaule: 120').line, message: msg.misspeltField('value') }),
    );
    // The figure lacks `value`: reported where the figure stands.
    expect(problems).toContainEqual(
      expect.objectContaining({ file, field: 'figures[0].value', line: at('unknown-field', 'cities/alpha.yaml', '- id: grants').line, message: msg.required('number') }),
    );
  });

  it('a duplicate YAML key: points at the second key and names its field', async () => {
    const problems = await problemsOf('duplicate-key');
    expect(problems).toEqual([
      { file: shown('duplicate-key', 'cities/alpha.yaml'), ...at('duplicate-key', 'cities/alpha.yaml', 'value: 121'), field: 'figures[0].value', message: msg.duplicateKey('YAML') },
    ]);
  });

  it('a source quote not in the article: msg.sourceNotFound on the quote', async () => {
    const problems = await problemsOf('source-not-found');
    expect(problems).toEqual([
      {
        file: shown('source-not-found', 'cities/alpha.yaml'),
        ...at('source-not-found', 'cities/alpha.yaml', '甲市獲得發明專利121件'),
        field: 'figures[0].source',
        message: msg.sourceNotFound('article.txt', { passage: '甲市獲得發明專利120件', position: 11, quoted: '1', found: '0' }),
      },
    ]);
    expect(problems[0]!.message).toContain('the quote\'s character 11 is "1" (DIGIT 1), where article.txt has "0" (DIGIT 0)');
  });

  it('a value written with a number word in YAML gets the plain number to write, as a CSV cell does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'citybrief-words-'));
    temps.push(dir);
    await cp(path.join(root, FIXTURES, 'source-not-found'), dir, { recursive: true });
    const city = path.join(dir, 'cities/alpha.yaml');
    const text = readFileSync(city, 'utf8');
    await writeFile(city, text.replace('甲市獲得發明專利121件', '甲市獲得發明專利120件').replace(/value: 120\b/, 'value: 43214.85亿'));
    const problems = await rejectedWith(dir);
    expect(problems.map((p) => [p.field, p.message])).toEqual([['figures[0].value', msg.notPlainNumber('43214.85亿', '4321485000000')]]);
  });

  it('a rank in two shapes at once: which shapes a rank may take, at the rank', async () => {
    const problems = await problemsOf('rank-two-shapes');
    expect(problems).toEqual([{ file: shown('rank-two-shapes', 'cities/alpha.yaml'), ...at('rank-two-shapes', 'cities/alpha.yaml', 'position: 1'), field: 'rank', message: msg.rankShapes }]);
  });

  it('an unknown metric: msg.unknownMetric on the metric', async () => {
    const problems = await problemsOf('unknown-metric');
    expect(problems).toEqual([
      {
        file: shown('unknown-metric', 'cities/alpha.yaml'),
        ...at('unknown-metric', 'cities/alpha.yaml', 'invention_patent_grantz'),
        field: 'figures[0].metric',
        message: msg.unknownMetric('invention_patent_grantz'),
      },
    ]);
  });

  it('a chart naming a figure that does not exist: msg.unknownFigure on that entry', async () => {
    const problems = await problemsOf('chart-unknown-figure');
    expect(problems).toEqual([
      {
        file: shown('chart-unknown-figure', 'cities/alpha.yaml'),
        ...at('chart-unknown-figure', 'cities/alpha.yaml', 'applications'),
        field: 'charts[0].figures[1]',
        message: msg.unknownFigure('applications'),
      },
    ]);
  });

  it('a chart spec that does not exist: msg.unknownChartSpec naming the charts folder', async () => {
    const problems = await problemsOf('chart-unknown-spec');
    expect(problems).toEqual([
      {
        file: shown('chart-unknown-spec', 'cities/alpha.yaml'),
        ...at('chart-unknown-spec', 'cities/alpha.yaml', 'pie'),
        field: 'charts[0].spec',
        message: msg.unknownChartSpec('pie', chartsDir),
      },
    ]);
  });

  it('a listed city whose file is missing: reported in dataset.yaml at the list entry', async () => {
    const problems = await problemsOf('city-file-missing');
    expect(problems).toEqual([
      {
        file: shown('city-file-missing', 'dataset.yaml'),
        ...at('city-file-missing', 'dataset.yaml', 'beta]'),
        field: 'cities[1]',
        message: msg.cityFileMissing('beta', shown('city-file-missing', 'cities/beta.yaml')),
      },
    ]);
  });

  it('an empty city file: reported against that file', async () => {
    expect(readFileSync(path.join(root, FIXTURES, 'empty-city-file', 'cities', 'alpha.yaml'), 'utf8')).toBe('');
    const problems = await problemsOf('empty-city-file');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: shown('empty-city-file', 'cities/alpha.yaml'), message: msg.wrongType('object', null) });
    expect(problems[0]!.field).toBeUndefined();
  });

  it('a city id that is not a plain id (../x): reported at the entry, never read as a path', async () => {
    const problems = await problemsOf('city-id-not-plain');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: shown('city-id-not-plain', 'dataset.yaml'), field: 'cities[1]', ...at('city-id-not-plain', 'dataset.yaml', '../x') });
    expect(problems.some((p) => p.message.includes('x.yaml'))).toBe(false);
  });

  it('a duplicate city id: msg.duplicateCity at the second entry', async () => {
    const problems = await problemsOf('duplicate-city');
    expect(problems).toEqual([
      {
        file: shown('duplicate-city', 'dataset.yaml'),
        ...at('duplicate-city', 'dataset.yaml', 'alpha]'),
        field: 'cities[1]',
        message: msg.duplicateCity('alpha'),
      },
    ]);
  });

  /** The problems many-problems must report, in reading order: file by file (dataset.yaml first), top to bottom. */
  const manyProblems = (): Problem[] => [
    {
      file: shown('many-problems', 'dataset.yaml'),
      ...at('many-problems', 'dataset.yaml', 'invention_patent_grantz'),
      field: 'ranking.metric',
      message: msg.unknownMetric('invention_patent_grantz'),
    },
    {
      file: shown('many-problems', 'cities/alpha.yaml'),
      ...at('many-problems', 'cities/alpha.yaml', '"many"'),
      field: 'figures[0].value',
      message: msg.wrongType('number', 'many'),
    },
    {
      // Quotes are checked even in a file that fails the schema.
      file: shown('many-problems', 'cities/alpha.yaml'),
      ...at('many-problems', 'cities/alpha.yaml', '甲市獲得發明專利一百二十件'),
      field: 'figures[0].source',
      message: msg.sourceNotFound('article.txt', departure('甲市獲得發明專利一百二十件', articleOf('many-problems'))),
    },
    {
      file: shown('many-problems', 'cities/beta.yaml'),
      ...at('many-problems', 'cities/beta.yaml', '乙市獲得發明專利八十件'),
      field: 'figures[0].source',
      message: msg.sourceNotFound('article.txt', departure('乙市獲得發明專利八十件', articleOf('many-problems'))),
    },
    {
      file: shown('many-problems', 'cities/beta.yaml'),
      ...at('many-problems', 'cities/beta.yaml', 'pie'),
      field: 'charts[0].spec',
      message: msg.unknownChartSpec('pie', chartsDir),
    },
  ];

  it('reports all problems of a dataset at once, across files', async () => {
    const problems = await problemsOf('many-problems');
    const expected = manyProblems();
    expect(problems).toHaveLength(expected.length);
    for (const p of expected) expect(problems).toContainEqual(p);
    expect(new Set(problems.map((p) => p.file)).size).toBe(3);
  });

  it('lists them in reading order: dataset.yaml, then the cities in order, each top to bottom', async () => {
    expect(await problemsOf('many-problems')).toEqual(manyProblems());
  });

  it('shows problem paths relative to the cwd option', async () => {
    const fixtureDir = path.join(root, FIXTURES, 'wrong-type');
    const error = (await validateDataset({ data: '.', cwd: fixtureDir }).catch((e: unknown) => e)) as DataError;
    expect(error).toBeInstanceOf(DataError);
    expect(error.problems.map((p) => p.file)).toEqual([path.join('cities', 'alpha.yaml')]);
  });
});

describe('CLI validate', () => {
  it.each(fixtureCases)('validate --data <%s> exits 2 and prints every problem as file:line:column field: message', async (fixture) => {
    const data = path.join(root, FIXTURES, fixture);
    // The CLI shows paths relative to the process cwd; ask the API the same way.
    const error = (await validateDataset({ data }).catch((e: unknown) => e)) as DataError;
    expect(error).toBeInstanceOf(DataError);
    const { code, out, err } = await run(['validate', '--data', data]);
    expect(code).toBe(2);
    expect(out).toBe('');
    const printed = err.split('\n').map((l) => l.trim());
    for (const p of error.problems) expect(printed, cliLine(p)).toContain(cliLine(p));
  });

  it('prints the located problem lines literally (wrong-type)', async () => {
    const data = path.join(root, FIXTURES, 'wrong-type');
    const file = path.relative(process.cwd(), path.join(data, 'cities', 'alpha.yaml'));
    const { line, column } = at('wrong-type', 'cities/alpha.yaml', '"many"');
    const { code, err } = await run(['validate', '--data', data]);
    expect(code).toBe(2);
    expect(err).toContain(`${file}:${line}:${column} figures[0].value: `);
  });

  it('prints msg texts by reference (source-not-found, duplicate-city)', async () => {
    const a = await run(['validate', '--data', path.join(root, FIXTURES, 'source-not-found')]);
    expect(a.err).toContain(` figures[0].source: ${msg.sourceNotFound('article.txt', departure('甲市獲得發明專利121件', articleOf('source-not-found')))}`);
    const b = await run(['validate', '--data', path.join(root, FIXTURES, 'duplicate-city')]);
    expect(b.err).toContain(` cities[1]: ${msg.duplicateCity('alpha')}`);
  });

  it('validate on the real dataset exits 0 and prints a summary', async () => {
    const { code, out, err } = await run(['validate', '--data', path.join(root, 'data')]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^Valid: 10 cities, \d+ figures, every source quote found in .*article\.txt\.\n$/);
  });

  it.runIf(process.cwd() === root)('validate with no options uses data/dataset.yaml of the cwd and exits 0', async () => {
    const { code, out } = await run(['validate']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Valid: 10 cities/);
  });

  it('validate --help exits 0 and prints its usage', async () => {
    const { code, out, err } = await run(['validate', '--help']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('Usage: citybrief validate');
    expect(out).toContain('--data PATH');
  });

  it('build --help exits 0 and prints its usage', async () => {
    const { code, out, err } = await run(['build', '--help']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('Usage: citybrief build');
    expect(out).toContain('--out DIR');
  });

  it.each([['validate'], ['build']])('%s with an unknown flag exits 2 and names the flag', async (command) => {
    const { code, out, err } = await run([command, '--bogus']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('--bogus');
    expect(err).toContain(`Usage: citybrief ${command}`);
  });
});

describe('CLI build stops on invalid input before writing anything', () => {
  it('build --data <invalid fixture> exits 2, prints the problems and creates nothing in --out', async () => {
    const tmp = await tempDir();
    const outDir = path.join(tmp, 'out');
    const data = path.join(root, FIXTURES, 'many-problems');
    const { code, err } = await run(['build', '--data', data, '--out', outDir]);
    expect(code).toBe(2);
    expect(err).toContain(`figures[0].source: ${msg.sourceNotFound('article.txt', departure('甲市獲得發明專利一百二十件', articleOf('many-problems')))}`);
    expect(err).toContain(`ranking.metric: ${msg.unknownMetric('invention_patent_grantz')}`);
    expect(existsSync(outDir)).toBe(false);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('build into an existing empty --out leaves it empty', async () => {
    const outDir = await tempDir();
    const { code } = await run(['build', '--data', path.join(root, FIXTURES, 'wrong-type'), '--out', outDir]);
    expect(code).toBe(2);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('build --city nowhere on the real data exits 2 with msg.unknownCity and writes nothing', async () => {
    const tmp = await tempDir();
    const outDir = path.join(tmp, 'out');
    const known = (await validateDataset({ data: 'data', cwd: root })).cities.map((c) => c.id);
    const { code, out, err } = await run(['build', '--data', path.join(root, 'data'), '--city', 'nowhere', '--out', outDir]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(msg.unknownCity('nowhere', known));
    expect(existsSync(outDir)).toBe(false);
    expect(await readdir(tmp)).toEqual([]);
  });
});

describe('fixed validation bugs', () => {
  it('points an unknown field at its key, not its value', async () => {
    const problems = await problemsOf('unknown-field');
    expect(problems.find((p) => p.field === 'figures[0].vaule')).toMatchObject(at('unknown-field', 'cities/alpha.yaml', 'vaule'));
  });

  it('places the problem of an empty file on line 1', async () => {
    const [problem] = await problemsOf('empty-city-file');
    expect(problem).toMatchObject({ line: 1, column: 1 });
  });

  it('reports the problems of a city listed twice once, beside the duplicate', async () => {
    const problems = await problemsOf('duplicate-broken-city');
    expect(problems.map((p) => p.message)).toEqual([msg.duplicateCity('alpha'), msg.wrongType('number', 'many')]);
  });

  it('reports a missing city file at its own index when the list also holds a non-id', async () => {
    const problems = await problemsOf('city-list-with-number');
    const missing = problems.find((p) => p.message === msg.cityFileMissing('beta', shown('city-list-with-number', 'cities/beta.yaml')));
    expect(missing).toMatchObject({ field: 'cities[2]', ...at('city-list-with-number', 'dataset.yaml', 'beta]') });
  });

  /** A copy of a fixture with `file` replaced by `text`; its problems, each shown relative to the copy. */
  async function problemsWith(fixture: string, file: string, text: string): Promise<{ dir: string; problems: readonly Problem[] }> {
    const dir = await tempDir();
    await cp(path.join(root, FIXTURES, fixture), dir, { recursive: true });
    await writeFile(path.join(dir, file), text);
    const error = await validateDataset({ data: '.', cwd: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    return { dir, problems: (error as DataError).problems };
  }

  /** Line and column of the `nth` (0-based) occurrence of `needle` in `text`. */
  function position(text: string, needle: string, nth = 0): { line: number; column: number } {
    let index = -1;
    for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
    expect(index, needle).not.toBe(-1);
    const before = text.slice(0, index).split('\n');
    return { line: before.length, column: before.at(-1)!.length + 1 };
  }

  it('reports a YAML alias bomb once: no schema problem for the value its expansion never produced', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of [...'bcdefghi'].entries()) levels.push(`${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`);
    const { problems } = await problemsWith('wrong-type', 'cities/alpha.yaml', `${levels.join('\n')}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: path.join('cities', 'alpha.yaml'), line: 1, column: 1 });
    expect(problems[0]!.field).toBeUndefined();
    expect(isMessageOf(problems[0]!.message, msg.yamlAliases)).toBe(true);
  });

  it('names the field of a duplicate key wherever it stands: nested mappings, flow mappings, list items', async () => {
    const text = [
      'title: 測試資料集',
      'lang: zh-Hant',
      'period: 2013年',
      'source:',
      '  publication: 測試報',
      '  file: source/article.txt',
      '  publication: 另一報',
      'cities: [alpha]',
      'metrics:',
      '  invention_patent_grants: { label: 發明專利授權量, label: 授權量 }',
      'ranking: { metric: invention_patent_grants, title: 排名 }',
      'title: 又一個標題',
      '',
    ].join('\n');
    const { problems } = await problemsWith('wrong-type', 'dataset.yaml', text);
    const file = 'dataset.yaml';
    expect(problems.filter((p) => p.file === file)).toEqual([
      { file, ...position(text, 'publication', 1), field: 'source.publication', message: msg.duplicateKey('YAML') },
      { file, ...position(text, 'label', 1), field: 'metrics.invention_patent_grants.label', message: msg.duplicateKey('YAML') },
      { file, ...position(text, 'title', 2), field: 'title', message: msg.duplicateKey('YAML') },
    ]);
    const city = ['id: alpha', 'charts:', '  - id: c', '    figures: [grants]', '    spec: bars', '    figures: [grants]', ''].join('\n');
    const { problems: inList } = await problemsWith('wrong-type', 'cities/alpha.yaml', city);
    expect(inList).toEqual([{ file: path.join('cities', 'alpha.yaml'), ...position(city, 'figures', 1), field: 'charts[0].figures', message: msg.duplicateKey('YAML') }]);
  });

  it.each(['con', 'nul', 'com1', 'lpt9'])('reports the device name "%s" as a city id once, and never looks for its file', async (id) => {
    const text = readFileSync(path.join(root, FIXTURES, 'wrong-type', 'dataset.yaml'), 'utf8').replace('cities: [alpha]', `cities: [alpha, ${id}]`);
    const dir = await tempDir();
    await cp(path.join(root, FIXTURES, 'wrong-type'), dir, { recursive: true });
    await writeFile(path.join(dir, 'dataset.yaml'), text);
    // A file of that name is there: the refusal comes from the id, not from a missing file.
    await writeFile(path.join(dir, 'cities', `${id}.yaml`), 'id: [not, a, city]\n');
    const error = (await validateDataset({ data: '.', cwd: dir }).catch((e: unknown) => e)) as DataError;
    expect(error).toBeInstanceOf(DataError);
    expect(error.problems.filter((p) => p.file === 'dataset.yaml')).toEqual([
      { file: 'dataset.yaml', ...position(text, `${id}]`), field: 'cities[1]', message: expect.stringContaining('is a name Windows reserves for a device') },
    ]);
    expect(error.problems.some((p) => p.file.includes(`${id}.yaml`) || p.message.includes(`${id}.yaml`))).toBe(false);
  });

  it('still checks a city file when dataset.yaml fails its schema', async () => {
    const problems = await problemsOf('dataset-and-city-problems');
    expect(problems.map((p) => `${p.file}:${p.field}`)).toEqual([
      `${shown('dataset-and-city-problems', 'dataset.yaml')}:lang`,
      `${shown('dataset-and-city-problems', 'cities/alpha.yaml')}:id`,
    ]);
    expect(problems[1]!.message).toBe(msg.cityIdMismatch('alfa', 'alpha.yaml'));
  });
});
